"""The flagship kind, 政府信息公开工作年度报告: its versions, derived totals, rules and defaults."""

from __future__ import annotations

import functools

from docgen.engine.resources import data_dir
from docgen.kinds.base import ReportKind
from docgen.kinds.gov_info_annual import derive, required, review_rules, rules
from docgen.kinds.gov_info_annual.context import gov_info_annual_defaults
from docgen.kinds.gov_info_annual.versions import (
    DEFAULT_FORMAT,
    FORMAT_VERSIONS,
    GOV_INFO_ANNUAL,
    format_for_year,
)

__all__ = ["DEFAULT_FORMAT", "FORMAT_VERSIONS", "GOV_INFO_ANNUAL", "format_for_year", "kind"]


#: For `docgen template check`: fields shown through computed ones (the default title shows
#: agency and year…), and fields no template is expected to show.
TEMPLATE_HINTS = {
    "template_implied": {
        "title": ("agency", "year"),
        "preamble": ("agency", "period", "contact"),
        "signature": ("agency", "published"),
    },
    "template_hidden": ("format",),
}


@functools.cache
def kind(version: str) -> ReportKind:
    """Return the annual report kind of format `version` (one of `FORMAT_VERSIONS`); made once
    per process (a `ReportKind` is immutable)."""
    return ReportKind(
        name=f"{GOV_INFO_ANNUAL}-{version}",
        schema_path=data_dir("schemas") / f"{GOV_INFO_ANNUAL}-{version}.schema.json",
        template_path=data_dir("templates") / f"{GOV_INFO_ANNUAL}-{version}.docx",
        rules=(*rules.GOV_INFO_ANNUAL_RULES, required.iter_required_text_issues),
        derive=derive.derive_totals,
        defaults=gov_info_annual_defaults,
        previous_rules=(rules.iter_carry_over_issues, *review_rules.REVIEW_RULES),
        version=version,
        extra=TEMPLATE_HINTS,
        html_template_path=data_dir("html") / f"{GOV_INFO_ANNUAL}-{version}.html",
    )
