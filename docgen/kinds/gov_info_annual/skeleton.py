"""The annual report's data file to fill in (`docgen init`).

What must be filled is an empty string (机关名称, each section's 小标题 and 正文, 五's two
texts): `docgen check` reports each one still blank (REQUIRED-TEXT), so an unfilled file cannot
pass. Figures are 0. Totals are left out: docgen derives them, so a clerk who types two cells
gets no error about a total never touched. What has a default (title, preamble, period, the web
page header, 六) is left out too.
"""

from __future__ import annotations

from typing import Any

from docgen.engine.resources import data_dir
from docgen.engine.schema import load_schema
from docgen.engine.skeleton import skeleton
from docgen.kinds.gov_info_annual.versions import GOV_INFO_ANNUAL, format_for_year

#: Parts of the generic skeleton left out because they have a default.
_DEFAULTED = ("title", "preamble", "period", "header", "other_matters", "notes",
              "processing_fee")


def annual_report_skeleton(year: int, fmt: str | None = None) -> dict[str, Any]:
    """Return an annual report for `year` to fill in: blanks to fill, zeros, no totals."""
    version = fmt or format_for_year(year)
    schema_path = data_dir("schemas") / f"{GOV_INFO_ANNUAL}-{version}.schema.json"
    data: dict[str, Any] = skeleton(load_schema(schema_path))
    for key in _DEFAULTED:
        data.pop(key, None)
    published = f"{year + 1}-01-20"
    data.update(format=version, year=year, published=published)
    data["overview"] = {"sections": [{"title": "", "text": ""}]}
    data["problems"] = {"problems": "", "improvements": ""}
    data["signature"] = {}
    _drop_totals(data.get("applications"))
    _drop_totals(data.get("reviews"))
    return data


def _drop_totals(value: Any) -> None:
    """Remove every ``total`` (a row's 总计, the whole （七）总计 row): docgen derives them."""
    if isinstance(value, dict):
        value.pop("total", None)
        for item in value.values():
            _drop_totals(item)
