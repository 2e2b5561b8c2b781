"""A fast yes/no check of data against a JSON Schema, built once per schema as a closure tree.

`jsonschema` is thorough and gives every error with its path, but it costs ~0.2 s to import
and set up and a few milliseconds per report. Most reports are valid, so a report is first
checked here; jsonschema runs only when this check says no (and then gives today's messages
exactly). The check must therefore never accept what jsonschema rejects; it may reject what
jsonschema accepts only at the price of a slower path (tests/test_fastcheck.py proves on
mutated reports that the two agree both ways).

Only the keywords below are compiled; a schema using any other one gets no fast check
(`compile_check` returns None) and is always validated by jsonschema. No code is generated
from the schema: each node becomes a small closure, so a custom schema cannot inject any.

>>> check = compile_check({"type": "object", "properties": {"n": {"type": "integer",
...                        "minimum": 0}}, "required": ["n"]})
>>> check({"n": 3}), check({"n": -1}), check({}), check({"n": True})
(True, False, False, False)
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["XML_ILLEGAL", "compile_check", "has_illegal_text", "is_valid", "schema_check"]

Check = Callable[[Any], bool]

#: Keywords that never change whether data is valid.
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment", "$schema",
                          "$id", "$defs", "definitions", "deprecated", "readOnly", "writeOnly"})
#: Keywords compiled here (with the annotations, every keyword a schema may use to get a check).
_SUPPORTED = frozenset({"type", "properties", "required", "additionalProperties", "items",
                        "enum", "const", "minimum", "maximum", "exclusiveMinimum",
                        "exclusiveMaximum", "anyOf", "allOf", "oneOf", "$ref", "format",
                        "minLength", "maxLength", "minItems", "maxItems"}) | _ANNOTATIONS
#: Characters XML 1.0 cannot hold (as `docgen.engine.schema`'s TEXT-CONTROL-CHAR check).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: As jsonschema's date format check (an ASCII YYYY-MM-DD that is a real date).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class _Unsupported(Exception):
    """The schema uses something this module does not compile."""


def _is_integer(value: Any) -> bool:
    # -- as jsonschema's 2020-12 type checker: a float with no fraction is an integer --
    if type(value) is int:
        return True
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    kind = type(value)
    if kind is int or kind is Decimal or kind is float:
        return True
    return kind is not bool and isinstance(value, numbers.Number)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


class _Compiler:
    """Turns one schema (with local ``$ref``s) into checks, each node once."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, ref: Any) -> Check:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise _Unsupported(f"$ref {ref!r}")
        found = self.refs.get(ref)
        if found is None:
            cell: list[Check] = []
            # -- registered before compiling, so a recursive reference finds it --
            self.refs[ref] = lambda v: cell[0](v)
            target: Any = self.root
            for part in ref[1:].split("/")[1:]:
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or part not in target:
                    raise _Unsupported(f"$ref {ref!r}")
                target = target[part]
            cell.append(self.node(target))
            found = self.refs[ref] = cell[0]
        return found

    def node(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return lambda v: True
        if schema is False:
            return lambda v: False
        if not isinstance(schema, Mapping):
            raise _Unsupported("schema node")
        unknown = set(schema) - _SUPPORTED
        if "$id" in schema and schema is not self.root:
            unknown.add("$id")  # -- a nested resource: its own base for references --
        if unknown:
            raise _Unsupported(", ".join(sorted(unknown)))
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(self.ref(schema["$ref"]))
        if "type" in schema:
            checks.append(self.type_check(schema["type"]))
        checks += self.object_checks(schema)
        checks += self.value_checks(schema)
        for key in ("anyOf", "allOf", "oneOf"):
            if key in schema:
                checks.append(_combined(key, [self.node(s) for s in schema[key]]))
        if len(checks) == 2 and _is_count(schema):
            return _count_check(checks, schema["minimum"])
        return checks[0] if len(checks) == 1 else _combined("allOf", checks)

    def type_check(self, types: Any) -> Check:
        names = [types] if isinstance(types, str) else types
        if not isinstance(names, list) or any(n not in _TYPES for n in names):
            raise _Unsupported(f"type {types!r}")
        tests = tuple(_TYPES[n] for n in names)
        return tests[0] if len(tests) == 1 else (lambda v: any(t(v) for t in tests))

    def object_checks(self, schema: Mapping[str, Any]) -> list[Check]:
        checks: list[Check] = []
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        if not isinstance(properties, Mapping) or not isinstance(extra, (bool, Mapping)):
            raise _Unsupported("properties")
        props = {key: self.node(sub) for key, sub in properties.items()}
        rest = None if extra is True else self.node(extra)
        required = tuple(schema.get("required", ()))
        if props or rest is not None or required:
            def check_object(v: Any) -> bool:
                if not isinstance(v, dict):
                    return True
                for key in required:
                    if key not in v:
                        return False
                for key, value in v.items():
                    sub = props.get(key, rest)
                    if sub is not None and not sub(value):
                        return False
                return True
            checks.append(check_object)
        if "items" in schema:
            item = self.node(schema["items"])
            checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
        return checks

    def value_checks(self, schema: Mapping[str, Any]) -> list[Check]:
        checks: list[Check] = []
        if "enum" in schema or "const" in schema:
            allowed = schema["enum"] if "enum" in schema else [schema["const"]]
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise _Unsupported("enum of other than strings")
            choices = frozenset(allowed)
            checks.append(lambda v: isinstance(v, str) and v in choices)
        # -- written as jsonschema's failing test, negated (the same answer for NaN) --
        bounds: dict[str, Callable[[Any, Any], bool]] = {
            "minimum": lambda v, b: not v < b, "maximum": lambda v, b: not v > b,
            "exclusiveMinimum": lambda v, b: not v <= b,
            "exclusiveMaximum": lambda v, b: not v >= b}
        for key, holds in bounds.items():
            if key in schema:
                bound = schema[key]
                if not _is_number(bound):
                    raise _Unsupported(key)
                checks.append(_bounded(holds, bound))
        if "format" in schema:
            if schema["format"] != "date":
                raise _Unsupported(f"format {schema['format']!r}")
            checks.append(_is_date)
        for key, kind, compare in (("minLength", str, int.__ge__), ("maxLength", str, int.__le__),
                                   ("minItems", list, int.__ge__), ("maxItems", list, int.__le__)):
            if key in schema:
                limit = schema[key]
                if not isinstance(limit, int) or isinstance(limit, bool):
                    raise _Unsupported(key)
                checks.append(_sized(kind, compare, limit))
        return checks


def _combined(key: str, parts: list[Check]) -> Check:
    found = tuple(parts)
    if key == "anyOf":
        return lambda v: any(f(v) for f in found)
    if key == "oneOf":
        return lambda v: sum(1 for f in found if f(v)) == 1
    if len(found) == 2:  # -- the usual case, without a generator per value --
        first, second = found
        return lambda v: first(v) and second(v)
    return lambda v: all(f(v) for f in found)


def _is_count(schema: Mapping[str, Any]) -> bool:
    """Whether `schema` is ``{"type": "integer", "minimum": N}`` (annotations aside)."""
    return schema.get("type") == "integer" and set(schema) - _ANNOTATIONS == \
        {"type", "minimum"} and type(schema["minimum"]) is int


def _count_check(checks: list[Check], bound: int) -> Check:
    # -- most of a report's values: a plain int answered in one comparison --
    first, second = checks
    return lambda v: v >= bound if type(v) is int else (first(v) and second(v))


def _bounded(holds: Callable[[Any, Any], bool], bound: Any) -> Check:
    return lambda v: not _is_number(v) or holds(v, bound)


def _sized(kind: type, compare: Callable[[int, int], bool], limit: int) -> Check:
    # -- jsonschema counts a string's code points, as len() does --
    return lambda v: not isinstance(v, kind) or compare(len(v), limit)  # type: ignore[arg-type]


def compile_check(schema: Mapping[str, Any]) -> Check | None:
    """Return a function saying whether data is valid under `schema`, or None when the schema
    uses a keyword (or a form of one) this module does not compile."""
    try:
        check = _Compiler(schema).node(schema)
    except (_Unsupported, RecursionError, TypeError, ValueError):
        return None  # -- a form not compiled, or a schema too deep: jsonschema decides --
    return check


@lru_cache(maxsize=32)
def _cached(path: Path, mtime_ns: int) -> Check | None:
    return compile_check(json.loads(path.read_text(encoding="utf-8")))


def schema_check(path: Path) -> Check | None:
    """The fast check of the schema file at `path` (compiled on first use), or None."""
    return _cached(path, path.stat().st_mtime_ns)


def is_valid(path: Path, data: Any) -> bool:
    """Whether `data` is certainly valid under the schema at `path`.

    False means "not known to be valid": validate with jsonschema for the messages.
    """
    check = schema_check(path)
    if check is None:
        return False
    try:
        return check(data)
    except Exception:  # -- e.g. a NaN Decimal compared with a bound: let jsonschema say --
        return False


#: Values `has_illegal_text` passes over at once.
_SCALARS = frozenset({int, bool, type(None), Decimal, float})


def has_illegal_text(data: Any) -> bool:
    """Whether any string (or key) in `data` may hold a character XML cannot hold.

    A fast yes/no for loaded data (plain dicts, lists, strings); anything else answers True,
    so the located check (`docgen.engine.schema.iter_text_issues`) runs and decides.
    """
    search = XML_ILLEGAL.search
    stack = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str:
            if search(value):
                return True
        elif kind is dict:
            for key in value:
                if type(key) is not str or search(key):
                    return True
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind in _SCALARS:
            continue
        elif isinstance(value, (str, Mapping, list)):
            return True  # -- a subclass: leave it to the thorough walk --
    return False
