"""The format versions of the 政府信息公开工作年度报告 and which one a report year takes."""

from __future__ import annotations

#: The flagship kind: 政府信息公开工作年度报告.
GOV_INFO_ANNUAL = "gov-info-annual"
#: Format versions of the annual report, oldest first.
FORMAT_VERSIONS: tuple[str, ...] = ("2019", "2021")
#: The format version new reports get when neither `format` nor `year` says otherwise.
DEFAULT_FORMAT = "2021"
#: The report years the schemas accept (``year``'s minimum and maximum), first and last.
YEARS: tuple[int, int] = (1990, 2100)


def format_for_year(year: object) -> str:
    """Return the format version the national rules prescribe for a report `year`.

    >>> format_for_year(2019), format_for_year(2020), format_for_year(2025)
    ('2019', '2019', '2021')
    """
    if isinstance(year, int) and not isinstance(year, bool) and year <= 2020:
        return "2019"
    return DEFAULT_FORMAT
