"""JSON Schema checks as located Chinese issues; label chains and defaults from a schema."""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docgen.engine.resources import data_dir
from docgen.errors import Issue, pointer, split_pointer

if TYPE_CHECKING:  # -- jsonschema is imported when data fails the fast check (start-up) --
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

Schema = Mapping[str, Any]

#: Characters XML 1.0 cannot hold; Word refuses a file that contains them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_TYPE_NAMES = {
    "integer": "整数",
    "number": "数字",
    "string": "文字",
    "boolean": "是/否（true/false）",
    "array": "列表",
    "object": "对象",
    "null": "空值 null",
}


def _is_shipped(path: Path) -> bool:
    return path.resolve().parent == data_dir("schemas").resolve()


@lru_cache(maxsize=32)
def _load_schema_cached(path: Path, mtime_ns: int) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if not _is_shipped(path):
        # -- a shipped schema is checked by tests/test_schema_files.py, not on every start --
        from jsonschema import Draft202012Validator

        Draft202012Validator.check_schema(schema)
    return schema


@lru_cache(maxsize=32)
def _validator_cached(path: Path, mtime_ns: int) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    # -- validated with every local $ref inlined: the same rules, twice as fast --
    return Draft202012Validator(inline_refs(_load_schema_cached(path, mtime_ns)),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def inline_refs(schema: Schema) -> dict[str, Any]:
    """Return `schema` with each local ``$ref`` (``#/$defs/x``) replaced by what it names.

    The referring node's other keywords are merged in when they only annotate (``title``…) or
    do not clash with the target's; otherwise, and for recursive references, the ``$ref``
    stays (``$defs`` are kept, so it still resolves). Validation is the same, without
    jsonschema's reference lookups (half its time on a report).
    """
    data_keywords = {"enum", "const", "default", "examples", "$defs"}
    annotations = {"title", "description", "default", "examples", "$comment", "deprecated"}

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        if not isinstance(node, Mapping):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
            target: Any = schema
            for part in split_pointer(ref[1:]):
                target = target.get(part) if isinstance(target, Mapping) else None
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if isinstance(target, Mapping) and not (set(target) & set(siblings)) - annotations:
                return walk({**target, **siblings}, (*seen, ref))
        return {key: value if key in data_keywords else walk(value, seen)
                for key, value in node.items()}

    result: dict[str, Any] = walk(schema, ())
    return result


def load_schema(path: Path) -> dict[str, Any]:
    """Return the JSON Schema at `path`, checked against the 2020-12 meta-schema."""
    return _load_schema_cached(path, path.stat().st_mtime_ns)


def _validator(path: Path) -> Draft202012Validator:
    return _validator_cached(path, path.stat().st_mtime_ns)


def check_schema_file(path: Path) -> list[str]:
    """Return the meta-schema problems of a user's schema file at `path` (empty when valid)."""
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"无法读取模式文件 {path}：{exc}"]
    from jsonschema import Draft202012Validator

    return [e.message for e in Draft202012Validator(Draft202012Validator.META_SCHEMA)
            .iter_errors(schema)]


# -- walking the schema ----------------------------------------------------------------------


def resolve_node(schema: Schema, node: Any) -> dict[str, Any]:
    """Follow local ``$ref``s (``#/$defs/x``) until a schema with no ``$ref`` remains."""
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node and seen < 32:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#"):
            break
        target: Any = schema
        for part in split_pointer(ref[1:]):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        merged = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **merged}
        seen += 1
    return dict(node) if isinstance(node, Mapping) else {}


def branches(schema: Schema, node: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the alternatives (``anyOf``, ``oneOf``) of a schema node, each resolved."""
    return [resolve_node(schema, b) for key in ("anyOf", "oneOf") for b in node.get(key, [])]


def _is_item(node: Mapping[str, Any], part: str) -> bool:
    return "items" in node and (part.isdigit() or part == "[]")


def _child(schema: Schema, node: Mapping[str, Any], part: str) -> dict[str, Any] | None:
    """Return the sub-schema of `node` for the key, index or ``[]`` (any item) `part`."""
    props = node.get("properties")
    if isinstance(props, Mapping) and part in props:
        return resolve_node(schema, props[part])
    if _is_item(node, part):
        return resolve_node(schema, node["items"])
    for branch in branches(schema, node):
        found = _child(schema, branch, part)
        if found is not None:
            return found
    return None


def node_at(schema: Schema, parts: Iterable[str]) -> dict[str, Any] | None:
    """Return the sub-schema at `parts`, or None where the schema has none.

    A part is a property name, or an array index or ``[]`` for an array's items.
    """
    node: dict[str, Any] | None = resolve_node(schema, schema)
    for part in parts:
        if node is None:
            break
        node = _child(schema, node, part)
    return node


def labels_for(schema: Schema, path: str, *, item_labels: bool = True) -> tuple[str, ...]:
    """Return the chain of official labels (schema titles) for the JSON Pointer `path`.

    Array items are named by their position (第2项) and title; with `item_labels` false an
    item adds no label (as a template's ``sections[].title`` has none for ``[]``).
    """
    node = resolve_node(schema, schema)
    labels: list[str] = []
    for part in split_pointer(path):
        child = _child(schema, node, part)
        if child is None:
            break
        if _is_item(node, part) and not item_labels:
            node = child
            continue
        if "items" in node and part.isdigit():
            labels.append(f"第{int(part) + 1}项")
        if child.get("title") and not (labels and labels[-1] == child["title"]):
            labels.append(str(child["title"]))
        node = child
    return tuple(labels)


def with_labels(schema: Schema, issue: Issue) -> Issue:
    """Return `issue` with its label chain filled in from `schema`, unless it has one."""
    if issue.labels or not issue.path.startswith("/"):
        return issue
    return replace(issue, labels=labels_for(schema, issue.path))


# -- checking data ---------------------------------------------------------------------------


def json_type(value: Any) -> str:
    """Return the JSON Schema type name of a (loaded) data value.

    >>> json_type(3), json_type(True), json_type(None), json_type([])
    ('integer', 'boolean', 'null', 'array')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


#: How a value the data holds is named in messages (a decimal is "小数" there).
_VALUE_NAMES = {**_TYPE_NAMES, "boolean": "是/否", "number": "小数"}


def _kind_of(value: Any) -> str:
    return _VALUE_NAMES[json_type(value)]


def _show(value: Any) -> str:
    if isinstance(value, (Mapping, list)):
        return ""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "…"


def _describe(schema: Schema, node: dict[str, Any]) -> str:
    """Say in Chinese what a schema node accepts (for type and union errors)."""
    alternatives = branches(schema, node)
    if alternatives:
        return "、".join(dict.fromkeys(_describe(schema, b) for b in alternatives))
    if "enum" in node:
        return "“" + "”或“".join(str(v) for v in node["enum"]) + "”"
    types = node.get("type", "object" if "properties" in node else "")
    names = [_TYPE_NAMES.get(t, t) for t in ([types] if isinstance(types, str) else types)]
    text = "或".join(names) or "规定的值"
    if node.get("minimum") == 0 and "整数" in names:
        text = "非负" + text
    elif node.get("minimum") == 0:
        text = "不小于 0 的" + text
    if "properties" in node and (types == "object" or "对象" in names):
        text = f"对象（字段 {'、'.join(node['properties'])}）"
    if node.get("format") == "date":
        text = "日期（YYYY-MM-DD）"
    return text


def _message(schema: Schema, error: ValidationError) -> tuple[str, str, Any]:
    """Return (path, Chinese message, expected) for one jsonschema error."""
    path = pointer(*error.absolute_path)
    kind = error.validator
    value = error.instance
    node = resolve_node(schema, error.schema) if isinstance(error.schema, Mapping) else {}
    if kind == "required":
        missing = re.match(r"'(.+?)' is a required property", error.message)
        key = missing.group(1) if missing else "?"
        return pointer(*error.absolute_path, key), f"缺少必填项（{key}）", None
    if kind == "additionalProperties":
        allowed = list(node.get("properties", {}))
        extras = [k for k in value if k not in allowed] if isinstance(value, Mapping) else []
        key = extras[0] if extras else "?"
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"；是否应为 “{close[0]}”？" if close else f"；此处可用的字段：{'、'.join(allowed)}"
        return pointer(*error.absolute_path, key), f"未知字段 “{key}”（可能拼写错误{hint}）", close
    if kind == "type":
        want = _describe(schema, node)
        return path, f"类型错误：应为{want}，实为{_kind_of(value)} {_show(value)}".rstrip(), want
    if kind in ("anyOf", "oneOf"):
        want = _describe(schema, node)
        found = f"{_kind_of(value)} {_show(value)}".rstrip()
        return path, f"取值不符合要求：应为{want}，实为{found}", want
    if kind in ("minimum", "exclusiveMinimum"):
        return path, f"不能小于 {error.validator_value}，实为 {_show(value)}", error.validator_value
    if kind in ("maximum", "exclusiveMaximum"):
        return path, f"不能大于 {error.validator_value}，实为 {_show(value)}", error.validator_value
    if kind == "enum":
        want = "“" + "”或“".join(str(v) for v in error.validator_value) + "”"
        found = f"{_kind_of(value)} {_show(value)}".rstrip()
        return path, f"应为{want}，实为{found}", error.validator_value
    if kind == "format":
        return path, f"不是有效的日期（应为 YYYY-MM-DD 格式的真实日期），实为 {_show(value)}", None
    if kind == "minLength" and error.validator_value == 1:
        return path, "不能为空", None
    if kind in ("minItems", "maxItems", "minLength", "maxLength"):
        return path, f"长度不符合要求（{kind} {error.validator_value}），实为 {_show(value)}", None
    return path, f"不符合模式规则 {kind}：{error.message}", None


def _union_detail(error: ValidationError) -> ValidationError | None:
    """For a failed union on an object, the error inside the object-shaped branch, if any."""
    if not isinstance(error.instance, Mapping):
        return None
    depth = len(error.absolute_path)
    deeper = [e for e in error.context or () if len(e.absolute_path) > depth
              or e.validator in ("required", "additionalProperties")]
    return max(deeper, key=lambda e: len(e.absolute_path)) if deeper else None


def iter_schema_issues(schema_path: Path, data: Any) -> Iterator[Issue]:
    """Yield one `Issue` (code ``SCHEMA``) per schema violation in `data`, labels filled in."""
    schema = load_schema(schema_path)
    for error in _validator(schema_path).iter_errors(data):
        if error.validator in ("anyOf", "oneOf"):
            error = _union_detail(error) or error
        path, message, expected = _message(schema, error)
        yield Issue(
            code=f"SCHEMA-{str(error.validator).upper()}",
            path=path,
            message=message,
            labels=labels_for(schema, path),
            expected=expected,
            actual=None if isinstance(error.instance, (Mapping, list)) else error.instance,
            stage="schema",
        )


def iter_text_issues(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[Issue]:
    """Yield an issue for every string in `data` holding a character a Word file cannot hold."""
    if isinstance(data, str):
        bad = _XML_ILLEGAL.search(data)
        if bad:
            yield Issue(
                code="TEXT-CONTROL-CHAR",
                path=pointer(*path),
                message=(f"含有 Word 文件无法保存的控制字符 U+{ord(bad.group()):04X}"
                         f"（第 {bad.start() + 1} 个字符），请删除"),
                stage="schema",
            )
    elif isinstance(data, Mapping):
        for key, value in data.items():
            for issue in iter_text_issues(key, (*path, key)):
                yield replace(issue, message="字段名" + issue.message)
            yield from iter_text_issues(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from iter_text_issues(value, (*path, index))


# -- filling in what may be omitted ----------------------------------------------------------


def fill_defaults(schema: Schema, data: Any) -> Any:
    """Return a copy of `data` where every property the schema defines is present.

    A missing property takes its schema ``default``; a missing object without one is filled in
    the same way; a missing array becomes ``[]``; anything else missing becomes ``None``. So a
    template may name any schema field without meeting an undefined value.
    """
    return _fill(schema, resolve_node(schema, schema), data)


def _fill(schema: Schema, node: dict[str, Any], data: Any) -> Any:
    if isinstance(data, Mapping):
        props = node.get("properties")
        if not isinstance(props, Mapping):
            branch = next((b for b in branches(schema, node)
                           if isinstance(b.get("properties"), Mapping)), None)
            return _fill(schema, branch, data) if branch is not None else dict(data)
        filled = dict(data)
        for key, sub in props.items():
            sub_node = _resolved(schema, sub)
            if key in filled:
                filled[key] = _fill(schema, sub_node, filled[key])
            elif "default" in sub_node:
                filled[key] = copy.deepcopy(sub_node["default"])
            elif isinstance(sub_node.get("properties"), Mapping):
                filled[key] = _fill(schema, sub_node, {})
            elif sub_node.get("type") == "array":
                filled[key] = []
            else:
                filled[key] = None
        return filled
    if isinstance(data, list) and "items" in node:
        item = _resolved(schema, node["items"])
        return [_fill(schema, item, v) for v in data]
    return data


#: `resolve_node` results for `_fill`, which reads them only (a schema is loaded once, so this
#: holds a few hundred nodes per schema; the schema and node are kept so ids stay theirs).
_RESOLVED: dict[tuple[int, int], tuple[Schema, Any, dict[str, Any]]] = {}


def _resolved(schema: Schema, node: Any) -> dict[str, Any]:
    found = _RESOLVED.get((id(schema), id(node)))
    if found is None or found[0] is not schema or found[1] is not node:
        if len(_RESOLVED) > 100_000:  # -- schemas reloaded again and again: start afresh --
            _RESOLVED.clear()
        found = (schema, node, resolve_node(schema, node))
        _RESOLVED[(id(schema), id(node))] = found
    return found[2]
