"""The fast schema check agrees with jsonschema on valid/invalid, on thousands of mutated reports.

Each example is mutated at random places: values replaced by other types and values (nulls,
decimals, huge and negative integers, booleans, floats with and without a fraction, real and
unreal dates, lists, objects), keys deleted, unknown keys added. The fast check must say
"valid" exactly when jsonschema finds no error. A few hundred examples run by default; set
``DOCGEN_FASTCHECK_EXAMPLES`` (CI: 5000) for more.
"""

from __future__ import annotations

import copy
import os
import re
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import docgen
from docgen.engine.fastcheck import compile_check, has_illegal_text, is_valid
from docgen.engine.loading import load
from docgen.engine.schema import _validator, iter_text_issues

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [ROOT / "examples" / "jindong-2019.json", ROOT / "examples" / "county-bureau-2025.json"]
CUSTOM = ROOT / "examples" / "custom-kind"
N = int(os.environ.get("DOCGEN_FASTCHECK_EXAMPLES", "300"))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    REPORTS = [(load(p), docgen.prepare(load(p)).kind.schema_path) for p in EXAMPLES]
REPORTS.append((load(CUSTOM / "meeting-notice.json"), CUSTOM / "meeting-notice.schema.json"))

#: Near misses for a number: what a spreadsheet export or a careless edit puts there.
NUMBERS = st.one_of(
    st.integers(min_value=-2, max_value=3), st.integers(min_value=2**62, max_value=2**200),
    st.sampled_from([Decimal("1.0"), Decimal("-0.5"), Decimal("0E-7"), Decimal("3"), 1.0, 2.5,
                     -1.0, 0.0, True, False, None, "3", -(2**70)]),
)
#: Near misses for a text.
TEXTS = st.one_of(st.text(max_size=4), st.sampled_from(["", "2019", "2021", None, 2024, True]))
#: Near misses for a date.
DATES = st.sampled_from(["2025-02-28", "2020-02-29", "2019-02-29", "2024-13-01", "2024-1-01",
                         "２０２４-01-01", "2024-01-01\n", "2024-01-01T00:00:00", "20250228",
                         "2025-W09-5", "", None])
VALUES = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-3, max_value=3), st.integers(min_value=2**62, max_value=2**200),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.sampled_from([Decimal("1.0"), Decimal("-0.5"), Decimal("0E-7"), 1.0, 2.5, -1.0]),
    st.sampled_from(["", "x", "2019", "2021", "2020-02-29", "2019-02-29", "2024-13-01",
                     "2024-1-01", "２０２４-01-01", "2024-01-01\n", "2024-01-01T00:00:00"]),
    st.text(max_size=5),
    st.lists(st.integers(min_value=0, max_value=5), max_size=2),
    st.dictionaries(st.sampled_from(["title", "text", "x", "total"]), st.integers(0, 3),
                    max_size=2),
)


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into `data` (keys and indexes)."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _places(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _places(value, (*path, index))
    return found


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Any, Path]:
    data, schema = draw(st.sampled_from(REPORTS))
    data = copy.deepcopy(data)
    places = _places(data)[1:]
    leaves = [p for p in places if not isinstance(_at(data, p), (dict, list))]
    dates = [p for p in leaves if re.fullmatch(r"\d{4}-\d\d-\d\d", str(_at(data, p)))]
    for _ in range(draw(st.integers(min_value=0, max_value=2))):
        pick = draw(st.integers(0, 9))
        path = draw(st.sampled_from(places if pick == 0 else dates if pick < 3 and dates
                                    else leaves))
        parent = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["replace"] * 8 + ["delete", "add"]))
            if action == "replace":
                old = parent[path[-1]]
                near = NUMBERS if _is_number(old) else VALUES
                if isinstance(old, str):
                    near = DATES if re.fullmatch(r"\d{4}-\d\d-\d\d", old) else TEXTS
                parent[path[-1]] = draw(st.one_of(near, near, near, VALUES))
            elif action == "delete" and isinstance(parent, dict):
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(st.sampled_from(["extra", "titel", "total"]))] = draw(VALUES)
        except (KeyError, IndexError, TypeError):
            continue  # -- an earlier mutation removed or replaced this place --
    return data, schema


@settings(max_examples=N, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_fast_check_agrees_with_jsonschema(case: tuple[Any, Path]) -> None:
    data, schema = case
    errors = list(_validator(schema).iter_errors(data))
    assert is_valid(schema, data) == (not errors), [e.message for e in errors]


@pytest.mark.parametrize("data", [data for data, _ in REPORTS])
def test_examples_pass_the_fast_check(data: dict[str, Any]) -> None:
    schema = next(s for d, s in REPORTS if d is data)
    assert is_valid(schema, data)


def test_mutated_report_still_gets_jsonschema_messages() -> None:
    data = copy.deepcopy(REPORTS[1][0])
    data["year"] = "二〇二五"
    data["published"] = "2025-02-30"
    messages = {i.path: i.message for i in docgen.check(data) if i.stage == "schema"}
    assert messages["/year"].startswith("类型错误：应为整数")
    assert messages["/published"].startswith("不是有效的日期")


@pytest.mark.parametrize("schema", [
    {"type": "string", "pattern": "^a"},  # -- pattern: not compiled --
    {"type": "string", "format": "email"},
    {"enum": [1, 2]},
    {"$ref": "https://example.com/s.json"},
    {"properties": {"a": {"$id": "inner", "type": "string"}}},
])
def test_unsupported_schemas_get_no_fast_check(schema: dict[str, Any]) -> None:
    assert compile_check(schema) is None


def test_recursive_reference() -> None:
    check = compile_check({"$defs": {"node": {"type": "object", "properties": {
        "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
        "additionalProperties": False}}, "$ref": "#/$defs/node"})
    assert check is not None
    assert check({"kids": [{"kids": []}, {}]})
    assert not check({"kids": [{"kids": [{"other": 1}]}]})


@pytest.mark.parametrize("value", ["2025-02-28", "2020-02-29", "2019-02-29", "2024-13-01",
                                   "2024-1-01", "２０２４-01-01", "2024-01-01\n", "20250228",
                                   "2025-W09-5", "2024-01-01T00:00:00", "", None, 20250228])
def test_dates_agree(value: Any) -> None:
    data, schema = copy.deepcopy(REPORTS[1][0]), REPORTS[1][1]
    data["published"] = value
    assert is_valid(schema, data) == (not list(_validator(schema).iter_errors(data)))


@settings(max_examples=N, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated(), st.sampled_from(["\x00", "\x07", "\x0b", "\x1f", "\ud800", "\uffff", "\t",
                                   "\n", "\u2028", "é"]), st.booleans())
def test_text_scan_agrees(case: tuple[Any, Path], char: str, in_key: bool) -> None:
    """The fast text scan says no exactly when the located check finds nothing."""
    data, _ = case
    leaves = [p for p in _places(data)[1:] if isinstance(_at(data, p), str)]
    if leaves:
        path = leaves[len(leaves) // 2]
        parent = _at(data, path[:-1])
        if in_key and isinstance(parent, dict):
            parent[path[-1] + char] = parent.pop(path[-1])
        else:
            parent[path[-1]] = f"a{char}b"
    found = [i for i in iter_text_issues(data)]
    assert has_illegal_text(data) == bool(found)
