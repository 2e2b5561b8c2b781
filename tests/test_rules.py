"""Tests of derive_totals and the consistency rules, on both format versions."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docgen import kinds
from docgen.engine import formatting
from docgen.errors import Issue
from docgen.kinds.gov_info_annual import rules
from docgen.kinds.gov_info_annual.derive import (
    APPLICANT_COLUMNS,
    COLUMNS,
    RESULT_LAYOUT,
    REVIEW_GROUPS,
    derive_totals,
    iter_result_rows,
    iter_table3_rows,
)
from docgen.kinds.gov_info_annual.labels import column_label, label, row_label
from docgen.kinds.gov_info_annual.rules import (
    GOV_INFO_ANNUAL_RULES,
    iter_balance_issues,
    iter_carry_over_issues,
    iter_empty_section_issues,
    iter_format_year_issues,
    iter_narrative_issues,
    iter_negative_item_issues,
    iter_period_issues,
    iter_published_issues,
    iter_results_total_issues,
    iter_review_total_issues,
    iter_row_total_issues,
)

ROOT = Path(__file__).resolve().parent.parent
AS_PUBLISHED = ROOT / "tests" / "fixtures" / "jindong-2019-as-published.json"
EXAMPLE = ROOT / "examples" / "jindong-2019.json"
VERSIONS = ("2019", "2021")


# -- building reports ---------------------------------------------------------------------------


def zero_row() -> dict[str, int]:
    """A table-3 row of zeros, without its 总计."""
    return dict.fromkeys(APPLICANT_COLUMNS, 0)


def zero_report(version: str = "2021") -> dict[str, Any]:
    """A minimal report of `version` whose every count is 0 and every total omitted."""
    results: dict[str, Any] = {}
    for key, members in RESULT_LAYOUT:
        if not members or (key == "other" and version == "2019"):
            results[key] = zero_row()
        else:
            results[key] = {member: zero_row() for member in members}
    if version == "2019":
        proactive: dict[str, Any] = {
            "regulations": {"made": 0, "published": 0, "total": 0},
            "normative_documents": {"made": 0, "published": 0, "total": 0},
            **{
                item: {"previous": 0, "change": 0, "decisions": 0}
                for item in ("licensing", "other_services", "penalty", "coercion")
            },
            "fees": {"previous": 0, "change": 0},
            "procurement": {"count": 0, "amount": Decimal("0")},
        }
    else:
        proactive = {
            "regulations": {"issued": 0, "repealed": 0, "in_force": 0},
            "normative_documents": {"issued": 0, "repealed": 0, "in_force": 0},
            "licensing": {"decisions": 0},
            "penalty": {"decisions": 0},
            "coercion": {"decisions": 0},
            "fees": {"amount": Decimal("0")},
        }
    year = 2019 if version == "2019" else 2023
    return {
        "agency": "某某市某某局",
        "year": year,
        "published": f"{year + 1}-01-20",
        "overview": {"intro": "本年度政府信息公开工作有序开展。", "sections": []},
        "proactive": proactive,
        "applications": {
            "new_received": zero_row(),
            "carried_over": zero_row(),
            "results": results,
            "carried_forward": zero_row(),
        },
        "reviews": {
            group: {"upheld": 0, "corrected": 0, "other": 0, "pending": 0}
            for group in REVIEW_GROUPS
        },
        "problems": {"problems": "信息公开的及时性有待提高。"},
    }


def set_row(report: dict[str, Any], path: str, values: Sequence[int]) -> dict[str, Any]:
    """Set the table-3 row at dotted `path` (from ``applications``) to `values`; return `report`.

    Six values are the applicant columns; a seventh is the supplied 总计.
    """
    *parents, last = path.split(".")
    node = report["applications"]
    for key in parents:
        node = node[key]
    keys = APPLICANT_COLUMNS if len(values) == 6 else COLUMNS
    node[last] = dict(zip(keys, values, strict=True))
    return report


def consistent_2021() -> dict[str, Any]:
    """A non-trivial 2021 report whose tables 3 and 4 add up, totals omitted."""
    report = zero_report("2021")
    rows = {
        "new_received": (10, 4, 1, 0, 2, 1),
        "carried_over": (2, 1, 0, 0, 0, 0),
        "results.disclosed": (5, 2, 1, 0, 1, 0),
        "results.partially_disclosed": (1, 0, 0, 0, 0, 0),
        "results.withheld.third_party_rights": (1, 1, 0, 0, 0, 0),
        "results.unavailable.not_held": (2, 0, 0, 0, 1, 0),
        "results.not_processed.duplicate": (1, 0, 0, 0, 0, 0),
        "results.other.overdue_correction": (0, 1, 0, 0, 0, 1),
        "carried_forward": (2, 1, 0, 0, 0, 0),
    }
    for path, values in rows.items():
        set_row(report, path, values)
    report["reviews"]["administrative_review"] = {
        "upheld": 1,
        "corrected": 1,
        "other": 0,
        "pending": 1,
    }
    report["reviews"]["litigation_direct"] = {"upheld": 1, "corrected": 0, "other": 0, "pending": 0}
    return report


#: The totals `consistent_2021` implies, by row path.
CONSISTENT_TOTALS = {
    ("new_received",): 18,
    ("carried_over",): 3,
    ("results", "disclosed"): 9,
    ("results", "partially_disclosed"): 1,
    ("results", "withheld", "third_party_rights"): 2,
    ("results", "unavailable", "not_held"): 3,
    ("results", "not_processed", "duplicate"): 1,
    ("results", "other", "overdue_correction"): 2,
    ("results", "total"): 18,
    ("carried_forward",): 3,
}


def all_issues(report: Mapping[str, Any]) -> list[Issue]:
    """Every issue of every rule, on the derived `report`."""
    derived = derive_totals(report)
    return [issue for rule in GOV_INFO_ANNUAL_RULES for issue in rule(derived)]


def codes(issues: Iterator[Issue] | list[Issue]) -> list[tuple[str, str]]:
    """The (code, path) of each issue."""
    return [(issue.code, issue.path) for issue in issues]


# -- derive -------------------------------------------------------------------------------------


def test_derive_fills_every_total() -> None:
    derived = derive_totals(consistent_2021())

    applications = derived["applications"]
    found = {
        parts: row["total"]
        for parts, row in iter_table3_rows(applications)
        if parts in CONSISTENT_TOTALS
    }
    assert found == CONSISTENT_TOTALS
    assert applications["results"]["total"] == {
        "natural_person": 10,
        "commercial": 4,
        "research": 1,
        "social_welfare": 0,
        "legal_service": 2,
        "other": 1,
        "total": 18,
    }
    assert derived["reviews"]["administrative_review"]["total"] == 3
    assert derived["reviews"]["litigation_direct"]["total"] == 1
    assert derived["reviews"]["litigation_after_review"]["total"] == 0


def test_derive_does_not_touch_its_input() -> None:
    report = consistent_2021()
    before = copy.deepcopy(report)

    derive_totals(report)

    assert report == before


def test_derived_totals_equal_supplied_ones() -> None:
    omitted = consistent_2021()
    supplied = copy.deepcopy(omitted)
    for parts, row in iter_table3_rows(supplied["applications"]):
        assert isinstance(row, dict)
        row["total"] = CONSISTENT_TOTALS.get(parts, 0)
    set_row(supplied, "results.total", (10, 4, 1, 0, 2, 1, 18))
    for group, total in zip(REVIEW_GROUPS, (3, 1, 0), strict=True):
        supplied["reviews"][group]["total"] = total

    assert derive_totals(omitted) == supplied
    assert derive_totals(supplied) == supplied
    assert all_issues(supplied) == []


def test_supplied_wrong_totals_are_kept_and_flagged() -> None:
    report = consistent_2021()
    set_row(report, "results.disclosed", (5, 2, 1, 0, 1, 0, 8))
    report["applications"]["results"]["total"] = {"research": 0}
    report["reviews"]["administrative_review"]["total"] = 2

    derived = derive_totals(report)

    assert derived["applications"]["results"]["disclosed"]["total"] == 8
    assert derived["applications"]["results"]["total"]["research"] == 0
    assert derived["applications"]["results"]["total"]["commercial"] == 4
    assert derived["reviews"]["administrative_review"]["total"] == 2
    assert set(codes(all_issues(report))) >= {
        ("T3-ROW", "/applications/results/disclosed/total"),
        ("T3-RESULTS", "/applications/results/total/research"),
        ("T4-TOTAL", "/reviews/administrative_review/total"),
    }


def test_derive_skips_what_it_cannot_compute() -> None:
    report = consistent_2021()
    report["applications"]["new_received"]["research"] = "1"
    del report["applications"]["results"]["withheld"]
    report["reviews"]["litigation_direct"]["pending"] = None

    derived = derive_totals(report)

    assert "total" not in derived["applications"]["new_received"]
    assert "total" not in derived["reviews"]["litigation_direct"]
    assert "total" not in derived["applications"]["results"]
    assert derived["applications"]["carried_over"]["total"] == 3


@pytest.mark.parametrize("version", VERSIONS)
def test_result_rows_follow_the_version(version: str) -> None:
    rows = [parts for parts, _ in iter_result_rows(zero_report(version)["applications"])]

    assert len(rows) == (19 if version == "2019" else 21)
    assert all(row_label({"format": version}, *parts) for parts in rows)
    assert (("results", "other") in rows) == (version == "2019")


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_row_total(version: str) -> None:
    report = zero_report(version)
    set_row(report, "results.withheld.third_party_rights", (1, 1, 0, 0, 0, 0, 3))
    set_row(report, "new_received", (1, 1, 0, 0, 0, 0))
    assert list(iter_row_total_issues(derive_totals(report))) == [
        Issue(
            "T3-ROW",
            "/applications/results/withheld/third_party_rights/total",
            "（三）不予公开 4.保护第三方合法权益 的“总计”应为 2（各申请人列之和），实为 3",
            expected=2,
            actual=3,
        )
    ]

    set_row(report, "results.withheld.third_party_rights", (1, 1, 0, 0, 0, 0, 2))
    assert list(iter_row_total_issues(derive_totals(report))) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_results_total(version: str) -> None:
    report = zero_report(version)
    leaf = "results.other" if version == "2019" else "results.other.overdue_fee"
    set_row(report, leaf, (0, 0, 1, 0, 0, 0))
    set_row(report, "results.total", (0, 0, 0, 0, 0, 0, 0))

    issues = list(iter_results_total_issues(derive_totals(report)))

    assert issues[0] == Issue(
        "T3-RESULTS",
        "/applications/results/total/research",
        "（七）总计 的“科研机构”应为 1（各项办理结果之和），实为 0",
        expected=1,
        actual=0,
    )
    assert codes(issues[1:]) == [("T3-RESULTS", "/applications/results/total/total")]
    assert "总计" in issues[1].message

    del report["applications"]["results"]["total"]
    assert list(iter_results_total_issues(derive_totals(report))) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_balance(version: str) -> None:
    report = zero_report(version)
    set_row(report, "new_received", (3, 0, 0, 0, 0, 0))
    set_row(report, "results.disclosed", (2, 0, 0, 0, 0, 0))

    issues = list(iter_balance_issues(derive_totals(report)))

    assert codes(issues) == [
        ("T3-BALANCE", "/applications/carried_forward/natural_person"),
        ("T3-BALANCE", "/applications/carried_forward/total"),
    ]
    assert (issues[0].expected, issues[0].actual) == (3, 2)
    assert "自然人" in issues[0].message and "四、结转下年度继续办理" in issues[0].message

    set_row(report, "carried_forward", (1, 0, 0, 0, 0, 0))
    assert list(iter_balance_issues(derive_totals(report))) == []


def test_wrong_results_total_is_reported_once() -> None:
    # -- one wrong （七）总计 figure: T3-RESULTS (and T3-ROW), never a T3-BALANCE on a right cell --
    report = set_row(consistent_2021(), "results.total", (10, 4, 2, 0, 2, 1, 18))
    assert codes(all_issues(report)) == [
        ("T3-ROW", "/applications/results/total/total"),
        ("T3-RESULTS", "/applications/results/total/research"),
    ]

    set_row(report, "results.total", (10, 4, 2, 0, 2, 1, 19))
    assert codes(all_issues(report)) == [
        ("T3-RESULTS", "/applications/results/total/research"),
        ("T3-RESULTS", "/applications/results/total/total"),
    ]


def test_balance_counts_the_result_rows() -> None:
    # -- the leaves and the supplied （七） agree with each other but not with 一 + 二 --
    report = set_row(consistent_2021(), "results.total", (10, 4, 1, 0, 2, 1, 18))
    set_row(report, "new_received", (10, 4, 2, 0, 2, 1))
    issues = list(iter_balance_issues(derive_totals(report)))
    assert codes(issues) == [
        ("T3-BALANCE", "/applications/carried_forward/research"),
        ("T3-BALANCE", "/applications/carried_forward/total"),
    ]
    assert [(i.expected, i.actual) for i in issues] == [(2, 1), (22, 21)]

    # -- a wrong （七） and leaves that do not balance either: computed from the leaves --
    set_row(report, "results.total", (10, 4, 5, 0, 2, 1, 22))
    issues = list(iter_balance_issues(derive_totals(report)))
    assert [(i.path, i.expected, i.actual) for i in issues] == [
        ("/applications/carried_forward/research", 2, 1),
        ("/applications/carried_forward/total", 22, 21),
    ]


def test_balance_falls_back_to_the_supplied_results_total() -> None:
    report = set_row(consistent_2021(), "results.total", (10, 4, 2, 0, 2, 1, 19))
    del report["applications"]["results"]["withheld"]  # -- the leaves are unknown --

    issues = list(iter_balance_issues(derive_totals(report)))

    assert codes(issues) == [
        ("T3-BALANCE", "/applications/carried_forward/research"),
        ("T3-BALANCE", "/applications/carried_forward/total"),
    ]
    assert [(i.expected, i.actual) for i in issues] == [(1, 2), (21, 22)]


def test_consistent_2021_example_has_no_issue() -> None:
    assert all_issues(consistent_2021()) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_review_total(version: str) -> None:
    report = zero_report(version)
    report["reviews"]["litigation_after_review"] = {
        "upheld": 1,
        "corrected": 1,
        "other": 1,
        "pending": 1,
        "total": 3,
    }
    assert list(iter_review_total_issues(derive_totals(report))) == [
        Issue(
            "T4-TOTAL",
            "/reviews/litigation_after_review/total",
            "行政诉讼·复议后起诉 的“总计”应为 4"
            "（结果维持 + 结果纠正 + 其他结果 + 尚未审结），实为 3",
            expected=4,
            actual=3,
        )
    ]

    report["reviews"]["litigation_after_review"]["total"] = 4
    assert list(iter_review_total_issues(derive_totals(report))) == []


# -- labels -------------------------------------------------------------------------------------


def _schema(version: str) -> Any:
    path = ROOT / "schemas" / f"gov-info-annual-{version}.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("version", VERSIONS)
def test_labels_are_the_schema_titles(version: str) -> None:
    schema = _schema(version)
    props, defs = schema["properties"], schema["$defs"]
    table3 = props["applications"]["properties"]
    results = table3["results"]["properties"]
    applications = derive_totals(zero_report(version))["applications"]
    report = {"format": version}
    rows = [parts for parts, _ in iter_table3_rows(applications)]
    assert len(rows) == (23 if version == "2019" else 25)
    for parts in rows:
        if parts[0] != "results":
            official = table3[parts[0]]["title"]
        elif len(parts) == 2:
            official = results[parts[1]]["title"]
        else:
            group = results[parts[1]]
            official = f"{group['title']} {group['properties'][parts[2]]['title']}"
        assert row_label(report, *parts) == official
    for column, node in defs["applicant_row"]["properties"].items():
        assert column_label(report, column) == node["title"]
    for group, node in props["reviews"]["properties"].items():
        assert label(report, "reviews", group) == node["title"]
        for part, part_node in defs["review_group"]["properties"].items():
            assert label(report, "reviews", group, part) == part_node["title"]
    if version == "2019":
        for item in rules.CHANGE_ITEMS:
            title = props["proactive"]["properties"][item]["title"]
            assert label(report, "proactive", item) == title


def test_rules_reuse_the_registry_and_the_formatting() -> None:
    assert rules.FORMAT_VERSIONS is kinds.FORMAT_VERSIONS
    assert rules.format_for_year is kinds.format_for_year
    assert rules.format_date is formatting.format_date
    assert not hasattr(rules, "expected_format")
    assert not hasattr(rules, "_cn")


# -- warnings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_carry_over(version: str) -> None:
    previous, report = zero_report(version), zero_report(version)
    previous["year"] = report["year"] - 1
    set_row(previous, "carried_forward", (2, 0, 0, 0, 0, 0))
    set_row(previous, "new_received", (2, 0, 0, 0, 0, 0))

    issues = list(iter_carry_over_issues(report, previous))

    assert codes(issues) == [
        ("CARRY-OVER", "/applications/carried_over/natural_person"),
        ("CARRY-OVER", "/applications/carried_over/total"),
    ]
    assert all(issue.severity == "warning" for issue in issues)
    assert (issues[0].expected, issues[0].actual) == (2, 0)

    set_row(report, "carried_over", (2, 0, 0, 0, 0, 0))
    assert list(iter_carry_over_issues(report, previous)) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_carry_over_from_another_year(version: str) -> None:
    previous, report = zero_report(version), zero_report(version)
    set_row(previous, "carried_forward", (2, 0, 0, 0, 0, 0))
    previous["year"] = report["year"] - 2

    issues = list(iter_carry_over_issues(report, previous))

    year = report["year"]
    assert issues == [
        Issue(
            "PREVIOUS-YEAR",
            "/year",
            f"上一年度报告应为 {year - 1} 年度，实为 {year - 2} 年度",
            severity="warning",
            expected=year - 1,
            actual=year - 2,
        )
    ]

    previous["year"] = year  # -- the same year is not last year either --
    assert codes(iter_carry_over_issues(report, previous)) == [("PREVIOUS-YEAR", "/year")]

    del previous["year"]  # -- a year unknown: the columns are compared --
    assert codes(iter_carry_over_issues(report, previous)) == [
        ("CARRY-OVER", "/applications/carried_over/natural_person"),
        ("CARRY-OVER", "/applications/carried_over/total"),
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_period_order(version: str) -> None:
    report = zero_report(version)
    year = report["year"]
    report["period"] = {"start": f"{year}-12-01", "end": f"{year}-11-30"}

    issues = list(iter_period_issues(report))

    assert issues == [
        Issue(
            "PERIOD-ORDER",
            "/period/end",
            f"统计期限的截止日期 {year}年11月30日 早于开始日期 {year}年12月1日",
            expected=f"≥ {year}-12-01",
            actual=f"{year}-11-30",
        )
    ]
    assert issues[0].is_error
    assert codes(all_issues(report)) == [("PERIOD-ORDER", "/period/end")]
    # -- what the render would have failed on --
    with pytest.raises(formatting.FormattingError):
        formatting.date_range(report["period"]["start"], report["period"]["end"])

    report["period"] = {"start": f"{year}-11-30", "end": f"{year}-11-30"}
    assert list(iter_period_issues(report)) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_period_year(version: str) -> None:
    report = zero_report(version)
    year = report["year"]
    report["period"] = {"start": f"{year - 1}-12-01", "end": f"{year}-11-30"}

    issues = list(iter_period_issues(report))

    assert codes(issues) == [("PERIOD-YEAR", "/period/start")]
    assert issues[0].severity == "warning"

    report["period"]["start"] = f"{year}-01-01"
    assert list(iter_period_issues(report)) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_published_early(version: str) -> None:
    report = zero_report(version)
    year = report["year"]
    report["published"] = f"{year}-12-30"
    assert codes(iter_published_issues(report)) == [("PUBLISHED-EARLY", "/published")]

    report["period"] = {"start": f"{year}-01-01", "end": f"{year}-12-30"}
    assert list(iter_published_issues(report)) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_published_late(version: str) -> None:
    report = zero_report(version)
    year = report["year"]
    report["published"] = f"{year + 1}-02-01"
    issues = list(iter_published_issues(report))
    assert codes(issues) == [("PUBLISHED-LATE", "/published")]
    assert issues[0].expected == f"{year + 1}-01-31"

    report["agency"] = "某某市某某区人民政府"
    assert list(iter_published_issues(report)) == []
    report["published"] = f"{year + 1}-04-01"
    assert codes(iter_published_issues(report)) == [("PUBLISHED-LATE", "/published")]


@pytest.mark.parametrize("version", VERSIONS)
def test_format_year(version: str) -> None:
    report = zero_report(version)
    report["format"] = version
    assert list(iter_format_year_issues(report)) == []

    report["format"] = "2021" if version == "2019" else "2019"
    issues = list(iter_format_year_issues(report))
    assert codes(issues) == [("FORMAT-YEAR", "/format")]
    assert (issues[0].expected, issues[0].actual) == (version, report["format"])


@pytest.mark.parametrize("version", VERSIONS)
def test_empty_section(version: str) -> None:
    report = zero_report(version)
    report["overview"] = {"intro": " ", "sections": [{"title": "主动公开", "text": "\n"}]}
    report["problems"] = {"problems": "", "sections": []}

    issues = list(iter_empty_section_issues(report))

    assert codes(issues) == [("EMPTY-SECTION", "/overview"), ("EMPTY-SECTION", "/problems")]
    assert all(issue.severity == "warning" for issue in issues)
    assert "一、总体情况" in issues[0].message
    assert "五、存在的主要问题及改进情况" in issues[1].message
    assert codes(all_issues(report)) == codes(issues)

    report["overview"]["sections"].append({"title": "依申请公开", "text": "无。"})
    report["problems"]["sections"] = [{"title": "改进措施", "text": "加强培训。"}]
    assert list(iter_empty_section_issues(report)) == []

    report["overview"] = {"intro": "概述。", "sections": []}
    report["problems"] = {"improvements": "加强培训。"}
    assert list(iter_empty_section_issues(report)) == []


def test_t2_negative_2019() -> None:
    report = zero_report("2019")
    report["proactive"]["licensing"] = {"previous": 6, "change": -8, "decisions": 0}
    report["proactive"]["fees"] = {"previous": {"value": 2, "note": "x"}, "change": -3}
    report["proactive"]["penalty"] = {"previous": None, "change": -3, "decisions": 0}

    issues = list(iter_negative_item_issues(report))

    assert codes(issues) == [
        ("T2-NEGATIVE", "/proactive/licensing/change"),
        ("T2-NEGATIVE", "/proactive/fees/change"),
    ]
    assert issues[0].message.startswith("行政许可 的“本年增/减”应不小于 -6，实为 -8")

    report["proactive"]["licensing"]["change"] = -6
    report["proactive"]["fees"]["change"] = {"value": 11, "note": "新增"}
    assert list(iter_negative_item_issues(report)) == []


def test_t2_negative_ignores_2021() -> None:
    assert list(iter_negative_item_issues(zero_report("2021"))) == []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全年共收到政府信息公开申请18件，其中自然人申请12件。", []),
        ("本年度新收政府信息公开申请18件，上年结转3件。", []),
        ("共收到申请21件（含上年结转）。", []),
        ("全年共收到政府信息公开申请20件。", [(18, 20)]),
        ("新收申请17件。", [(18, 17)]),
        ("其中予以公开9件，部分公开1件。", []),
        ("其中予以公开8件。", [(9, 8)]),
        ("予以公开及部分公开10件。", []),
        ("被申请行政复议3件，提起行政诉讼1件。", []),
        ("收到行政复议申请3件。", []),
        ("行政复议案件2件。", [(3, 2)]),
        ("行政诉讼2件。", [(1, 2)]),
        ("行政复议、行政诉讼共4件。", []),
        ("收到申请后15个工作日内答复。", []),
        ("较上年收到申请10件有所增加。", []),
        ("本年度收到的申请中有3件为上年结转。", []),
        ("去年收到申请10件，同比增长。", []),
        ("上年结转3件，全年收到申请20件。", [(18, 20)]),
        ("全年收到申请共20件。", [(18, 20)]),
        ("全年新收政府信息公开申请合计18件。", []),
    ],
)
def test_narrative(version: str, text: str, expected: list[tuple[int, int]]) -> None:
    report = consistent_2021()
    if version == "2019":
        set_row(report, "results.other", (0, 1, 0, 0, 0, 1))
    report["overview"] = {"intro": "", "sections": [{"title": "依申请公开", "text": text}]}

    issues = list(iter_narrative_issues(derive_totals(report)))

    assert [(issue.expected, issue.actual) for issue in issues] == expected
    assert all(issue.path == "/overview/sections/0/text" for issue in issues)
    assert all(issue.severity == "warning" for issue in issues)


def test_narrative_zero_applications() -> None:
    report = zero_report("2019")
    report["overview"] = {"intro": "收到依申请公开信息0件。", "sections": []}
    assert list(iter_narrative_issues(derive_totals(report))) == []

    set_row(report, "new_received", (1, 0, 0, 0, 0, 0))
    issues = list(iter_narrative_issues(derive_totals(report)))
    assert codes(issues) == [("NARRATIVE", "/overview/intro")]


# -- the reference report -----------------------------------------------------------------------


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


@pytest.mark.skipif(not AS_PUBLISHED.exists(), reason=f"{AS_PUBLISHED.name} not written yet")
def test_jindong_as_published_has_the_two_known_errors() -> None:
    errors = [issue for issue in all_issues(_load(AS_PUBLISHED)) if issue.is_error]

    assert codes(errors) == [
        ("T3-RESULTS", "/applications/results/total/research"),
        ("T3-RESULTS", "/applications/results/total/total"),
    ]
    assert [(issue.expected, issue.actual) for issue in errors] == [(1, 0), (1, 0)]


@pytest.mark.skipif(not EXAMPLE.exists(), reason=f"{EXAMPLE.name} not written yet")
def test_jindong_example_has_no_error() -> None:
    assert [issue for issue in all_issues(_load(EXAMPLE)) if issue.is_error] == []


# -- nothing raises -----------------------------------------------------------------------------

_KEYS = sorted(
    {
        "applications",
        "reviews",
        "proactive",
        "overview",
        "period",
        "published",
        "year",
        "format",
        "agency",
        "intro",
        "sections",
        "text",
        "start",
        "end",
        "value",
        "note",
        "previous",
        "change",
        "decisions",
        "total",
        "results",
        "new_received",
        "carried_over",
        "carried_forward",
        "upheld",
        "corrected",
        "pending",
        *COLUMNS,
        *REVIEW_GROUPS,
        *(key for key, _ in RESULT_LAYOUT),
        *(member for _, members in RESULT_LAYOUT for member in members),
        "licensing",
        "other_services",
        "penalty",
        "coercion",
        "fees",
    }
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True)
    | st.decimals(allow_nan=True)
    | st.sampled_from(["2019-12-31", "2020-02-30", "收到申请3件", "予以公开1件", "政府", ""])
    | st.text(max_size=20)
    | st.dates()
)
_JUNK = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=3), inner, max_size=6)
    ),
    max_leaves=40,
)


@st.composite
def _damaged_reports(draw: st.DrawFn) -> Any:
    # -- a real report with some subtrees replaced by junk --
    report: Any = (
        derive_totals(consistent_2021())
        if draw(st.booleans())
        else zero_report(draw(st.sampled_from(VERSIONS)))
    )
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        node, path = report, []
        while isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node, key=str)))
            path.append(key)
            node = node[key]
        parent = report
        for key in path[:-1]:
            parent = parent[key]
        if path and isinstance(parent, dict):
            parent[path[-1]] = draw(_JUNK)
        elif isinstance(node, dict):
            node[draw(st.sampled_from(_KEYS))] = draw(_JUNK)
    return report


def _run_everything(report: Any) -> None:
    derived = derive_totals(report)
    assert isinstance(derived, dict)
    for data in (report, derived):
        for rule in GOV_INFO_ANNUAL_RULES:
            for issue in rule(data):
                assert isinstance(issue, Issue)
                issue.to_dict()
                str(issue)
    list(iter_carry_over_issues(report, derived))
    list(iter_carry_over_issues(derived, report))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_JUNK)
def test_nothing_raises_on_junk(report: Any) -> None:
    _run_everything(report)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_damaged_reports())
def test_nothing_raises_on_damaged_reports(report: Any) -> None:
    _run_everything(report)
