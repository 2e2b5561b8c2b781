"""A user's JSON Schema is untrusted: checked up front, never fetching, never recursing for ever.

`schema_problems` returns every problem of a custom schema as a located Chinese message
(``/properties/x/pattern：…``), before jsonschema ever sees the schema:

* only references inside the document (``#/$defs/x``): a ``$ref`` to ``https://…``,
  ``file:///…`` or another file is refused, as is a nested ``$id`` (which would change what a
  ``#`` reference means); and the validator is built with a registry that retrieves nothing
  (`no_retrieval`), so nothing is fetched even if a reference slipped through;
* no reference loop that never reaches the data (``{"$ref": "#"}``, a ``$ref`` to an
  ``allOf`` that refers back): jsonschema would recurse until Python gives up;
* nesting at most `MAX_SCHEMA_DEPTH` levels, the file at most `loading.MAX_BYTES`;
* every ``pattern`` and ``patternProperties`` key a valid regular expression without nested
  or overlapping repetition (``(a+)+``, ``(a|a)*``), whose backtracking is catastrophic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # -- referencing comes with jsonschema: imported when first needed --
    from referencing import Registry

from docgen.engine.files import InputTooLarge, read_bounded
from docgen.engine.loading import MAX_BYTES
from docgen.errors import pointer, split_pointer

__all__ = ["MAX_SCHEMA_DEPTH", "no_retrieval", "read_schema", "schema_problems"]

#: Deepest nesting of a custom schema (a report kind's is about 15 levels).
MAX_SCHEMA_DEPTH = 64

#: Keywords whose subschemas apply to the same value (a loop through them never ends).
_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE = ("not", "if", "then", "else")


def _refuse(uri: str) -> Any:
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


@cache
def no_retrieval() -> Registry[Any]:
    """A registry that knows no schema but the one given and retrieves nothing."""
    from referencing import Registry

    return Registry(retrieve=_refuse)  # type: ignore[call-arg]


def read_schema(path: Path) -> Any:
    """Read the JSON of a schema file within the size and depth limits (`ValueError` else)."""
    try:
        raw = read_bounded(path, MAX_BYTES)
    except InputTooLarge:
        raise ValueError(f"文件过大（上限 {MAX_BYTES} 字节）") from None
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError as exc:
        raise ValueError(f"嵌套过深（上限 {MAX_SCHEMA_DEPTH} 层）") from exc
    except UnicodeDecodeError as exc:
        raise ValueError("不是 UTF-8 编码的文本") from exc


def schema_problems(schema: Any) -> list[str]:
    """Every up-front problem of a custom schema, each ``/json/pointer：message``."""
    problems: list[str] = []
    if not isinstance(schema, (Mapping, bool)):
        return ["（整个文件）：模式应为 JSON 对象"]
    for path, node, depth in _walk(schema, (), 0):
        where = _short(pointer(*path)) or "（根）"
        if depth > MAX_SCHEMA_DEPTH:
            problems.append(f"{where}：嵌套过深（上限 {MAX_SCHEMA_DEPTH} 层）")
            break
        if not isinstance(node, Mapping):
            continue
        for key in ("$ref", "$dynamicRef"):
            ref = node.get(key)
            if isinstance(ref, str) and not ref.startswith("#"):
                problems.append(f"{where}：不允许引用外部模式 {key} “{ref[:100]}”"
                                "（只能引用本文件内的定义，如 #/$defs/名称）")
        if path and isinstance(node.get("$id"), str):
            problems.append(f"{where}：不允许在子模式中使用 $id（会改变 # 引用的含义）")
        if isinstance(node.get("pattern"), str):
            problems += [f"{pointer(*path, 'pattern')}：{p}" for p in _pattern(node["pattern"])]
        if isinstance(node.get("patternProperties"), Mapping):
            for key in node["patternProperties"]:
                problems += [f"{pointer(*path, 'patternProperties', key)}：{p}"
                             for p in _pattern(str(key))]
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and _loops(schema, path):
            problems.append(f"{where}：$ref “{ref[:100]}” 构成循环引用，验证将无休止地进行")
    return problems


def _short(where: str) -> str:
    return where if len(where) <= 120 else "…" + where[-100:]


def _walk(node: Any, path: tuple[str, ...], depth: int
          ) -> Iterator[tuple[tuple[str, ...], Any, int]]:
    """Every node of the schema with its path and depth (stops descending past the limit)."""
    stack = [(node, path, depth)]
    while stack:
        current, where, level = stack.pop()
        yield where, current, level
        if level > MAX_SCHEMA_DEPTH:
            continue
        if isinstance(current, Mapping):
            if any(part in ("enum", "const", "default", "examples") for part in where[-1:]):
                continue
            stack += [(v, (*where, str(k)), level + 1) for k, v in list(current.items())[::-1]]
        elif isinstance(current, list):
            stack += [(v, (*where, str(i)), level + 1) for i, v in reversed(
                list(enumerate(current)))]


def _target(schema: Any, ref: str) -> tuple[tuple[str, ...], Any] | None:
    node = schema
    parts = tuple(split_pointer(ref[1:])) if ref.startswith("#/") else ()
    if ref not in ("#", "") and not ref.startswith("#/"):
        return None  # -- an anchor (#name): not followed --
    for part in parts:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return parts, node


def _in_place(node: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """The subschemas applied to the same value as `node` (not to its items or properties)."""
    if not isinstance(node, Mapping):
        return
    for key in _IN_PLACE_LISTS:
        if isinstance(node.get(key), list):
            yield from (((*path, key, str(i)), v) for i, v in enumerate(node[key]))
    for key in _IN_PLACE:
        if key in node:
            yield (*path, key), node[key]
    if isinstance(node.get("dependentSchemas"), Mapping):
        yield from (((*path, "dependentSchemas", k), v)
                    for k, v in node["dependentSchemas"].items())


def _loops(schema: Any, start: tuple[str, ...]) -> bool:
    """Whether following ``$ref`` and in-place subschemas from `start` comes back to it."""
    seen: set[tuple[str, ...]] = set()
    found = _target(schema, "#" + pointer(*start))
    stack = [found] if found is not None else []
    while stack:
        path, node = stack.pop()
        if path in seen or len(seen) > 10_000:
            continue
        seen.add(path)
        if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            target = _target(schema, node["$ref"])
            if target is not None:
                if target[0] == start or (start[:len(target[0])] == target[0] and \
                        _only_in_place(start[len(target[0]):])):
                    return True
                stack.append(target)
        stack += list(_in_place(node, path))
    return False


def _only_in_place(rest: tuple[str, ...]) -> bool:
    # -- whether a path below a node only goes through in-place keywords (allOf/0/not…) --
    index = 0
    while index < len(rest):
        if rest[index] in _IN_PLACE_LISTS and index + 1 < len(rest):
            index += 2
        elif rest[index] in _IN_PLACE:
            index += 1
        elif rest[index] == "dependentSchemas" and index + 1 < len(rest):
            index += 2
        else:
            return False
    return True


# -- patterns --------------------------------------------------------------------------------


def _pattern(text: str) -> list[str]:
    """The problems of one schema pattern (empty when it is safe to use)."""
    try:
        re.compile(text)
    except (re.error, RecursionError, OverflowError) as exc:
        return [f"正则表达式 “{text[:80]}” 无效（{exc}）"]
    try:
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(text)
    except Exception:  # -- a parser we cannot read: be safe, refuse nothing it compiled --
        return []
    if _backtracks(parsed, inside_repeat=False):
        return [f"正则表达式 “{text[:80]}” 含有嵌套或重叠的重复（如 (a+)+、(a|a)*），"
                "可能导致灾难性回溯，已拒绝（可改用占有量词 a++ 或原子组 (?>…)）"]
    return []


def _backtracks(items: Any, *, inside_repeat: bool) -> bool:
    """Whether a parsed pattern repeats something that itself repeats or has overlapping
    alternatives, inside an unbounded (or large) repetition."""
    from re import _constants  # type: ignore[attr-defined]

    repeats = (_constants.MAX_REPEAT, _constants.MIN_REPEAT)
    for op, arg in items:
        if op in repeats:
            _, high, body = arg
            big = high == _constants.MAXREPEAT or high > 10
            if big and inside_repeat:
                return True
            if _backtracks(body, inside_repeat=inside_repeat or big):
                return True
            if big and _overlapping_branch(body, _constants):
                return True
        elif op == _constants.SUBPATTERN:
            if _backtracks(arg[-1], inside_repeat=inside_repeat):
                return True
        elif op == _constants.BRANCH and any(
                _backtracks(b, inside_repeat=inside_repeat) for b in arg[1]):
            return True
    return False


def _overlapping_branch(body: Any, constants: Any) -> bool:
    """Whether a repeated body holds an alternation two of whose branches may match alike
    (``(a|a)*`` is parsed as ``a(|)``: an empty branch)."""
    for op, arg in body:
        if op == constants.SUBPATTERN and _overlapping_branch(arg[-1], constants):
            return True
        if op == constants.BRANCH:
            firsts = [_first(b, constants) for b in arg[1]]
            if any(f is None for f in firsts):
                return True
            known = [f for f in firsts if f is not None]
            if sum(map(len, known)) != len(set().union(*known)):
                return True
    return False


def _first(branch: Any, constants: Any) -> set[int] | None:
    # -- the characters a branch may start with, or None when they are too many to tell --
    items = list(branch)
    if not items:
        return None
    op, arg = items[0]
    if op == constants.LITERAL:
        return {int(arg)}
    if op == constants.IN:
        chars: set[int] = set()
        for kind, value in arg:
            if kind == constants.LITERAL:
                chars.add(int(value))
            elif kind == constants.RANGE and value[1] - value[0] < 5000:
                chars.update(range(value[0], value[1] + 1))
            else:
                return None
        return chars
    return None
