"""Safe file writing: complete or absent, never over an input, suffix matching the content."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from docgen.engine.messages import os_error_text
from docgen.errors import UsageError

#: File name suffixes of an HTML page or template.
HTML_SUFFIXES = (".html", ".htm")


def is_html(path: str | Path) -> bool:
    """Whether `path` names an HTML file (by its suffix).

    >>> is_html("out/report.HTML"), is_html("report.docx")
    (True, False)
    """
    return Path(path).suffix.lower() in HTML_SUFFIXES


def refuse_wrong_suffix(target: Path, pdf: bool, *, html: bool = False) -> None:
    """Refuse a PDF named ``.docx``, a Word document named ``.pdf``, a web page named other
    than ``.html``/``.htm`` or a PDF named ``.html``: it would not open."""
    suffix = target.suffix.lower()
    if html:
        if pdf:
            raise UsageError(f"输出文件 {target}：不能同时生成 PDF 和 HTML 网页")
        if suffix not in HTML_SUFFIXES:
            raise UsageError(f"输出文件 {target} 的扩展名与内容不符：将生成 HTML 网页（.html）")
        return
    wrong = (".docx", ".html", ".htm") if pdf else (".pdf",)
    if suffix in wrong:
        right = "PDF（.pdf）" if pdf else "Word 文档（.docx）"
        raise UsageError(f"输出文件 {target} 的扩展名与内容不符：将生成 {right}")


def refuse_overwriting(target: Path, inputs: Sequence[Path]) -> None:
    """Refuse an output that is one of the `inputs` (also through a link)."""
    for source in inputs:
        if target.exists() and source.exists() and target.resolve() == source.resolve():
            raise UsageError(f"拒绝覆盖输入文件：{target}")


def write_atomic(target: Path, data: bytes) -> None:
    """Write `data` to `target` through a temporary file in the same folder, then rename.

    The file is complete or absent; an output docgen cannot write raises `UsageError`.
    """
    if target.is_dir():
        raise UsageError(f"无法写入 {target}：这是一个文件夹，请在其后加上文件名")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise UsageError(f"无法写入 {target}：{os_error_text(exc)}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f"无法写入 {target}：{os_error_text(exc)}") from exc
        raise
