"""Tools for template maintainers: the field reference, ``docgen template check``, annotation.

A Word template is checked before any data exists, against its kind's JSON Schema: Jinja syntax
(the block structure tag by tag, so that several mistakes are found in one run), field names
(with a did-you-mean), filters, constructs the sandbox forbids, fields the template never shows
and figures typed where a field belongs. Every problem is located in words a Word user
understands (``表3 第12行 第4列``, ``第5段``, ``页眉 第1段``) and can be attached to a copy of the
template as a Word comment.

The template is read as docxtpl reads it: a tag may be split over several runs (Word does that
when the formatting changes inside it); curly quotes inside a tag count as straight ones;
``{%p %}``, ``{%tr %}`` and ``{%tc %}`` replace their whole paragraph, table row or cell.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import io
import json
import re
import sys
import threading
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from docgen import fill
from docgen.errors import (
    SEVERITY_LABELS,
    Issue,
    Severity,
    TemplateProblemError,
    UsageError,
    pointer,
)
from docgen.formatting import FILTERS
from docgen.kinds import (
    DEFAULT_FORMAT,
    FORMAT_VERSIONS,
    GOV_INFO_ANNUAL,
    ReportKind,
    custom_kind,
    get_kind,
)
from docgen.schema import (
    branches,
    json_type,
    labels_for,
    load_schema,
    node_at,
    resolve_node,
)

__all__ = [
    "CODES",
    "Field",
    "annotate_template",
    "check_template",
    "cmd_template_check",
    "cmd_template_fields",
    "field_reference",
    "fields_text",
]

#: Every code `check_template` uses, with its severity. The codes are stable.
CODES: Mapping[str, Severity] = {
    "TEMPLATE-FILE": "error",       # not a Word document, unreadable, too large, XXE
    "TEMPLATE-SYNTAX": "error",     # tags: unclosed, stray, misplaced, unknown, malformed
    "TEMPLATE-FIELD": "error",      # a name the schema does not have (with did-you-mean)
    "TEMPLATE-FILTER": "error",     # an unknown filter or test, or wrong filter arguments
    "TEMPLATE-SECURITY": "error",   # what the sandbox forbids, or escaping switched off
    "TEMPLATE-FULLWIDTH": "warning",  # ｛｛ ｝｝ typed with a Chinese input method
    "TEMPLATE-UNUSED": "warning",   # schema data the template never shows
    "TEMPLATE-LITERAL": "warning",  # a figure typed in a table cell where a field belongs
}

_W = f"{{{fill.W_NS}}}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_BODY = "word/document.xml"

Path_ = tuple[str, ...]
"""A place in the schema: property names, with ``[]`` standing for any item of an array."""


# ============================================================================================
# The field reference
# ============================================================================================

#: What each field type is called in the reference.
TYPE_LABELS: Mapping[str, str] = {
    "count": "数量（非负整数）",
    "change": "增减数（整数，减少为负）",
    "amount": "金额（精确小数）",
    "count_cell": "表格数量格（数字、null 或带附注）",
    "change_cell": "表格增减格（数字、null 或带附注）",
    "amount_cell": "表格金额格（数字、null 或带附注）",
    "integer": "整数",
    "year": "年份",
    "number": "数字",
    "date": "日期",
    "text": "文本（可多段）",
    "string": "文字",
    "enum": "选项",
    "boolean": "是/否",
    "array": "列表",
    "object": "一组字段",
}

#: The filters that suit each field type, as written after ``|``.
TYPE_FILTERS: Mapping[str, tuple[str, ...]] = {
    "count": ("number", "cn_number"),
    "change": ("signed", "change_words"),
    "amount": ("money", "rmb_upper", "yuan_to_wan", "compact", "number"),
    "count_cell": ("cell",),
    "change_cell": ("cell(signed=True)",),
    "amount_cell": ("cell", 'cell(unit="元")'),
    "integer": ("number", "cn_number"),
    "year": ("cn_year",),
    "number": ("number", "money", "cn_number", "percent"),
    "date": ("format_date", 'format_date("chinese")'),
    "text": ("paragraphs",),
}


@dataclass(frozen=True)
class Field:
    """One field a template may use: its Jinja path, official labels, type and filters.

    `path` is written as in a template, with ``[]`` for the items of a list:
    ``overview.sections[].title`` is ``{{ s.title }}`` inside
    ``{%p for s in overview.sections %}``.
    """

    path: str
    labels: tuple[str, ...]
    type: str
    filters: tuple[str, ...]
    usage: tuple[str, ...]
    required: bool = False
    description: str | None = None

    @property
    def label(self) -> str:
        """The label chain as one string."""
        return " › ".join(self.labels)

    def to_dict(self) -> dict[str, Any]:
        """Return the field as the JSON object of ``docgen template fields --json``.

        Its attributes (tuples as lists), with ``label`` after ``labels`` and ``type_label``
        after ``type``.
        """
        found: dict[str, Any] = {}
        for key, value in asdict(self).items():
            found[key] = list(value) if isinstance(value, tuple) else value
            if key == "labels":
                found["label"] = self.label
            elif key == "type":
                found["type_label"] = TYPE_LABELS.get(self.type, self.type)
        return found


def field_reference(kind: ReportKind) -> list[Field]:
    """Return every field `kind`'s templates may use, in schema order, from its schema.

    >>> fields = {f.path: f for f in field_reference(get_kind("2021"))}
    >>> fields["applications.results.total.commercial"].label
    '三、收到和处理政府信息公开申请情况 › 三、本年度办理结果 › （七）总计 › 商业企业'
    >>> fields["proactive.fees.amount"].filters
    ('cell', 'cell(unit="元")')
    """
    schema = load_schema(kind.schema_path)
    found: list[Field] = []
    for entry in _schema_entries(schema):
        if entry.path[-1] == "[]" and not entry.leaf:
            continue  # -- the items themselves: their fields follow --
        kind_name = _field_type(schema, entry.raw, entry.path)
        found.append(Field(
            path=_dotted(entry.path),
            labels=_labels(schema, entry.path),
            type=kind_name,
            filters=TYPE_FILTERS.get(kind_name, ()),
            usage=_usage(entry.path, kind_name, _node_is_nullable(schema, entry.node),
                         _is_period(schema, entry.node)),
            required=entry.required,
            description=entry.node.get("description"),
        ))
    return found


def _is_period(schema: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """An object with a start and an end date (shown with ``date_range``)."""
    props = _props(schema, node)
    return all(k in props and resolve_node(schema, props[k]).get("format") == "date"
               for k in ("start", "end"))


def _usage(path: Path_, type_name: str, nullable: bool, period: bool = False
           ) -> tuple[str, ...]:
    """Ready-to-paste ways of writing a field in a template."""
    expr, loop = _loop_expression(path)
    within = f"（写在 {{%p for item in {loop} %}} 循环内）" if loop else ""
    if period:
        return (f"{{{{ {expr}.start | date_range({expr}.end) }}}}{within}",)
    if type_name == "array":
        return (f"{{%p for item in {expr} %}} ↵ …{{{{ item }}}}… ↵ {{%p endfor %}}{within}",
                f"表格行：{{%tr for item in {expr} %}} ↵ 一行单元格 ↵ {{%tr endfor %}}{within}")
    if type_name == "text":
        return (f"{{%p for para in {expr} | paragraphs %}} ↵ {{{{ para }}}} ↵ {{%p endfor %}}"
                f"{within}",)
    if type_name in ("object", "boolean"):
        return (f"{{%p if {expr} %}} ↵ … ↵ {{%p endif %}}{within}",) if nullable or \
            type_name == "boolean" else ()
    plain = () if type_name.endswith("_cell") or type_name in ("change", "date") else \
        (f"{{{{ {expr} }}}}{within}",)
    return (*plain, *(f"{{{{ {expr} | {f} }}}}{within}" for f in TYPE_FILTERS.get(type_name, ())))


def _loop_expression(path: Path_) -> tuple[str, str]:
    """Return how `path` is written (``item.title`` inside a loop) and the loop's list."""
    if "[]" not in path:
        return _dotted(path), ""
    last = len(path) - 1 - path[::-1].index("[]")
    loop = _dotted(path[:last])
    rest = path[last + 1:]
    expr = "item" + "".join("." + p if p != "[]" else "[]" for p in rest)
    return expr, loop


def fields_text(fields: Sequence[Field], title: str) -> str:
    """Return the field reference as a Markdown table a maintainer can print."""
    lines = [
        f"# 模板可用字段：{title}",
        "",
        "在模板中用 `{{ 字段 }}` 显示，用 `{{ 字段 | 过滤器 }}` 按公文规范排版；"
        "`[]` 表示列表中的每一项，要在 `{%p for item in 列表 %}` 循环内用 `item.…` 取用。",
        "检查模板：`docgen template check 模板.docx`。",
        "",
        "| 字段（Jinja 路径） | 名称 | 类型 | 写法 |",
        "|---|---|---|---|",
    ]
    for f in fields:
        usage = "<br>".join(f"`{u}`" for u in f.usage) or "—"
        name = f.label + ("" if f.required else "（可省略）")
        lines.append(" | ".join([f"| `{f.path}`", _cell_md(name),
                                 _cell_md(TYPE_LABELS.get(f.type, f.type)),
                                 _cell_md(usage) + " |"]))
    return "\n".join(lines) + "\n"


def _cell_md(text: str) -> str:
    return text.replace("|", "\\|")


# ============================================================================================
# Reading the schema
# ============================================================================================


@dataclass(frozen=True)
class _Entry:
    path: Path_
    raw: Any
    node: dict[str, Any]
    required: bool
    leaf: bool


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _refs(schema: Mapping[str, Any], node: Any) -> list[str]:
    """The names of the ``$defs`` a schema node refers to, outermost first."""
    names: list[str] = []
    seen = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and seen < 32:
        ref = node["$ref"]
        names.append(ref.rsplit("/", 1)[-1])
        target: Any = schema
        for part in ref.lstrip("#/").split("/") if ref.startswith("#/") else []:
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        node = target
        seen += 1
    return names


def _props(schema: Mapping[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
    """The property schemas of an object node, its union branches included."""
    found: dict[str, Any] = {}
    own = node.get("properties")
    if isinstance(own, Mapping):
        found.update(own)
    for branch in branches(schema, node):
        for key, value in _props(schema, branch).items():
            found.setdefault(key, value)
    return found


def _items(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Any:
    if "items" in node and isinstance(node["items"], Mapping):
        return node["items"]
    for branch in branches(schema, node):
        found = _items(schema, branch)
        if found is not None:
            return found
    return None


def _types(schema: Mapping[str, Any], node: Mapping[str, Any]) -> set[str]:
    types = {str(t) for t in _as_list(node.get("type"))}
    if "properties" in node:
        types.add("object")
    if "items" in node:
        types.add("array")
    for key in ("enum", "const"):
        if key in node:
            types |= {json_type(v) for v in _as_list(node[key])}
    for branch in branches(schema, node):
        types |= _types(schema, branch)
    return types


def _is_array(schema: Mapping[str, Any], node: Mapping[str, Any] | None) -> bool:
    return node is not None and _items(schema, node) is not None


def _is_open(node: Mapping[str, Any]) -> bool:
    """Whether an object node accepts names it does not declare (a map)."""
    return isinstance(node.get("additionalProperties"), Mapping)


def _node_is_nullable(schema: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    return "null" in _types(schema, node) or node.get("default", 0) is None


def _is_leaf(schema: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """A node shown as one value: no own properties (a union such as a table cell is one)."""
    if isinstance(node.get("properties"), Mapping) and node["properties"]:
        return False
    items = _items(schema, node)
    return not (items is not None and not _is_leaf(schema, resolve_node(schema, items)))


def _children(schema: Mapping[str, Any], node: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The parts below a non-leaf node: its own properties, or ``[]`` for a list of objects."""
    if _is_leaf(schema, node):
        return []
    items = _items(schema, node)
    if items is not None and not isinstance(node.get("properties"), Mapping):
        return [("[]", items)]
    return list((node.get("properties") or {}).items())


def _schema_entries(schema: Mapping[str, Any], node: dict[str, Any] | None = None,
                    path: Path_ = ()) -> Iterator[_Entry]:
    """Every node below `node` (at `path`; the root by default), depth first in schema order."""
    if node is None:
        node = resolve_node(schema, schema)
    required = set(_as_list(node.get("required")))
    for key, raw in _children(schema, node):
        child = resolve_node(schema, raw)
        leaf = _is_leaf(schema, child)
        yield _Entry((*path, key), raw, child, key in required or key == "[]", leaf)
        if not leaf:
            yield from _schema_entries(schema, child, (*path, key))


def _labels(schema: Mapping[str, Any], path: Path_) -> tuple[str, ...]:
    """The chain of titles down to `path` (list items add no label of their own)."""
    return labels_for(schema, pointer(*path), item_labels=False)


def _field_type(schema: Mapping[str, Any], raw: Any, path: Path_) -> str:
    """The reference type of a field: count, change, amount, a table cell, date, text…"""
    node = resolve_node(schema, raw)
    refs = " ".join(_refs(schema, raw)).lower()
    union = [b for key in ("anyOf", "oneOf") for b in _as_list(node.get(key))
             if _types(schema, resolve_node(schema, b)) != {"null"}]
    if union and not node.get("properties"):
        scalars = [b for b in union if not resolve_node(schema, b).get("properties")]
        noted = len(scalars) < len(union)
        base = _field_type(schema, scalars[0], path) if scalars else "object"
        if "signed" in refs and base in ("count", "integer"):
            base = "change"
        if noted and base in ("count", "change", "amount", "integer", "number"):
            return {"integer": "count", "number": "amount"}.get(base, base) + "_cell"
        return base
    types = _types(schema, node) - {"null"}
    if "array" in types:
        return "array"
    if "object" in types:
        return "object"
    if "enum" in node or "const" in node:
        return "enum"
    if path and path[-1] == "year" and types == {"integer"}:
        return "year"
    for name in ("signed", "change"):
        if name in refs and types & {"integer", "number"}:
            return "change"
    if "amount" in refs or "money" in refs:
        return "amount"
    if types == {"integer"}:
        return "count" if "count" in refs or node.get("minimum") == 0 else "integer"
    if types == {"number"} or types == {"integer", "number"}:
        return "number"
    if types == {"string"}:
        if node.get("format") == "date" or "date" in refs.split():
            return "date"
        return "text" if "text" in refs.split() else "string"
    if types == {"boolean"}:
        return "boolean"
    return "string"


def _dotted(path: Path_) -> str:
    """``("overview", "sections", "[]", "title")`` → ``overview.sections[].title``."""
    text = ""
    for part in path:
        text += "[]" if part == "[]" else ("." if text else "") + part
    return text


# ============================================================================================
# Reading the document: paragraphs and where they are
# ============================================================================================


@dataclass
class _Para:
    """One paragraph of a part, with its place in words and its runs' text."""

    part: str
    index: int
    where: str
    element: Any
    text: str
    runs: list[tuple[int, int, Any]]
    #: (table, row, visible column) for a paragraph in a top-level table.
    cell: tuple[int, int, int] | None
    textbox: bool = False

    @property
    def row_where(self) -> str:
        """The place of the table row, for problems that concern a whole row."""
        if self.cell is None:
            return self.where
        prefix = self.where.split("表")[0]
        return f"{prefix}表{self.cell[0]} 第{self.cell[1]}行"


def _paragraphs(root: Any, part: str, area: str) -> list[_Para]:
    """Every paragraph of a part in document order, each located in words.

    Body paragraphs are counted ``第N段`` (tables not counted); a paragraph in a table is
    ``表T 第R行 第C列`` (T counts the top-level tables, C the visible columns: merged cells
    count as wide as they are); a text box belongs to the paragraph that holds it.
    """
    paras: list[_Para] = []
    counters = {"body": 0, "table": 0}
    per_cell: dict[tuple[int, int, int], int] = {}
    prefix = f"{area} " if area else ""

    def add(p: Any, cell: tuple[int, int, int] | None, box: str | None) -> None:
        text, runs, boxes = _paragraph_text(p)
        if box is not None:
            where = box
        elif cell is not None:
            k = per_cell[cell] = per_cell.get(cell, 0) + 1
            where = f"{prefix}表{cell[0]} 第{cell[1]}行 第{cell[2]}列"
            where += f" 第{k}段" if k > 1 else ""
        else:
            counters["body"] += 1
            where = f"{prefix}第{counters['body']}段"
        paras.append(_Para(part, len(paras), where, p, text, runs, cell, box is not None))
        for inner in boxes:
            visit(inner, cell, box or f"{where}（文本框）")

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


def _part_areas(document: Any, relations: bytes | None) -> dict[str, str]:
    """Name each header and footer part as Word does: 页眉, 首页页脚, 第2节 偶数页页眉…"""
    targets: dict[str, str] = {}
    if relations:
        root = etree.fromstring(relations, fill.SAFE_PARSER)
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


# ============================================================================================
# Tags as docxtpl sees them
# ============================================================================================

_OPEN = re.compile(r"\{([{%#])")
_CLOSERS = {"{": "}}", "%": "%}", "#": "#}"}
_PREFIX = re.compile(r"(tr|tc|p|r) ")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
#: Braces a Chinese input method types, or a space inside a brace pair: never a tag.
_BRACES = re.compile(r"[{｛]\s*[{｛%％]|[%％}｝]\s*[}｝]")
_FULLWIDTH_CHARS = re.compile(r"[\uff01-\uff5e\u2013\u2014\u2212\u2026]")
_LOOKALIKES = {"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "..."}

#: Block tags and their end tags.
_BLOCKS = {"if": "endif", "for": "endfor", "macro": "endmacro", "call": "endcall",
           "filter": "endfilter", "with": "endwith", "autoescape": "endautoescape",
           "block": "endblock", "raw": "endraw", "set": "endset"}
_ENDS = {end: start for start, end in _BLOCKS.items()}
_MIDDLE = {"elif": ("if",), "else": ("if", "for")}
#: Stand-ins with the same block structure for a tag whose inside is broken.
_DUMMIES = {"if": "{% if true %}", "for": "{% for _x in () %}", "macro": "{% macro _m() %}",
            "call": "{% call range(1) %}", "filter": "{% filter string %}", "with": "{% with %}",
            "autoescape": "{% autoescape true %}", "block": "{% block _b %}",
            "raw": "{% raw %}", "set": "{% set _x %}", "elif": "{% elif true %}",
            "else": "{% else %}"}
_UNSUPPORTED = {"include", "import", "from", "extends"}
_KNOWN_TAGS = sorted({*_BLOCKS, *_ENDS, *_MIDDLE, *_UNSUPPORTED})


@dataclass
class _Tag:
    """One Jinja tag in a paragraph (as docxtpl will read it)."""

    para: _Para
    start: int
    end: int
    kind: str
    prefix: str
    source: str
    name: str = ""
    #: ok | dropped (docxtpl deletes it) | broken (its inside is wrong) | removed (stray)
    state: str = "ok"

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end

    @property
    def shown(self) -> str:
        """The tag as the maintainer typed it (quotes straightened)."""
        return self.para.text[self.start:self.end].translate(_QUOTES)

    def is_block_set(self) -> bool:
        body = self.source[2:-2]
        return self.name == "set" and not re.search(r"(?<![=!<>])=(?!=)", body)


def _scan(para: _Para) -> tuple[list[_Tag], list[tuple[int, str]]]:
    """Return the tags of a paragraph and the openers that are never closed in it."""
    text = para.text.translate(_QUOTES)
    tags: list[_Tag] = []
    unclosed: list[tuple[int, str]] = []
    i = 0
    while (m := _OPEN.search(text, i)) is not None:
        kind = m.group(1)
        closer = _CLOSERS[kind]
        j, quote, end = m.end(), "", -1
        while j < len(text):
            ch = text[j]
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "\"'" and kind != "#":
                quote = ch
            elif text.startswith(closer, j):
                end = j + 2
                break
            j += 1
        if end < 0:
            unclosed.append((m.start(), "{" + kind))
            i = m.end()
            continue
        raw = text[m.start():end]
        inner = raw[2:]
        prefix = ""
        found = _PREFIX.match(inner)
        if found and (kind != "#" or found.group(1) != "r"):
            prefix = found.group(1)
            inner = inner[found.end():]
        source = raw[:2] + " " + inner if prefix else raw
        name = ""
        if kind == "%":
            word = re.match(r"[-+\u2013\u2014\u2212]?\s*([A-Za-z_]\w*)", source[2:])
            name = word.group(1) if word else ""
        tags.append(_Tag(para, m.start(), end, "{" + kind, prefix, source, name))
        i = end
    return tags, unclosed


def _fullwidth(source: str) -> list[str]:
    """The full-width look-alikes of ASCII in a tag, outside its string literals."""
    code = re.sub(r"\"[^\"]*\"|'[^']*'", "", source)
    return list(dict.fromkeys(_FULLWIDTH_CHARS.findall(code)))


def _halfwidth(char: str) -> str:
    if "\uff01" <= char <= "\uff5e":
        return chr(ord(char) - 0xFEE0)
    return _LOOKALIKES.get(char, char)


def _jinja_message(exc: Exception) -> str:
    """A Chinese explanation of a Jinja syntax error, the original in brackets."""
    message = str(getattr(exc, "message", None) or exc)
    patterns = [
        (r"unexpected char '(.+?)' at \d+", "无法识别的字符 “{0}”"),
        (r"expected token 'end of print statement', got '(.+?)'",
         "“{0}” 前缺少运算符或过滤器（是否漏了 | 或 .，或多写了空格？）"),
        (r"expected token 'end of statement block', got '(.+?)'",
         "“{0}” 处不应有内容（标签写法有误）"),
        (r"Expected an expression, got '(.+?)'", "缺少表达式（是否漏写了字段名或条件？）"),
        (r"unexpected '(.+?)'", "多余的 “{0}”"),
        (r"expected token '(.+?)', got '(.+?)'", "此处应为 “{0}”，实为 “{1}”"),
        (r"unexpected end of template", "标签不完整"),
    ]
    for pattern, chinese in patterns:
        found = re.search(pattern, message)
        if found:
            return chinese.format(*found.groups()) + f"（Jinja：{message}）"
    return f"标签写法有误（Jinja：{message}）"


def _parse_error(source: str) -> Exception | None:
    """The syntax error Jinja finds in `source`, or None."""
    try:
        fill.ENVIRONMENT.parse(source)
    except Exception as exc:  # -- jinja2.TemplateSyntaxError; jinja2 is fill.py's alone --
        if hasattr(exc, "lineno"):
            return exc
        raise
    return None


# ============================================================================================
# The analysis
# ============================================================================================


@dataclass
class _Finding:
    issue: Issue
    part: str | None = None
    para: int | None = None
    span: tuple[int, int] | None = None
    order: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True)
class _Ref:
    """A value the template reaches: a schema path; `exact` if its attributes can be checked."""

    path: Path_
    exact: bool = True


@dataclass(frozen=True)
class _Bind:
    """What a template variable (loop variable, ``set`` name, macro argument) stands for."""

    ref: _Ref | None = None
    uses: frozenset[Path_] = frozenset()
    loop: bool = False


Scope = dict[str, _Bind]
Sink = dict[Path_, "_Para"]

_LOOP_ATTRS = ("index", "index0", "revindex", "revindex0", "first", "last", "length",
               "cycle", "depth", "depth0", "previtem", "nextitem", "changed")
_LIST_ATTRS = frozenset(a for a in dir(list) if not a.startswith("_"))
_DICT_ATTRS = frozenset(a for a in dir(dict) if not a.startswith("_"))
_STR_ATTRS = frozenset(a for a in dir(str) if not a.startswith("_"))
_NUMBER_ATTRS = frozenset(a for a in (*dir(int), *dir(Decimal)) if not a.startswith("_"))
#: Attributes the sandbox refuses besides every name starting with ``_``.
_UNSAFE_ATTRS = frozenset({
    "mro", "func_globals", "func_code", "func_closure", "func_defaults", "func_dict",
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_code",
    "ag_frame", "ag_await", "tb_frame", "tb_next", "f_globals", "f_locals", "f_builtins",
    "f_back", "f_code", "co_code", "im_class", "im_func", "im_self",
})
_FIGURE = re.compile(r"^[+\-−]?\d[\d,，]*(?:[.．]\d+)?[%％]?$")

#: Fields of the annual report shown through computed ones (title ← agency, year…), and
#: fields no template is expected to show. A custom kind may give its own in
#: ``ReportKind.extra["template_implied"]`` / ``["template_hidden"]``.
_IMPLIED: Mapping[str, Mapping[Path_, tuple[Path_, ...]]] = {
    GOV_INFO_ANNUAL: {
        ("title",): (("agency",), ("year",)),
        ("preamble",): (("agency",), ("period",), ("contact",)),
        ("signature",): (("agency",), ("published",)),
    },
}
_HIDDEN: Mapping[str, tuple[Path_, ...]] = {GOV_INFO_ANNUAL: (("format",),)}


_NUMERIC = frozenset({"integer", "number"})
#: The JSON types each docgen filter can format (``cell`` takes any table cell).
_FILTER_INPUTS: Mapping[str, frozenset[str]] = {
    **{name: _NUMERIC for name in ("cn_number", "number", "percent", "signed", "change_words",
                                   "yuan_to_wan", "compact", "money", "rmb_upper")},
    "heading_label": frozenset({"integer"}),
    "page_number_text": frozenset({"integer"}),
    "cn_year": frozenset({"integer", "string"}),
    "format_date": frozenset({"string"}),
    "date_range": frozenset({"string"}),
    "paragraphs": frozenset({"string"}),
    "doc_number": frozenset({"string", "integer"}),
}


def _unsafe(attr: str) -> bool:
    return attr.startswith("_") or attr in _UNSAFE_ATTRS


def _node_kind(node: Any) -> str:
    return type(node).__name__


def _suggest(word: str, candidates: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


class _Analysis:
    """Collects every problem of one template checked against one kind."""

    def __init__(self, kind: ReportKind, schema: Mapping[str, Any]) -> None:
        self.kind = kind
        self.schema = schema
        self.findings: list[_Finding] = []
        self.used: Sink = {}
        self.printed: dict[tuple[str, int], list[Path_]] = {}
        self.parts: dict[str, list[_Para]] = {}
        self.tags: dict[tuple[str, int], list[_Tag]] = {}
        self.part_order: dict[str, int] = {}
        root = resolve_node(schema, schema)
        self.top = list(_props(schema, root))
        extra = kind.extra.get("template_names", ()) if kind.extra else ()
        self.top += [str(n) for n in extra if str(n) not in self.top]
        self._nodes: dict[Path_, dict[str, Any] | None] = {}
        self._para: _Para | None = None
        self._line_paras: list[_Para] = []

    # -- recording ---------------------------------------------------------------------------

    def add(self, code: str, message: str, para: _Para | None = None,
            span: tuple[int, int] | None = None, *, labels: tuple[str, ...] = (),
            expected: Any = None, actual: Any = None, where: str | None = None,
            quote: bool = True) -> None:
        severity = CODES[code]
        place = where if where is not None else (para.where if para is not None else "")
        context = _context(para, span) if para is not None and quote else None
        issue = Issue(code=code, path=place, message=message, severity=severity, labels=labels,
                      expected=expected, actual=actual, context=context)
        order = (self.part_order.get(para.part, 99), para.index, span[0] if span else 0) \
            if para is not None else (999, 0, 0)
        self.findings.append(_Finding(issue, para.part if para else None,
                                      para.index if para else None, span, order))

    # -- one part ----------------------------------------------------------------------------

    def check_part(self, part: str, paras: list[_Para]) -> None:
        self.part_order.setdefault(part, len(self.part_order))
        self.parts[part] = paras
        tags: list[_Tag] = []
        for para in paras:
            found, unclosed = _scan(para)
            self.tags[(part, para.index)] = found
            tags += found
            self._check_text(para, found, unclosed)
        self._drop_replaced(tags)
        raw = False
        for tag in tags:
            if raw and not (tag.kind == "{%" and tag.name == "endraw"):
                tag.state = "raw"  # -- text inside {% raw %}: not a tag --
                continue
            raw = tag.kind == "{%" and tag.name == "raw" and tag.state == "ok"
            if tag.state == "ok":
                self._check_tag(tag)
        inserts, tail = self._check_structure(tags)
        self._walk_part(part, paras, tags, inserts, tail)

    def _check_text(self, para: _Para, tags: list[_Tag], unclosed: list[tuple[int, str]]) -> None:
        """Unclosed tags, full-width braces and stray closers in one paragraph."""
        text = para.text.translate(_QUOTES)
        for start, opener in unclosed:
            closer = {"{{": "}}", "{%": "%}", "{#": "#}"}[opener]
            rest = text[start:]
            hint = ""
            if "｝" in rest or "％" in rest:
                hint = "；结束符是全角字符（中文输入法），请改为半角 " + closer
            elif rest.count('"') % 2 or rest.count("'") % 2:
                hint = "；标签中的引号没有配对"
            snippet = rest[:40]
            self.add("TEMPLATE-SYNTAX", f"标签 {snippet} 没有结束符 {closer}{hint}", para,
                     (start, min(len(text), start + 40)))
        masked = list(text)
        for tag in tags:
            masked[tag.start:tag.end] = " " * (tag.end - tag.start)
        for start, _ in unclosed:  # -- reported above, with a hint on full-width closers --
            masked[start:] = " " * (len(masked) - start)
        plain = "".join(masked)
        for m in _BRACES.finditer(plain):
            found = m.group()
            span = (m.start(), m.end())
            if re.search("[｛｝％]", found):
                self.add("TEMPLATE-FULLWIDTH",
                         f"“{found}”是全角字符（中文输入法输入），不会被当作标签，会原样印在"
                         "文档里；请切换到英文输入法，改为半角 {{ }} 或 {% %}", para, span)
            elif re.search(r"\s", found):
                self.add("TEMPLATE-SYNTAX",
                         f"“{found}”两个括号之间有空格，不会被当作标签，会原样印在文档里；"
                         "请删去空格", para, span)
            elif found in ("}}", "%}"):
                opener = "{{" if found == "}}" else "{%"
                self.add("TEMPLATE-SYNTAX",
                         f"多余的 {found}：前面没有与之配对的 {opener}", para, span)

    def _drop_replaced(self, tags: list[_Tag]) -> None:
        """Apply docxtpl's ``{%tr %}``/``{%tc %}``/``{%p %}``: the container keeps only the tag."""
        for prefix, label in (("tr", "表格行"), ("tc", "单元格"), ("p", "段落")):
            groups: dict[Any, list[_Tag]] = {}
            for tag in tags:
                if tag.state != "ok":
                    continue
                para = tag.para
                if prefix == "p":
                    key: Any = (para.part, para.index)
                elif para.cell is None or para.textbox:
                    key = None
                else:
                    key = (para.part, para.cell) if prefix == "tc" else (para.part, para.cell[:2])
                groups.setdefault(key, []).append(tag)
            for key, members in groups.items():
                own = [t for t in members if t.prefix == prefix]
                if not own:
                    continue
                if key is None:
                    for tag in own:
                        tag.state = "removed"  # -- docxtpl leaves it: an unknown tag --
                        self.add("TEMPLATE-SYNTAX",
                                 f"{tag.shown} 只能写在表格里（{{%{prefix} %}} 作用于它所在的"
                                 f"{label}）；正文段落中的循环、条件请用 {{%p … %}}",
                                 tag.para, tag.span)
                    continue
                keeper = own[-1]
                for tag in members:
                    if tag is not keeper:
                        tag.state = "dropped"
                        self.add("TEMPLATE-SYNTAX",
                                 f"{tag.shown} 与 {keeper.shown} 在同一{label}中：生成时整个"
                                 f"{label}只保留 {keeper.shown}，这个标签会被删除；请把它移到"
                                 f"另一{label}", tag.para, tag.span)
                self._check_leftover_text(keeper, prefix, label, members)

    def _check_leftover_text(self, keeper: _Tag, prefix: str, label: str,
                             members: list[_Tag]) -> None:
        """Text sharing a paragraph/row/cell with ``{%p %}``/``{%tr %}`` is deleted."""
        para = keeper.para
        if prefix == "p":
            paras = [para]
        else:
            depth = 3 if prefix == "tc" else 2
            paras = [p for p in self.parts.get(para.part, []) if p.cell is not None
                     and para.cell is not None and p.cell[:depth] == para.cell[:depth]]
            if para not in paras:
                paras.append(para)
        spans = {(t.para.index, t.start, t.end) for t in members}
        for p in paras:
            own = [(s, e) for (i, s, e) in spans if i == p.index]
            chars = [c for k, c in enumerate(p.text) if not any(s <= k < e for s, e in own)]
            left = "".join(chars).strip()
            if left:
                self.add("TEMPLATE-SYNTAX",
                         f"{keeper.shown} 所在的{label}里还有文字“{left[:30]}”：生成时整个"
                         f"{label}被这个标签取代，这些文字会丢失；请把 {keeper.shown} 单独放"
                         f"在一个{label}里", p, keeper.span if p is para else None)
                return

    def _check_tag(self, tag: _Tag) -> None:
        """The inside of one tag: a known tag name, and Jinja can parse it."""
        if tag.kind == "{#":
            return
        if tag.prefix in ("p", "tr", "tc") and re.search(r"[%}]", tag.source[2:-2]):
            tag.state = "broken"
            self.add("TEMPLATE-SYNTAX", f"{tag.shown}：{{%{tag.prefix} … %}} 标签内不能含有 % 或 }}"
                     "（docxtpl 因此认不出它）；请把含这些字符的文字放在 {% set %} 中，"
                     "或改写条件", tag.para, tag.span)
            return
        if tag.kind == "{%":
            name = tag.name
            if name in _UNSUPPORTED:
                tag.state = "broken"
                self.add("TEMPLATE-SYNTAX", f"{tag.shown}：模板中不能使用 {name}（Word 模板"
                         "只能是一个文件，不能引用其他模板）", tag.para, tag.span)
                return
            if name not in _BLOCKS and name not in _ENDS and name not in _MIDDLE:
                tag.state = "broken"
                near = _suggest(name, _KNOWN_TAGS) if name else None
                hint = f"；是否应为 {{% {near} … %}}？" if near else ""
                if name in ("tr", "tc", "p", "r"):
                    hint = f"；docxtpl 的 {{%{name} … %}} 前缀后面要有一个空格"
                self.add("TEMPLATE-SYNTAX", f"{tag.shown}：未知的标签 “{name or tag.source}”"
                         f"{hint}", tag.para, tag.span)
                return
        error = _parse_error(self._wrapped(tag))
        if error is not None:
            tag.state = "broken"
            message = _jinja_message(error)
            wide = _fullwidth(tag.source)
            if wide:
                fixes = "、".join(f"“{c}”→“{_halfwidth(c)}”" for c in wide)
                message = (f"标签中有全角字符或 Word 自动更正的符号（{fixes}），请用英文输入法"
                           "改为半角；" + message)
            if tag.name == "else" and re.match(r"\{%[-+]?\s*else\s+if\b", tag.source):
                message = "“else if” 应写作 elif；" + message
            self.add("TEMPLATE-SYNTAX", f"{tag.shown}：{message}", tag.para, tag.span)

    def _wrapped(self, tag: _Tag) -> str:
        """The tag alone, completed with its end tag or opener so that Jinja can parse it."""
        source, name = tag.source, tag.name
        if tag.kind != "{%":
            return source
        if name == "raw":
            return source + "{% endraw %}"
        if name == "set":
            return source + ("{% endset %}" if tag.is_block_set() else "")
        if name in _BLOCKS:
            return source + "{% " + _BLOCKS[name] + " %}"
        if name in _MIDDLE:
            return "{% if true %}" + source + "{% endif %}"
        if name in _ENDS:
            return _DUMMIES[_ENDS[name]] + source
        return source

    def _check_structure(self, tags: list[_Tag]) -> tuple[dict[int, list[str]], list[str]]:
        """Match block tags; report unclosed ones at their opening tag, stray ends at theirs.

        Returns the end tags to insert before a tag (by position) and at the end of the part,
        so that the rest of the part can still be parsed and its fields checked.
        """
        stack: list[tuple[_Tag, str, bool]] = []   # (tag, block name, else seen)
        inserts: dict[int, list[str]] = {}
        for position, tag in enumerate(tags):
            if tag.kind != "{%" or tag.state not in ("ok", "broken"):
                continue
            name = tag.name
            if name in _BLOCKS and (name != "set" or tag.is_block_set()):
                stack.append((tag, name, False))
            elif name in _MIDDLE:
                allowed = _MIDDLE[name]
                if not stack or stack[-1][1] not in allowed:
                    tag.state = "removed"
                    self.add("TEMPLATE-SYNTAX", f"多余的 {tag.shown}：它前面没有未结束的 "
                             + " 或 ".join(f"{{% {a} %}}" for a in allowed), tag.para, tag.span)
                elif stack[-1][2]:
                    tag.state = "removed"
                    self.add("TEMPLATE-SYNTAX", f"{tag.shown} 写在了同一组 {{% else %}} 之后；"
                             "else 必须是最后一个分支", tag.para, tag.span)
                else:
                    self._check_pair(stack[-1][0], tag)
                    if name == "else":
                        stack[-1] = (stack[-1][0], stack[-1][1], True)
            elif name in _ENDS:
                base = _ENDS[name]
                if stack and stack[-1][1] == base:
                    self._check_pair(stack.pop()[0], tag)
                elif any(entry[1] == base for entry in stack):
                    while stack[-1][1] != base:
                        opener, block, _ = stack.pop()
                        inserts.setdefault(position, []).append("{% end" + block + " %}")
                        self.add("TEMPLATE-SYNTAX",
                                 f"{opener.shown} 没有对应的 {{% end{block} %}}：它应在 "
                                 f"{tag.para.where} 的 {tag.shown} 之前结束（标签不能交叉）",
                                 opener.para, opener.span)
                    self._check_pair(stack.pop()[0], tag)
                else:
                    tag.state = "removed"
                    self.add("TEMPLATE-SYNTAX", f"多余的 {tag.shown}：它前面没有未结束的 "
                             f"{{% {base} %}}", tag.para, tag.span)
        tail: list[str] = []
        for opener, block, _ in reversed(stack):
            tail.append("{% end" + block + " %}")
            closing = "{%" + (opener.prefix + " " if opener.prefix else " ") + "end" + block + " %}"
            self.add("TEMPLATE-SYNTAX",
                     f"{opener.shown} 没有对应的 {{% end{block} %}}：请在它要结束的地方加上 "
                     f"{closing}", opener.para, opener.span)
        return inserts, tail

    def _check_pair(self, opener: _Tag, tag: _Tag) -> None:
        """The tags of one block must sit where docxtpl can cut the document cleanly.

        Otherwise the generated XML is broken (Word cannot open it) or paragraphs merge.
        """
        mine, theirs = tag.para, opener.para
        reason = ""
        if tag.prefix != opener.prefix:
            same = f"{{%{opener.prefix} …%}}" if opener.prefix else "不带前缀的 {% … %}"
            reason = f"两者前缀不同，生成的文档会损坏；应同样写成{same}"
        elif not tag.prefix and (mine.part, mine.index) != (theirs.part, theirs.index):
            reason = ("不带 p 的 {% %} 标签只能在同一段内配对；跨段落的条件或循环请用 {%p … %}，"
                      "并让每个 {%p %} 标签单独成段")
        elif tag.prefix == "tr" and (mine.cell or (0,))[0] != (theirs.cell or (0,))[0]:
            reason = "{%tr %} 的开始和结束必须在同一个表格里"
        elif tag.prefix == "tc" and (mine.cell or (0, 0))[:2] != (theirs.cell or (0, 0))[:2]:
            reason = "{%tc %} 的开始和结束必须在同一表格行里"
        elif tag.prefix == "p" and (mine.cell, mine.textbox) != (theirs.cell, theirs.textbox):
            reason = ("{%p %} 的开始和结束必须都在正文中，或都在同一个单元格里；"
                      "否则生成的文档会损坏")
        if reason:
            self.add("TEMPLATE-SYNTAX", f"{tag.shown} 与 {opener.shown}（{theirs.where}）不配套："
                     + reason, mine, tag.span)

    def _walk_part(self, part: str, paras: list[_Para], tags: list[_Tag],
                   inserts: dict[int, list[str]], tail: list[str]) -> None:
        """Parse the repaired part and check every expression in it."""
        if not paras:
            return
        lines: list[list[str]] = [[] for _ in paras]
        for position, tag in enumerate(tags):
            line = lines[tag.para.index]
            line += inserts.get(position, [])
            if tag.kind == "{#":
                continue
            if tag.state == "ok":
                line.append(tag.source)
            elif tag.state == "broken" and tag.kind == "{%" and (
                    tag.name in _DUMMIES or tag.name in _ENDS):
                line.append(_DUMMIES.get(tag.name) or "{% " + tag.name + " %}")
        lines[-1] += tail
        source = "\n".join(" ".join(line) for line in lines)
        try:
            tree = fill.ENVIRONMENT.parse(source)
        except Exception as exc:  # -- a syntax error this module does not model --
            line_no = getattr(exc, "lineno", None)
            if line_no is None:
                raise
            para = paras[min(max(int(line_no), 1), len(paras)) - 1]
            self.add("TEMPLATE-SYNTAX", _jinja_message(exc), para)
            return
        self._line_paras = paras
        self._para = paras[0]
        self._statements(tree.body, {})

    # -- walking the template's syntax tree --------------------------------------------------

    def _at(self, node: Any) -> None:
        line = getattr(node, "lineno", None)
        if isinstance(line, int) and self._line_paras:
            self._para = self._line_paras[min(max(line, 1), len(self._line_paras)) - 1]

    def _span(self, needle: str) -> tuple[int, int] | None:
        para = self._para
        if para is None:
            return None
        for tag in self.tags.get((para.part, para.index), []):
            if needle in tag.source:
                return tag.span
        return None

    def _report(self, code: str, message: str, needle: str, **extra: Any) -> None:
        self.add(code, message, self._para, self._span(needle), **extra)

    def _statements(self, nodes: Iterable[Any], scope: Scope) -> None:
        for node in nodes:
            self._statement(node, scope)

    def _statement(self, node: Any, scope: Scope) -> None:
        self._at(node)
        kind = _node_kind(node)
        if kind == "Output":
            for child in node.nodes:
                if _node_kind(child) != "TemplateData":
                    self._at(child)
                    self._output(child, scope)
        elif kind == "If":
            self._expr(node.test, scope, None)
            self._statements(node.body, scope)
            for branch in node.elif_:
                self._statement(branch, scope)
            self._statements(node.else_, scope)
        elif kind == "For":
            found = self._expr(node.iter, scope, None)
            inner = dict(scope)
            self._bind(node.target, self._item(found), inner)
            inner["loop"] = _Bind(loop=True)
            if node.test is not None:
                self._expr(node.test, inner, None)
            self._statements(node.body, inner)
            self._statements(node.else_, scope)
        elif kind == "Assign":
            uses: Sink = {}
            found = self._expr(node.node, scope, uses)
            self._bind(node.target, _Bind(found, frozenset(uses)), scope)
        elif kind == "AssignBlock":
            saved, self.used = self.used, {}
            self._statements(node.body, scope)
            captured, self.used = self.used, saved
            if node.filter is not None:
                self._expr(node.filter, scope, None)
            self._bind(node.target, _Bind(None, frozenset(captured)), scope)
        elif kind == "Macro":
            inner = dict(scope)
            for arg in node.args:
                inner[arg.name] = _Bind()
            for name in ("varargs", "kwargs", "caller"):
                inner[name] = _Bind()
            for default in node.defaults:
                self._expr(default, scope, None)
            scope[node.name] = _Bind()
            self._statements(node.body, inner)
        elif kind == "CallBlock":
            self._expr(node.call, scope, self.used)
            inner = dict(scope)
            for arg in node.args:
                inner[arg.name] = _Bind()
            self._statements(node.body, inner)
        elif kind == "FilterBlock":
            self._expr(node.filter, scope, None)
            self._statements(node.body, scope)
        elif kind == "With":
            inner = dict(scope)
            for target, value in zip(node.targets, node.values, strict=False):
                uses = {}
                found = self._expr(value, scope, uses)
                self._bind(target, _Bind(found, frozenset(uses)), inner)
            self._statements(node.body, inner)
        elif kind in ("ScopedEvalContextModifier", "EvalContextModifier"):
            for option in node.options:
                value = option.value
                if option.key == "autoescape" and not (
                        _node_kind(value) == "Const" and value.value):
                    self._report("TEMPLATE-SECURITY", "{% autoescape false %} 关闭了转义：数据中的"
                                 " & < > 会损坏 Word 文档；请删去这个标签", "autoescape")
            self._statements(getattr(node, "body", []), scope)
        elif kind in ("Include", "Import", "FromImport", "Extends"):
            return  # -- reported with the tag --
        elif kind in ("Block", "Scope"):
            self._statements(node.body, dict(scope))
        elif kind == "ExprStmt":
            self._expr(node.node, scope, None)
        else:
            for child in node.iter_child_nodes():
                self._statement(child, scope)

    def _bind(self, target: Any, bind: _Bind, scope: Scope) -> None:
        kind = _node_kind(target)
        if kind == "Name":
            scope[target.name] = bind
        elif kind == "Tuple":
            for item in target.items:
                self._bind(item, _Bind(), scope)

    def _item(self, found: _Ref | None) -> _Bind:
        """What a loop variable stands for, from the loop's list."""
        if found is None:
            return _Bind()
        if found.exact and _is_array(self.schema, self._node(found.path)):
            return _Bind(_Ref((*found.path, "[]")))
        return _Bind(_Ref(found.path, exact=False))

    def _node(self, path: Path_) -> dict[str, Any] | None:
        if path not in self._nodes:
            self._nodes[path] = node_at(self.schema, path)
        return self._nodes[path]

    def _mark(self, path: Path_, sink: Sink | None) -> None:
        if sink is None or self._para is None:
            return
        sink.setdefault(path, self._para)
        if sink is self.used:
            self.printed.setdefault((self._para.part, self._para.index), []).append(path)

    def _output(self, node: Any, scope: Scope) -> None:
        kind = _node_kind(node)
        if kind == "Filter" and node.name == "paragraphs":
            self._report("TEMPLATE-FILTER", "paragraphs 过滤器得到的是段落列表，不能直接显示；"
                         "应写成三段：{%p for para in … | paragraphs %}、{{ para }}、"
                         "{%p endfor %}", "paragraphs")
        found = self._expr(node, scope, self.used)
        if found is not None and found.exact and kind in ("Name", "Getattr", "Getitem"):
            target = self._node(found.path)
            if target is not None and not _is_leaf(self.schema, target):
                names = [k for k, _ in _children(self.schema, target)][:3]
                sample = "、".join(f"{_dotted(found.path)}.{n}" for n in names if n != "[]")
                what = "列表" if _is_array(self.schema, target) else "一组字段"
                hint = f"请写出其中的字段，如 {sample}" if sample else \
                    "请用 {%p for item in … %} 逐项显示"
                self._report("TEMPLATE-FIELD", f"{_dotted(found.path)} 是{what}，不能直接显示；"
                             + hint, found.path[-1])

    def _expr(self, node: Any, scope: Scope, sink: Sink | None) -> _Ref | None:
        """Check an expression; mark the fields it shows in `sink`; return what it reaches."""
        self._at(node)
        kind = _node_kind(node)
        if kind == "Name":
            return self._name(node.name, scope, sink)
        if kind in ("Getattr", "Getitem"):
            return self._chain(node, scope, sink)
        if kind == "Filter":
            return self._filter(node, scope, sink)
        if kind == "Test":
            self._test(node, scope)
            return None
        if kind == "Call":
            self._call(node, scope, sink)
            return None
        if kind == "CondExpr":
            self._expr(node.test, scope, None)
            self._expr(node.expr1, scope, sink)
            if node.expr2 is not None:
                self._expr(node.expr2, scope, sink)
            return None
        for child in node.iter_child_nodes():
            self._expr(child, scope, sink)
        return None

    def _name(self, name: str, scope: Scope, sink: Sink | None) -> _Ref | None:
        if name in scope:
            bind = scope[name]
            for used in bind.uses:
                self._mark(used, sink)
            if bind.ref is not None:
                self._mark(bind.ref.path, sink)
            return bind.ref
        if name in fill.ENVIRONMENT.globals or name in ("true", "false", "none"):
            return None
        if name == "loop":
            self._report("TEMPLATE-FIELD", "loop 只能在 {% for %} 循环内使用", "loop")
            return None
        if name in self.top:
            self._mark((name,), sink)
            return _Ref((name,))
        if name == "self":  # -- Jinja's reference to the template itself --
            return None
        if name in fill.ENVIRONMENT.filters:
            self._report("TEMPLATE-FILTER", f"{name} 是过滤器，不能像函数那样调用；应写成 "
                         f"{{{{ 值 | {name}(…) }}}}，如 {_filter_usage(name)}"
                         if name in FILTERS else f"{name} 是过滤器；应写成 {{{{ 值 | {name} }}}}",
                         name)
            return None
        near = _suggest(name, [*self.top, *scope])
        hint = f"；是否应为 {near}" + (f"（{' › '.join(_labels(self.schema, (near,)))}）"
                                      if near in self.top else "") + "？" if near else \
            "；用 docgen template fields 查看全部字段"
        self._report("TEMPLATE-FIELD", f"字段 {name} 不存在{hint}", name,
                     expected=near, actual=name)
        return None

    def _chain(self, node: Any, scope: Scope, sink: Sink | None) -> _Ref | None:
        """``a.b.c`` / ``a['b']`` / ``a.0``: check every step against the schema."""
        keys: list[tuple[str | int, str]] = []
        base = node
        while True:
            kind = _node_kind(base)
            if kind == "Getattr":
                keys.append((base.attr, "." + base.attr))
            elif kind == "Getitem" and _node_kind(base.arg) == "Const" and \
                    isinstance(base.arg.value, (str, int)) and not isinstance(base.arg.value,
                                                                              bool):
                value = base.arg.value
                keys.append((value, f"[{value!r}]" if isinstance(value, str) else f".{value}"))
            else:
                break
            base = base.node
        keys.reverse()
        for key, written in keys:
            if isinstance(key, str) and _unsafe(key):
                self._report("TEMPLATE-SECURITY",
                             f"模板试图访问 Python 内部属性 “{key}”：沙箱禁止这样做，"
                             "生成时必然失败；模板中只能使用数据字段", key,
                             actual=written.lstrip("."))
                return None
        base_kind = _node_kind(base)
        root = ""
        if base_kind == "Getitem":
            if self._has_dunder(base.arg):
                self._report("TEMPLATE-SECURITY", "模板试图拼出以 _ 开头的属性名访问 Python "
                             "内部属性：沙箱禁止这样做", "_")
                return None
            self._expr(base.arg, scope, None)
            inner = self._expr(base.node, scope, None)
            found = _Ref(inner.path, exact=False) if inner is not None else None
        elif base_kind == "Name":
            bind = scope.get(base.name)
            if bind is not None and bind.loop:
                first = keys[0][0] if keys else None
                if isinstance(first, str) and first not in _LOOP_ATTRS:
                    near = _suggest(first, _LOOP_ATTRS)
                    hint = f"；是否应为 loop.{near}？" if near else ""
                    self._report("TEMPLATE-FIELD", f"loop.{first} 不存在（可用：loop.index、"
                                 f"loop.index0、loop.first、loop.last、loop.length…）{hint}",
                                 first, expected=f"loop.{near}" if near else None,
                                 actual=f"loop.{first}")
                return None
            root = base.name
            found = self._name(base.name, scope, None)
            if found is None and bind is not None and bind.uses and sink is not None:
                for used in bind.uses:
                    self._mark(used, sink)
        else:
            found = self._expr(base, scope, None)
        deepest = found
        for position, (key, _written) in enumerate(keys):
            if found is None or not found.exact:
                break
            step = self._step(found, key)
            if isinstance(step, str):
                self._field_problem(step, root, keys, position, found)
                return None
            found = step
            if found is not None:
                deepest = found
        if deepest is not None:
            self._mark(deepest.path, sink)
        return found

    def _has_dunder(self, node: Any) -> bool:
        if _node_kind(node) == "Const" and isinstance(node.value, str):
            return node.value.startswith("_") or "__" in node.value
        return any(self._has_dunder(child) for child in node.iter_child_nodes())

    def _step(self, found: _Ref, key: str | int) -> _Ref | str | None:
        """One step down the schema: the child, None (not checkable, fine), or a problem."""
        node = self._node(found.path)
        if node is None:
            return None
        if isinstance(key, int):
            return _Ref((*found.path, "[]")) if _is_array(self.schema, node) else None
        if _is_array(self.schema, node) and not _props(self.schema, node):
            return None if key in _LIST_ATTRS else "array"
        props = _props(self.schema, node)
        if key in props:
            return _Ref((*found.path, key))
        if props:
            return None if key in _DICT_ATTRS or _is_open(node) else "unknown"
        types = _types(self.schema, node) - {"null"}
        if not types or types == {"object"}:
            return None
        if types <= {"string"} and key in _STR_ATTRS:
            return None
        if types <= {"integer", "number"} and key in _NUMBER_ATTRS:
            return None
        return "scalar"

    def _field_problem(self, problem: str, root: str, keys: list[tuple[str | int, str]],
                       position: int, parent: _Ref) -> None:
        key = str(keys[position][0])
        before = root + "".join(w for _, w in keys[:position])
        after = "".join(w for _, w in keys[position + 1:])
        written = before + keys[position][1] + after
        schema_path = _dotted((*parent.path, key))
        alias = f"（即 {schema_path}）" if root and _dotted(parent.path) != before else ""
        parent_label = " › ".join(_labels(self.schema, parent.path)) or "数据"
        if problem == "array":
            message = (f"{written}{alias}：{before} 是列表（{parent_label}），要逐项显示请用循环："
                       f"{{%p for item in {before} %}} … {{{{ item.{key} }}}} … {{%p endfor %}}")
            self._report("TEMPLATE-FIELD", message, key, actual=written)
            return
        if problem == "scalar":
            message = (f"{written}{alias}：{before}（{parent_label}）是单个数据，没有下一级字段 "
                       f"“{key}”")
            self._report("TEMPLATE-FIELD", message, key, actual=written)
            return
        node = self._node(parent.path) or {}
        candidates = list(_props(self.schema, node))
        near = _suggest(key, candidates)
        suggestion = f"{before}.{near}{after}" if near else self._deeper(parent, key, before,
                                                                          after)
        if suggestion is not None:
            target = (*parent.path, near) if near else None
            label = " › ".join(_labels(self.schema, target)[-1:]) if target else ""
            hint = f"；是否应为 {suggestion}" + (f"（{label}）" if label else "") + "？"
        else:
            hint = "；此处可用的字段：" + "、".join(candidates[:12])
        space = "" if alias else " "
        message = f"字段 {written}{alias}{space}不存在：“{parent_label}”中没有 “{key}”{hint}"
        self._report("TEMPLATE-FIELD", message, key, expected=suggestion, actual=written)

    def _deeper(self, parent: _Ref, key: str, before: str, after: str) -> str | None:
        """A field named `key` further down: ``applications.disclosed`` → ``…results.disclosed``."""
        for entry in _schema_entries(self.schema):
            path = entry.path
            if len(path) > len(parent.path) + 1 and path[:len(parent.path)] == parent.path \
                    and path[-1] == key and "[]" not in path[len(parent.path):]:
                return before + "." + ".".join(path[len(parent.path):]) + after
        return None

    def _filter(self, node: Any, scope: Scope, sink: Sink | None) -> _Ref | None:
        name = node.name
        filters = fill.ENVIRONMENT.filters
        if name not in filters:
            near = _suggest(name, [*FILTERS, *filters])
            hint = f"；是否应为 {near}？" if near else ""
            self._report("TEMPLATE-FILTER", f"未知的过滤器 “{name}”{hint}（docgen 的过滤器："
                         f"{'、'.join(FILTERS)}）", name, expected=near, actual=name)
        elif name in FILTERS and node.dyn_args is None and node.dyn_kwargs is None:
            try:
                inspect.signature(FILTERS[name]).bind(
                    None, *node.args, **{k.key: None for k in node.kwargs})
            except TypeError as exc:
                self._report("TEMPLATE-FILTER", f"过滤器 {name} 的参数不对（{exc}）；"
                             f"写法：{_filter_usage(name)}", name)
        if name == "safe":
            self._report("TEMPLATE-SECURITY", "safe 过滤器关闭了转义：数据中的 & < > 会损坏 "
                         "Word 文档；请删去 | safe", "safe")
        if name == "attr" and node.args and self._has_dunder(node.args[0]):
            self._report("TEMPLATE-SECURITY", "attr 过滤器试图访问 Python 内部属性：沙箱禁止"
                         "这样做，生成时必然失败", "attr")
        for arg in node.args:
            self._expr(arg, scope, sink)
        for keyword in node.kwargs:
            self._expr(keyword.value, scope, sink)
        if node.node is None:
            return None
        inner = self._expr(node.node, scope, sink)
        if inner is None:
            return None
        self._filter_input(name, inner)
        return _Ref(inner.path, exact=False)

    def _filter_input(self, name: str, inner: _Ref) -> None:
        """A docgen filter applied to a field it cannot format fails every render."""
        accepted = _FILTER_INPUTS.get(name)
        target = self._node(inner.path) if inner.exact else None
        if accepted is None or target is None:
            return
        types = _types(self.schema, target) - {"null"}
        if not types or types & accepted:
            return
        what = "列表" if "array" in types else "一组字段" if "object" in types else \
            "文字" if "string" in types else "、".join(sorted(types))
        want = "数字" if accepted & {"number"} else "整数" if accepted == {"integer"} else \
            "日期或文字" if accepted == {"string"} else "数字或文字"
        label = " › ".join(_labels(self.schema, inner.path)[-1:])
        self._report("TEMPLATE-FILTER", f"过滤器 {name} 只能用于{want}，而 {_dotted(inner.path)}"
                     f"（{label}）是{what}，生成时必然失败", name)

    def _test(self, node: Any, scope: Scope) -> None:
        if node.name not in fill.ENVIRONMENT.tests:
            near = _suggest(node.name, fill.ENVIRONMENT.tests)
            hint = f"；是否应为 is {near}？" if near else ""
            self._report("TEMPLATE-FILTER", f"未知的测试 “is {node.name}”{hint}", node.name,
                         expected=near, actual=node.name)
        self._expr(node.node, scope, None)
        for arg in node.args:
            self._expr(arg, scope, None)

    def _call(self, node: Any, scope: Scope, sink: Sink | None) -> None:
        callee = node.node
        if _node_kind(callee) == "Getattr" and callee.attr in ("format", "format_map") and \
                self._has_dunder(callee.node):
            self._report("TEMPLATE-SECURITY", "格式字符串试图访问 Python 内部属性：沙箱禁止"
                         "这样做，生成时必然失败", "format")
            return
        self._expr(callee, scope, sink)
        for arg in node.args:
            self._expr(arg, scope, sink)
        for keyword in node.kwargs:
            self._expr(keyword.value, scope, sink)
        for extra in (node.dyn_args, node.dyn_kwargs):
            if extra is not None:
                self._expr(extra, scope, sink)

    # -- the whole document ------------------------------------------------------------------

    def finish(self) -> None:
        """Checks over the whole template: fields never shown, figures typed in table rows."""
        family = GOV_INFO_ANNUAL if self.kind.name.startswith(GOV_INFO_ANNUAL) else ""
        extra = self.kind.extra or {}
        implied = dict(_IMPLIED.get(family, {}))
        for shown, feeds in dict(extra.get("template_implied", {})).items():
            implied[_as_path(shown)] = tuple(_as_path(f) for f in feeds)
        hidden = [*_HIDDEN.get(family, ()), *(_as_path(h) for h in extra.get("template_hidden",
                                                                              ()))]
        used = dict(self.used)
        for shown, feeds in implied.items():
            where = next((p for u, p in self.used.items() if u[:len(shown)] == shown
                          or shown[:len(u)] == u), None)
            if where is not None:
                for fed in feeds:
                    used.setdefault(fed, where)
        unused: list[Path_] = []
        self._unused(resolve_node(self.schema, self.schema), (), used, hidden, unused)
        self._literals(unused)

    def _unused(self, node: dict[str, Any], path: Path_, used: Sink, hidden: list[Path_],
                found: list[Path_]) -> None:
        for key, raw in _children(self.schema, node):
            child_path = (*path, key)
            child = resolve_node(self.schema, raw)
            if any(child_path[:len(h)] == h for h in hidden):
                continue
            if any(child_path[:len(u)] == u for u in used):
                continue
            partly = any(u[:len(child_path)] == child_path for u in used)
            if partly and not _is_leaf(self.schema, child):
                self._unused(child, child_path, used, hidden, found)
                continue
            leaves = [e.path for e in _schema_entries(self.schema, child, child_path)
                      if e.leaf] or [child_path]
            found += leaves
            near = self._nearest(child_path, used)
            where = near.row_where if near is not None else ""
            shown = _dotted(child_path)
            labels = _labels(self.schema, child_path)
            if _is_leaf(self.schema, child):
                hint = ""
                if near is not None and near.cell is not None:
                    hint = f"；同组的其他字段在 {where}，是否漏了一个单元格？"
                elif near is not None:
                    hint = f"；同组的其他字段在 {where}"
                message = f"模板没有使用字段 {shown}，这项数据不会出现在生成的文档中{hint}"
            else:
                sample = "、".join(_dotted(p) for p in leaves[:3])
                more = "等" if len(leaves) > 3 else ""
                message = (f"模板没有使用 {shown} 下的全部 {len(leaves)} 个字段（{sample}{more}），"
                           "这些数据不会出现在生成的文档中")
            self.add("TEMPLATE-UNUSED", message, near, None, labels=labels, where=where,
                     actual=shown, quote=False)

    def _nearest(self, path: Path_, used: Sink) -> _Para | None:
        """Where the fields closest to `path` (its siblings, then cousins) are shown."""
        best, best_length = None, 0
        for other, para in used.items():
            length = 0
            for a, b in zip(path, other, strict=False):
                if a != b:
                    break
                length += 1
            if length > best_length and length >= max(1, len(path) - 2):
                best, best_length = para, length
        return best

    def _literals(self, unused: list[Path_]) -> None:
        """A table cell holding only a figure, in a row whose other cells are fields."""
        for part, paras in self.parts.items():
            rows: dict[tuple[int, int], dict[int, list[_Para]]] = {}
            for para in paras:
                if para.cell is not None and not para.textbox:
                    rows.setdefault(para.cell[:2], {}).setdefault(para.cell[2], []).append(para)
            for cells in rows.values():
                fields = {c for c, ps in cells.items() if any(
                    t.kind == "{{" and t.state == "ok"
                    for p in ps for t in self.tags.get((part, p.index), []))}
                if len(fields) < 2:
                    continue
                for column, ps in cells.items():
                    text = "".join(p.text for p in ps).strip()
                    if column in fields or not _FIGURE.match(text):
                        continue
                    parents = {path[:-1] for p in (q for c in fields for q in cells[c])
                               for path in self.printed.get((part, p.index), [])}
                    candidates = [u for u in unused if u[:-1] in parents]
                    hint = ""
                    if candidates:
                        hint = "；是否应为 " + " 或 ".join(
                            f"{{{{ {_dotted(c)} }}}}" for c in candidates[:3]) + "？"
                    self.add("TEMPLATE-LITERAL",
                             f"这一格是固定的数字“{text}”，而同一行的其他格都是字段：生成的报告里"
                             f"这一格永远是 {text}{hint}", ps[0], (0, len(ps[0].text)),
                             expected=_dotted(candidates[0]) if len(candidates) == 1 else None,
                             actual=text)


def _filter_usage(name: str) -> str:
    """``cell(signed=False, unit="")``: a docgen filter's arguments after the value.

    >>> _filter_usage("cell")
    'x | cell(signed=False, unit="")'
    """
    params = list(inspect.signature(FILTERS[name]).parameters.values())[1:]
    shown = []
    for param in params:
        if param.default is inspect.Parameter.empty:
            shown.append(param.name)
        else:
            default = f'"{param.default}"' if isinstance(param.default, str) else param.default
            shown.append(f"{param.name}={default}")
    return f"x | {name}({', '.join(shown)})" if shown else f"x | {name}"


def _as_path(value: Any) -> Path_:
    if isinstance(value, tuple):
        return tuple(str(v) for v in value)
    return tuple(str(value).replace("[]", ".[]").split("."))


def _context(para: _Para, span: tuple[int, int] | None) -> str | None:
    """The paragraph's text around the problem, short enough for one line."""
    text = para.text
    if len(text) > 70:
        start, end = span or (0, 0)
        left = max(0, start - 20)
        text = text[left:max(end, start) + 40]
    text = text.strip()
    return text or None


# ============================================================================================
# Public entry points
# ============================================================================================


def _analyse(path: Path, kind: ReportKind) -> tuple[list[_Finding], _Analysis | None]:
    """Check the template at `path`; return the findings in document order."""
    if not path.is_file():
        raise UsageError(f"找不到模板文件：{path}")
    compile_problems: tuple[Issue, ...] = ()
    try:
        fill.compile_template(path)
    except TemplateProblemError as exc:
        if any(i.code == "TEMPLATE-FILE" for i in exc.issues):
            return [_Finding(i) for i in exc.issues], None
        compile_problems = exc.issues
    schema = load_schema(kind.schema_path)
    analysis = _Analysis(kind, schema)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        document = etree.fromstring(archive.read(_BODY), fill.SAFE_PARSER)
        relations = archive.read("word/_rels/document.xml.rels") \
            if "word/_rels/document.xml.rels" in names else None
        areas = _part_areas(document, relations)
        analysis.check_part(_BODY, _paragraphs(document, _BODY, ""))
        for name in names:
            if fill.HEADER_FOOTER.match(name):
                default = ("页眉" if "header" in name else "页脚") + \
                    f"（{name.removeprefix('word/')}）"
                root = etree.fromstring(archive.read(name), fill.SAFE_PARSER)
                analysis.check_part(name, _paragraphs(root, name, areas.get(name, default)))
    analysis.finish()
    findings = analysis.findings
    if compile_problems and not any(f.issue.code == "TEMPLATE-SYNTAX" and f.issue.is_error
                                    for f in findings):
        findings += [_Finding(i, order=(998, 0, 0)) for i in compile_problems]
    unique: dict[tuple[str, str, str], _Finding] = {}
    for finding in findings:
        unique.setdefault((finding.issue.code, finding.issue.path, finding.issue.message),
                          finding)
    ordered = sorted(unique.values(),
                     key=lambda f: (0 if f.issue.is_error else 1, f.order))
    return ordered, analysis


_checked: dict[tuple[Any, ...], tuple[Issue, ...]] = {}
_checked_lock = threading.Lock()


def check_template(path: Path, kind: ReportKind) -> list[Issue]:
    """Return every problem of the Word template at `path` for `kind`, errors first.

    Each issue's `path` is a place a Word user can find (``表3 第12行 第4列``, ``第5段``,
    ``页眉 第1段``) and its `context` the text there. Codes: see `CODES`. Raises
    `UsageError` if there is no file at `path`; never raises for a broken template. The
    result is cached per file version and kind (a batch checks a custom template once).
    """
    path = Path(path)
    try:
        stat, schema_stat = path.resolve().stat(), kind.schema_path.resolve().stat()
    except OSError:
        return [f.issue for f in _analyse(path, kind)[0]]
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, kind.name,
           str(kind.schema_path.resolve()), schema_stat.st_mtime_ns,
           json.dumps(dict(kind.extra or {}), sort_keys=True, default=str))
    with _checked_lock:
        cached = _checked.get(key)
    if cached is None:
        cached = tuple(f.issue for f in _analyse(path, kind)[0])
        with _checked_lock:
            if len(_checked) > 64:
                _checked.clear()
            _checked[key] = cached
    return list(cached)


def annotate_template(path: Path, kind: ReportKind, out: Path) -> list[Issue]:
    """Write to `out` a copy of the template with each problem as a Word comment at its place.

    Every error and every warning about what the template holds (full-width braces, a figure
    typed in a table) becomes a comment; fields the template never shows (TEMPLATE-UNUSED) are
    about what is missing, so they are only listed. Problems in a header or footer, where Word
    allows no comments, are attached to the first paragraph with their place. Returns every
    issue; raises `TemplateProblemError` if the file is not a Word document at all, and
    `UsageError` if `out` is the template itself.
    """
    import docx
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

    from docgen.api import write_atomic

    path, out = Path(path), Path(out)
    if out.exists() and out.resolve() == path.resolve():
        raise UsageError(f"批注副本不能覆盖模板本身：{out}")
    findings, analysis = _analyse(path, kind)
    issues = [f.issue for f in findings]
    if analysis is None:
        raise TemplateProblemError(path.name, issues)
    document = docx.Document(str(path))
    paras = _paragraphs(document.element, _BODY, "")
    if not paras:
        document.add_paragraph()
        paras = _paragraphs(document.element, _BODY, "")
    first = next((p for p in paras if p.runs and p.text.strip()), paras[0])
    for finding in findings:
        issue = finding.issue
        if issue.code == "TEMPLATE-UNUSED":
            continue
        target = paras[finding.para] if finding.part == _BODY and finding.para is not None \
            and finding.para < len(paras) else first
        note = f"{SEVERITY_LABELS[issue.severity]} [{issue.code}] "
        if target is first and (finding.part != _BODY or finding.para is None) and issue.path:
            note += f"{issue.path}："
        note += issue.message
        if issue.labels:
            note += f"（{' › '.join(issue.labels)}）"
        paragraph = Paragraph(target.element, document)
        runs = [r for (s, e, r) in target.runs
                if finding.span is None or (s < finding.span[1] and e > finding.span[0])] \
            or [r for (_, _, r) in target.runs]
        if not runs:
            runs = [target.element.add_r()]
        document.add_comment([Run(runs[0], paragraph), Run(runs[-1], paragraph)], text=note,
                             author="docgen", initials="dg")
    buffer = io.BytesIO()
    document.save(buffer)
    write_atomic(out, buffer.getvalue())
    return issues


# ============================================================================================
# The ``docgen template`` commands
# ============================================================================================


def cmd_template_fields(args: argparse.Namespace) -> int:
    """List every field a template may use: Markdown table, or JSON with --json."""
    if getattr(args, "schema", None):
        kind = custom_kind(args.schema, None)
    else:
        kind = get_kind(getattr(args, "format", None) or DEFAULT_FORMAT)
    fields = field_reference(kind)
    if args.json:
        print(json.dumps([f.to_dict() for f in fields], ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(fields_text(fields, kind.name))
    return 0


def cmd_template_check(args: argparse.Namespace) -> int:
    """Check a template; list every problem with its place; optionally annotate a copy."""
    from docgen.cli import print_issues

    template = Path(args.template)
    if not template.is_file():
        raise UsageError(f"找不到模板文件：{template}")
    note = ""
    if getattr(args, "schema", None):
        kind = custom_kind(args.schema, template)
        issues = check_template(template, kind)
    elif getattr(args, "format", None):
        kind = get_kind(args.format)
        issues = check_template(template, kind)
    else:
        kind, issues = _best_version(template)
        note = "（未指定 --format，按模板所用字段判断）"
    annotate = getattr(args, "annotate", None)
    if annotate:
        issues = annotate_template(template, kind, Path(annotate))
    if args.json:
        print(json.dumps([i.to_dict() for i in issues], ensure_ascii=False, indent=2))
    else:
        print(f"检查模板 {template}：按 {kind.name} 的字段{note}")
        if issues:
            print_issues(issues, stream=sys.stdout)
        else:
            print("未发现问题。")
    if annotate:
        count = sum(i.code != "TEMPLATE-UNUSED" for i in issues)
        print(f"已生成批注副本：{annotate}（{count} 条批注）",
              file=sys.stderr if args.json else sys.stdout)
    return 1 if any(i.is_error for i in issues) else 0


def _best_version(template: Path) -> tuple[ReportKind, list[Issue]]:
    """The format version whose fields the template matches best (fewest problems)."""
    results = []
    for version in (DEFAULT_FORMAT, *(v for v in FORMAT_VERSIONS if v != DEFAULT_FORMAT)):
        kind = get_kind(version)
        issues = check_template(template, kind)
        results.append((sum(i.is_error for i in issues), len(issues), kind, issues))
    best = min(results, key=lambda r: (r[0], r[1]))
    return best[2], best[3]
