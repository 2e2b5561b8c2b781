"""How a docgen workbook looks and guards its cells: styles, protection, data validation.

Label cells are locked (the sheet is protected without a password, so the layout stays put
while every input cell stays typeable); input cells are unlocked, tinted and formatted for
their kind; totals are formulas on grey. Data validation: whole numbers ≥ 0 for counts;
amounts with at most 3 decimals; table-2 cells may also hold “/” or “数值（附注）”.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")
_HEADER_FILL = PatternFill("solid", fgColor="E7EEF7")
_TOTAL_FILL = PatternFill("solid", fgColor="EDEDED")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_TOP = Alignment(horizontal="left", vertical="top", wrap_text=True)

_FORMATS = {"text": "@", "date": "yyyy-mm-dd", "integer": "0", "count": "0",
            "amount": "General", "cell_count": "General", "cell_signed": "General",
            "cell_amount": "General"}

#: Custom validation formulas (``{c}`` is the cell): table-2 cells also take “/” and notes.
_CUSTOM = {
    "amount": "AND(ISNUMBER({c}),{c}>=0,ROUND({c},3)={c})",
    "cell_count": 'OR({c}="/",AND(ISNUMBER({c}),{c}>=0,INT({c})={c}),ISNUMBER(FIND("（",{c})))',
    "cell_signed": 'OR({c}="/",AND(ISNUMBER({c}),INT({c})={c}),ISNUMBER(FIND("（",{c})))',
    "cell_amount": ('OR({c}="/",AND(ISNUMBER({c}),{c}>=0,ROUND({c},3)={c}),'
                    'ISNUMBER(FIND("（",{c})))'),
}
_ERRORS = {
    "count": "请填写不小于 0 的整数。",
    "integer": "请填写年份（整数）。",
    "amount": "请填写不小于 0 的数字，最多 3 位小数。",
    "cell_count": "请填写不小于 0 的整数；不适用填“/”；带附注写作“数值（附注）”。",
    "cell_signed": "请填写整数（减少用负数，如 -8）；不适用填“/”；带附注写作“数值（附注）”。",
    "cell_amount": ("请填写不小于 0 的数字（最多 3 位小数）；不适用填“/”；"
                    "带附注写作“数值（附注）”。"),
}


def put_label(sheet: Worksheet, cell: str, text: str, style: str, merge: str | None) -> None:
    """Write a locked label cell in `style` (title, header, caption, label, hint)."""
    target = sheet[cell]
    target.value = text
    target.data_type = "s"
    target.protection = Protection(locked=True)
    if style == "title":
        target.font = Font(bold=True, size=14)
        target.alignment = _CENTER
    elif style == "hint":
        target.font = Font(italic=True, color="666666", size=9)
        target.alignment = _TOP
    else:
        target.font = Font(bold=style in ("header", "caption"))
        target.alignment = _CENTER if style == "header" else _LEFT
        if style in ("header", "caption"):
            target.fill = _HEADER_FILL
        _bordered(sheet, cell, merge)
    if merge:
        sheet.merge_cells(merge)


def put_input(sheet: Worksheet, cell: str, kind: str, value: Any, merge: str | None) -> None:
    """Write an unlocked input cell of `kind` holding `value` (None leaves it empty)."""
    target = sheet[cell]
    target.value = value
    if isinstance(value, str):  # -- also a date field holding a non-date (“=cmd|…”) --
        target.data_type = "s"  # -- a text starting with “=” stays text, never a formula --
    target.protection = Protection(locked=False)
    target.fill = _INPUT_FILL
    target.number_format = _FORMATS[kind]
    target.alignment = _TOP if kind == "text" else _CENTER
    _bordered(sheet, cell, merge)
    if merge:
        sheet.merge_cells(merge)


def put_formula(sheet: Worksheet, cell: str, formula: str, merge: str | None) -> None:
    """Write a locked formula cell (a total docgen derives itself)."""
    target = sheet[cell]
    target.value = f"={formula}"
    target.protection = Protection(locked=True)
    target.fill = _TOTAL_FILL
    target.font = Font(bold=True)
    target.alignment = _CENTER
    target.number_format = "0"
    _bordered(sheet, cell, merge)
    if merge:
        sheet.merge_cells(merge)


def finish(sheet: Worksheet, widths: Mapping[str, float],
           inputs: Sequence[tuple[str, str]]) -> None:
    """Column widths, data validation of `inputs` (cell, kind), protection, page setup."""
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    _fit_rows(sheet, widths)
    counts = [cell for cell, kind in inputs if kind == "count"]
    if counts:
        whole = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                               allow_blank=True, showErrorMessage=True,
                               errorTitle="数量", error=_ERRORS["count"])
        whole.sqref = " ".join(counts)
        sheet.add_data_validation(whole)
    for cell, kind in inputs:
        rule: DataValidation | None = None
        if kind == "integer":
            rule = DataValidation(type="whole", operator="between", formula1="1990",
                                  formula2="2100", allow_blank=True)
        elif kind in _CUSTOM:
            rule = DataValidation(type="custom", formula1=_CUSTOM[kind].format(c=cell),
                                  allow_blank=True)
        if rule is not None:
            rule.showErrorMessage = True
            rule.errorTitle = "填写有误"
            rule.error = _ERRORS[kind]
            rule.add(cell)
            sheet.add_data_validation(rule)
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    if sheet.sheet_properties.pageSetUpPr is not None:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True


def write_lines(sheet: Worksheet, lines: Sequence[str]) -> None:
    """Write a read-only sheet of text lines (the instructions)."""
    sheet.column_dimensions["A"].width = 110
    for row, line in enumerate(lines, start=1):
        cell = sheet.cell(row, 1)
        cell.value = line
        cell.data_type = "s"
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if row == 1:
            cell.font = Font(bold=True, size=14)
    sheet.protection.sheet = True


def _fit_rows(sheet: Worksheet, widths: Mapping[str, float]) -> None:
    """Give rows whose texts wrap the height they need (not every program does it itself)."""
    spans = {r.start_cell.coordinate: r for r in sheet.merged_cells.ranges}
    heights: dict[int, int] = {}
    for cells in sheet.iter_rows():
        for cell in cells:
            if not isinstance(cell.value, str) or cell.data_type == "f":
                continue
            span = spans.get(cell.coordinate)
            if span is not None and span.min_row != span.max_row:
                continue
            first = cell.column if span is None else span.min_col
            last = cell.column if span is None else span.max_col
            room = sum(widths.get(get_column_letter(c), 8.43) for c in range(first, last + 1))
            lines: int = sum(max(1, -(-_width(line) // max(1, int(room) - 2)))
                        for line in cell.value.splitlines() or [""])
            heights[cell.row] = max(heights.get(cell.row, 1), lines)
    for number, count in heights.items():
        if count > 1:
            sheet.row_dimensions[number].height = min(409, 16 * count)


def _width(text: str) -> int:
    """The width of `text` in half-width characters (CJK and full-width count 2)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _bordered(sheet: Worksheet, cell: str, merge: str | None) -> None:
    for row in sheet[merge or cell] if merge else ((sheet[cell],),):
        for each in row:
            each.border = _BORDER
