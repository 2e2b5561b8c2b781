"""Spreadsheet workbooks (.xlsx) as a way to fill in report data, for any kind with a layout.

A kind describes its workbook as a `Layout`: sheets of label cells (protected), input cells
(each holding one JSON Pointer of the data, unlocked), formula cells (shown, never read back)
and merged ranges. This module writes such a layout filled with a report, deterministically,
and reads a workbook back into data, checking that the layout is intact: every problem is an
`Issue` located by sheet and cell (`CellLocation`). Formulas are never evaluated.

Opening a workbook, bounded like any other input, is `docgen.engine.xlsx`'s job.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from docgen.engine.loading import MAX_NUMBER_DIGITS
from docgen.engine.xlsx import require_openpyxl
from docgen.errors import CellLocation, DataFileError, Issue, pointer, split_pointer

#: The suffix that makes a path a workbook.
WORKBOOK_SUFFIXES = (".xlsx",)
#: Excel's limit on the text of one cell.
MAX_CELL_TEXT = 32767
#: The hidden sheet holding the layout marker.
MARKER_SHEET = "_docgen"
MARKER_TITLE = "docgen-workbook"

#: What an input cell holds, and how it is read: a text, an ISO date, a whole number, a count
#: (whole, ≥ 0), an amount (decimal), and table cells that may also be “/” (null) or
#: “数值（附注）” ({"value", "note"}): counts, signed counts, amounts.
FIELD_KINDS = ("text", "date", "integer", "count", "amount",
               "cell_count", "cell_signed", "cell_amount")

_NOTE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[（(](.*)[）)]\s*$", re.DOTALL)
_NUMBER = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*$")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FIXED_TIME = datetime(2000, 1, 1)
#: What a table cell holding “/” reads as, before it becomes null in the data.
_NULL = object()
_MISSING = object()

_KIND_WORDS = {
    "integer": "整数",
    "count": "非负整数",
    "amount": "数字（可带小数）",
    "cell_count": "非负整数、“/”或“数值（附注）”",
    "cell_signed": "整数（减少用负数）、“/”或“数值（附注）”",
    "cell_amount": "数字（可带小数）、“/”或“数值（附注）”",
}


def is_workbook(source: object) -> bool:
    """Whether `source` is a path to a workbook (by its suffix)."""
    return isinstance(source, (str, Path)) and Path(source).suffix.lower() in WORKBOOK_SUFFIXES


# -- the layout ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    """A protected cell with fixed text; `merge` the range it spans (``A1:J1``), if any."""

    cell: str
    text: str
    merge: str | None = None
    style: str = "label"  # -- title, header, caption, label, hint --


@dataclass(frozen=True)
class Input:
    """An input cell holding the data at `path`; `kind` one of `FIELD_KINDS`."""

    cell: str
    path: str
    kind: str
    merge: str | None = None


@dataclass(frozen=True)
class Formula:
    """A cell showing a derived value (`path`, a total) by `formula`; ignored on reading."""

    cell: str
    formula: str
    path: str
    merge: str | None = None


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name, the data part it holds (`path`), its cells and column widths."""

    name: str
    path: str
    labels: tuple[Label, ...] = ()
    inputs: tuple[Input, ...] = ()
    formulas: tuple[Formula, ...] = ()
    widths: Mapping[str, float] = field(default_factory=dict)
    #: Lines of a read-only sheet (the instructions); such a sheet is not read back.
    lines: tuple[str, ...] = ()

    @property
    def merges(self) -> set[str]:
        """Every merged range the layout defines on this sheet."""
        cells: list[Label | Input | Formula] = [*self.labels, *self.inputs, *self.formulas]
        return {c.merge for c in cells if c.merge}


@dataclass(frozen=True)
class Layout:
    """A kind's workbook: its sheets, and the marker that names kind, layout version, format."""

    kind: str
    version: int
    sheets: tuple[Sheet, ...]
    marker: Mapping[str, str] = field(default_factory=dict)

    def locations(self) -> dict[str, CellLocation]:
        """Every data pointer the workbook shows, with its cell; groups get their cell range."""
        found: dict[str, CellLocation] = {}
        spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
        for sheet in self.sheets:
            placed: list[Input | Formula] = [*sheet.inputs, *sheet.formulas]
            for cell in placed:
                found[cell.path] = CellLocation(sheet.name, cell.cell)
                parts = split_pointer(cell.path)
                for depth in range(1, len(parts)):
                    group = pointer(*parts[:depth])
                    owner, points = spans.setdefault(group, (sheet.name, []))
                    if owner == sheet.name:
                        points.append(_coordinates(cell.cell))
                    else:
                        spans[group] = ("", [])
        for group, (sheet_name, points) in spans.items():
            if sheet_name and points and group not in found:
                rows, cols = [p[0] for p in points], [p[1] for p in points]
                first = _cell_name(min(rows), min(cols))
                last = _cell_name(max(rows), max(cols))
                found[group] = CellLocation(sheet_name, first if first == last
                                            else f"{first}:{last}")
        return found


@dataclass(frozen=True)
class ReadWorkbook:
    """A workbook read back: the `data`, the workbook's own `issues`, and where each field is."""

    data: dict[str, Any]
    issues: tuple[Issue, ...] = ()
    locations: Mapping[str, CellLocation] = field(default_factory=dict)
    marker: Mapping[str, str] = field(default_factory=dict)


def locate(issue: Issue, locations: Mapping[str, CellLocation]) -> Issue:
    """Return `issue` with the cell of its path (or of the nearest group holding it)."""
    if issue.location is not None or not locations or not issue.path:
        return issue
    parts = split_pointer(issue.path)
    for depth in range(len(parts), 0, -1):
        found = locations.get(pointer(*parts[:depth]))
        if found is not None:
            return replace(issue, location=found)
    return issue


# -- writing ---------------------------------------------------------------------------------


def write_workbook(layout: Layout, data: Mapping[str, Any], *,
                   instructions: tuple[str, ...] = ()) -> bytes:
    """Return the .xlsx bytes of `layout` filled with `data` (same input → same bytes).

    Raises `DataFileError` when a value cannot be placed (text too long, characters a
    workbook cannot hold); the kind checks beforehand that every field has a cell.
    """
    openpyxl = require_openpyxl()
    from docgen.engine import workbook_style as style

    book = openpyxl.Workbook()
    book.remove(book.active)
    for spec in layout.sheets:
        sheet = book.create_sheet(spec.name)
        if spec.lines:
            style.write_lines(sheet, spec.lines)
            continue
        for label in spec.labels:
            style.put_label(sheet, label.cell, label.text, label.style, label.merge)
        for cell in spec.inputs:
            value = _get(data, cell.path, _MISSING)
            shown = None if value is _MISSING else _cell_value(cell, value)
            style.put_input(sheet, cell.cell, cell.kind, shown, cell.merge)
        for formula in spec.formulas:
            style.put_formula(sheet, formula.cell, formula.formula, formula.merge)
        style.finish(sheet, spec.widths, [(c.cell, c.kind) for c in spec.inputs])
    marker = book.create_sheet(MARKER_SHEET)
    marker.sheet_state = "hidden"
    rows = {"layout": MARKER_TITLE, "version": str(layout.version), "kind": layout.kind,
            **layout.marker}
    for index, (key, value) in enumerate(rows.items(), start=1):
        marker.cell(index, 1, key)
        marker.cell(index, 2).value = value
        marker.cell(index, 2).data_type = "s"
    book.active = 0
    book.properties.creator = "docgen"
    book.properties.lastModifiedBy = "docgen"
    book.properties.created = book.properties.modified = _FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return _repack(buffer.getvalue())


def _repack(raw: bytes) -> bytes:
    # -- openpyxl stamps zip entries with the clock: rewrite them with a fixed time --
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            content = source.read(info)
            if info.filename == "docProps/core.xml":  # -- openpyxl stamps “modified” on save --
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z",
                                 content)
            target.writestr(fixed, content)
    return out.getvalue()


def _cell_value(cell: Input, value: Any) -> Any:
    """What an input cell shows for `value`: numbers as numbers, null as “/”, notes as text."""
    if value is None or value == "":
        return "/" if value is None and cell.kind.startswith("cell_") else None
    if isinstance(value, Mapping) and cell.kind.startswith("cell_"):
        return f"{_number_text(value.get('value'))}（{value.get('note', '')}）"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        if cell.kind == "date":
            try:
                return datetime.fromisoformat(value) if len(value) == 10 else value
            except ValueError:
                return value
        if len(value) > MAX_CELL_TEXT:
            raise DataFileError(f"{cell.path}：文字过长（{len(value)} 字），"
                                f"Excel 单元格最多 {MAX_CELL_TEXT} 字")
        if _XML_ILLEGAL.search(value):
            raise DataFileError(f"{cell.path}：含有工作簿无法保存的控制字符")
        return value
    if isinstance(value, (int, Decimal)):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _number_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


# -- reading ---------------------------------------------------------------------------------


def read_marker(book: Any) -> dict[str, str] | None:
    """Return the layout marker of a docgen workbook, or None if it has none."""
    if MARKER_SHEET not in book.sheetnames:
        return None
    sheet = book[MARKER_SHEET]
    if not hasattr(sheet, "_cells"):  # -- a chart sheet under that name --
        return None
    found: dict[str, str] = {}
    for (row, col), cell in sorted(sheet._cells.items())[:200]:
        if col == 1 and isinstance(cell.value, str):
            value = sheet._cells.get((row, 2))
            found[cell.value] = "" if value is None or value.value is None else str(value.value)
    return found if found.get("layout") == MARKER_TITLE else None


def read_layout(book: Any, layout: Layout) -> ReadWorkbook:
    """Read the data `layout` places in `book`, with an issue for every broken part.

    A sheet renamed or deleted, moved or changed labels, merged cells that differ, content
    outside the table, formulas or text where a number belongs — each is an error located at
    its cell. A sheet whose labels moved is not read (its values would land in wrong fields).
    """
    issues: list[Issue] = []
    values: dict[str, Any] = {}
    known = {s.name for s in layout.sheets} | {MARKER_SHEET}
    strangers = [n for n in book.sheetnames if n not in known]
    for spec in layout.sheets:
        if spec.lines:
            continue
        if spec.name not in book.sheetnames:
            hint = f"；工作簿中另有：{'、'.join(strangers)}（是否被改名？）" if strangers else ""
            issues.append(Issue("XLSX-SHEET", spec.path,
                                f"找不到工作表“{spec.name}”（可能被改名或删除）{hint}",
                                location=CellLocation(spec.name), stage="schema"))
            continue
        sheet = book[spec.name]
        if not hasattr(sheet, "_cells"):
            issues.append(Issue("XLSX-SHEET", spec.path, f"“{spec.name}”不是工作表（是图表？）",
                                location=CellLocation(spec.name), stage="schema"))
            continue
        broken = list(_layout_issues(sheet, spec))
        issues += broken
        if any(i.code == "XLSX-MOVED" for i in broken):
            continue
        for cell in spec.inputs:
            found = sheet._cells.get(_coordinates(cell.cell))
            raw = None if found is None else found.value
            value, problem = _read_value(raw, cell, found)
            if problem is not None:
                code, message = problem
                issues.append(Issue(code, cell.path, message,
                                    location=CellLocation(spec.name, cell.cell),
                                    actual=_plain(raw), stage="schema"))
            if value is not None:
                values[cell.path] = None if value is _NULL else value
    return ReadWorkbook(_nest(values, layout), tuple(issues), layout.locations())


def _layout_issues(sheet: Any, spec: Sheet) -> Iterator[Issue]:
    where = CellLocation
    for label in spec.labels:
        found = sheet._cells.get(_coordinates(label.cell))
        text = "" if found is None or found.value is None else str(found.value)
        if _squash(text) != _squash(label.text):
            shown = f"“{text}”" if text else "空白"
            yield Issue("XLSX-MOVED", spec.path,
                        f"此处应为“{label.text}”，实为{shown}：行、列或单元格可能被插入、删除或移动；"
                        "本表未读取，请用 docgen init 或 docgen export 重新生成的表格填写",
                        location=where(sheet.title, label.cell), stage="schema")
            return
    actual = {str(r) for r in sheet.merged_cells.ranges}
    expected = spec.merges
    for extra in sorted(actual - expected):
        yield Issue("XLSX-MERGED", spec.path, "多出的合并单元格：请取消合并，保持原表格式",
                    location=where(sheet.title, extra), stage="schema")
    for missing in sorted(expected - actual):
        yield Issue("XLSX-MERGED", spec.path,
                    "原表此处的合并单元格被拆分：请恢复合并，保持原表格式",
                    location=where(sheet.title, missing), stage="schema")
    cells: list[Label | Input | Formula] = [*spec.labels, *spec.inputs, *spec.formulas]
    used = {_coordinates(c.cell) for c in cells}
    merged_inner = {rc for r in spec.merges for rc in _range_cells(r)}
    last_row = max(r for r, _ in used | merged_inner)
    last_col = max(c for _, c in used | merged_inner)
    for (row, col), cell in sorted(sheet._cells.items()):
        if cell.value in (None, "") or (row, col) in used or (row, col) in merged_inner:
            continue
        outside = row > last_row or col > last_col
        what = "表格外多出的内容" if outside else "标签或空白处多出的内容"
        yield Issue("XLSX-EXTRA", spec.path,
                    f"{what}“{_short(cell.value)}”不会被读取：请删去，或填到表格内相应的单元格",
                    location=where(sheet.title, _cell_name(row, col)), stage="schema")


def _read_value(raw: Any, cell: Input, found: Any) -> tuple[Any, tuple[str, str] | None]:
    """Return (value for the data, (code, message) of a problem) for one input cell."""
    if found is not None and found.data_type == "f":
        return None, ("XLSX-FORMULA",
                      "单元格中是公式：docgen 不计算公式，请直接填写数值（合计由 docgen 计算）")
    if raw is None or (isinstance(raw, str) and not raw.strip() and cell.kind != "text"):
        return None, None
    if cell.kind == "text":
        return _text(raw), None
    if cell.kind == "date":
        return (raw.date().isoformat() if isinstance(raw, datetime) else
                raw.isoformat() if isinstance(raw, date) else _text(raw)), None
    table = cell.kind.startswith("cell_")
    base = cell.kind.removeprefix("cell_")
    if isinstance(raw, str):
        stripped = raw.strip()
        if table and stripped in ("/", "／"):
            return _NULL, None
        note = _NOTE.match(stripped) if table else None
        if note is not None:
            number = _number(note.group(1), base)
            if number is not None:
                return {"value": number, "note": note.group(2)}, None
        if _NUMBER.match(stripped):
            number = _number(stripped, base)
            if number is not None:
                return number, None
        return raw, _number_problem(raw, cell.kind)
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
        return _text(raw), _number_problem(raw, cell.kind)
    number = _number(raw, base)
    if number is None:
        return _decimal(raw), _number_problem(raw, cell.kind)
    return number, None


def _number(value: Any, base: str) -> int | Decimal | None:
    """`value` as the number a field of kind `base` takes, or None if it is not one."""
    exact = _decimal(value)
    if exact is None or len(exact.as_tuple().digits) > MAX_NUMBER_DIGITS:
        return None
    if exact == exact.to_integral_value():
        return int(exact)
    return exact if base == "amount" else None


def _decimal(value: Any) -> Decimal | None:
    try:
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return exact if exact.is_finite() else None


def _number_problem(raw: Any, kind: str) -> tuple[str, str]:
    want = _KIND_WORDS.get(kind, "数字")
    if isinstance(raw, str) and raw.strip() in ("/", "／"):
        return "XLSX-NUMBER", f"此处不能填“/”：应填{want}；没有的填 0"
    return "XLSX-NUMBER", f"应填{want}，实为“{_short(raw)}”"


def _text(raw: Any) -> str:
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat()
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _plain(raw: Any) -> Any:
    return raw if raw is None or isinstance(raw, (str, int)) else str(raw)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 20 else text[:20] + "…"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _nest(values: Mapping[str, Any], layout: Layout) -> dict[str, Any]:
    """Build the data from `values` (pointer → value), restoring what cells cannot show.

    An array item (e.g. a section) with any cell filled keeps its empty texts as "";
    `kept` values in the marker (empty texts, nulls, `format`) come back where their cells
    are still empty.
    """
    data: dict[str, Any] = {}
    for path, value in values.items():
        _put(data, split_pointer(path), value)
    items = {p.rsplit("/", 1)[0] for p in values if re.search(r"/\d+/[^/]+$", p)}
    for sheet in layout.sheets:
        for cell in sheet.inputs:
            parent = cell.path.rsplit("/", 1)[0]
            if cell.kind == "text" and parent in items and cell.path not in values:
                _put(data, split_pointer(cell.path), "")
    for path, value in json.loads(layout.marker.get("kept", "{}") or "{}").items():
        if not any(p == path or p.startswith(path + "/") for p in values):
            _put(data, split_pointer(path), value)
    return data


def _put(data: dict[str, Any], parts: list[str], value: Any) -> None:
    target: Any = data
    for index, part in enumerate(parts[:-1]):
        following = parts[index + 1]
        if isinstance(target, list):
            position = int(part)
            while len(target) <= position:
                target.append({})
            if not isinstance(target[position], (dict, list)):
                target[position] = {}
            target = target[position]
            continue
        if not isinstance(target.get(part), (dict, list)):
            target[part] = [] if following.isdigit() else {}
        target = target[part]
    if isinstance(target, list):
        position = int(parts[-1])
        while len(target) <= position:
            target.append({})
        target[position] = value
    else:
        target[parts[-1]] = value


def _get(data: Any, path: str, default: Any = None) -> Any:
    target = data
    for part in split_pointer(path):
        if isinstance(target, Mapping) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return default
    return target


# -- cell names ------------------------------------------------------------------------------


def _coordinates(cell: str) -> tuple[int, int]:
    """(row, column) of a cell name such as ``D12``."""
    match = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    assert match is not None, cell
    col = 0
    for letter in match.group(1):
        col = col * 26 + ord(letter) - 64
    return int(match.group(2)), col


def _cell_name(row: int, col: int) -> str:
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _range_cells(span: str) -> Iterator[tuple[int, int]]:
    first, _, last = span.partition(":")
    (r1, c1), (r2, c2) = _coordinates(first), _coordinates(last or first)
    for row in range(r1, r2 + 1):
        for col in range(c1, c2 + 1):
            yield row, col


def cell_name(row: int, col: int) -> str:
    """The name of the cell at `row`, `col` (1-based): ``cell_name(12, 4) == "D12"``."""
    return _cell_name(row, col)
