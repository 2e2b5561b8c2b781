"""REQUIRED-TEXT: the texts a report cannot be published without, present but left blank.

`docgen init` writes these as empty strings for the clerk to fill; a report that still has one
blank fails `docgen check` with one error per blank field, so an unfilled skeleton cannot pass.
A text that may be omitted (title, preamble, the signature's agency) is an error only when it
is present and blank: omit it to get the default. ``other_matters`` and ``overview/intro`` may
be blank on purpose (no body under 六; no summary before the subsections).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from docgen.errors import Issue, pointer
from docgen.kinds.base import Report

#: Top-level texts that must not be blank, and what to do instead.
_TOP_LEVEL = {
    "agency": "请填写机关名称",
    "title": "请填写标题，或删去此项以使用默认标题（机关名称 + 年度 + “政府信息公开工作年度报告”）",
    "preamble": "请填写引言，或删去此项以使用标准引言",
}

#: Section lists whose every subsection needs a 小标题 and a 正文.
_SECTION_LISTS = (("overview", "一、总体情况"), ("problems", "五、存在的主要问题及改进情况"))


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def _issue(path: str, what: str) -> Issue:
    return Issue("REQUIRED-TEXT", path, f"待填写：{what}", stage="schema")


def iter_required_text_issues(report: Report) -> Iterator[Issue]:
    """REQUIRED-TEXT: one error per required text that is present but blank."""
    for key, what in _TOP_LEVEL.items():
        if _blank(report.get(key)):
            yield _issue(pointer(key), f"此项为空，{what}")
    signature = report.get("signature")
    if isinstance(signature, Mapping) and _blank(signature.get("agency")):
        yield _issue(pointer("signature", "agency"),
                     "落款机关为空，请填写，或删去此项以用机关名称落款")
    for key, heading in _SECTION_LISTS:
        part = report.get(key)
        if not isinstance(part, Mapping):
            continue
        sections = part.get("sections")
        for index, section in enumerate(sections if isinstance(sections, list) else []):
            if not isinstance(section, Mapping):
                continue
            if _blank(section.get("title")):
                yield _issue(pointer(key, "sections", index, "title"),
                             f"“{heading}”第 {index + 1} 小节的小标题为空"
                             "（不带序号，如“主动公开”）")
            if _blank(section.get("text")):
                yield _issue(pointer(key, "sections", index, "text"),
                             f"“{heading}”第 {index + 1} 小节的正文为空")
    problems = report.get("problems")
    if isinstance(problems, Mapping):
        for key, label in (("problems", "存在的主要问题"), ("improvements", "改进情况")):
            if _blank(problems.get(key)):
                yield _issue(pointer("problems", key), f"“{label}”为空，请填写")
