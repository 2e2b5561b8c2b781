"""The official labels the rules' messages use, read from the schema titles (their one source)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from docgen.engine.resources import data_dir
from docgen.engine.schema import load_schema
from docgen.engine.schema_tree import labels_for
from docgen.errors import pointer
from docgen.kinds.gov_info_annual.versions import FORMAT_VERSIONS, GOV_INFO_ANNUAL, format_for_year

Report = Mapping[str, Any]


def _schema(report: Report) -> Mapping[str, Any]:
    version = report.get("format")
    if version not in FORMAT_VERSIONS:
        version = format_for_year(report.get("year"))
    return load_schema(data_dir("schemas") / f"{GOV_INFO_ANNUAL}-{version}.schema.json")


def label(report: Report, *parts: str) -> str:
    """The official label of the field at `parts` (its schema title).

    >>> label({"year": 2025}, "applications", "new_received", "research")
    '科研机构'
    """
    chain = labels_for(_schema(report), pointer(*parts))
    return chain[-1] if chain else parts[-1]


def column_label(report: Report, column: str) -> str:
    """A table-3 applicant column's label (自然人 … 总计)."""
    return label(report, "applications", "new_received", column)


def row_label(report: Report, *row: str) -> str:
    """A table-3 row as messages name it: its label, with its group for a numbered sub-row.

    >>> row_label({"year": 2025}, "results", "withheld", "state_secret")
    '（三）不予公开 1.属于国家秘密'
    >>> row_label({"year": 2019}, "results", "total")
    '（七）总计'
    """
    chain = labels_for(_schema(report), pointer("applications", *row))[1:]
    if row[0] == "results" and len(chain) > 1:
        chain = chain[1:]  # -- 三、本年度办理结果 is the heading of every result row --
    return " ".join(chain)


def review_group_name(report: Report, group: str) -> str:
    """A table-4 group as messages name it, with the 行政诉讼 heading the two litigation groups
    sit under in the table.

    >>> review_group_name({}, "administrative_review"), review_group_name({}, "litigation_direct")
    ('行政复议', '行政诉讼·未经复议直接起诉')
    """
    name = label(report, "reviews", group)
    return f"行政诉讼·{name}" if group.startswith("litigation_") else name
