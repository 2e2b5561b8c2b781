"""PDF: the text layer, through poppler's ``pdftotext`` (Debian package poppler-utils).

Each page's lines become paragraphs located by page and line; a PDF without a text layer
(a scan) is refused with a clear message. pdftotext runs without network, time-limited.
"""

from __future__ import annotations

import shutil
import subprocess

from docgen.engine.published import PublishedDocument
from docgen.errors import UnreadableDocumentError, UsageError
from docgen.readers.text import read_lines

#: Seconds pdftotext may take.
TIMEOUT = 60


def pdf_text(raw: bytes, name: str) -> str:
    """Return the text layer of the PDF `raw`, pages separated by form feeds."""
    program = shutil.which("pdftotext")
    if program is None:
        raise UsageError("读取 PDF 需要 poppler 的 pdftotext，但本机未安装"
                         "（Debian/Ubuntu：apt-get install poppler-utils）")
    try:
        result = subprocess.run([program, "-enc", "UTF-8", "-eol", "unix", "-", "-"],
                                input=raw, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise UnreadableDocumentError(f"{name}：读取 PDF 超时（{TIMEOUT} 秒）") from exc
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = detail[-1] if detail else f"退出码 {result.returncode}"
        raise UnreadableDocumentError(f"{name}：PDF 已损坏或无法读取（{reason}）")
    return result.stdout.decode("utf-8", "replace")


def read_pdf(raw: bytes, name: str) -> PublishedDocument:
    """Read the text layer of a PDF: lines as paragraphs, located by page and line."""
    if not raw.startswith(b"%PDF"):
        raise UnreadableDocumentError(f"{name}：不是 PDF 文件")
    text = pdf_text(raw, name)
    document = PublishedDocument(source=name, kind="pdf")
    for number, page in enumerate(text.split("\f"), start=1):
        document.blocks.extend(read_lines(page.splitlines(), name, "pdf", page=number))
    if not document.blocks:
        raise UnreadableDocumentError(
            f"{name}：PDF 没有文字层（可能是扫描件），无法读取；请提供 Word、网页或文字版")
    return document
