"""`ReportKind`: what a report kind is made of; the flagship and custom kinds share it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen.engine.schema import fill_defaults, load_schema
from docgen.errors import Issue

Report = Mapping[str, Any]
Rule = Callable[[Report], Iterator[Issue]]
Deriver = Callable[[Report], dict[str, Any]]
#: A rule comparing this year's (derived) report with last year's.
PreviousRule = Callable[[Report, Report], Iterator[Issue]]


@dataclass(frozen=True)
class ReportKind:
    """A report kind: what the data must be (schema), what it looks like (template), and rules.

    `derive` fills in what may be omitted (totals) before the rules run; `defaults` fills in
    the rest of the render context (titles, standard texts); `previous_rules` compare a report
    with last year's; `html_template_path` renders the same context as a web page. All are
    optional for custom kinds.
    """

    name: str
    schema_path: Path
    template_path: Path
    rules: tuple[Rule, ...] = ()
    derive: Deriver | None = None
    defaults: Deriver | None = None
    #: Rules that compare the report with last year's (``--previous``).
    previous_rules: tuple[PreviousRule, ...] = ()
    #: The key of the format version this kind describes ("2019"), if it is one of several.
    version: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: The HTML template of the portal page (``.html``, edited as text), if the kind has one.
    html_template_path: Path | None = None


def build_context(kind: ReportKind, report: Report) -> dict[str, Any]:
    """Return the context `kind`'s template renders with, from a derived, checked `report`."""
    context: dict[str, Any] = fill_defaults(load_schema(kind.schema_path), report)
    return kind.defaults(context) if kind.defaults is not None else context
