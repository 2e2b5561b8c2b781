"""Published reports back into data: Word, web pages, PDF text and pasted text.

`read_document` turns a file into the neutral `PublishedDocument` (paragraphs and table grids
with their places); `import_report` then reads the report out of it with the kind's mapper.
No network, no LLM; the same file always gives the same result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from docgen.engine.files import InputTooLarge, read_bounded
from docgen.engine.messages import os_error_text
from docgen.engine.published import PublishedDocument
from docgen.engine.wordml import MAX_TEMPLATE_BYTES
from docgen.errors import UnreadableDocumentError, UsageError
from docgen.kinds.gov_info_annual.reading import ImportedReport, read_report

__all__ = ["SUFFIXES", "ImportedReport", "import_report", "read_document"]

Reader = Callable[[bytes, str], PublishedDocument]


def _reader(suffix: str) -> Reader | None:
    if suffix == ".docx":
        from docgen.readers.docx import read_docx

        return read_docx
    if suffix in (".html", ".htm", ".shtml", ".xhtml"):
        from docgen.readers.html import read_html

        return read_html
    if suffix == ".pdf":
        from docgen.readers.pdf import read_pdf

        return read_pdf
    if suffix in (".txt", ".text", ""):
        from docgen.readers.text import read_text

        return read_text
    return None


#: The file suffixes `read_document` knows.
SUFFIXES = (".docx", ".doc", ".html", ".htm", ".shtml", ".xhtml", ".pdf", ".txt", ".text")


#: Data files docgen reads directly (`docgen.load`): nothing to import.
_DATA_SUFFIXES = (".json", ".yaml", ".yml", ".xlsx")


def _sniffed(raw: bytes, suffix: str) -> str:
    """The suffix the content asks for when it contradicts the name (a .doc that is HTML…)."""
    head = raw[:1024].lstrip().lower()
    if raw.startswith(b"%PDF"):
        return ".pdf"
    if raw.startswith(b"PK\x03\x04"):
        return ".docx"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in raw[:4096].lower():
        return ".html"
    if suffix == ".doc" and raw.startswith(b"\xd0\xcf\x11\xe0"):
        return ".docx"  # -- read_docx explains how to re-save it --
    return suffix


def read_document(path: str | Path) -> PublishedDocument:
    """Read the published document at `path` into paragraphs and tables with their places.

    Raises `UsageError` for a missing file or an unknown suffix, `UnreadableDocumentError` for
    a file that is too large, damaged, not of its kind, or a PDF without text.
    """
    source = Path(path)
    name = source.name
    try:
        raw = read_bounded(source, MAX_TEMPLATE_BYTES)
    except InputTooLarge:
        raise UnreadableDocumentError(f"{name}：文件过大（上限 {MAX_TEMPLATE_BYTES} 字节）",
                                      "IMPORT-LIMIT") from None
    except IsADirectoryError as exc:
        raise UsageError(f"{source} 是文件夹，不是报告文件") from exc
    except FileNotFoundError as exc:
        raise UsageError(f"找不到报告文件：{source}") from exc
    except OSError as exc:
        raise UsageError(f"无法读取报告文件 {source}：{os_error_text(exc)}") from exc
    if source.suffix.lower() in _DATA_SUFFIXES:
        raise UsageError(f"{name} 是 docgen 的数据文件，不是已发布的报告，无需导入；"
                         f"可直接用 docgen check / render 读取")
    suffix = _sniffed(raw, source.suffix.lower())
    reader = _reader(suffix)
    if reader is None:
        raise UsageError(f"{name}：不支持的文件类型 {source.suffix}（可读取 "
                         f"{'、'.join(SUFFIXES)}）")
    return reader(raw, name)


def import_report(path: str | Path) -> ImportedReport:
    """Read the published report at `path`: its data, what could not be read, and where each
    value was printed. Raises `UnreadableDocumentError` when the file is not a report."""
    return read_report(read_document(path))
