"""Word (``.docx``) from any producer — docgen, Word, WPS, LibreOffice — read with lxml.

Body paragraphs and tables in order. Table rows keep each cell once, where it starts; a cell
merged from above (``vMerge``) is marked `merged`, a cell spanning columns (``gridSpan``)
advances the column count, so locations name the visible column. Text split across runs is
joined; deleted text and field codes are left out; nested tables are read as their cell's
text. The package is bounded like a template (size, entries, compression, no DTD).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any

from lxml import etree

from docgen.engine.pdf import find_libreoffice, office_convert
from docgen.engine.published import (
    Cell,
    Paragraph,
    PublishedDocument,
    Table,
    check_lines,
    clean_text,
)
from docgen.engine.wordml import (
    MAX_COMPRESSION_RATIO,
    MAX_TEMPLATE_BYTES,
    MAX_TEMPLATE_ENTRIES,
    MAX_UNCOMPRESSED_BYTES,
    W_NS,
    safe_parser,
)
from docgen.errors import PdfError, SourceLocation, UnreadableDocumentError

_W = f"{{{W_NS}}}"
_DOCUMENT = "word/document.xml"
#: Largest word/document.xml read (a long report's is 1–2 MB; 75 MB took 1 GB to parse).
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def _doc_to_docx(raw: bytes, name: str) -> bytes:
    """An old binary Word file (.doc) converted by LibreOffice, when it is installed."""
    if find_libreoffice() is None:
        raise UnreadableDocumentError(
            f"{name}：这是旧版 Word（.doc）文件，请先在 Word/WPS/LibreOffice 中另存为 .docx"
            "（或安装 LibreOffice 后由 docgen 自动转换）")
    try:
        return office_convert(raw, ".doc", "docx")
    except PdfError as exc:
        raise UnreadableDocumentError(f"{name}：旧版 Word（.doc）文件无法转换：{exc}") from exc


def _document_xml(raw: bytes, name: str) -> bytes:
    """Return word/document.xml of the package `raw`, refusing what is unsafe or not Word."""
    if len(raw) > MAX_TEMPLATE_BYTES:
        raise UnreadableDocumentError(f"{name}：文件过大（上限 {MAX_TEMPLATE_BYTES} 字节）",
                                      "IMPORT-LIMIT")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raw = _doc_to_docx(raw, name)
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise UnreadableDocumentError(f"{name}：不是 Word 文档（.docx 应为 zip 格式）") from exc
    with archive:
        infos = archive.infolist()
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if len(infos) > MAX_TEMPLATE_ENTRIES or total > MAX_UNCOMPRESSED_BYTES \
                or total / packed > MAX_COMPRESSION_RATIO:
            raise UnreadableDocumentError(f"{name}：文档包过大或疑似压缩炸弹，已拒绝",
                                          "IMPORT-UNSAFE")
        names = [i.filename for i in infos]
        if names.count(_DOCUMENT) > 1:
            raise UnreadableDocumentError(
                f"{name}：文档包内有重复的部件 {_DOCUMENT}（可能是被篡改的文件），已拒绝",
                "IMPORT-UNSAFE")
        if _DOCUMENT not in names:
            raise UnreadableDocumentError(f"{name}：文档包缺少 {_DOCUMENT}，不是 Word 文档")
        size = archive.getinfo(_DOCUMENT).file_size
        if size > MAX_DOCUMENT_BYTES:
            raise UnreadableDocumentError(
                f"{name}：正文部件过大（{size} 字节，上限 {MAX_DOCUMENT_BYTES}），已拒绝",
                "IMPORT-LIMIT")
        try:
            data = archive.read(_DOCUMENT)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                RuntimeError) as exc:
            raise UnreadableDocumentError(f"{name}：文档包已损坏（{exc}）") from exc
    return data


def _parse(data: bytes, name: str) -> Any:
    """The parsed document part; one declaring a DTD anywhere (past 4 KB, UTF-16) is refused:
    `safe_parser()` never resolves an entity, and a DTD has no place in Word's XML."""
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            root = None
        elif "Excessive depth" in str(exc):
            raise UnreadableDocumentError(f"{name}：Word 文档正文嵌套过深（上限 256 层），已拒绝",
                                          "IMPORT-LIMIT") from exc
        else:
            raise UnreadableDocumentError(f"{name}：Word 文档正文已损坏（{exc}）") from exc
    info = root.getroottree().docinfo if root is not None else None
    if info is None or info.doctype or info.internalDTD is not None:
        raise UnreadableDocumentError(
            f"{name}：文档含有 DOCTYPE/实体声明（可能是 XXE 攻击），已拒绝", "IMPORT-UNSAFE")
    return root


def _text(element: Any) -> str:
    """The visible text of a paragraph or cell: runs joined, tabs as spaces, breaks as lines."""
    parts: list[str] = []
    for node in element.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}p"):
        if node.tag == f"{_W}t":
            parts.append(node.text or "")
        elif node.tag == f"{_W}tab":
            parts.append(" ")
        elif node.tag == f"{_W}br":
            parts.append("\n")
        elif parts and node is not element:
            parts.append("\n")  # -- a new paragraph inside a cell --
    return "".join(parts)


def _int_attr(element: Any, path: str, default: int) -> int:
    found = element.find(path)
    if found is None:
        return default
    try:
        return max(1, int(found.get(f"{_W}val", default)))
    except ValueError:
        return default


def _table(tbl: Any, number: int, name: str) -> Table:
    """Return the grid of `tbl`: each row's cells once, with their visible columns."""
    rows = []
    for row_number, tr in enumerate(tbl.iterchildren(f"{_W}tr"), start=1):
        column = _int_attr(tr, f"{_W}trPr/{_W}gridBefore", 0) + 1
        cells = []
        for tc in tr.iterchildren(f"{_W}tc", f"{_W}sdt"):
            for cell in ([tc] if tc.tag == f"{_W}tc" else tc.iter(f"{_W}tc")):
                merge = cell.find(f"{_W}tcPr/{_W}vMerge")
                merged = merge is not None and merge.get(f"{_W}val") != "restart"
                text = "" if merged else clean_text(_text(cell).replace("\n", ""))
                location = SourceLocation(source=name, table=number, row=row_number,
                                          column=column)
                cells.append(Cell(text, location, merged))
                column += _int_attr(cell, f"{_W}tcPr/{_W}gridSpan", 1)
        rows.append(tuple(cells))
    return Table(tuple(rows), SourceLocation(source=name, table=number))


def _blocks(body: Any) -> list[Any]:
    """The body's paragraphs and tables in order, content controls opened."""
    found: list[Any] = []
    for child in body.iterchildren():
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            found.append(child)
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            found.extend(_blocks(child.find(f"{_W}sdtContent")
                                 if child.tag == f"{_W}sdt" else child))
    return found


def read_docx(raw: bytes, name: str) -> PublishedDocument:
    """Read a Word document's body: paragraphs and table grids with their places."""
    root = _parse(_document_xml(raw, name), name)
    body = root.find(f"{_W}body")
    if body is None:
        raise UnreadableDocumentError(f"{name}：Word 文档没有正文")
    document = PublishedDocument(source=name, kind="docx")
    paragraphs = tables = 0
    blocks = _blocks(body)
    check_lines(len(blocks) + sum(1 for b in blocks if b.tag == f"{_W}tbl"
                                  for _ in b.iter(f"{_W}tc")), name)
    for element in blocks:
        if element.tag == f"{_W}tbl":
            tables += 1
            document.blocks.append(_table(element, tables, name))
            continue
        paragraphs += 1
        for line in _text(element).split("\n"):
            text = clean_text(line)
            if text:
                document.blocks.append(
                    Paragraph(text, SourceLocation(source=name, paragraph=paragraphs)))
    return document
