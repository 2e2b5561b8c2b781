"""Fill in the totals a report may omit, and walk the rows of tables 3 and 4."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from docgen.engine.jsontypes import SCALAR_TYPES

#: The six applicant columns of table 3, in table order; 总计 is their sum.
APPLICANT_COLUMNS: tuple[str, ...] = (
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_service",
    "other",
)

#: Every value column of table 3, 总计 last.
COLUMNS: tuple[str, ...] = (*APPLICANT_COLUMNS, "total")

#: The entries of 三、本年度办理结果 (`total` aside), in table order, each with the rows of its
#: group. An entry that is itself a row (it has ``natural_person``) is one leaf: （一）, （二）
#: always, and （六） in the 2019 version. In 2021 （六） is a group of three rows.
RESULT_LAYOUT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("disclosed", ()),
    ("partially_disclosed", ()),
    (
        "withheld",
        (
            "state_secret",
            "prohibited_by_law",
            "endangers_safety_stability",
            "third_party_rights",
            "internal_affairs",
            "process_information",
            "enforcement_files",
            "administrative_query",
        ),
    ),
    ("unavailable", ("not_held", "needs_creation", "unclear_after_correction")),
    (
        "not_processed",
        (
            "petition_complaint",
            "duplicate",
            "publication",
            "excessive_repeated",
            "confirm_or_reissue",
        ),
    ),
    ("other", ("overdue_correction", "overdue_fee", "other")),
)

#: The three groups of table 4, in table order.
REVIEW_GROUPS: tuple[str, ...] = (
    "administrative_review",
    "litigation_direct",
    "litigation_after_review",
)

#: The outcome columns of a table-4 group; 总计 is their sum.
REVIEW_PARTS: tuple[str, ...] = ("upheld", "corrected", "other", "pending")


def _is_mapping(value: Any) -> bool:
    # -- a plain dict first: the ABC check costs ten times more, and derive makes thousands --
    return type(value) is dict or isinstance(value, Mapping)


def count(value: Any) -> int | None:
    """Return `value` if it is a count (a non-negative `int`, not a `bool`), else None.

    A negative figure is a schema error, reported there; sums over it would only repeat it.

    >>> count(3), count(True), count("3"), count(None), count(-1)
    (3, None, None, None, None)
    """
    if (type(value) is int or (isinstance(value, int) and not isinstance(value, bool))) \
            and value >= 0:
        return value
    return None


def is_row(value: Any) -> bool:
    """Whether `value` is a table-3 row: an object with a ``natural_person`` column."""
    return _is_mapping(value) and "natural_person" in value


def sum_counts(row: Any, keys: tuple[str, ...]) -> int | None:
    """Return the sum of `row`'s `keys`, or None if `row` is no object or one is no count.

    >>> sum_counts({"upheld": 1, "corrected": 2, "other": 0, "pending": 1}, REVIEW_PARTS)
    4
    >>> sum_counts({"upheld": 1}, REVIEW_PARTS) is None
    True
    """
    if not _is_mapping(row):
        return None
    total = 0
    for key in keys:
        value = count(row.get(key))
        if value is None:
            return None
        total += value
    return total


def _iter_result_slots(results: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    # -- every place a result leaf row should be, with what is there (None when missing) --
    if not _is_mapping(results):
        return
    for key, members in RESULT_LAYOUT:
        entry = results.get(key)
        if is_row(entry) or not members:
            yield ("results", key), entry
        else:
            group = entry if _is_mapping(entry) else {}
            for member in members:
                yield ("results", key, member), group.get(member)


def iter_result_rows(
    applications: Any,
) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any]]]:
    """Yield ``(parts, row)`` for every result leaf row present in `applications`.

    `parts` is the path from `applications`, e.g. ``("results", "withheld", "state_secret")``;
    rows come in table order, and ``results.total`` is not one of them. Anything missing or
    malformed is skipped.

    >>> apps = {"results": {"disclosed": {"natural_person": 1}, "other": {"overdue_fee": {}}}}
    >>> [parts for parts, _ in iter_result_rows(apps)]
    [('results', 'disclosed')]
    """
    if not _is_mapping(applications):
        return
    for parts, row in _iter_result_slots(applications.get("results")):
        if is_row(row):
            yield parts, row


def result_sums(applications: Any) -> dict[str, int | None]:
    """Per column of table 3 (`COLUMNS`): its sum over every result leaf row, or None when a
    leaf row is absent or its value is no count."""
    sums: dict[str, int | None] = dict.fromkeys(COLUMNS)
    if not _is_mapping(applications):
        return sums
    rows = [row if is_row(row) else None
            for _parts, row in _iter_result_slots(applications.get("results"))]
    if not rows:
        return sums
    for column in COLUMNS:
        total: int | None = 0
        for row in rows:
            value = None if row is None else count(row.get(column))
            if value is None:
                total = None
                break
            total += value  # type: ignore[operator]
        sums[column] = total
    return sums


def iter_table3_rows(
    applications: Any,
) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any]]]:
    """Yield ``(parts, row)`` for every row of table 3 present in `applications`, in table order.

    That is 一, 二, each result leaf row, （七）总计 (``("results", "total")``) and 四.
    """
    if not _is_mapping(applications):
        return
    for key in ("new_received", "carried_over"):
        if _is_mapping(applications.get(key)):
            yield (key,), applications[key]
    yield from iter_result_rows(applications)
    results = applications.get("results")
    if _is_mapping(results) and _is_mapping(results.get("total")):
        yield ("results", "total"), results["total"]
    if _is_mapping(applications.get("carried_forward")):
        yield ("carried_forward",), applications["carried_forward"]


def derive_totals(report: Mapping[str, Any]) -> dict[str, Any]:
    """Return a deep copy of `report` with every omitted total computed.

    Filled in: 总计 of each table-3 row (the six applicant columns), each column of
    （七）总计 (the sum of the result leaf rows) and 总计 of each table-4 group. A supplied
    total is never replaced (a ``null`` counts as omitted); a total whose parts are missing
    or are no counts is left out, and so is （七）总计's own 总计 when the leaf rows' 总计
    and its own columns give two different sums (a supplied total is wrong then, and the
    rules say which: deriving either sum would report the one mistake twice). Never raises:
    malformed input is the schema's business.

    >>> out = derive_totals({"reviews": {"litigation_direct": {
    ...     "upheld": 1, "corrected": 0, "other": 0, "pending": 2}}})
    >>> out["reviews"]["litigation_direct"]["total"]
    3
    """
    copied = _copy(report)
    if not isinstance(copied, dict):
        return {}
    applications = copied.get("applications")
    if isinstance(applications, dict):
        _derive_table3(applications)
    reviews = copied.get("reviews")
    if isinstance(reviews, dict):
        for key in REVIEW_GROUPS:
            _fill(reviews.get(key), "total", sum_counts(reviews.get(key), REVIEW_PARTS))
    return copied


def _derive_table3(applications: dict[str, Any]) -> None:
    for parts, row in iter_table3_rows(applications):
        if parts != ("results", "total"):
            _fill(row, "total", sum_counts(row, APPLICANT_COLUMNS))
    results = applications.get("results")
    if not isinstance(results, dict):
        return
    sums = result_sums(applications)
    if "total" not in results or results["total"] is None:
        if all(value is None for value in sums.values()):
            return
        results["total"] = {}
    total_row = results["total"]
    for column in APPLICANT_COLUMNS:
        _fill(total_row, column, sums[column])
    # -- its 总计: the leaf rows' 总计 summed, or its own columns summed; when both are known
    # -- and disagree, a supplied value is wrong and reported elsewhere: leave it unknown --
    by_rows, by_columns = sums["total"], sum_counts(total_row, APPLICANT_COLUMNS)
    if by_rows is None or by_columns is None or by_rows == by_columns:
        _fill(total_row, "total", by_columns if by_rows is None else by_rows)


def _fill(row: Any, key: str, value: int | None) -> None:
    # -- set row[key] unless it is supplied or unknown --
    if value is not None and isinstance(row, dict) and row.get(key) is None:
        row[key] = value


def _copy(value: Any) -> Any:
    # -- a JSON-shaped deep copy: objects become dicts, arrays lists, scalars are shared --
    if _is_mapping(value):
        return {key: item if type(item) in SCALAR_TYPES else _copy(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [item if type(item) in SCALAR_TYPES else _copy(item) for item in value]
    return value
