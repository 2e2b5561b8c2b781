"""Property-based tests: what holds for every report, not only for the examples.

(a) Any schema-valid report renders to a file that reopens with python-docx and whose table
cells and narrative paragraphs are exactly the data. (b) Any damaged report yields issues from
`docgen.check` and never another exception; `docgen.render` raises only docgen's own errors.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import tempfile
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from conftest import EXAMPLES, read_json, tables, visible_texts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import docgen
from docgen.cli import main
from docgen.kinds import get_kind

with warnings.catch_warnings(), contextlib.suppress(ImportError):
    # -- hypothesis imports libcst to print a failing example; libcst's import warns through
    # -- mypy_extensions, and warnings are errors here: a failure would show as INTERNALERROR --
    warnings.simplefilter("ignore", DeprecationWarning)
    import libcst.metadata  # noqa: F401

COUNTY = read_json(EXAMPLES / "county-bureau-2025.json")
JINDONG = read_json(EXAMPLES / "jindong-2019.json")

COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other")
#: Table 3's result rows of the 2021 format, in the order of the official table.
RESULT_ROWS: tuple[tuple[str, ...], ...] = (
    ("disclosed",), ("partially_disclosed",),
    *(("withheld", k) for k in ("state_secret", "prohibited_by_law", "endangers_safety_stability",
                                "third_party_rights", "internal_affairs", "process_information",
                                "enforcement_files", "administrative_query")),
    *(("unavailable", k) for k in ("not_held", "needs_creation", "unclear_after_correction")),
    *(("not_processed", k) for k in ("petition_complaint", "duplicate", "publication",
                                     "excessive_repeated", "confirm_or_reissue")),
    *(("other", k) for k in ("overdue_correction", "overdue_fee", "other")),
)
REVIEW_GROUPS = ("administrative_review", "litigation_direct", "litigation_after_review")
REVIEW_KEYS = ("upheld", "corrected", "other", "pending")
NUMERALS = "一二三四"

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# -- (a) valid reports -----------------------------------------------------------------------

#: Printable text as clerks type it: any letter, digit, punctuation, symbol or space (CJK, rare
#: CJK beyond the BMP, emoji included), and the characters XML and Jinja care about.
CHARS = st.one_of(
    st.characters(categories=("L", "N", "P", "S", "Zs")),
    st.sampled_from(list("&<>\"'{}%#😀𠀀𪚥")),
    st.sampled_from(["{{", "}}", "{%", "%}", "]]>", "&amp;", "<w:p>"]),
)
def _line(min_size: int) -> st.SearchStrategy[str]:
    return st.lists(CHARS, min_size=min_size, max_size=30).map("".join)


LINE = _line(0)
#: A one-line text that shows as itself (headings, notes, the agency's name).
LABEL = _line(1).map(str.strip).filter(bool)
#: A text of several lines, with every kind of line break.
TEXT = st.tuples(st.lists(LINE, max_size=4),
                 st.sampled_from(["\n", "\r\n", "\r", "\n\n"])).map(lambda t: t[1].join(t[0]))

COUNT = st.integers(min_value=0, max_value=10**9)
AMOUNT = st.one_of(COUNT, st.decimals(min_value=0, max_value=10**9, places=3,
                                      allow_nan=False, allow_infinity=False))


def cells(number: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A table-2 cell: a number, null (renders /) or a number with a note."""
    return st.one_of(number, st.none(),
                     st.fixed_dictionaries({"value": number, "note": LABEL | st.just("")}))


def paragraphs(text: str | None) -> list[str]:
    """The paragraphs a text becomes: its non-empty lines, stripped."""
    return [line.strip() for line in re.split(r"\r\n|\r|\n", text or "") if line.strip()]


def cell_text(cell: Any) -> str:
    """What a table-2 cell shows, worked out independently of docgen.formatting."""
    if cell is None:
        return "/"
    if isinstance(cell, dict):
        shown = cell_text(cell["value"])
        return f"{shown}（{cell['note']}）" if cell["note"] else shown
    if isinstance(cell, Decimal):
        return format(abs(cell) if cell.is_zero() else cell, "f")
    return str(cell)


ROW = st.fixed_dictionaries({c: st.integers(min_value=0, max_value=10**6) for c in COLUMNS})


@st.composite
def applications(draw: st.DrawFn) -> dict[str, Any]:
    """Table 3 that balances: 一 + 二 = （七） + 四 in every column; totals left to docgen."""
    results: dict[str, Any] = {}
    for path in RESULT_ROWS:
        target = results
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = draw(ROW)
    forward = draw(ROW)
    handled = {c: sum(leaf(results, p)[c] for p in RESULT_ROWS) for c in COLUMNS}
    over = {c: draw(st.integers(min_value=0, max_value=handled[c] + forward[c]))
            for c in COLUMNS}
    new = {c: handled[c] + forward[c] - over[c] for c in COLUMNS}
    return {"new_received": new, "carried_over": over, "results": results,
            "carried_forward": forward}


def leaf(results: dict[str, Any], path: tuple[str, ...]) -> dict[str, int]:
    row: Any = results
    for key in path:
        row = row[key]
    return dict(row)


@st.composite
def valid_reports(draw: st.DrawFn) -> dict[str, Any]:
    report = copy.deepcopy(COUNTY)
    report["agency"] = draw(LABEL)
    report["overview"] = {
        "intro": draw(TEXT),
        # -- a subsection's 正文 may not be blank (REQUIRED-TEXT) --
        "sections": draw(st.lists(st.fixed_dictionaries(
            {"title": LABEL, "text": TEXT.filter(lambda text: bool(text.strip()))}),
            max_size=3)),
    }
    report["other_matters"] = draw(TEXT)
    count_cells, amount_cells = cells(COUNT), cells(AMOUNT)
    report["proactive"] = {
        "regulations": {k: draw(count_cells) for k in ("issued", "repealed", "in_force")},
        "normative_documents": {k: draw(count_cells) for k in ("issued", "repealed", "in_force")},
        "licensing": {"decisions": draw(count_cells)},
        "penalty": {"decisions": draw(count_cells)},
        "coercion": {"decisions": draw(count_cells)},
        "fees": {"amount": draw(amount_cells)},
    }
    report["applications"] = draw(applications())
    report["reviews"] = {g: {k: draw(st.integers(min_value=0, max_value=10**6))
                             for k in REVIEW_KEYS} for g in REVIEW_GROUPS}
    return report


def expected_table3(apps: dict[str, Any]) -> list[list[str]]:
    rows = [apps["new_received"], apps["carried_over"],
            *(leaf(apps["results"], p) for p in RESULT_ROWS)]
    total = {c: sum(leaf(apps["results"], p)[c] for p in RESULT_ROWS) for c in COLUMNS}
    rows += [total, apps["carried_forward"]]
    return [[str(r[c]) for c in COLUMNS] + [str(sum(r[c] for c in COLUMNS))] for r in rows]


@SETTINGS
@given(valid_reports())
def test_any_valid_report_renders_its_data_exactly(report: dict[str, Any]) -> None:
    assert [i for i in docgen.check(report) if i.is_error] == []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.docx"
        assert docgen.render(report, out).path == out
        table2, table3, table4 = tables(out)[1:4]
        texts = visible_texts(out)

    proactive = report["proactive"]
    for label, key in (("规章", "regulations"), ("行政规范性文件", "normative_documents")):
        group = proactive[key]
        assert [label, *(cell_text(group[k]) for k in ("issued", "repealed", "in_force"))] \
            in table2
    for label, key in (("行政许可", "licensing"), ("行政处罚", "penalty"),
                       ("行政强制", "coercion")):
        assert [label, cell_text(proactive[key]["decisions"])] in table2
    assert ["行政事业性收费", cell_text(proactive["fees"]["amount"])] in table2

    assert [row[-7:] for row in table3[3:]] == expected_table3(report["applications"])
    reviews = report["reviews"]
    assert table4[-1] == [str(v) for g in REVIEW_GROUPS for v in
                          (*(reviews[g][k] for k in REVIEW_KEYS),
                           sum(reviews[g][k] for k in REVIEW_KEYS))]

    overview = ["一、总体情况", *paragraphs(report["overview"]["intro"])]
    for number, section in zip(NUMERALS, report["overview"]["sections"], strict=False):
        overview += [f"（{number}）{section['title']}", *paragraphs(section["text"])]
    start = texts.index("一、总体情况")
    assert texts[start: start + len(overview) + 1] == [*overview, "二、主动公开政府信息情况"]
    assert f"{report['agency']}2025年政府信息公开工作年度报告" in texts
    end = texts.index("六、其他需要报告的事项")
    assert texts[end:] == ["六、其他需要报告的事项", "本年度未收取信息处理费。",
                           *paragraphs(report["other_matters"]), report["agency"],
                           "2026年1月20日"]


# -- (b) damaged reports ---------------------------------------------------------------------

Path_ = tuple[str | int, ...]

JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**15, max_value=10**15),
              st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False,
                          allow_infinity=False),
              st.text(max_size=12), st.sampled_from(["", "2025", "2026-02-30", "x\x01y", "/"])),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=3),
    max_leaves=6,
)


def all_paths(data: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Every place in `data`: objects, lists and values, the root left out."""
    if path:
        yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from all_paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from all_paths(value, (*path, index))


BASES = {"2021": COUNTY, "2019": JINDONG}
PATHS = {name: sorted(all_paths(base), key=str) for name, base in BASES.items()}


def _parent(data: Any, path: Path_) -> Any:
    for key in path[:-1]:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def mutate(data: dict[str, Any], kind: str, path: Path_, junk: Any, key: str) -> None:
    """Damage `data` in place at `path` (if it is still there)."""
    parent = _parent(data, path)
    last = path[-1]
    if isinstance(parent, dict) and isinstance(last, str) and last in parent:
        if kind == "replace":
            parent[last] = junk
        elif kind == "delete":
            del parent[last]
        elif kind == "extra" and isinstance(parent[last], dict):
            parent[last][key] = junk
        elif kind == "wrap":
            parent[last] = [parent[last]]
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        if kind in ("replace", "extra"):
            parent[last] = junk
        elif kind == "delete":
            del parent[last]
        else:
            parent[last] = {"value": parent[last]}


@st.composite
def damaged_reports(draw: st.DrawFn) -> dict[str, Any]:
    version = draw(st.sampled_from(sorted(BASES)))
    data = copy.deepcopy(BASES[version])
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        mutate(data, draw(st.sampled_from(["replace", "replace", "delete", "extra", "wrap"])),
               draw(st.sampled_from(PATHS[version])), draw(JUNK),
               draw(st.sampled_from(["totl", "comercial", "备注", "", "value"])))
    return data


VALIDATORS = {
    name: Draft202012Validator(read_json(get_kind(name).schema_path),
                               format_checker=Draft202012Validator.FORMAT_CHECKER)
    for name in BASES
}


def schema_valid(data: dict[str, Any]) -> bool | None:
    """Whether `data` passes its version's JSON Schema (None when the version is unknown)."""
    year = data.get("year")
    version = data.get("format")
    if version is None:
        version = "2019" if type(year) is int and year <= 2020 else "2021"
    if not isinstance(version, str) or version not in VALIDATORS:
        return None
    return bool(VALIDATORS[version].is_valid(data))


@SETTINGS
@given(damaged_reports())
def test_any_damaged_report_yields_issues_never_a_crash(data: dict[str, Any]) -> None:
    issues = docgen.check(data)  # -- must not raise --

    assert all(isinstance(i, docgen.Issue) and i.message for i in issues)
    errors = [i for i in issues if i.is_error]
    if schema_valid(data) is False:
        assert errors, "the schema refuses this report but docgen.check found no error"
    for issue in errors:
        assert issue.path.startswith("/") or issue.path == ""
        assert str(issue)  # -- prints, labels and all --

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.json"
        path.write_text(json.dumps(data, ensure_ascii=False, default=float), encoding="utf-8")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(["check", str(path)]) == (1 if errors else 0)

    try:
        docgen.render(data)
    except docgen.InvalidReportError as refused:
        assert errors and {i.code for i in refused.issues} >= {i.code for i in errors}
    except docgen.DocgenError:
        pass
    else:
        assert not errors, "a report with errors was rendered"
