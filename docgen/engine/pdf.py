"""Turn .docx bytes into PDF with LibreOffice in headless mode, isolated and time-limited."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from docgen.engine.fonts import fontconfig_environment
from docgen.errors import LibreOfficeMissingError, PdfError

#: Seconds one conversion may take before it is stopped.
TIMEOUT = 180
_PROGRAMS = ("soffice", "libreoffice")


def find_libreoffice() -> str | None:
    """Return the path of LibreOffice's ``soffice`` program, or None if it is not installed."""
    configured = os.environ.get("DOCGEN_SOFFICE")
    if configured:
        return configured if Path(configured).exists() else None
    return next((found for name in _PROGRAMS if (found := shutil.which(name))), None)


def require_libreoffice() -> str:
    """Return the path of ``soffice``; raise `LibreOfficeMissingError` saying how to install it."""
    program = find_libreoffice()
    if program is None:
        raise LibreOfficeMissingError(
            "生成 PDF 需要 LibreOffice，但本机未安装（Debian/Ubuntu："
            "apt-get install libreoffice-writer-nogui fonts-noto-cjk）"
        )
    return program


def docx_to_pdf(docx: bytes, timeout: float = TIMEOUT) -> bytes:
    """Return the PDF of the Word document `docx` (see `office_convert`)."""
    return office_convert(docx, ".docx", "pdf", timeout)


def office_convert(data: bytes, suffix: str, target: str, timeout: float = TIMEOUT) -> bytes:
    """Return the document `data` (a file of type `suffix`) converted to `target` (pdf, docx).

    LibreOffice runs with its own temporary profile, so it neither clashes with a running
    office nor keeps state between conversions. Raises `LibreOfficeMissingError` when it is
    not installed and `PdfError` when the conversion fails or takes longer than `timeout`.
    """
    program = require_libreoffice()
    with tempfile.TemporaryDirectory(prefix="docgen-pdf-") as work:
        folder = Path(work)
        source = folder / f"report{suffix}"
        source.write_bytes(data)
        command = [
            program,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless", "--norestore", "--nolockcheck", "--nodefault",
            "--convert-to", target, "--outdir", str(folder / "out"), str(source),
        ]
        try:
            result = subprocess.run(command, capture_output=True, timeout=timeout, check=False,
                                    stdin=subprocess.DEVNULL,
                                    env=fontconfig_environment(folder))  # -- 公文 faces --
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"LibreOffice 转换 {target.upper()} 超时（{timeout:g} 秒）") from exc
        except OSError as exc:
            raise LibreOfficeMissingError(f"无法启动 LibreOffice（{program}）：{exc}") from exc
        converted = folder / "out" / f"report.{target}"
        if result.returncode != 0 or not converted.exists():
            detail = (result.stderr or result.stdout).decode("utf-8", "replace").strip()
            raise PdfError(
                f"LibreOffice 未能生成 {target.upper()}（退出码 {result.returncode}）："
                f"{detail[-500:]}")
        return converted.read_bytes()
