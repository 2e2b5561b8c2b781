"""The annual report's data file to fill in (`docgen init`)."""

from __future__ import annotations

from typing import Any

from docgen.engine.resources import data_dir
from docgen.engine.schema import load_schema
from docgen.engine.skeleton import skeleton
from docgen.kinds.gov_info_annual.versions import GOV_INFO_ANNUAL, format_for_year


def annual_report_skeleton(year: int, fmt: str | None = None) -> dict[str, Any]:
    """Return an annual report for `year` with every field present, valid and renderable."""
    version = fmt or format_for_year(year)
    schema_path = data_dir("schemas") / f"{GOV_INFO_ANNUAL}-{version}.schema.json"
    data: dict[str, Any] = skeleton(load_schema(schema_path))
    published = f"{year + 1}-01-20"
    data.update(format=version, year=year, published=published,
                period={"start": f"{year}-01-01", "end": f"{year}-12-31"})
    data["title"] = ""
    data["preamble"] = ""
    data["other_matters"] = "无。"
    if isinstance(data.get("signature"), dict):
        data["signature"] = {"agency": "", "date": published}
    return data
