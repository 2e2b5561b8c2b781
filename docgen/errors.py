"""The exception tree and `Issue`, the value every check yields. Imports nothing of docgen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]

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
class Issue:
    """One problem found in a report or a template, located by its path.

    `path` is a JSON Pointer into the data (``/applications/results/total/commercial``) or, for
    a template, a place in words (``表3 第12行 第4列``). `labels` is the chain of official
    Chinese labels for `path`, filled in from the schema's titles.
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

    @property
    def is_error(self) -> bool:
        """Whether this issue stops a render."""
        return self.severity == "error"

    @property
    def where(self) -> str:
        """The location for people: the label chain and the path."""
        chain = " › ".join(self.labels)
        if chain and self.path:
            return f"{chain}（{self.path}）"
        return chain or self.path or "（整份报告）"

    def sort_key(self) -> tuple[int, int]:
        """Errors before warnings, then shallow paths first; ties keep their found order."""
        return (0 if self.is_error else 1, len(self.path.split("/")))

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
