"""Reviewers' checks comparing a report with last year's (``--previous``), for `check` and
`audit` alike. Each is a generator of warnings; none raises, whatever the data's shape.

=================  =======  ==========================================================
code               level    path
=================  =======  ==========================================================
SAME-AS-LAST-YEAR  warning  ``/overview``: the share of narrative sentences repeated from
                            last year's report is above `SIMILARITY_THRESHOLD` (内容雷同)
T2-STOCK           warning  ``/proactive/<item>/in_force`` (2021 format): 现行有效件数 ≠
                            last year's + 本年制发件数 − 本年废止件数; a note on the cell
                            (``{"value": 37, "note": "清理后"}``) silences it
=================  =======  ==========================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from docgen.errors import Issue, pointer

Report = Mapping[str, Any]

#: 内容雷同: warn when more than this share of this year's narrative sentences repeat last
#: year's (numbers aside, so a sentence that only changes its year or figures still counts).
SIMILARITY_THRESHOLD = 0.5
#: Sentences shorter than this (after normalisation) are not compared: too common to tell.
MIN_SENTENCE_CHARS = 10
#: Below this many sentences a report is too short to judge.
MIN_SENTENCES = 4
#: How many repeated sentences the warning quotes.
QUOTED = 3

_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
_NUMBERS = re.compile(r"[\d０-９]+(?:[.,．，]\d+)*")
_SPACE = re.compile(r"\s+")
_LEADING = re.compile(
    r"^(?:（[一二三四五六七八九十\d]+）|[一二三四五六七八九十]+[、是]|\d+[.．、])")


def _texts(report: Report) -> Iterator[str]:
    """The narrative an agency writes itself: not the preamble, headings or table notes."""
    overview = report.get("overview")
    if isinstance(overview, Mapping):
        yield str(overview.get("intro") or "")
        for section in overview.get("sections") or []:
            if isinstance(section, Mapping):
                yield str(section.get("text") or "")
    problems = report.get("problems")
    if isinstance(problems, Mapping):
        yield str(problems.get("problems") or "")
        yield str(problems.get("improvements") or "")
        for section in problems.get("sections") or []:
            if isinstance(section, Mapping):
                yield str(section.get("text") or "")
    yield str(report.get("other_matters") or "")


def sentences(report: Report) -> list[tuple[str, str]]:
    """The narrative's sentences as (normalised key, printed sentence), in order."""
    found = []
    for text in _texts(report):
        for match in _SENTENCE.finditer(text):
            printed = match.group(0).strip()
            key = _LEADING.sub("", _SPACE.sub("", _NUMBERS.sub("#", printed))).rstrip("。！？；!?;")
            if len(key) >= MIN_SENTENCE_CHARS:
                found.append((key, printed))
    return found


def iter_similarity_issues(report: Report, previous: Report) -> Iterator[Issue]:
    """SAME-AS-LAST-YEAR: too much of the narrative repeats last year's report (内容雷同)."""
    if report.get("year") is not None and report.get("year") == previous.get("year"):
        return
    this_year = sentences(report)
    last_year = {key for key, _ in sentences(previous)}
    if len(this_year) < MIN_SENTENCES:
        return
    repeated = [printed for key, printed in this_year if key in last_year]
    share = len(repeated) / len(this_year)
    if share <= SIMILARITY_THRESHOLD:
        return
    quoted = "；".join(f"“{s[:40]}{'…' if len(s) > 40 else ''}”" for s in repeated[:QUOTED])
    yield Issue(
        "SAME-AS-LAST-YEAR", pointer("overview"),
        f"内容雷同：正文 {len(this_year)} 句中有 {len(repeated)} 句（{share:.0%}）与上年度报告"
        f"相同（仅数字不同的也计入；阈值 {SIMILARITY_THRESHOLD:.0%}），如 {quoted}",
        severity="warning", expected=f"≤{SIMILARITY_THRESHOLD:.0%}", actual=f"{share:.0%}",
        context="\n".join(repeated))


def _value(cell: Any) -> int | None:
    if isinstance(cell, Mapping):
        cell = cell.get("value")
    return cell if isinstance(cell, int) and not isinstance(cell, bool) else None


def iter_stock_issues(report: Report, previous: Report) -> Iterator[Issue]:
    """T2-STOCK: 现行有效件数 = last year's 现行有效件数 + 本年制发件数 − 本年废止件数 (2021
    format). Clean-ups happen: a warning only, and none for a cell with a note."""
    proactive, before = report.get("proactive"), previous.get("proactive")
    if not isinstance(proactive, Mapping) or not isinstance(before, Mapping):
        return
    for item, label in (("regulations", "规章"), ("normative_documents", "行政规范性文件")):
        now, last = proactive.get(item), before.get(item)
        if not isinstance(now, Mapping) or not isinstance(last, Mapping):
            continue
        stock = now.get("in_force")
        if isinstance(stock, Mapping) and stock.get("note"):
            continue
        figures = [_value(last.get("in_force")), _value(now.get("issued")),
                   _value(now.get("repealed")), _value(stock)]
        if any(f is None for f in figures):
            continue
        previous_stock, issued, repealed, found = figures
        assert previous_stock is not None and issued is not None and repealed is not None
        expected = previous_stock + issued - repealed
        if found != expected:
            yield Issue(
                "T2-STOCK", pointer("proactive", item, "in_force"),
                f"{label}的现行有效件数应为 {expected}（上年度 {previous_stock} + 本年制发 "
                f"{issued} − 本年废止 {repealed}），实为 {found}；"
                "如有清理等原因，请在该格加附注说明",
                severity="warning", expected=expected, actual=found)


#: The reviewers' year-on-year checks, registered in the kind's `previous_rules`.
REVIEW_RULES = (iter_similarity_issues, iter_stock_issues)
