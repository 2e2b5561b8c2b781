"""A saved portal page (``.html``/``.htm``/``.shtml``), read with lxml.html.

The article is told apart from the page chrome: it is the innermost element holding both the
first and the fourth part of a report (总体情况 … 行政复议); the text around it (header block
索引号/发布机构…, title, navigation) is kept as `outside` for the mapper. Word debris
(``<o:p>``, ``<font>``, one character per ``<span>``), ``&nbsp;`` and tables with or without
``<th>`` read as their text; ``rowspan``/``colspan`` become merged cells. Scripts, styles
and forms are dropped; nothing is fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree

from docgen.engine.published import Cell, Paragraph, PublishedDocument, Table, clean_text
from docgen.engine.wordml import MAX_TEMPLATE_BYTES
from docgen.errors import SourceLocation, UnreadableDocumentError
from docgen.readers.text import decode_text

#: The headings every report has, its first and fourth parts: the article holds both.
ARTICLE_MARKERS = (re.compile(r"[一1][、.．]\s*总体情况"),
                   re.compile(r"[四4][、.．]\s*(?:政府信息公开)?行政复议"))
#: Elements a page may have (a long report has a few thousand).
MAX_ELEMENTS = 200_000
#: Grid places a table's rowspans may cover (20 000 cells spanning 1000 rows took 12 s, 2.5 GB).
MAX_SPANNED = 100_000
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_DROP = ("script", "style", "noscript", "template", "select", "option", "button", "iframe",
         "object", "embed", "svg", "head")
_BLOCK = frozenset({
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
    "section", "article", "header", "footer", "nav", "aside", "main", "blockquote", "pre",
    "center", "form", "fieldset", "address", "figure", "figcaption", "hr", "body", "html",
    "tr", "td", "th", "caption",
})


@dataclass
class _Flow:
    """Paragraphs and tables in reading order, being collected."""

    name: str
    blocks: list[Any] = field(default_factory=list)
    line: list[str] = field(default_factory=list)
    paragraphs: int = 0
    tables: int = 0

    def flush(self) -> None:
        text = clean_text("".join(self.line))
        self.line.clear()
        if text:
            self.paragraphs += 1
            self.blocks.append(
                Paragraph(text, SourceLocation(source=self.name, paragraph=self.paragraphs)))


def _parse(raw: bytes, name: str) -> Any:
    if len(raw) > MAX_TEMPLATE_BYTES:
        raise UnreadableDocumentError(f"{name}：文件过大（上限 {MAX_TEMPLATE_BYTES} 字节）",
                                     "IMPORT-LIMIT")
    # -- the bytes decide, not the declared charset (pages declare gb2312 and are UTF-8) --
    try:
        text = decode_text(raw, name)
    except UnreadableDocumentError:
        if b"charset=gb" not in raw[:2048].lower().replace(b'"', b""):
            raise
        text = raw.decode("gb18030", "replace")  # -- a GBK page with a damaged byte --
    text = _XML_DECLARATION.sub("", text, count=1)  # -- lxml refuses str with an encoding --
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True,
                                  huge_tree=False)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise UnreadableDocumentError(f"{name}：不是可读的网页（{exc}）") from exc
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        # -- libxml2 stops there and would drop the rest of the page silently --
        raise UnreadableDocumentError(
            f"{name}：网页超出读取限制（元素嵌套超过 256 层，或一段文字超过 10 MB），已拒绝",
            "IMPORT-LIMIT")
    count = sum(1 for _ in root.iter())
    if count > MAX_ELEMENTS:
        raise UnreadableDocumentError(f"{name}：网页元素过多（{count} 个，上限 {MAX_ELEMENTS}）",
                                     "IMPORT-LIMIT")
    dropped = list(root.iter(*_DROP))
    # -- page headers and footers of office-saved pages (LibreOffice: title="footer") --
    dropped += root.xpath("//*[@title='footer' or @title='header' or @type='footer']")
    for element in dropped:
        if element.getparent() is not None:
            element.drop_tree()
    return root


def _plain(element: Any) -> str:
    return clean_text("".join(element.itertext()))


def _article(root: Any) -> Any:
    """The innermost element whose text holds every `ARTICLE_MARKERS`, or the body: walked
    down from the body, one level at a time (linear in the page for flat pages)."""
    node = root.find("body") if root.find("body") is not None else root
    while True:
        for child in node:
            if isinstance(child.tag, str) and all(
                    m.search("".join(child.itertext())) for m in ARTICLE_MARKERS):
                node = child
                break
        else:
            return node


def _span(element: Any, attribute: str) -> int:
    try:
        return min(max(1, int(element.get(attribute, "1"))), 1000)
    except ValueError:
        return 1


def _table(table: Any, flow: _Flow) -> Table:
    """Return the grid of an HTML table; rowspans mark the cells they cover as merged."""
    flow.tables += 1
    number = flow.tables
    covered: dict[tuple[int, int], int] = {}  # -- (row, column) taken by a rowspan above --
    rows = []
    trs = [tr for tr in table.iter("tr") if _owner(tr) is table]
    for row_number, tr in enumerate(trs, start=1):
        cells: list[Cell] = []
        column = 1
        for td in tr:
            if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                continue
            while (row_number, column) in covered:
                width = covered[(row_number, column)]
                cells.append(Cell("", _cell_location(flow, number, row_number, column), True))
                column += width
            width = _span(td, "colspan")
            height = min(_span(td, "rowspan"), len(trs) - row_number + 1)  # -- as browsers --
            for below in range(row_number + 1, row_number + height):
                covered[(below, column)] = width
            if len(covered) > MAX_SPANNED:
                raise UnreadableDocumentError(
                    f"{flow.name}：网页表格 {number} 的合并单元格过多"
                    f"（上限 {MAX_SPANNED} 格），已拒绝",
                    "IMPORT-LIMIT")
            cells.append(Cell(_plain(td), _cell_location(flow, number, row_number, column)))
            column += width
        while (row_number, column) in covered:
            cells.append(Cell("", _cell_location(flow, number, row_number, column), True))
            column += covered[(row_number, column)]
        rows.append(tuple(cells))
    return Table(tuple(rows), SourceLocation(source=flow.name, table=number))


def _owner(tr: Any) -> Any:
    parent = tr.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _cell_location(flow: _Flow, table: int, row: int, column: int) -> SourceLocation:
    return SourceLocation(source=flow.name, table=table, row=row, column=column)


def _walk(element: Any, flow: _Flow) -> None:
    """Collect `element`'s text into paragraphs (block edges, ``<br>``) and tables."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "table":
        flow.flush()
        flow.blocks.append(_table(element, flow))
    elif tag == "br":
        flow.flush()
    else:
        block = tag in _BLOCK
        if block:
            flow.flush()
        if element.text and tag:
            flow.line.append(element.text)
        for child in element:
            _walk(child, flow)
        if block:
            flow.flush()
    if element.tail:
        flow.line.append(element.tail)


def read_html(raw: bytes, name: str) -> PublishedDocument:
    """Read a saved web page: the article's paragraphs and tables, the rest as `outside`."""
    root = _parse(raw, name)
    article = _article(root)
    document = PublishedDocument(source=name, kind="html")
    flow = _Flow(name)
    tail, article.tail = article.tail, None
    _walk(article, flow)
    flow.flush()
    article.tail = tail
    document.blocks = flow.blocks
    if article is not root:
        outside = _Flow(name)
        article.getparent().remove(article) if article.getparent() is not None else None
        _walk(root, outside)
        outside.flush()
        for block in outside.blocks:  # -- a header block laid out as a table: cell by cell --
            if isinstance(block, Paragraph):
                document.outside.append(block)
            else:
                document.outside.extend(Paragraph(c.text, c.location)
                                        for row in block.rows for c in row if c.text)
    return document
