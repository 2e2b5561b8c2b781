"""PDF: the text layer, through poppler's ``pdftotext`` (Debian package poppler-utils).

Each page's lines become paragraphs located by page and line; a PDF without a text layer
(a scan) is refused with a clear message. pdftotext runs without network, time-limited.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import unicodedata

from docgen.engine.published import (
    Paragraph,
    PublishedDocument,
    check_lines,
    clean_text,
    unjustify,
)
from docgen.errors import SourceLocation, UnreadableDocumentError, UsageError

#: Seconds pdftotext may take.
TIMEOUT = 60
#: Pages read (a report has about ten) and bytes of text pdftotext may write.
MAX_PAGES = 500
MAX_TEXT_BYTES = 64 * 1024 * 1024


def _bounded_output() -> None:
    """In the child: its output file may not grow past `MAX_TEXT_BYTES` (SIGXFSZ)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_TEXT_BYTES, MAX_TEXT_BYTES))


def pdf_text(raw: bytes, name: str) -> str:
    """Return the text layer of the PDF `raw`, pages separated by form feeds.

    pdftotext reads at most `MAX_PAGES` pages and writes at most `MAX_TEXT_BYTES` (a small PDF
    can expand to gigabytes of text); it runs in its own process group, killed whole after
    `TIMEOUT` seconds or on Ctrl-C.
    """
    program = shutil.which("pdftotext")
    if program is None:
        raise UsageError("读取 PDF 需要 poppler 的 pdftotext，但本机未安装"
                         "（Debian/Ubuntu：apt-get install poppler-utils）")
    command = [program, "-layout", "-enc", "UTF-8", "-eol", "unix", "-l", str(MAX_PAGES),
               "-", "-"]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=output,
                                   stderr=subprocess.PIPE, start_new_session=True,
                                   preexec_fn=_bounded_output)
        try:
            _, stderr = process.communicate(raw, timeout=TIMEOUT)
        except BaseException as exc:  # -- a timeout, Ctrl-C, SIGTERM: nothing left running --
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            if isinstance(exc, subprocess.TimeoutExpired):
                raise UnreadableDocumentError(f"{name}：读取 PDF 超时（{TIMEOUT} 秒）",
                                              "IMPORT-LIMIT") from exc
            raise
        if process.returncode == -signal.SIGXFSZ:
            raise UnreadableDocumentError(
                f"{name}：PDF 的文字过多（超过 {MAX_TEXT_BYTES} 字节），已拒绝", "IMPORT-LIMIT")
        if process.returncode != 0:
            detail = stderr.decode("utf-8", "replace").strip().splitlines()
            reason = detail[-1] if detail else f"退出码 {process.returncode}"
            if "password" in reason.lower():
                raise UnreadableDocumentError(
                    f"{name}：PDF 已加密（需要密码），无法读取；请提供未加密的文件")
            raise UnreadableDocumentError(f"{name}：PDF 已损坏、已加密或无法读取（{reason}）")
        output.seek(0)
        return output.read().decode("utf-8", "replace")


#: A page number as GB/T 9704 prints it (— 3 —), or 第3页（共8页）. A bare number is a figure.
_PAGE_NUMBER = re.compile(
    r"^[—–\-－]\s*\d{1,4}\s*[—–\-－]$|^第\s*\d+\s*页(?:\s*[，,]?\s*共\s*\d+\s*页)?$")


_FIGURES = re.compile(r"^[\d.,/]+(?: [\d.,/]+)+$")


_FIGURE = r"(?:\d[\d,.]*(?:（[^（）]*）)?|/)"
_RUN_OF_FIGURES = re.compile(rf"^{_FIGURE}{{2,}}$")


def _cells(part: str) -> list[str]:
    """Figures a single space apart, or printed one after another (``8（其中修订3件）4``),
    are separate cells."""
    if _FIGURES.match(part):
        return part.split(" ")
    if "（" in part and _RUN_OF_FIGURES.match(part):  # -- not 2020-01-17 --
        return re.findall(_FIGURE, part)
    return [part]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def _paragraphs(pages: list[str], name: str) -> list[Paragraph]:
    """Layout lines back into paragraphs and cells.

    A line of several parts (two or more spaces apart) is a table row: each part is a cell. A
    single-part line runs on from the previous one when that one filled the text block and
    this one is not indented (a new paragraph is); across pages too. Page numbers are
    dropped; justified spacing next to Chinese is removed (pdftotext prints ``2025 年``).
    """
    lines: list[tuple[int, int, int, list[str]]] = []
    for number, text in enumerate(pages, start=1):
        for index, raw in enumerate(text.splitlines(), start=1):
            indent = len(raw) - len(raw.lstrip())
            parts = [unjustify(clean_text(part)) for part in re.split(r"\s{2,}", raw)]
            lines.append((number, index, indent,
                          [cell for part in parts if part for cell in _cells(part)]))
    full = max((_width(p[0]) for *_, p in lines if len(p) == 1), default=0) * 0.8
    found: list[Paragraph] = []
    current: list[str] = []
    place = SourceLocation(source=name)
    for page, index, indent, parts in lines:
        if not parts or (len(parts) == 1 and _PAGE_NUMBER.match(parts[0])):
            continue  # -- layout mode marks paragraphs by indent; blank lines say nothing --
        here = SourceLocation(source=name, page=page, line=index)
        # -- official documents indent a paragraph's first line (GB/T 9704): a full line
        # -- followed by an unindented one runs on, even when it happens to end in 。 --
        runs_on = bool(current) and len(parts) == 1 and indent < 2 and _width(
            current[-1]) >= full
        if runs_on:
            current.append(parts[0])
            continue
        if current:
            found.append(Paragraph("".join(current), place))
            current = []
        if len(parts) == 1:
            current, place = [parts[0]], here
        else:
            found.extend(Paragraph(part, here) for part in parts)
    if current:
        found.append(Paragraph("".join(current), place))
    return found


def read_pdf(raw: bytes, name: str) -> PublishedDocument:
    """Read the text layer of a PDF: lines as paragraphs, located by page and line."""
    if not raw.startswith(b"%PDF"):
        raise UnreadableDocumentError(f"{name}：不是 PDF 文件")
    text = pdf_text(raw, name)
    check_lines(text.count("\n"), name)
    document = PublishedDocument(source=name, kind="pdf")
    document.blocks.extend(_paragraphs(text.split("\f"), name))
    if not document.blocks:
        raise UnreadableDocumentError(
            f"{name}：PDF 没有文字层（可能是扫描件），无法读取；请提供 Word、网页或文字版")
    return document
