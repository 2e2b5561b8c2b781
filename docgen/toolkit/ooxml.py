"""Paragraphs of a Word part and where they are, in words a Word user finds them by."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree

from docgen.engine.wordml import W_NS, safe_parser
from docgen.errors import TemplateLocation

# ============================================================================================
# Reading the document: paragraphs and where they are
# ============================================================================================

_W = f"{{{W_NS}}}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
BODY = "word/document.xml"



@dataclass
class Para:
    """One paragraph of a part, with its place in words and its runs' text."""

    part: str
    index: int
    location: TemplateLocation
    element: Any
    text: str
    runs: list[tuple[int, int, Any]]
    #: (table, row, visible column) for a paragraph in a top-level table.
    cell: tuple[int, int, int] | None
    textbox: bool = False

    @property
    def where(self) -> str:
        """The place in words (``表3 第12行 第4列``, ``页眉 第1段``)."""
        return str(self.location)

    @property
    def row_where(self) -> str:
        """The place of the table row, for problems that concern a whole row."""
        return str(self.row_location)

    @property
    def row_location(self) -> TemplateLocation:
        """The table row (or the paragraph, outside tables) as a typed location."""
        if self.location.table is None:
            return self.location
        return replace(self.location, column=None, paragraph=None)


def part_paragraphs(root: Any, part: str, area: str) -> list[Para]:
    """Every paragraph of a part in document order, each located in words.

    Body paragraphs are counted ``第N段`` (tables not counted); a paragraph in a table is
    ``表T 第R行 第C列`` (T counts the top-level tables, C the visible columns: merged cells
    count as wide as they are); a text box belongs to the paragraph that holds it.
    """
    paras: list[Para] = []
    counters = {"body": 0, "table": 0}
    per_cell: dict[tuple[int, int, int], int] = {}

    def add(p: Any, cell: tuple[int, int, int] | None, box: str | None) -> None:
        text, runs, boxes = _paragraph_text(p)
        if box is not None:
            location = TemplateLocation(part, area, place=box)
        elif cell is not None:
            k = per_cell[cell] = per_cell.get(cell, 0) + 1
            location = TemplateLocation(part, area, paragraph=k if k > 1 else None,
                                        table=cell[0], row=cell[1], column=cell[2])
        else:
            counters["body"] += 1
            location = TemplateLocation(part, area, paragraph=counters["body"])
        paras.append(Para(part, len(paras), location, p, text, runs, cell, box is not None))
        for inner in boxes:
            visit(inner, cell, box or f"{location}（文本框）")

    def visit(element: Any, cell: tuple[int, int, int] | None, box: str | None) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag == _MC_FALLBACK:
                continue
            if tag == _W + "p":
                add(child, cell, box)
            elif tag == _W + "tbl" and cell is None and box is None:
                counters["table"] += 1
                table(child, counters["table"])
            else:
                visit(child, cell, box)

    def table(tbl: Any, number: int) -> None:
        for r, tr in enumerate(_own(tbl, "tr"), start=1):
            column = 1
            for tc in _own(tr, "tc"):
                visit(tc, (number, r, column), None)
                column += _grid_span(tc)

    visit(root, None, None)
    return paras


def _own(element: Any, local: str) -> Iterator[Any]:
    """The ``w:tr`` of a table or ``w:tc`` of a row, also inside content controls."""
    for child in element:
        if not isinstance(child.tag, str) or child.tag == _W + "tbl":
            continue
        if child.tag == _W + local:
            yield child
        elif child.tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):
            yield from _own(child, local)


def _grid_span(tc: Any) -> int:
    span = tc.find(f"{_W}tcPr/{_W}gridSpan")
    try:
        return max(1, int(span.get(_W + "val"))) if span is not None else 1
    except (TypeError, ValueError):
        return 1


def _paragraph_text(p: Any) -> tuple[str, list[tuple[int, int, Any]], list[Any]]:
    """The visible text of a paragraph, the span each run covers, and its text boxes."""
    pieces: list[str] = []
    runs: list[tuple[int, int, Any]] = []
    boxes: list[Any] = []
    position = 0

    def run_text(r: Any) -> str:
        out: list[str] = []
        for child in r:
            tag = child.tag
            if tag in (_W + "t", _W + "delText", _W + "instrText"):
                # -- docxtpl fills deleted (tracked) text and field codes too --
                out.append((child.text or "").replace("\n", " "))
            elif tag in (_W + "tab", _W + "br", _W + "cr"):
                out.append(" ")
            elif tag == _W + "noBreakHyphen":
                out.append("-")
            elif isinstance(tag, str):
                boxes.extend(_textboxes(child))
        return "".join(out)

    def visit(element: Any) -> None:
        nonlocal position
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in (_MC_FALLBACK, _W + "p", _W + "pPr"):
                continue
            if tag == _W + "r":
                text = run_text(child)
                runs.append((position, position + len(text), child))
                pieces.append(text)
                position += len(text)
            else:
                visit(child)

    visit(p)
    return "".join(pieces), runs, boxes


def _textboxes(element: Any) -> Iterator[Any]:
    for child in element:
        if not isinstance(child.tag, str) or child.tag == _MC_FALLBACK:
            continue
        if child.tag == _W + "txbxContent":
            yield child
        else:
            yield from _textboxes(child)


def part_areas(document: Any, relations: bytes | None) -> dict[str, str]:
    """Name each header and footer part as Word does: 页眉, 首页页脚, 第2节 偶数页页眉…"""
    targets: dict[str, str] = {}
    if relations:
        root = etree.fromstring(relations, safe_parser())
        for rel in root.iter(_RELATIONSHIP):
            target = rel.get("Target", "")
            targets[rel.get("Id", "")] = "word/" + target.lstrip("/").removeprefix("word/")
    names: dict[str, str] = {}
    sections = list(document.iter(_W + "sectPr"))
    for number, section in enumerate(sections, start=1):
        for ref in section:
            kind = {_W + "headerReference": "页眉", _W + "footerReference": "页脚"}.get(ref.tag)
            if kind is None:
                continue
            which = {"first": "首页", "even": "偶数页"}.get(ref.get(_W + "type") or "", "")
            target = targets.get(ref.get(_R_ID) or "")
            if target and target not in names:
                section_name = f"第{number}节 " if len(sections) > 1 else ""
                names[target] = f"{section_name}{which}{kind}"
    return names
