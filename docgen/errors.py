"""The exception tree and `Issue`, the value every check yields. Imports nothing of docgen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
#: The pipeline stage that found an issue: the data's format (schema, text), a consistency rule,
#: the template, or the reading of a published report (`import`). Only `rules` errors may be
#: overridden (`allow_errors`).
Stage = Literal["schema", "rules", "template", "import"]

#: How each severity is named to the people who prepare reports.
SEVERITY_LABELS: dict[str, str] = {"error": "错误", "warning": "警告"}


def pointer(*parts: str | int) -> str:
    """Return the JSON Pointer (RFC 6901) made of `parts`.

    >>> pointer("applications", "results", "total", "commercial")
    '/applications/results/total/commercial'
    >>> pointer()
    ''
    """
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def split_pointer(path: str) -> list[str]:
    """Return the unescaped parts of the JSON Pointer `path`.

    >>> split_pointer("/overview/sections/0/title")
    ['overview', 'sections', '0', 'title']
    """
    if not path:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


@dataclass(frozen=True)
class TemplateLocation:
    """A place in a Word template, in the terms a Word user finds it by.

    `part` is the zip entry (``word/document.xml``), `area` how Word names it (``页眉``…, empty
    for the body), then either a body paragraph (1-based, tables not counted) or a top-level
    table cell (table, row, visible column, all 1-based). `place` overrides the words when the
    location is not a paragraph (a whole file, a relationship).
    """

    part: str = ""
    area: str = ""
    paragraph: int | None = None
    table: int | None = None
    row: int | None = None
    column: int | None = None
    place: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.place is not None:
            return self.place
        if self.line is not None:
            return f"第{self.line}行" + (f" 第{self.column}列" if self.column is not None else "")
        prefix = f"{self.area} " if self.area else ""
        if self.table is not None:
            column = f" 第{self.column}列" if self.column is not None else ""
            paragraph = f" 第{self.paragraph}段" if self.paragraph is not None else ""
            return f"{prefix}表{self.table} 第{self.row}行{column}{paragraph}"
        if self.paragraph is not None:
            return f"{prefix}第{self.paragraph}段"
        return self.area or self.part

    def to_dict(self) -> dict[str, Any]:
        """The location as JSON (``docgen template check --json``)."""
        return {"part": self.part, "area": self.area, "paragraph": self.paragraph,
                "table": self.table, "row": self.row, "column": self.column,
                "line": self.line, "text": str(self)}


@dataclass(frozen=True)
class CellLocation:
    """A place in a spreadsheet, as Excel/WPS name it: ``表三!F7`` (or a range, ``D7:I7``).

    `cell` is empty when the place is a whole sheet.
    """

    sheet: str
    cell: str = ""

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.cell else f"工作表“{self.sheet}”"

    def to_dict(self) -> dict[str, Any]:
        """The location as JSON (``docgen check --json``)."""
        return {"sheet": self.sheet, "cell": self.cell, "text": str(self)}


#: Where an issue sits in a file other than the data: a Word template or a workbook.


@dataclass(frozen=True)
class SourceLocation:
    """A place in a published report being read back (``docgen import``/``audit``).

    `source` is the file name; then a table cell (table, row, column: 1-based, as the reader
    counts them in the document), a paragraph (1-based), or a page and line of text (PDF,
    pasted text). `table_name` names the official table the cell belongs to (表三).
    """

    source: str = ""
    paragraph: int | None = None
    table: int | None = None
    row: int | None = None
    column: int | None = None
    page: int | None = None
    line: int | None = None
    table_name: str = ""

    def __str__(self) -> str:
        if self.table is not None:
            column = f" 第{self.column}列" if self.column is not None else ""
            name = f"（{self.table_name}）" if self.table_name else ""
            return f"表{self.table}{name} 第{self.row}行{column}"
        if self.line is not None:
            page = f"第{self.page}页 " if self.page is not None else ""
            return f"{page}第{self.line}行"
        if self.paragraph is not None:
            return f"第{self.paragraph}段"
        return self.source or "（整份文档）"

    def to_dict(self) -> dict[str, Any]:
        """The location as JSON (``docgen audit --json``)."""
        return {"source": self.source, "paragraph": self.paragraph, "table": self.table,
                "row": self.row, "column": self.column, "page": self.page, "line": self.line,
                "text": str(self)}



#: Where an issue is, besides its JSON Pointer.
Location = TemplateLocation | CellLocation | SourceLocation

@dataclass(frozen=True)
class Issue:
    """One problem found in a report or a template, located by its path.

    `path` is a JSON Pointer into the data (``/applications/results/total/commercial``);
    `labels` is the chain of official Chinese labels for it, from the schema's titles. A
    template problem has its place in the template as `location` (and a pointer in `path` when
    it concerns a field); an issue in a report read from a workbook has the cell of its field
    (`CellLocation`); a problem in a published report read back has its place in that document
    (`SourceLocation`). `stage` says which step found it.
    """

    code: str
    path: str
    message: str
    severity: Severity = "error"
    labels: tuple[str, ...] = ()
    expected: Any = None
    actual: Any = None
    #: Extra facts for tools (e.g. the surrounding text of a template problem).
    context: str | None = field(default=None, compare=False)
    stage: Stage = field(default="rules", compare=False)
    location: Location | None = None

    @property
    def is_error(self) -> bool:
        """Whether this issue stops a render."""
        return self.severity == "error"

    @property
    def where(self) -> str:
        """The location for people: the label chain and the path."""
        chain = " › ".join(self.labels)
        place = "" if self.location is None else str(self.location)
        if place:  # -- a location without words (a whole HTML template) says nothing: skip it --
            located = f"{place}（{chain}）" if chain else place
            # -- a workbook cell stands for a data field: its JSON Pointer goes beside it --
            if isinstance(self.location, CellLocation) and self.path:
                return f"{located}{self.path}"
            return located
        if chain and self.path:
            return f"{chain}（{self.path}）"
        return chain or self.path or "（整份报告）"

    def sort_key(self) -> tuple[int, int]:
        """Errors before warnings, then shallow paths first; ties keep their found order."""
        return (0 if self.is_error else 1, len(self.path.split("/")))

    @property
    def overridable(self) -> bool:
        """Whether `allow_errors` may render despite this issue (a consistency error)."""
        return self.stage == "rules"

    def to_dict(self) -> dict[str, Any]:
        """Return the issue as the stable JSON object of ``docgen check --json``."""
        return {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "labels": list(self.labels),
            "message": self.message,
            "expected": _jsonable(self.expected),
            "actual": _jsonable(self.actual),
            "context": self.context,
            "stage": self.stage,
            "location": None if self.location is None else self.location.to_dict(),
        }

    def __str__(self) -> str:
        label = SEVERITY_LABELS[self.severity]
        return f"{label} [{self.code}] {self.where}：{self.message}"


def _jsonable(value: Any) -> Any:
    # -- Decimal amounts are kept exact as strings; everything else in issues is JSON already --
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def sorted_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Return `issues` errors first and shallow first, found order kept among equals."""
    return sorted(issues, key=Issue.sort_key)


class DocgenError(Exception):
    """Base class for every error docgen raises on purpose."""

    #: The CLI's exit status for this error.
    exit_code: int = 1


class UsageError(DocgenError):
    """docgen was called wrongly: a missing file, a bad option, a missing program."""

    exit_code = 2


class DataFileError(DocgenError):
    """A data file could not be read as JSON or YAML (the message gives line and column)."""


class InvalidReportError(DocgenError):
    """The report broke its schema or a consistency rule; `issues` holds every problem."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = tuple(sorted_issues(issues))
        errors = [i for i in self.issues if i.is_error]
        first = errors[0] if errors else self.issues[0]
        super().__init__(f"报告数据有 {len(errors)} 个错误，第一个：{first}")


class TemplateProblemError(DocgenError):
    """The Word template cannot be used; `issues` locates every problem found in it."""

    def __init__(self, template: str, issues: Iterable[Issue]) -> None:
        self.template = template
        self.issues = tuple(issues)
        first = f"，第一个：{self.issues[0]}" if self.issues else ""
        super().__init__(f"模板 {template} 有 {len(self.issues)} 个问题{first}")


class UnknownKindError(DocgenError, LookupError):
    """No report kind or format version is registered under that name."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = tuple(known)
        super().__init__(f"未知的报告格式 {name!r}；可用的格式：{'、'.join(self.known)}")


class PdfError(DocgenError):
    """LibreOffice could not turn the document into PDF."""


class LibreOfficeMissingError(PdfError, UsageError):
    """No LibreOffice (``soffice``) is installed, so no PDF can be made."""

    exit_code = 2


class UnreadableDocumentError(DocgenError):
    """A published document could not be read (``docgen import``/``audit``): not a report,
    damaged, too large, or a PDF without a text layer. The message says which."""

    def __init__(self, message: str, code: str = "IMPORT-FILE") -> None:
        #: A stable code: IMPORT-FILE (damaged, not of its kind), IMPORT-UNSAFE (entities,
        #: zip bomb, duplicate parts), IMPORT-LIMIT (too large, too long to read),
        #: IMPORT-NOT-REPORT (readable, but not a report).
        self.code = code
        self.message = message
        super().__init__(f"[{code}] {message}")

    def __reduce__(self) -> tuple[type[UnreadableDocumentError], tuple[str, str]]:
        return type(self), (self.message, self.code)
