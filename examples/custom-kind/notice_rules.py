"""Optional consistency rules of the 会议通知 example kind, and the kind itself for Python.

A custom kind needs only a schema and a template; rules are for what JSON Schema cannot say.
Each rule takes the report (a dict) and yields `docgen.Issue` values; the pipeline fills in
the Chinese label chain of each issue's path from the schema's titles.

    import docgen
    from notice_rules import notice_kind

    docgen.render("meeting-notice.json", "notice.docx", kind=notice_kind())
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from docgen import Issue, ReportKind, pointer

HERE = Path(__file__).resolve().parent


def meeting_not_before_notice(report: Mapping[str, Any]) -> Iterator[Issue]:
    """The meeting cannot take place before the notice is issued."""
    meeting = report.get("meeting")
    published = report.get("published")
    date = meeting.get("date") if isinstance(meeting, Mapping) else None
    if isinstance(date, str) and isinstance(published, str) and date < published:
        yield Issue(
            code="NOTICE-DATE",
            path=pointer("meeting", "date"),
            message=f"会议日期 {date} 早于发文日期 {published}",
            expected=f"不早于 {published}",
            actual=date,
        )


def attendees_listed_once(report: Mapping[str, Any]) -> Iterator[Issue]:
    """The same person (name and unit) should not be listed twice."""
    seen: dict[tuple[Any, Any], int] = {}
    attendees = report.get("attendees")
    for index, person in enumerate(attendees if isinstance(attendees, list) else []):
        if not isinstance(person, Mapping):
            continue
        key = (person.get("name"), person.get("unit"))
        if key in seen:
            yield Issue(
                code="NOTICE-DUPLICATE",
                path=pointer("attendees", index, "name"),
                message=f"参会人员第{index + 1}项与第{seen[key] + 1}项重复（{key[0]}，{key[1]}）",
                severity="warning",
            )
        else:
            seen[key] = index


def notice_kind() -> ReportKind:
    """The 会议通知 kind: schema, Word and HTML templates, and the two rules above."""
    return ReportKind(
        name="meeting-notice",
        schema_path=HERE / "meeting-notice.schema.json",
        template_path=HERE / "meeting-notice.docx",
        rules=(meeting_not_before_notice, attendees_listed_once),
        html_template_path=HERE / "meeting-notice.html",
    )
