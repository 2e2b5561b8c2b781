"""docgen: official Word reports (政府信息公开工作年度报告 and custom kinds) from JSON/YAML data.

Install: ``pip install 'docgen-gov[yaml]'`` (``[xlsx]`` for workbooks; import name and command:
``docgen``).

    import docgen
    report = docgen.load("report.json")         # JSON/YAML file, .xlsx workbook (or a dict)
    issues = docgen.check(report)               # list[Issue], errors first; never raises
    result = docgen.render(report, "out.docx")  # Rendered(path, issues=warnings); .pdf, .html
    data = docgen.render(report)                # the .docx as bytes
    pdf = docgen.render(report, pdf=True)       # PDF bytes (LibreOffice; DOCGEN_SOFFICE)
    page = docgen.render(report, html=True)     # the web page (str); fragment=True: <article>

Functions
    load(source) -> dict                 a JSON/YAML file or workbook, exactly (Decimal)
    check(report, *, kind=None, previous=None) -> list[Issue]
    prepare(report, *, kind=None, previous=None) -> Prepared
                                         load and check once; Prepared.render(out, …),
                                         Prepared.render_html(…)
    render(report, out=None, *, kind=None, template=None, previous=None, pdf=False,
           allow_errors=False, html=False, fragment=False, allow_external=False)
           -> bytes | str | Rendered
    render_many(reports, outdir, *, jobs=0, pdf=False, html=False, kind=None, template=None,
                allow_external=False, allow_errors=False, progress=None) -> BatchResult
                                         many reports, in parallel
    import_report(path) -> ImportedReport   a published report (.docx/.html/.pdf/.txt) read
                                         back: .data, .issues (what could not be read)
    get_kind(name) / custom_kind(schema, template, html_template=None) -> ReportKind
    pointer(*parts) -> str               a JSON Pointer

Values
    Issue        code, severity ("error"/"warning"), path (JSON Pointer), labels (Chinese),
                 message, expected, actual, context, stage, location; .to_dict()
    Prepared     kind, data (totals derived), issues, context, source; .render(out=None, …)
    Rendered     path, issues (the warnings)
    Outcome      one batch report: name, source, written, issues, removed
    ReportKind   name, schema_path, template_path, rules, derive, …
    TemplateLocation   where in a Word or HTML template an issue is

Errors (all DocgenError; the command's exit status is .exit_code)
    InvalidReportError (.issues)   the report has errors; nothing was written
    TemplateProblemError (.issues) the template cannot be used
    DataFileError                  the file is not valid JSON/YAML or breaks a limit
    UsageError                     wrong call: missing file, bad option or output name
    UnknownKindError, PdfError, LibreOfficeMissingError

help(docgen.render), help(docgen.Issue)… for the details. The names are imported when first
used, so ``import docgen`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name → the module that defines it.
_EXPORTS = {
    "load": "docgen.api",
    "check": "docgen.api",
    "prepare": "docgen.api",
    "render": "docgen.api",
    "Prepared": "docgen.api",
    "Rendered": "docgen.api",
    "render_many": "docgen.batch",
    "import_report": "docgen.readers",
    "Outcome": "docgen.batch",
    "BatchResult": "docgen.batch",
    "Issue": "docgen.errors",
    "TemplateLocation": "docgen.errors",
    "pointer": "docgen.errors",
    "DocgenError": "docgen.errors",
    "UsageError": "docgen.errors",
    "DataFileError": "docgen.errors",
    "InvalidReportError": "docgen.errors",
    "TemplateProblemError": "docgen.errors",
    "UnknownKindError": "docgen.errors",
    "PdfError": "docgen.errors",
    "LibreOfficeMissingError": "docgen.errors",
    "ReportKind": "docgen.kinds",
    "get_kind": "docgen.kinds",
    "custom_kind": "docgen.kinds",
}

__all__ = [
    "BatchResult",
    "DataFileError",
    "DocgenError",
    "InvalidReportError",
    "Issue",
    "LibreOfficeMissingError",
    "Outcome",
    "PdfError",
    "Prepared",
    "Rendered",
    "ReportKind",
    "TemplateLocation",
    "TemplateProblemError",
    "UnknownKindError",
    "UsageError",
    "check",
    "custom_kind",
    "get_kind",
    "import_report",
    "load",
    "pointer",
    "prepare",
    "render",
    "render_many",
]

if TYPE_CHECKING:
    from docgen.api import Prepared, Rendered, check, load, prepare, render
    from docgen.batch import BatchResult, Outcome, render_many
    from docgen.errors import (
        DataFileError,
        DocgenError,
        InvalidReportError,
        Issue,
        LibreOfficeMissingError,
        PdfError,
        TemplateLocation,
        TemplateProblemError,
        UnknownKindError,
        UsageError,
        pointer,
    )
    from docgen.kinds import ReportKind, custom_kind, get_kind
    from docgen.readers import import_report


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'docgen' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    # -- the functions only: help(docgen) then is the page above and the functions' own
    # -- docstrings, not every class's (and exception's) inherited boilerplate --
    functions = ("load", "check", "prepare", "render", "render_many", "import_report",
                 "get_kind", "custom_kind", "pointer")
    return sorted(["__doc__", "__file__", "__name__", "__path__", "__version__", *functions])
