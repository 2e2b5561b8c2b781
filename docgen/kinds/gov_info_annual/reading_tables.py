"""Tables 2, 3 and 4 of a published annual report, found by their official labels.

Every label comes from the schema titles (`load_schema` on the version's schema), compared
loosely: numbering, brackets (full/half width), spaces and parenthetical remarks aside, and
one contained in the other (规范性文件 / 行政规范性文件). A table is read as a stream of
tokens — table cells and text lines alike — where labels start a row and numbers fill it, so
a grid from Word or HTML and a page pasted one cell per line read the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from functools import cache
from typing import Any

from docgen.engine.resources import data_dir
from docgen.engine.schema import load_schema
from docgen.engine.schema_tree import resolve_node
from docgen.errors import Issue, SourceLocation, pointer, split_pointer
from docgen.kinds.gov_info_annual.derive import APPLICANT_COLUMNS, REVIEW_GROUPS, REVIEW_PARTS
from docgen.kinds.gov_info_annual.versions import FORMAT_VERSIONS, GOV_INFO_ANNUAL

#: What a blank cell reads as: kept apart from 0, never written to the data.
BLANK = object()


@dataclass(frozen=True)
class Token:
    """A table cell or a line of text, in reading order."""

    text: str
    location: SourceLocation
    in_table: bool = False


@dataclass
class Row:
    """Labels read one after another, then the values that follow them."""

    labels: list[Token] = field(default_factory=list)
    values: list[Token] = field(default_factory=list)


# -- labels ----------------------------------------------------------------------------------

_BRACKETS = str.maketrans({"(": "（", ")": "）", "[": "〔", "]": "〕", ":": "：", ",": "，",
                           ";": "；", "【": "〔", "】": "〕"})
_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|（[一二三四五六七八九十\d]+）|\d+[.．、])")
_REMARK = re.compile(r"（[^（）]*）")
_NOISE = re.compile(r"[\s·•●\-—_“”\"'：:]")


def core(label: str) -> str:
    """Return `label` reduced for comparison: numbering, remarks, brackets and spaces aside.

    >>> core("(二)部分公开(区分处理的,只计这一情形,不计其他情形)")
    '部分公开'
    >>> core("第二十条第(八)项")
    '第二十条第八项'
    """
    text = label.translate(_BRACKETS).strip()
    text = _NUMBERING.sub("", text)
    text = _REMARK.sub(lambda m: m.group(0)[1:-1] if len(m.group(0)) <= 4 else "", text)
    return _NOISE.sub("", text)


def matches(printed: str, official: str) -> bool:
    """Whether the `printed` label is the `official` one (loosely: drift tolerated)."""
    a, b = core(printed), core(official)
    if not a or not b:
        return False
    if a == b:
        return True
    if (len(b) >= 4 and b in a) or (len(a) >= 6 and a in b):
        return True  # -- a label wrapped over lines, or printed with its group's name --
    if min(len(a), len(b)) >= 3 and (a in b or b in a) and min(len(a), len(b)) * 2 >= max(
            len(a), len(b)):
        return True
    return min(len(a), len(b)) >= 4 and SequenceMatcher(None, a, b).ratio() >= 0.8


@cache
def schema_of(version: str) -> dict[str, Any]:
    """The schema of annual-report format `version`."""
    return load_schema(data_dir("schemas") / f"{GOV_INFO_ANNUAL}-{version}.schema.json")


def node(version: str, *parts: str) -> dict[str, Any]:
    """The resolved schema node at `parts` of format `version`."""
    schema = schema_of(version)
    current = resolve_node(schema, schema)
    for part in parts:
        current = resolve_node(schema, current.get("properties", {}).get(part, {}))
    return current


def title(version: str, *parts: str) -> str:
    """The official label (schema title) at `parts`."""
    return str(node(version, *parts).get("title", ""))


def children(version: str, *parts: str) -> list[str]:
    """The keys under `parts`, in schema (table) order."""
    return list(node(version, *parts).get("properties", {}))


def table2_leaves(version: str) -> dict[str, list[str]]:
    """Table 2's items and their cells, in table order."""
    return {item: children(version, "proactive", item)
            for item in children(version, "proactive")}


def table3_rows(version: str) -> list[tuple[str, ...]]:
    """The paths (under ``applications``) of every table-3 row with figures, total included."""
    rows: list[tuple[str, ...]] = []
    for key in children(version, "applications"):
        if key != "results":
            rows.append((key,))
            continue
        for result in children(version, "applications", "results"):
            members = children(version, "applications", "results", result)
            if "natural_person" in members:
                rows.append(("results", result))
            else:
                rows.extend(("results", result, m) for m in members)
    return rows


@cache
def version_signature(version: str) -> frozenset[str]:
    """Table-2 cell labels only `version` has (本年新制作数量 for 2019…); cached: asked once
    per token (computing it took 0.5 ms, 42 s for a page of 20 000 short lines)."""
    own = {title(version, "proactive", i, c) for i, cs in table2_leaves(version).items()
           for c in cs}
    others = {title(v, "proactive", i, c) for v in FORMAT_VERSIONS if v != version
              for i, cs in table2_leaves(v).items() for c in cs}
    return frozenset(core(t) for t in own - others)


# -- values ----------------------------------------------------------------------------------

_VALUE = re.compile(
    r"^(?P<sign>[-－−—–+＋]?)\s*(?P<number>\d[\d,，]*(?:[.．]\d+)?)\s*"
    r"(?P<unit>万元|元|件|个|项|条|次)?\s*(?:[（(](?P<note>[^（）()]*)[）)])?$")
_NOT_APPLICABLE = ("/", "／", "—", "-", "－", "——", "无", "不适用")


def is_value(text: str) -> bool:
    """Whether a cell's text is a figure (or ``/``, not applicable), not a label."""
    return text in _NOT_APPLICABLE or _VALUE.match(text) is not None


def parse_value(text: str, *, unit: str = "", signed: bool = False) -> Any:
    """Return the figure printed as `text`: int, Decimal (amounts), None (``/``),
    ``{"value", "note"}``, `BLANK`, or raise ValueError when it is no figure.

    `unit` is the field's unit (元, 万元); a figure printed in the other one is converted.

    >>> parse_value("24,850元", unit="元"), parse_value("8（其中修订3件）"), parse_value("/")
    (24850, {'value': 8, 'note': '其中修订3件'}, None)
    >>> parse_value("2.4850万元", unit="元")
    24850
    """
    if not text:
        return BLANK
    if text in _NOT_APPLICABLE:
        return None
    found = _VALUE.match(text)
    if found is None:
        raise ValueError(text)
    digits = found["number"].replace(",", "").replace("，", "").replace("．", ".")
    try:
        number = Decimal(digits)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if found["sign"] and found["sign"] not in "+＋":
        if not signed:
            raise ValueError(text)
        number = -number
    printed_unit = found["unit"] or ""
    if unit == "元" and printed_unit == "万元":
        number *= 10000
    elif unit == "万元" and printed_unit == "元":
        number /= 10000
    value: Any = int(number) if number == number.to_integral_value() and (
        not unit or "." not in digits or unit == "元") else number.normalize()
    if not unit and not isinstance(value, int):
        raise ValueError(text)
    if found["note"]:
        return {"value": value, "note": found["note"]}
    return value


# -- reading rows ----------------------------------------------------------------------------


def rows_of(tokens: list[Token]) -> list[Row]:
    """Group `tokens` into rows: labels read in a row, then the values after them."""
    rows: list[Row] = [Row()]
    for token in tokens:
        value = (token.in_table and not token.text) or is_value(token.text)
        if value:
            rows[-1].values.append(token)
        else:
            if rows[-1].values:
                rows.append(Row())
            rows[-1].labels.append(token)
    return [r for r in rows if r.labels or r.values]


@dataclass
class TableReading:
    """What reading one table gave: figures by JSON Pointer, places, problems."""

    values: dict[str, Any] = field(default_factory=dict)
    locations: dict[str, SourceLocation] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def put(self, path: str, token: Token, parsed: Any, name: str) -> None:
        location = _named(token.location, name)
        self.locations[path] = location
        if parsed is BLANK:
            self.issues.append(Issue(
                code="IMPORT-BLANK-CELL", path=path, stage="import", location=location,
                message="单元格空白：应填数字（没有的填 0，不适用的填“/”）；已留空，未按 0 计"))
        else:
            self.values[path] = parsed


def _named(location: SourceLocation, name: str) -> SourceLocation:
    if location.table is None:
        return location
    return SourceLocation(location.source, location.paragraph, location.table, location.row,
                          location.column, location.page, location.line, name)


def _unreadable(path: str, token: Token, name: str) -> Issue:
    return Issue(code="IMPORT-UNREAD", path=path, stage="import",
                 location=_named(token.location, name), actual=token.text,
                 message=f"无法读出数字：“{token.text}”")


def _miscounted(path: str, row: Row, wanted: int, name: str) -> Issue:
    label = row.labels[-1].text if row.labels else ""
    return Issue(code="IMPORT-UNREAD", path=path, stage="import",
                 location=_named(row.values[0].location, name), actual=len(row.values),
                 expected=wanted,
                 message=f"“{label}”一行应有 {wanted} 个数字，读到 {len(row.values)} 个；"
                         "为免错位，这一行未读入，请核对原文")


def detect_version(tokens: list[Token]) -> str | None:
    """The format version whose table 2 these tokens print, by its own cell labels."""
    scores = {v: 0 for v in FORMAT_VERSIONS}
    for token in tokens:
        for version in FORMAT_VERSIONS:
            if core(token.text) in version_signature(version):
                scores[version] += 1
    best = max(scores, key=lambda v: scores[v])
    return best if scores[best] else None


def _row_for(rows: list[Row], official: str, used: set[int]) -> Row | None:
    for index, row in enumerate(rows):
        if index not in used and row.values and any(matches(t.text, official)
                                                    for t in row.labels[-2:]):
            used.add(index)
            return row
    return None


def read_table2(tokens: list[Token], version: str) -> TableReading:
    """Read table 2 (主动公开) of format `version` from its section's tokens."""
    reading = TableReading()
    rows, used = rows_of(tokens), set[int]()
    name = "表二"
    for item, cells in table2_leaves(version).items():
        row = _row_for(rows, title(version, "proactive", item), used)
        if row is None:
            continue
        if len(row.values) != len(cells):
            reading.issues.append(_miscounted(f"/proactive/{item}", row, len(cells), name))
            continue
        for cell, token in zip(cells, row.values, strict=False):
            path = pointer("proactive", item, cell)
            label = title(version, "proactive", item, cell)
            unit = "万元" if "万元" in label else "元" if item == "procurement" and \
                cell == "amount" else ""
            signed = cell == "change"
            try:
                reading.put(path, token, parse_value(token.text, unit=unit, signed=signed), name)
            except ValueError:
                reading.issues.append(_unreadable(path, token, name))
    return reading


def _row_path(row: Row, version: str) -> tuple[str, ...] | None:
    """The table-3 row `row` prints, by its labels read from the last: a row's own label
    (1.属于国家秘密) or, for a group's subtotal row, the group's (（三）不予公开)."""
    candidates = table3_rows(version)
    groups = children(version, "applications", "results")
    for token in reversed(row.labels):
        for parts in candidates:
            if matches(token.text, title(version, "applications", *parts)):
                return parts
        for key in groups:
            if matches(token.text, title(version, "applications", "results", key)):
                if "natural_person" in children(version, "applications", "results", key):
                    return ("results", key)
                return ("results", key, "")  # -- a subtotal row of a group --
    return None


def _columns(row_values: list[Token], extra_at: int | None) -> list[tuple[str, Token]]:
    values = [t for i, t in enumerate(row_values) if i != extra_at]
    return list(zip((*APPLICANT_COLUMNS, "total"), values, strict=False))


def _subtotal_position(rows: list[Row]) -> int | None:
    """Where an added 法人或其他组织 subtotal column is, in rows of eight figures."""
    scores: dict[int, int] = {}
    for row in rows:
        if len(row.values) != 8:
            continue
        try:
            numbers = [parse_value(t.text) for t in row.values]
        except ValueError:
            continue
        if not all(isinstance(n, int) for n in numbers):
            continue
        for at in (1, 6, 7):
            rest = [n for i, n in enumerate(numbers) if i != at]
            if numbers[at] == sum(rest[1:6]):
                scores[at] = scores.get(at, 0) + 1
    return max(scores, key=lambda k: scores[k]) if scores else 1


def read_table3(tokens: list[Token], version: str) -> TableReading:
    """Read table 3 (申请) of format `version`: every row by its label, columns by position."""
    reading = TableReading()
    rows = [r for r in rows_of(tokens) if r.values]
    name = "表三"
    extra_at = _subtotal_position(rows) if any(len(r.values) == 8 for r in rows) else None
    if extra_at is not None:
        first = next(r for r in rows if len(r.values) == 8)
        reading.issues.append(Issue(
            code="IMPORT-EXTRA-COLUMN", path="/applications", severity="warning",
            stage="import", location=_named(first.values[extra_at].location, name),
            message="表三多出一列（法人或其他组织小计），已略过"))
    seen: set[tuple[str, ...]] = set()
    other_rows = {("results", "other", m)
                  for m in children(version, "applications", "results", "other")}
    old_other = version != "2019" and not any(_row_path(r, version) in other_rows
                                              for r in rows)
    for row in rows:
        parts = _row_path(row, version)
        if parts is None:
            continue
        if parts == ("results", "other", "") and old_other:
            reading.issues.append(Issue(
                code="IMPORT-FORMAT", path="/applications/results/other", stage="import",
                location=_named(row.values[0].location, name), severity="error",
                message=f"表三按2019年版格式印制：“（六）其他处理”只有一行，{version}年版应分为"
                        "三行；数字已读入“3.其他”"))
            parts = ("results", "other", "other")
        if parts[-1] == "":
            reading.issues.append(Issue(
                code="IMPORT-EXTRA-ROW", path=pointer("applications", *parts[:-1]),
                severity="warning", stage="import", location=_named(row.values[0].location, name),
                message="表三多出一行（分组小计），已略过"))
            continue
        if parts in seen:
            continue
        seen.add(parts)
        if len(row.values) != 7 + (extra_at is not None):
            reading.issues.append(_miscounted(pointer("applications", *parts), row,
                                              7 + (extra_at is not None), name))
            continue
        for column, token in _columns(row.values, extra_at):
            _read_count(reading, pointer("applications", *parts, column), token, name)
    return reading


def read_table4(tokens: list[Token], version: str) -> TableReading:
    """Read table 4 (复议、诉讼): fifteen figures, three groups of five, in table order."""
    reading = TableReading()
    name = "表四"
    rows = [r for r in rows_of(tokens) if r.values]
    values = next((r.values for r in rows if len(r.values) == 15), None)
    if values is None:
        values = [t for r in rows for t in r.values]  # -- printed over several rows --
        if len(values) != 15:
            if values:
                reading.issues.append(Issue(
                    code="IMPORT-UNREAD", path="/reviews", stage="import",
                    location=_named(values[0].location, name), actual=len(values), expected=15,
                    message=f"表四应有 15 个数字，读到 {len(values)} 个；"
                            "为免错位，未读入，请核对原文"))
            return reading
    slots = [(g, p) for g in REVIEW_GROUPS for p in (*REVIEW_PARTS, "total")]
    for (group, part), token in zip(slots, values, strict=False):
        _read_count(reading, pointer("reviews", group, part), token, name)
    return reading


def _read_count(reading: TableReading, path: str, token: Token, name: str) -> None:
    """Read one printed figure of table 3 or 4 into `reading`, or say it cannot be read."""
    try:
        parsed = parse_value(token.text)
    except ValueError:
        parsed = None
    if parsed is None or isinstance(parsed, dict):
        reading.issues.append(_unreadable(path, token, name))
    else:
        reading.put(path, token, parsed, name)


def iter_required_cells(version: str) -> Iterator[str]:
    """The JSON Pointer of every figure tables 2–4 print, in table order."""
    for item, cells in table2_leaves(version).items():
        for cell in cells:
            yield pointer("proactive", item, cell)
    for parts in table3_rows(version):
        for column in (*APPLICANT_COLUMNS, "total"):
            yield pointer("applications", *parts, column)
    for group in REVIEW_GROUPS:
        for part in (*REVIEW_PARTS, "total"):
            yield pointer("reviews", group, part)


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set `value` at the JSON Pointer `path` of `data`, making objects on the way."""
    parts = split_pointer(path)
    target = data
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def table_labels(version: str) -> Mapping[str, str]:
    """The headings of the three tables' sections (schema titles), by data key."""
    return {key: title(version, key) for key in ("proactive", "applications", "reviews")}
