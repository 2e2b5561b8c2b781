"""The annual report as an Excel/WPS workbook laid out like the official tables.

Sheets: 报告信息 (every field that is not in a table, narrative sections as cells holding
paragraphs), 表二, 表三, 表四 (the official tables: same labels, merged header cells, row and
column order), 填写说明, and a hidden layout marker. Every label is the schema's title (via
`labels_for`), so the workbook and the messages speak the same words; only the layout (which
rows, which captions) is written here. Totals are formulas; docgen derives them itself.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from docgen.engine.resources import data_dir
from docgen.engine.schema import load_schema
from docgen.engine.schema_tree import labels_for, node_at, resolve_node
from docgen.engine.workbook import (
    Formula,
    Input,
    Label,
    Layout,
    ReadWorkbook,
    Sheet,
    cell_name,
    read_layout,
    read_marker,
    write_workbook,
)
from docgen.engine.xlsx import open_workbook
from docgen.errors import DataFileError, pointer, split_pointer
from docgen.kinds.gov_info_annual.derive import (
    APPLICANT_COLUMNS,
    COLUMNS,
    RESULT_LAYOUT,
    REVIEW_GROUPS,
    REVIEW_PARTS,
)
from docgen.kinds.gov_info_annual.versions import FORMAT_VERSIONS, GOV_INFO_ANNUAL, format_for_year

__all__ = ["LAYOUT_VERSION", "export_workbook", "next_year", "read_report_workbook"]

#: The version of this workbook layout; a workbook of another layout is recognised by it.
LAYOUT_VERSION = 1
#: Empty section slots offered besides the sections the data has.
SECTION_SLOTS = {"/overview/sections": 6, "/problems/sections": 4}

FIELDS_SHEET, TABLE2, TABLE3, TABLE4, HELP_SHEET = "报告信息", "表二", "表三", "表四", "填写说明"

#: Table 2's blocks (caption, rows) in official order, per format version.
TABLE2_BLOCKS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "2019": (("第二十条第（一）项", ("regulations", "normative_documents")),
             ("第二十条第（五）项", ("licensing", "other_services")),
             ("第二十条第（六）项", ("penalty", "coercion")),
             ("第二十条第（八）项", ("fees",)),
             ("第二十条第（九）项", ("procurement",))),
    "2021": (("第二十条第（一）项", ("regulations", "normative_documents")),
             ("第二十条第（五）项", ("licensing",)),
             ("第二十条第（六）项", ("penalty", "coercion")),
             ("第二十条第（八）项", ("fees",))),
}

#: The fields of 报告信息, grouped under captions (a caption is a pointer or a text).
_FIELD_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("基本信息", ("/agency", "/year", "/title", "/period/start", "/period/end", "/published",
              "/preamble")),
    ("/header", ("/header/index_no", "/header/publisher", "/header/document_no",
                 "/header/review", "/header/disclosure", "/header/source")),
    ("/contact", ("/contact/address", "/contact/postcode", "/contact/phone", "/contact/email",
                  "/contact/website")),
    ("/overview", ("/overview/intro", "/overview/sections")),
    ("/problems", ("/problems/problems", "/problems/improvements", "/problems/sections")),
    ("/other_matters", ("/other_matters", "/processing_fee")),
    ("/notes", tuple(f"/notes/{t}/{p}" for t in ("proactive", "applications", "reviews")
                     for p in ("before", "after"))),
    ("/signature", ("/signature/agency", "/signature/date")),
)

HELP_LINES = (
    "填写说明",
    "1. 只在浅黄色单元格中填写；标签和灰色合计单元格受保护"
    "（合计是公式，docgen 读取时不用它，自行计算并核对）。",
    "2. 数量填不小于 0 的整数；金额可带小数（最多 3 位）。表二中不适用的填“/”，"
    "带附注的写作“数值（附注）”，如“22（其中修订16件）”。",
    "3. 正文单元格可含多段：单元格内换行（Excel/WPS 按 Alt+Enter）即另起一段。",
    "4. 日期写作 2026-01-20。留空的可选项按默认处理（如标题、统计期限、引言由 docgen 生成）。",
    "5. 请勿改动工作表名称、插入或删除行列、合并或拆分单元格：docgen 按位置读取，改动处会被指出。",
    "6. 填好后：docgen check 本文件.xlsx 检查（问题会指出工作表和单元格）；"
    "docgen render 本文件.xlsx -o 报告.docx 生成报告。",
    "7. 明年：docgen export 本文件.xlsx -o 明年.xlsx --next-year，上年结转与现行有效件数自动带入。",
)


def _schema(version: str) -> dict[str, Any]:
    return load_schema(data_dir("schemas") / f"{GOV_INFO_ANNUAL}-{version}.schema.json")


def _title(schema: Mapping[str, Any], path: str) -> str:
    node = node_at(schema, split_pointer(path)) or {}
    return str(node.get("title") or path)


def _field_kind(schema: Mapping[str, Any], path: str) -> str:
    """The workbook kind of a field (see `FIELD_KINDS`), from its schema node."""
    node = node_at(schema, split_pointer(path)) or {}
    if node.get("format") == "date":
        return "date"
    union = "anyOf" in node
    for option in [resolve_node(schema, b) for b in node["anyOf"]] if union else [node]:
        kind = option.get("type")
        prefix = "cell_" if union else ""
        if kind == "integer":
            if path == "/year":
                return "integer"
            return prefix + ("count" if "minimum" in option else "signed")
        if kind == "number":
            return prefix + "amount"
    return "text"


# -- the layout ------------------------------------------------------------------------------


def build_layout(version: str, slots: Mapping[str, int] | None = None,
                 marker: Mapping[str, str] | None = None) -> Layout:
    """The workbook of format `version`, with `slots` rows for each list of sections."""
    schema = _schema(version)
    counts = {**SECTION_SLOTS, **(slots or {})}
    sheets = (_fields_sheet(schema, counts), _table2(schema, version), _table3(schema),
              _table4(schema), Sheet(HELP_SHEET, "", lines=HELP_LINES))
    stamp = {"format": version, "slots": json.dumps(counts, sort_keys=True),
             **(marker or {})}
    return Layout(f"{GOV_INFO_ANNUAL}", LAYOUT_VERSION, sheets, stamp)


def _fields_sheet(schema: Mapping[str, Any], slots: Mapping[str, int]) -> Sheet:
    labels = [Label("A1", _title(schema, ""), "A1:C1", "title"),
              Label("A2", "项目", style="header"), Label("B2", "内容", style="header"),
              Label("C2", "说明", style="header")]
    inputs: list[Input] = []
    row = 3
    for caption, paths in _FIELD_GROUPS:
        text = _title(schema, caption) if caption.startswith("/") else caption
        labels.append(Label(f"A{row}", text, f"A{row}:C{row}", "caption"))
        row += 1
        skip = len(labels_for(schema, caption)) if caption.startswith("/") else 0
        for path in paths:
            if node_at(schema, split_pointer(path)) is None:
                continue
            if path in slots:
                for index in range(slots[path]):
                    for part in ("title", "text"):
                        item = f"{path}/{index}/{part}"
                        name = f"{_title(schema, path)}（{index + 1}）{_title(schema, item)}"
                        labels.append(Label(f"A{row}", name))
                        inputs.append(Input(f"B{row}", item, "text"))
                        row += 1
                continue
            chain = labels_for(schema, path)
            name = " › ".join(chain[skip:]) or "正文"
            labels.append(Label(f"A{row}", name))
            inputs.append(Input(f"B{row}", path, _field_kind(schema, path)))
            hint = (node_at(schema, split_pointer(path)) or {}).get("description")
            if hint:
                labels.append(Label(f"C{row}", str(hint), style="hint"))
            row += 1
    return Sheet(FIELDS_SHEET, "", tuple(labels), tuple(inputs),
                 widths={"A": 28, "B": 80, "C": 40})


def _table2(schema: Mapping[str, Any], version: str) -> Sheet:
    labels = [Label("A1", _title(schema, "/proactive"), "A1:D1", "title")]
    inputs: list[Input] = []
    row = 2
    for caption, groups in TABLE2_BLOCKS[version]:
        labels.append(Label(f"A{row}", caption, f"A{row}:D{row}", "caption"))
        columns = list((node_at(schema, ["proactive", groups[0]]) or {}).get("properties", {}))
        labels.append(Label(f"A{row + 1}", "信息内容", style="header"))
        for index, key in enumerate(columns):
            col = cell_name(row + 1, index + 2)
            labels.append(Label(col, _title(schema, f"/proactive/{groups[0]}/{key}"),
                                _span(row + 1, index, len(columns)), "header"))
        row += 2
        for group in groups:
            labels.append(Label(f"A{row}", _title(schema, f"/proactive/{group}")))
            for index, key in enumerate(columns):
                path = f"/proactive/{group}/{key}"
                inputs.append(Input(cell_name(row, index + 2), path, _field_kind(schema, path),
                                    _span(row, index, len(columns))))
            row += 1
    return Sheet(TABLE2, "/proactive", tuple(labels), tuple(inputs),
                 widths={"A": 30, "B": 18, "C": 18, "D": 18})


def _span(row: int, index: int, columns: int) -> str | None:
    # -- a block with fewer than three value columns: its last column spans to D --
    if index == columns - 1 and columns < 3:
        return f"{cell_name(row, index + 2)}:D{row}"
    return None


def _result_rows(schema: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """(entry, member) of every result leaf row in table order; member None for a leaf."""
    rows: list[tuple[str, str | None]] = []
    for key, members in RESULT_LAYOUT:
        node = node_at(schema, ["applications", "results", key]) or {}
        if "natural_person" in node.get("properties", {}) or not members:
            rows.append((key, None))
        else:
            rows += [(key, m) for m in members]
    return rows


def _table3(schema: Mapping[str, Any]) -> Sheet:
    base = "/applications"
    labels = [Label("A1", _title(schema, base), "A1:J1", "title"),
              Label("A2", "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
                    "A2:C4", "header"),
              Label("D2", "申请人情况", "D2:J2", "header"),
              Label("D3", _title(schema, f"{base}/new_received/natural_person"), "D3:D4",
                    "header"),
              Label("E3", "法人或其他组织", "E3:I3", "header"),
              Label("J3", _title(schema, f"{base}/new_received/total"), "J3:J4", "header")]
    for index, column in enumerate(APPLICANT_COLUMNS[1:]):
        labels.append(Label(cell_name(4, 5 + index),
                            _title(schema, f"{base}/new_received/{column}"), style="header"))
    inputs: list[Input] = []
    formulas: list[Formula] = []

    def data_row(row: int, path: str) -> None:
        for index, column in enumerate(APPLICANT_COLUMNS):
            inputs.append(Input(cell_name(row, 4 + index), f"{path}/{column}", "count"))
        formulas.append(Formula(f"J{row}", f"SUM(D{row}:I{row})", f"{path}/total"))

    row = 5
    for key in ("new_received", "carried_over"):
        labels.append(Label(f"A{row}", _title(schema, f"{base}/{key}"), f"A{row}:C{row}"))
        data_row(row, f"{base}/{key}")
        row += 1
    leaves = _result_rows(schema)
    first = row
    results = f"{base}/results"
    labels.append(Label(f"A{row}", _title(schema, results), f"A{row}:A{row + len(leaves)}"))
    for key, member in leaves:
        if member is None:
            labels.append(Label(f"B{row}", _title(schema, f"{results}/{key}"), f"B{row}:C{row}"))
            data_row(row, f"{results}/{key}")
        else:
            members = [m for k, m in leaves if k == key]
            if member == members[0]:
                span = f"B{row}:B{row + len(members) - 1}"
                labels.append(Label(f"B{row}", _title(schema, f"{results}/{key}"), span))
            labels.append(Label(f"C{row}", _title(schema, f"{results}/{key}/{member}")))
            data_row(row, f"{results}/{key}/{member}")
        row += 1
    labels.append(Label(f"B{row}", _title(schema, f"{results}/total"), f"B{row}:C{row}"))
    for index, column in enumerate(COLUMNS):
        letter = cell_name(row, 4 + index)[:1]
        formula = (f"SUM({letter}{first}:{letter}{row - 1})" if column != "total"
                   else f"SUM(D{row}:I{row})")
        formulas.append(Formula(f"{letter}{row}", formula, f"{results}/total/{column}"))
    row += 1
    labels.append(Label(f"A{row}", _title(schema, f"{base}/carried_forward"), f"A{row}:C{row}"))
    data_row(row, f"{base}/carried_forward")
    widths = {"A": 16, "B": 16, "C": 34, **{chr(68 + i): 11 for i in range(7)}}
    return Sheet(TABLE3, base, tuple(labels), tuple(inputs), tuple(formulas), widths)


def _table4(schema: Mapping[str, Any]) -> Sheet:
    base = "/reviews"
    first = f"{base}/{REVIEW_GROUPS[0]}"
    labels = [Label("A1", _title(schema, base), "A1:O1", "title"),
              Label("A2", _title(schema, first), "A2:E2", "header"),
              Label("F2", "行政诉讼", "F2:O2", "header")]
    inputs: list[Input] = []
    formulas: list[Formula] = []
    for group_index, group in enumerate(REVIEW_GROUPS):
        start = 1 + 5 * group_index
        path = f"{base}/{group}"
        if group_index:
            labels.append(Label(cell_name(3, start), _title(schema, path),
                                f"{cell_name(3, start)}:{cell_name(3, start + 4)}", "header"))
        for index, part in enumerate((*REVIEW_PARTS, "total")):
            col = start + index
            top = cell_name(3 if not group_index else 4, col)
            merge = f"{top}:{cell_name(4, col)}" if not group_index else None
            labels.append(Label(top, _title(schema, f"{path}/{part}"), merge, "header"))
            if part == "total":
                formulas.append(Formula(cell_name(5, col), f"SUM({cell_name(5, start)}:"
                                        f"{cell_name(5, start + 3)})", f"{path}/total"))
            else:
                inputs.append(Input(cell_name(5, col), f"{path}/{part}", "count"))
    widths = {cell_name(1, c)[:-1]: 10 for c in range(1, 16)}
    return Sheet(TABLE4, base, tuple(labels), tuple(inputs), tuple(formulas), widths)


# -- writing and reading ---------------------------------------------------------------------


def export_workbook(data: Mapping[str, Any], version: str) -> bytes:
    """Return the workbook of format `version` holding `data` (same data → same bytes).

    Raises `DataFileError` naming a field the workbook has no cell for (it would be lost).
    Totals are not copied: the workbook shows them as formulas.
    """
    slots = {path: max(default, len(_list_at(data, path)))
             for path, default in SECTION_SLOTS.items()}
    probe = build_layout(version, slots)
    inputs = {c.path for s in probe.sheets for c in s.inputs}
    derived = {c.path for s in probe.sheets for c in s.formulas}
    kept: dict[str, Any] = {}
    for path, value in _leaves(data, inputs):
        if path in derived or (path.startswith("/applications/results/total")):
            continue
        if path == "/format" or (path in inputs and value == "") or \
                (path not in inputs and value in (None, {}, [])):
            kept[path] = value
            continue
        if path not in inputs:
            raise DataFileError(f"{path}：工作簿中没有这一项的位置（{version} 年版格式），"
                                "导出会丢失它；请先改正数据（docgen check）")
    marker = {"kept": json.dumps(kept, ensure_ascii=False, sort_keys=True)}
    layout = build_layout(version, slots, marker)
    return write_workbook(layout, data)


def _list_at(data: Mapping[str, Any], path: str) -> list[Any]:
    target: Any = data
    for part in split_pointer(path):
        target = target.get(part) if isinstance(target, Mapping) else None
    return target if isinstance(target, list) else []


def _leaves(data: Any, inputs: set[str], path: str = "") -> Iterator[tuple[str, Any]]:
    """Every value of `data` with its pointer; an input's value (even an object) is one."""
    if path in inputs or not isinstance(data, (Mapping, list)) or not data:
        yield path, data
        return
    items = data.items() if isinstance(data, Mapping) else enumerate(data)
    for key, value in items:
        yield from _leaves(value, inputs, f"{path}{pointer(str(key))}")


def read_report_workbook(path: Path) -> ReadWorkbook:
    """Read an annual report workbook at `path`: its data, its own issues, its cell map.

    Raises `DataFileError` for a file that is no docgen workbook, or one of another layout.
    """
    book = open_workbook(path)
    marker = read_marker(book)
    name = str(path)
    if marker is None:
        raise DataFileError(f"{name}：[XLSX-VERSION] 不是 docgen 生成的工作簿（缺少版式标记）；"
                            "请用 docgen init --year 年度 -o 文件.xlsx 生成工作簿再填写")
    version = marker.get("version", "")
    if marker.get("kind") != GOV_INFO_ANNUAL:
        raise DataFileError(f"{name}：[XLSX-VERSION] 这是“{marker.get('kind')}”类型的工作簿，"
                            "不是政府信息公开工作年度报告")
    if version != str(LAYOUT_VERSION):
        newer = version.isdigit() and int(version) > LAYOUT_VERSION
        hint = ("由较新版本的 docgen 生成，请升级 docgen 后再读取" if newer else
                "由较早版本的 docgen 生成；请用当前版本 docgen init 生成新表格，把数字抄过去")
        raise DataFileError(f"{name}：[XLSX-VERSION] 工作簿版式为第 {version or '?'} 版，"
                            f"本 docgen 读取第 {LAYOUT_VERSION} 版：{hint}")
    fmt = marker.get("format", "")
    if fmt not in FORMAT_VERSIONS:
        raise DataFileError(f"{name}：[XLSX-VERSION] 工作簿的格式版本“{fmt}”未知")
    try:
        slots = {str(k): int(v) for k, v in json.loads(marker.get("slots") or "{}").items()}
        json.loads(marker.get("kept") or "{}")
    except (ValueError, AttributeError) as exc:
        raise DataFileError(f"{name}：[XLSX-VERSION] 工作簿的版式标记已损坏") from exc
    layout = build_layout(fmt, {k: min(v, 200) for k, v in slots.items()}, marker)
    found = read_layout(book, layout)
    data = found.data
    if "format" not in data and format_for_year(data.get("year")) != fmt:
        data["format"] = fmt
    return dataclasses.replace(found, marker=marker)  # -- its format: for FORMAT-MISMATCH --


def next_year(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the start of next year's report from this year's `data`.

    Carried: 机关, 联系方式, the 网页信息栏 items that do not change yearly, section titles;
    二、上年结转 ← 四、结转下年度; table 2's stock figures as next year's starting point
    (2021: 现行有效件数, to which next year's 制发 is added and 废止 taken away; 2019:
    对外公开总数量, and 上一年项目数量 ← 上一年项目数量 + 本年增/减). The rest is left blank. From
    the 2019 format into the 2021 one nothing of table 2 is carried: 对外公开总数量 is not
    现行有效件数.
    """
    year = data.get("year")
    following = year + 1 if isinstance(year, int) and not isinstance(year, bool) else year
    old = str(data.get("format") or format_for_year(year))
    new = format_for_year(following)
    report: dict[str, Any] = {"agency": data.get("agency"), "year": following}
    if "format" in data and old == new:
        report["format"] = data["format"]
    header = data.get("header")
    if isinstance(header, Mapping):
        report["header"] = {k: v for k, v in header.items()
                            if k in ("publisher", "review", "disclosure", "source")}
    if isinstance(data.get("contact"), Mapping):
        report["contact"] = dict(data["contact"])
    for part in ("overview", "problems"):
        sections = (data.get(part) or {}).get("sections") if isinstance(data.get(part),
                                                                         Mapping) else None
        if isinstance(sections, list):
            report[part] = {"sections": [{"title": s.get("title", ""), "text": ""}
                                         for s in sections if isinstance(s, Mapping)]}
    report["proactive"] = _next_proactive(data.get("proactive"), old, new)
    forward = (data.get("applications") or {}).get("carried_forward") \
        if isinstance(data.get("applications"), Mapping) else None
    if isinstance(forward, Mapping):
        report["applications"] = {"carried_over": {c: forward[c] for c in APPLICANT_COLUMNS
                                                   if c in forward}}
    return report


def _next_proactive(proactive: Any, old: str, new: str) -> dict[str, Any]:
    """Table 2's stock figures carried into next year (see `next_year`)."""
    if not isinstance(proactive, Mapping):
        return {}
    result: dict[str, Any] = {}

    def number(value: Any) -> Any:
        return value.get("value") if isinstance(value, Mapping) else value

    for group, row in proactive.items():
        if not isinstance(row, Mapping):
            continue
        if new == "2021" and old == "2021" and group in ("regulations", "normative_documents"):
            result[group] = {"in_force": number(row.get("in_force"))}
        elif new == "2019" and group in ("regulations", "normative_documents"):
            result[group] = {"total": number(row.get("total"))}
        elif new == "2019" and "previous" in row:
            before, change = number(row.get("previous")), number(row.get("change"))
            both = isinstance(before, int) and isinstance(change, int)
            result[group] = {"previous": before + change if both else before}
    return result
