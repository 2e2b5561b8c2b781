"""The JSON Schemas in ``schemas/`` and the data files in ``examples/`` agree with each other."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures"

VERSIONS = ("2019", "2021")
COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other")

#: Each data file and the format version whose schema it must satisfy.
DATA_FILES = [
    (EXAMPLES / "jindong-2019.json", "2019"),
    (EXAMPLES / "county-bureau-2025.json", "2021"),
    (FIXTURES / "jindong-2019-as-published.json", "2019"),
]


def load_json(path: Path) -> Any:
    """Read `path` the way docgen does: decimals as `Decimal`, never `float`."""
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


def load_schema(version: str) -> dict[str, Any]:
    schema: dict[str, Any] = load_json(SCHEMAS / f"gov-info-annual-{version}.schema.json")
    return schema


def validator(version: str) -> Draft202012Validator:
    return Draft202012Validator(
        load_schema(version), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def error_messages(data: Any, version: str) -> list[str]:
    return [f"{error.json_path}: {error.message}" for error in validator(version).iter_errors(data)]


def property_nodes(node: Any, path: str = "#") -> Iterator[tuple[str, Any]]:
    """Yield (location, schema) for every subschema that is the value of a `properties` entry."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    yield f"{path}/properties/{name}", sub
            if key not in ("enum", "const", "default", "examples"):
                yield from property_nodes(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from property_nodes(item, f"{path}/{index}")


def object_nodes(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (location, schema) for every subschema that declares `properties`."""
    if isinstance(node, dict):
        if "properties" in node:
            yield path, node
        for key, value in node.items():
            if key not in ("enum", "const", "default", "examples"):
                yield from object_nodes(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from object_nodes(item, f"{path}/{index}")


def rows(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield every table-3 row (an object with the applicant columns) under `node`."""
    if "natural_person" in node:
        yield node
        return
    for value in node.values():
        if isinstance(value, dict):
            yield from rows(value)


@pytest.mark.parametrize("version", VERSIONS)
def test_schema_is_a_valid_draft_2020_12_schema(version: str) -> None:
    schema = load_schema(version)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == (
        f"https://docgen.invalid/schemas/gov-info-annual-{version}.schema.json"
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_every_property_has_a_title(version: str) -> None:
    nodes = list(property_nodes(load_schema(version)))
    assert len(nodes) > 100
    untitled = [
        where
        for where, sub in nodes
        if not (
            isinstance(sub, dict) and isinstance(sub.get("title"), str) and sub["title"].strip()
        )
    ]
    assert untitled == []


@pytest.mark.parametrize("version", VERSIONS)
def test_every_object_forbids_unknown_keys(version: str) -> None:
    open_objects = [
        where
        for where, sub in object_nodes(load_schema(version))
        if sub.get("additionalProperties") is not False
    ]
    assert open_objects == []


@pytest.mark.parametrize("version", VERSIONS)
def test_official_labels(version: str) -> None:
    props = load_schema(version)["properties"]
    applications = props["applications"]["properties"]
    results = applications["results"]["properties"]
    assert props["overview"]["title"] == "一、总体情况"
    assert props["other_matters"]["title"] == "六、其他需要报告的事项"
    assert applications["new_received"]["title"] == "一、本年新收政府信息公开申请数量"
    assert results["partially_disclosed"]["title"] == (
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    )
    assert results["withheld"]["properties"]["endangers_safety_stability"]["title"] == (
        "3.危及“三安全一稳定”"
    )
    assert results["total"]["title"] == "（七）总计"
    assert results["other"]["title"] == "（六）其他处理"
    normative = props["proactive"]["properties"]["normative_documents"]["title"]
    assert normative == ("规范性文件" if version == "2019" else "行政规范性文件")


def test_schemas_differ_only_in_table_2_and_other_results() -> None:
    def strip(schema: dict[str, Any]) -> dict[str, Any]:
        schema = copy.deepcopy(schema)
        for key in ("$id", "title", "description"):
            del schema[key]
        del schema["properties"]["proactive"]
        del schema["properties"]["applications"]["properties"]["results"]["properties"]["other"]
        return schema

    assert strip(load_schema("2019")) == strip(load_schema("2021"))


@pytest.mark.parametrize(("path", "version"), DATA_FILES, ids=lambda v: getattr(v, "name", v))
def test_data_file_validates(path: Path, version: str) -> None:
    data = load_json(path)
    assert error_messages(data, version) == []


def test_decimal_amounts_are_read_as_decimal() -> None:
    county = load_json(EXAMPLES / "county-bureau-2025.json")
    assert county["proactive"]["fees"]["amount"] == Decimal("26.418")
    assert type(county["proactive"]["fees"]["amount"]) is Decimal


def test_jindong_fixture_differs_in_the_two_corrected_cells_only() -> None:
    example = load_json(EXAMPLES / "jindong-2019.json")
    published = load_json(FIXTURES / "jindong-2019-as-published.json")
    corrected = example["applications"]["results"]["disclosed"]
    as_published = published["applications"]["results"]["disclosed"]
    assert (corrected["research"], corrected["total"]) == (0, 0)
    assert (as_published["research"], as_published["total"]) == (1, 1)
    as_published.update(research=0, total=0)
    assert published == example


@pytest.mark.parametrize(
    ("pointer", "typo"),
    [
        ((), "agancy"),
        (("header",), "index_number"),
        (("proactive", "licensing"), "decision"),
        (("applications", "results", "withheld", "state_secret"), "natual_person"),
        (("reviews", "administrative_review"), "uphold"),
        (("notes", "reviews"), "afterwards"),
    ],
)
def test_a_typo_key_is_rejected(pointer: tuple[str, ...], typo: str) -> None:
    data = load_json(EXAMPLES / "county-bureau-2025.json")
    node = data
    for key in pointer:
        node = node[key]
    node[typo] = 0
    messages = error_messages(data, "2021")
    assert messages
    assert any(typo in message for message in messages)


@pytest.mark.parametrize(
    ("pointer", "value"),
    [
        (("published",), "2026-02-30"),
        (("year",), 1989),
        (("format",), "2020"),
        (("applications", "new_received", "commercial"), -1),
        (("applications", "new_received", "commercial"), Decimal("1.5")),
        (("proactive", "fees", "amount"), Decimal("-0.001")),
        (("proactive", "licensing", "decisions"), {"value": 3}),
    ],
)
def test_a_bad_value_is_rejected(pointer: tuple[str, ...], value: Any) -> None:
    data = load_json(EXAMPLES / "county-bureau-2025.json")
    node = data
    for key in pointer[:-1]:
        node = node[key]
    node[pointer[-1]] = value
    assert error_messages(data, "2021")


def test_table_2_cells_accept_null_and_notes() -> None:
    data = load_json(EXAMPLES / "jindong-2019.json")
    data["proactive"]["licensing"] = {
        "previous": None,
        "change": {"value": -3, "note": "合并事项"},
        "decisions": {"value": 22, "note": "其中修订16件"},
    }
    data["proactive"]["procurement"]["amount"] = Decimal("180774.8")
    assert error_messages(data, "2019") == []


def test_county_example_table_3_adds_up() -> None:
    applications = load_json(EXAMPLES / "county-bureau-2025.json")["applications"]
    results = applications["results"]
    for row in rows(applications):
        assert row["total"] == sum(row[column] for column in COLUMNS), row
    leaves = [
        row for name, value in results.items() if name != "total" for row in rows({name: value})
    ]
    assert len(leaves) == 21
    for column in (*COLUMNS, "total"):
        assert results["total"][column] == sum(row[column] for row in leaves), column
        assert (
            applications["new_received"][column] + applications["carried_over"][column]
            == results["total"][column] + applications["carried_forward"][column]
        ), column
    assert all(results["total"][column] > 0 for column in COLUMNS)


def test_county_example_table_4_adds_up() -> None:
    reviews = load_json(EXAMPLES / "county-bureau-2025.json")["reviews"]
    for group in reviews.values():
        assert (
            group["total"]
            == group["upheld"] + group["corrected"] + group["other"] + group["pending"]
        )
    assert all(group["total"] > 0 for group in reviews.values())
