"""Consistency rules (勾稽关系) of the 政府信息公开工作年度报告, each a generator of `Issue`s.

A rule takes the report *after* `derive.derive_totals` and yields issues; it never raises,
whatever the shape of the data (the schema check reports malformed input), and it leaves
`Issue.labels` empty for the pipeline to fill. Codes and paths:

=================  =======  ==========================================================
code               level    path
=================  =======  ==========================================================
T3-ROW             error    ``/applications/<row…>/total``
T3-RESULTS         error    ``/applications/results/total/<column>``
T3-BALANCE         error    ``/applications/carried_forward/<column>``; expected 一 + 二,
                            actual （七）总计 + 四
T4-TOTAL           error    ``/reviews/<group>/total``
PERIOD-ORDER       error    ``/period/end``
FORMAT-YEAR        warning  ``/format``
PERIOD-YEAR        warning  ``/period/start``, ``/period/end``
PUBLISHED-EARLY    warning  ``/published``
PUBLISHED-LATE     warning  ``/published``
T2-NEGATIVE        warning  ``/proactive/<item>/change``
NARRATIVE          warning  ``/overview/intro``, ``/overview/sections/<i>/text``
EMPTY-SECTION      warning  ``/overview``, ``/problems``
CARRY-OVER         warning  ``/applications/carried_over/<column>`` (`iter_carry_over_issues`)
PREVIOUS-YEAR      warning  ``/year`` (`iter_carry_over_issues`: last year's report is not)
=================  =======  ==========================================================
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

from docgen.engine.formatting import format_date
from docgen.errors import Issue, pointer
from docgen.kinds.gov_info_annual.derive import (
    APPLICANT_COLUMNS,
    COLUMNS,
    REVIEW_GROUPS,
    REVIEW_PARTS,
    count,
    derive_totals,
    iter_table3_rows,
    result_sums,
    sum_counts,
)
from docgen.kinds.gov_info_annual.labels import (
    column_label,
    label,
    review_group_name,
    row_label,
)
from docgen.kinds.gov_info_annual.versions import FORMAT_VERSIONS, format_for_year

Report = Mapping[str, Any]
Rule = Callable[[Report], Iterator[Issue]]

#: The 2019-version table-2 items that have 上一年项目数量 and 本年增/减.
CHANGE_ITEMS = ("licensing", "other_services", "penalty", "coercion", "fees")


def _get(data: Any, *keys: str) -> Any:
    # -- data[k1][k2]…, or None as soon as a step is not an object --
    for key in keys:
        if type(data) is not dict and not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def iter_row_total_issues(report: Report) -> Iterator[Issue]:
    """T3-ROW: in every table-3 row, 总计 equals the six applicant columns summed."""
    for parts, row in iter_table3_rows(_get(report, "applications")):
        found = count(row.get("total"))
        expected = sum_counts(row, APPLICANT_COLUMNS)
        if found is not None and expected is not None and found != expected:
            yield Issue(
                "T3-ROW",
                pointer("applications", *parts, "total"),
                f"{row_label(report, *parts)} 的“总计”应为 {expected}（各申请人列之和），"
                f"实为 {found}",
                expected=expected,
                actual=found,
            )


def iter_results_total_issues(report: Report) -> Iterator[Issue]:
    """T3-RESULTS: in every column, （七）总计 equals the sum of all result rows."""
    applications = _get(report, "applications")
    sums = result_sums(applications)
    for column in COLUMNS:
        found = count(_get(applications, "results", "total", column))
        expected = sums[column]
        if found is not None and expected is not None and found != expected:
            yield Issue(
                "T3-RESULTS",
                pointer("applications", "results", "total", column),
                f"（七）总计 的“{column_label(report, column)}”应为 {expected}"
                "（各项办理结果之和），"
                f"实为 {found}",
                expected=expected,
                actual=found,
            )


def iter_balance_issues(report: Report) -> Iterator[Issue]:
    """T3-BALANCE: in every column, 一 + 二 equals （七）总计 + 四 (the table's own note).

    The issue sits on 四 (``/applications/carried_forward/<column>``), the balancing item;
    `expected` is 一 + 二 and `actual` is （七）总计 + 四.

    （七）总计 is the sum of the result leaf rows; the supplied （七） counts only when a leaf
    is unknown. When both are known and differ, T3-RESULTS reports that, and the balance is
    reported only if it fails with either figure: a wrong （七） or a wrong leaf row is one
    mistake, reported once.
    """
    applications = _get(report, "applications")
    sums = result_sums(applications)
    for column in COLUMNS:
        new, old, supplied, left = (
            count(_get(applications, *keys, column))
            for keys in (
                ("new_received",),
                ("carried_over",),
                ("results", "total"),
                ("carried_forward",),
            )
        )
        by_rows = sums[column]
        done = supplied if by_rows is None else by_rows
        if new is None or old is None or done is None or left is None:
            continue
        if new + old != done + left and (supplied is None or new + old != supplied + left):
            yield Issue(
                "T3-BALANCE",
                pointer("applications", "carried_forward", column),
                f"“{column_label(report, column)}”列的 （七）总计 + 四、结转下年度继续办理 应为 "
                f"{new + old}（一、本年新收 {new} + 二、上年结转 {old}），"
                f"实为 {done + left}（{done} + {left}）",
                expected=new + old,
                actual=done + left,
            )


def iter_review_total_issues(report: Report) -> Iterator[Issue]:
    """T4-TOTAL: in each group of table 4, 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结."""
    for group in REVIEW_GROUPS:
        row = _get(report, "reviews", group)
        found = count(_get(row, "total"))
        expected = sum_counts(row, REVIEW_PARTS)
        if found is not None and expected is not None and found != expected:
            parts = " + ".join(label(report, "reviews", group, part) for part in REVIEW_PARTS)
            yield Issue(
                "T4-TOTAL",
                pointer("reviews", group, "total"),
                f"{review_group_name(report, group)} 的“总计”应为 {expected}（{parts}），"
                f"实为 {found}",
                expected=expected,
                actual=found,
            )


def iter_format_year_issues(report: Report) -> Iterator[Issue]:
    """FORMAT-YEAR: a `format` given that does not match `year` (≤ 2020 → 2019, else 2021)."""
    given, year = _get(report, "format"), count(_get(report, "year"))
    if year is None or given not in FORMAT_VERSIONS:
        return
    expected = format_for_year(year)
    if given != expected:
        yield Issue(
            "FORMAT-YEAR",
            pointer("format"),
            f"{year}年度报告应使用 {expected} 版格式，实为 {given} 版",
            severity="warning",
            expected=expected,
            actual=given,
        )


def _date(value: Any) -> date | None:
    # -- an ISO date string or a date (YAML gives dates); anything else is unknown --
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _year(report: Report) -> int | None:
    # -- the report year, if it is one a date can have a year after --
    year = count(_get(report, "year"))
    return year if year is not None and 1 <= year < 9999 else None


def iter_period_issues(report: Report) -> Iterator[Issue]:
    """PERIOD-ORDER: a `period` that ends before it starts; PERIOD-YEAR: a `period` start or
    end outside the report `year`."""
    start, end = _date(_get(report, "period", "start")), _date(_get(report, "period", "end"))
    if start is not None and end is not None and end < start:
        yield Issue(
            "PERIOD-ORDER",
            pointer("period", "end"),
            f"统计期限的截止日期 {format_date(end)} 早于开始日期 {format_date(start)}",
            expected=f"≥ {start.isoformat()}",
            actual=end.isoformat(),
        )
    year = _year(report)
    if year is None:
        return
    for key, name in (("start", "开始"), ("end", "结束")):
        day = _date(_get(report, "period", key))
        if day is not None and day.year != year:
            yield Issue(
                "PERIOD-YEAR",
                pointer("period", key),
                f"统计期限的{name}日期 {format_date(day)} 不在报告年度 {year}年 之内",
                severity="warning",
                expected=year,
                actual=day.isoformat(),
            )


def is_government(agency: Any) -> bool:
    """Whether `agency` names a government itself (…人民政府, …政府), not one of its departments.

    >>> is_government("金华市金东区人民政府"), is_government("金东区经济商务局")
    (True, False)
    """
    return isinstance(agency, str) and agency.strip().endswith("政府")


def iter_published_issues(report: Report) -> Iterator[Issue]:
    """PUBLISHED-EARLY / PUBLISHED-LATE: `published` before the period ends, or after the deadline.

    The period defaults to the whole `year`. The deadline (条例 第四十九条) is 31 January of
    the next year, 31 March for a government's own report.
    """
    year, published = _year(report), _date(_get(report, "published"))
    if year is None or published is None:
        return
    end = _date(_get(report, "period", "end")) or date(year, 12, 31)
    if published < end:
        yield Issue(
            "PUBLISHED-EARLY",
            pointer("published"),
            f"发布日期 {format_date(published)} 早于统计期限的结束日期 {format_date(end)}",
            severity="warning",
            expected=end.isoformat(),
            actual=published.isoformat(),
        )
    government = is_government(_get(report, "agency"))
    deadline = date(year + 1, 3, 31) if government else date(year + 1, 1, 31)
    if published > deadline:
        whose = "人民政府年度报告" if government else "政府部门年度报告"
        yield Issue(
            "PUBLISHED-LATE",
            pointer("published"),
            f"发布日期 {format_date(published)} 晚于法定期限 {format_date(deadline)}（{whose}）",
            severity="warning",
            expected=deadline.isoformat(),
            actual=published.isoformat(),
        )


def _cell(value: Any) -> int | None:
    # -- a table-2 cell: an integer (本年增/减 may be negative) or {value, note}; null and
    # -- the rest are unknown --
    if isinstance(value, Mapping):
        value = value.get("value")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def iter_negative_item_issues(report: Report) -> Iterator[Issue]:
    """T2-NEGATIVE: a 2019-version 上一年项目数量 + 本年增/减 below zero."""
    for item in CHANGE_ITEMS:
        previous = _cell(_get(report, "proactive", item, "previous"))
        change = _cell(_get(report, "proactive", item, "change"))
        if previous is None or change is None or previous + change >= 0:
            continue
        name = label(report, "proactive", item)
        yield Issue(
            "T2-NEGATIVE",
            pointer("proactive", item, "change"),
            f"{name} 的“本年增/减”应不小于 {-previous}，实为 {change}"
            f"（上一年项目数量 {previous} + 本年增/减 {change} = {previous + change}，少于 0）",
            severity="warning",
            expected=f"≥ {-previous}",
            actual=change,
        )


_GAP = r"[^\d。；;，,、！!？?\n复诉]"  # -- no figure, no clause break, no 复议/诉讼 in between --
#: What ends a clause: a figure after it is no longer about what came before.
_CLAUSE_BREAK = re.compile(r"[，,。；;！!？?\n]")
#: Words that make the rest of their clause about last year (or a comparison with it).
_LAST_YEAR = ("上年", "去年", "同比", "较上年")

#: Figures the narrative states, each a pattern with the figure as group 1 and what the
#: tables say of it (one or more acceptable values).
_FIGURES: tuple[tuple[re.Pattern[str], str, Callable[[Report], list[int | None]]], ...] = (
    (
        # -- the figure right after 申请 (收到…申请18件, 收到依申请公开信息0件), not a share
        # -- of it further on (申请中有3件为上年结转) --
        re.compile(
            rf"(?:收到|新收){_GAP}{{0,20}}?申请(?:公开信息)?\s*(?:共计|共|合计|总计)?\s*"
            r"(\d{1,12})\s*件"
        ),
        "表3 一、本年新收政府信息公开申请数量（或加上 二、上年结转）的“总计”",
        lambda r: [
            count(_get(r, "applications", "new_received", "total")),
            _add(
                _get(r, "applications", "new_received", "total"),
                _get(r, "applications", "carried_over", "total"),
            ),
        ],
    ),
    (
        re.compile(r"予以公开(?:的)?\s*(\d{1,12})\s*件"),
        "表3 （一）予以公开 的“总计”",
        lambda r: [count(_get(r, "applications", "results", "disclosed", "total"))],
    ),
    (
        re.compile(r"行政复议(?:案件|申请)?\s*(\d{1,12})\s*件"),
        "表4 行政复议 的“总计”",
        lambda r: [count(_get(r, "reviews", "administrative_review", "total"))],
    ),
    (
        re.compile(r"行政诉讼(?:案件)?\s*(\d{1,12})\s*件"),
        "表4 行政诉讼（未经复议直接起诉 + 复议后起诉）的“总计”",
        lambda r: [
            _add(
                _get(r, "reviews", "litigation_direct", "total"),
                _get(r, "reviews", "litigation_after_review", "total"),
            )
        ],
    ),
)


def _add(a: Any, b: Any) -> int | None:
    x, y = count(a), count(b)
    return None if x is None or y is None else x + y


def _iter_texts(report: Report) -> Iterator[tuple[str, str]]:
    # -- (path, text) of the narrative that may state table figures --
    intro = _get(report, "overview", "intro")
    if isinstance(intro, str):
        yield pointer("overview", "intro"), intro
    sections = _get(report, "overview", "sections")
    if isinstance(sections, list):
        for index, section in enumerate(sections):
            text = _get(section, "text")
            if isinstance(text, str):
                yield pointer("overview", "sections", index, "text"), text


def _clause_starts(text: str) -> list[int]:
    # -- where each clause of `text` starts (0 and just after every clause break), ascending --
    return [0, *(found.end() for found in _CLAUSE_BREAK.finditer(text))]


def _about_last_year(text: str, start: int, clauses: list[int]) -> bool:
    # -- whether the clause holding text[start] says 上年/去年/同比 before it (the clause found
    # by bisection in `clauses`, so a long narrative is read once, not once per figure) --
    clause_start = clauses[bisect.bisect_right(clauses, start) - 1]
    return any(word in text[clause_start:start] for word in _LAST_YEAR)


#: At most this many NARRATIVE warnings for one text: more say nothing new.
MAX_NARRATIVE_ISSUES = 20


def iter_narrative_issues(report: Report) -> Iterator[Issue]:
    """NARRATIVE: a figure stated in the overview (收到申请N件, 予以公开N件, …) contradicts a table.

    Only a few unambiguous phrasings are read; a figure is compared only when the tables
    hold the matching total, and silence is never a warning. A figure whose clause speaks of
    last year before it (上年, 去年, 同比, 较上年) is not this year's, and is skipped. Linear in
    the length of the text; at most `MAX_NARRATIVE_ISSUES` warnings per text.
    """
    figures = [(pattern, where, known) for pattern, where, table_values in _FIGURES
               if (known := list(dict.fromkeys(v for v in table_values(report)
                                               if v is not None)))]
    for path, text in _iter_texts(report):
        clauses: list[int] | None = None  # -- found only when a figure disagrees --
        found = 0
        for pattern, where, known in figures:
            for match in pattern.finditer(text):
                stated = int(match.group(1))
                if stated in known:
                    continue
                if clauses is None:
                    clauses = _clause_starts(text)
                if _about_last_year(text, match.start(), clauses):
                    continue
                found += 1
                if found > MAX_NARRATIVE_ISSUES:
                    break
                yield Issue(
                    "NARRATIVE",
                    path,
                    f"文字中的“{match.group(0)}”与{where}不一致："
                    f"表中为 {'或'.join(map(str, known))}，文字为 {stated}",
                    severity="warning",
                    expected=known[0],
                    actual=stated,
                )


def _has_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def iter_empty_section_issues(report: Report) -> Iterator[Issue]:
    """EMPTY-SECTION: 一、总体情况 or 五、存在的主要问题及改进情况 would have nothing under it.

    一 is empty with no 综述 and no 分项情况 with 正文; 五 with no 存在的主要问题, no 改进情况
    and no 分项内容 with 正文. A missing or malformed section is the schema's business.
    """
    overview = _get(report, "overview")
    if isinstance(overview, Mapping):
        sections = overview.get("sections")
        texts = sections if isinstance(sections, list) else []
        if not _has_text(overview.get("intro")) and not any(
            _has_text(_get(section, "text")) for section in texts
        ):
            yield Issue(
                "EMPTY-SECTION",
                pointer("overview"),
                "“一、总体情况”没有内容：综述和各小节正文都是空的，标题下将是一片空白",
                severity="warning",
            )
    problems = _get(report, "problems")
    if isinstance(problems, Mapping):
        sections = problems.get("sections")
        if (
            not _has_text(problems.get("problems"))
            and not _has_text(problems.get("improvements"))
            and not (isinstance(sections, list)
                     and any(_has_text(_get(section, "text")) for section in sections))
        ):
            yield Issue(
                "EMPTY-SECTION",
                pointer("problems"),
                "“五、存在的主要问题及改进情况”没有内容：存在的主要问题、改进情况和分项内容"
                "都是空的，标题下将是一片空白",
                severity="warning",
            )


def _plain_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def iter_carry_over_issues(report: Report, previous: Report) -> Iterator[Issue]:
    """CARRY-OVER: this year's 二、上年结转 differs from `previous` year's 四、结转下年度.

    Both reports are derived first, so either may omit its totals. PREVIOUS-YEAR instead,
    and no comparison, when `previous` is a report of another year than the one before.
    """
    report_year = _plain_int(_get(report, "year"))
    previous_year = _plain_int(_get(previous, "year"))
    if report_year is not None and previous_year is not None and previous_year != report_year - 1:
        yield Issue(
            "PREVIOUS-YEAR",
            pointer("year"),
            f"上一年度报告应为 {report_year - 1} 年度，实为 {previous_year} 年度",
            severity="warning",
            expected=report_year - 1,
            actual=previous_year,
        )
        return
    this_year = _get(derive_totals(report), "applications", "carried_over")
    last_year = _get(derive_totals(previous), "applications", "carried_forward")
    year = count(_get(previous, "year"))
    source = f"{year}年度报告" if year is not None else "上年度报告"
    for column in COLUMNS:
        found, expected = count(_get(this_year, column)), count(_get(last_year, column))
        if found is not None and expected is not None and found != expected:
            yield Issue(
                "CARRY-OVER",
                pointer("applications", "carried_over", column),
                f"二、上年结转政府信息公开申请数量 的“{column_label(report, column)}”"
                f"应为 {expected}"
                f"（{source} 四、结转下年度继续办理），实为 {found}",
                severity="warning",
                expected=expected,
                actual=found,
            )


#: Every single-report rule of the 政府信息公开工作年度报告, for both format versions.
GOV_INFO_ANNUAL_RULES: tuple[Rule, ...] = (
    iter_row_total_issues,
    iter_results_total_issues,
    iter_balance_issues,
    iter_review_total_issues,
    iter_format_year_issues,
    iter_period_issues,
    iter_published_issues,
    iter_negative_item_issues,
    iter_narrative_issues,
    iter_empty_section_issues,
)
