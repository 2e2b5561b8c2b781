"""Turn .docx bytes into PDF with LibreOffice in headless mode, isolated and time-limited."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from docgen.engine.fonts import fontconfig_environment
from docgen.engine.limits import lift_memory_limit
from docgen.engine.package import strip_external
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
    office nor keeps state between conversions; isolated (`_isolated_profile`, a .docx's
    external links removed first), so it reaches no network and reads no linked file; in its
    own process group, all of which is killed on a timeout. Raises `LibreOfficeMissingError`
    when it is not installed and `PdfError` when the conversion fails, takes longer than
    `timeout`, or does not produce a file of the `target` type.
    """
    program = require_libreoffice()
    with tempfile.TemporaryDirectory(prefix="docgen-pdf-") as work:
        folder = Path(work)
        source = folder / f"report{suffix}"
        source.write_bytes(strip_external(data) if suffix == ".docx" else data)
        profile = _isolated_profile(folder / "profile")
        command = [
            program,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless", "--norestore", "--nolockcheck", "--nodefault",
            "--convert-to", target, "--outdir", str(folder / "out"), str(source),
        ]
        # -- 公文 faces (fontconfig), and proxies that lead nowhere --
        environment = fontconfig_environment(folder, {**os.environ, **_NO_NETWORK})
        result = _run(command, timeout, program, environment, target)
        converted = folder / "out" / f"report.{target}"
        if result.returncode != 0 or not converted.exists():
            detail = (result.stderr or result.stdout).decode("utf-8", "replace").strip()
            raise PdfError(
                f"LibreOffice 未能生成 {target.upper()}（退出码 {result.returncode}）："
                f"{detail[-500:]}")
        output = converted.read_bytes()
        complete = output.startswith(b"%PDF-") and b"%%EOF" in output[-2048:] \
            if target == "pdf" else output.startswith(b"PK") if target == "docx" else True
        if not complete:
            raise PdfError(f"LibreOffice 的输出不是完整的 {target.upper()} 文件，已拒绝")
        return output


def _run(command: list[str], timeout: float, program: str, environment: dict[str, str],
         target: str) -> subprocess.CompletedProcess[bytes]:
    """Run LibreOffice in a new session (its own process group), without docgen's memory
    limit and with proxies pointing nowhere; on a timeout kill the whole group, so no
    ``soffice.bin`` is left running."""
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True,
                                   env=environment, preexec_fn=lift_memory_limit)
    except OSError as exc:
        raise LibreOfficeMissingError(f"无法启动 LibreOffice（{program}）：{exc}") from exc
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException as exc:  # -- a timeout, Ctrl-C, SIGTERM: nothing left running --
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.kill()
        process.communicate()
        if isinstance(exc, subprocess.TimeoutExpired):
            raise PdfError(f"LibreOffice 转换 {target.upper()} 超时（{timeout:g} 秒）") from exc
        raise
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # -- a helper it left behind --
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


#: Proxies that lead nowhere, for any library LibreOffice uses that reads them.
_NO_NETWORK = {name: "http://127.0.0.1:9" for name in
               ("http_proxy", "https_proxy", "ftp_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                "FTP_PROXY", "all_proxy", "ALL_PROXY")}
_NO_NETWORK.update(no_proxy="", NO_PROXY="")

#: The profile's settings: never update links, no active content (OLE, DDE, linked files),
#: no macros, every proxy set to a port where nothing listens.
_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableActiveContent" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetProxyType" oor:op="fuse"><value>1</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetHTTPProxyName" oor:op="fuse"><value>127.0.0.1</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetHTTPProxyPort" oor:op="fuse"><value>9</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetHTTPSProxyName" oor:op="fuse"><value>127.0.0.1</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetHTTPSProxyPort" oor:op="fuse"><value>9</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetNoProxy" oor:op="fuse"><value></value></prop></item>
</oor:items>
"""  # noqa: E501


def _isolated_profile(profile: Path) -> Path:
    """Create a LibreOffice profile at `profile` with `_SETTINGS`; return it."""
    user = profile / "user"
    user.mkdir(parents=True)
    (user / "registrymodifications.xcu").write_text(_SETTINGS, encoding="utf-8")
    return profile
