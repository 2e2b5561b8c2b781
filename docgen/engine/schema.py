"""JSON Schema checks as located Chinese issues; label chains and defaults from a schema."""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docgen.engine.jsontypes import SCALAR_TYPES, TYPE_NAMES, value_name
from docgen.engine.loading import ForeignValue
from docgen.engine.memo import Memo, file_version
from docgen.engine.resources import data_dir
from docgen.engine.schema_tree import branches, labels_for, ref_target, resolve_node
from docgen.engine.schemacheck import (
    MAX_SCHEMA_DEPTH,
    no_retrieval,
    read_schema,
    schema_problems,
)
from docgen.errors import DocgenError, Issue, pointer

if TYPE_CHECKING:  # -- jsonschema is imported when data fails the fast check (start-up) --
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

Schema = Mapping[str, Any]

#: Characters XML 1.0 cannot hold; Word refuses a file that contains them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")




#: Loaded schemas, and their validators (docgen.engine.memo: per file version).
_SCHEMAS: Memo[dict[str, Any]] = Memo(limit=32)
_VALIDATORS: Memo[Draft202012Validator] = Memo(limit=32)


def _is_shipped(path: Path) -> bool:
    return path.resolve().parent == data_dir("schemas").resolve()


def _load_schema_cached(path: Path) -> dict[str, Any]:
    return _SCHEMAS.get(file_version(path), lambda: _read_schema(path))


def _read_schema(path: Path) -> dict[str, Any]:
    if _is_shipped(path):
        # -- checked by tests/test_schema_files.py, not on every start --
        shipped: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return shipped
    # -- a user's schema is untrusted: read within limits and checked in full, once --
    try:
        schema = read_schema(path)
    except (OSError, ValueError) as exc:
        problems = [f"无法读取模式文件 {path}：{exc}"]
    else:
        problems = _schema_problems(schema)
    if problems:
        more = f"（另有 {len(problems) - 1} 个问题）" if len(problems) > 1 else ""
        raise DocgenError(f"模式文件 {path} 不是有效的 JSON Schema：{problems[0]}{more}")
    checked: dict[str, Any] = schema
    return checked


def _validator_cached(path: Path) -> Draft202012Validator:
    def make() -> Draft202012Validator:
        from jsonschema import Draft202012Validator

        # -- validated with every local $ref inlined: the same rules, twice as fast; the
        # registry retrieves nothing, so no reference reaches the network or the disk --
        return Draft202012Validator(inline_refs(_load_schema_cached(path)),
                                    registry=no_retrieval(),
                                    format_checker=Draft202012Validator.FORMAT_CHECKER)

    return _VALIDATORS.get(file_version(path), make)


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
            target = ref_target(schema, ref)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if isinstance(target, Mapping) and not (set(target) & set(siblings)) - annotations:
                return walk({**target, **siblings}, (*seen, ref))
        return {key: value if key in data_keywords else walk(value, seen)
                for key, value in node.items()}

    result: dict[str, Any] = walk(schema, ())
    return result


def load_schema(path: Path) -> dict[str, Any]:
    """Return the JSON Schema at `path`, checked against the 2020-12 meta-schema."""
    return _load_schema_cached(path)


def _validator(path: Path) -> Draft202012Validator:
    return _validator_cached(path)


def check_schema_file(path: Path) -> list[str]:
    """Return the problems of a user's schema file at `path`, each located by a JSON Pointer
    (empty when it may be used): meta-schema errors, and what `schemacheck` refuses (outside
    references, reference loops, depth, invalid or catastrophic patterns)."""
    try:
        schema = read_schema(path)
    except (OSError, ValueError) as exc:
        return [f"无法读取模式文件 {path}：{exc}"]
    return _schema_problems(schema)


def _schema_problems(schema: Any) -> list[str]:
    """What `schemacheck` refuses in a loaded schema, then its meta-schema errors."""
    problems = schema_problems(schema)
    if problems:
        return problems
    from jsonschema import Draft202012Validator

    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA, registry=no_retrieval())
    try:
        return [f"{pointer(*e.absolute_path) or '（根）'}：{e.message[:300]}"
                for e in meta.iter_errors(schema)]
    except RecursionError:
        return [f"（根）：嵌套过深（上限 {MAX_SCHEMA_DEPTH} 层）"]


def with_labels(schema: Schema, issue: Issue) -> Issue:
    """Return `issue` with its label chain filled in from `schema`, unless it has one."""
    if issue.labels or not issue.path.startswith("/"):
        return issue
    return replace(issue, labels=labels_for(schema, issue.path))


# -- checking data ---------------------------------------------------------------------------


def _kind_of(value: Any) -> str:
    if isinstance(value, ForeignValue):  # -- a Python caller's complex, Fraction, set… --
        return "非 JSON 的 Python 值"
    return value_name(value)


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
    names = [TYPE_NAMES.get(t, t) for t in ([types] if isinstance(types, str) else types)]
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
    if type(data) is dict or isinstance(data, Mapping):
        props = node.get("properties")
        if not isinstance(props, Mapping):
            branch = next((b for b in branches(schema, node)
                           if isinstance(b.get("properties"), Mapping)), None)
            return _fill(schema, branch, data) if branch is not None else dict(data)
        filled = dict(data)
        for key, sub in props.items():
            if key in filled:
                value = filled[key]
                if type(value) not in SCALAR_TYPES:  # -- a scalar is kept as it is, no call --
                    filled[key] = _fill(schema, _resolved(schema, sub), value)
                continue
            sub_node = _resolved(schema, sub)
            if "default" in sub_node:
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
        return [v if type(v) in SCALAR_TYPES else _fill(schema, item, v) for v in data]
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
