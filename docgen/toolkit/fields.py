"""The field reference: every field a template may use, with its label, type and filters.

Read from the kind's JSON Schema (`docgen template fields`), and used by the template analysis
to know what a name in a template stands for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from docgen.engine.schema import load_schema
from docgen.engine.schema_tree import (
    as_list,
    children,
    is_leaf,
    is_nullable,
    labels_for,
    ref_names,
    resolve_node,
    schema_props,
    schema_types,
)
from docgen.errors import (
    pointer,
)
from docgen.kinds import (
    ReportKind,
)

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

    >>> from docgen.kinds import get_kind
    >>> fields = {f.path: f for f in field_reference(get_kind("2021"))}
    >>> fields["applications.results.total.commercial"].label
    '三、收到和处理政府信息公开申请情况 › 三、本年度办理结果 › （七）总计 › 商业企业'
    >>> fields["proactive.fees.amount"].filters
    ('cell', 'cell(unit="元")')
    """
    schema = load_schema(kind.schema_path)
    found: list[Field] = []
    for entry in schema_entries(schema):
        if entry.path[-1] == "[]" and not entry.leaf:
            continue  # -- the items themselves: their fields follow --
        kind_name = _field_type(schema, entry.raw, entry.path)
        found.append(Field(
            path=dotted(entry.path),
            labels=schema_labels(schema, entry.path),
            type=kind_name,
            filters=TYPE_FILTERS.get(kind_name, ()),
            usage=_usage(entry.path, kind_name, is_nullable(schema, entry.node),
                         _is_period(schema, entry.node)),
            required=entry.required,
            description=entry.node.get("description"),
        ))
    return found


def _is_period(schema: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """An object with a start and an end date (shown with ``date_range``)."""
    props = schema_props(schema, node)
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
        return dotted(path), ""
    last = len(path) - 1 - path[::-1].index("[]")
    loop = dotted(path[:last])
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


def schema_entries(schema: Mapping[str, Any], node: dict[str, Any] | None = None,
                    path: Path_ = ()) -> Iterator[_Entry]:
    """Every node below `node` (at `path`; the root by default), depth first in schema order."""
    if node is None:
        node = resolve_node(schema, schema)
    required = set(as_list(node.get("required")))
    for key, raw in children(schema, node):
        child = resolve_node(schema, raw)
        leaf = is_leaf(schema, child)
        yield _Entry((*path, key), raw, child, key in required or key == "[]", leaf)
        if not leaf:
            yield from schema_entries(schema, child, (*path, key))


def schema_labels(schema: Mapping[str, Any], path: Path_) -> tuple[str, ...]:
    """The chain of titles down to `path` (list items add no label of their own)."""
    return labels_for(schema, pointer(*path), item_labels=False)


def _field_type(schema: Mapping[str, Any], raw: Any, path: Path_) -> str:
    """The reference type of a field: count, change, amount, a table cell, date, text…"""
    node = resolve_node(schema, raw)
    refs = " ".join(ref_names(schema, raw)).lower()
    union = [b for key in ("anyOf", "oneOf") for b in as_list(node.get(key))
             if schema_types(schema, resolve_node(schema, b)) != {"null"}]
    if union and not node.get("properties"):
        scalars = [b for b in union if not resolve_node(schema, b).get("properties")]
        noted = len(scalars) < len(union)
        base = _field_type(schema, scalars[0], path) if scalars else "object"
        if "signed" in refs and base in ("count", "integer"):
            base = "change"
        if noted and base in ("count", "change", "amount", "integer", "number"):
            return {"integer": "count", "number": "amount"}.get(base, base) + "_cell"
        return base
    types = schema_types(schema, node) - {"null"}
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


def dotted(path: Path_) -> str:
    """``("overview", "sections", "[]", "title")`` → ``overview.sections[].title``."""
    text = ""
    for part in path:
        text += "[]" if part == "[]" else ("." if text else "") + part
    return text
