"""`check_html_template`: every problem of an HTML template for a kind, by line and column.

The same analysis as a Word template's (`docgen.toolkit.analysis`: Jinja's syntax tree walked
against the kind's schema, did-you-mean for fields and filters, the sandbox's refusals, fields
never shown), fed with the lines of a text file instead of Word paragraphs. What only docxtpl
has (``{%p``/``{%tr``/``{%tc`` prefixes, blocks confined to a paragraph) does not apply: a
prefix is an error here, and a block may span any lines.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path

from docgen.engine.html import compile_html, read_html_template
from docgen.engine.memo import Memo, file_version
from docgen.engine.package import EXTERNAL_CODE
from docgen.engine.schema import load_schema
from docgen.errors import Issue, TemplateLocation, TemplateProblemError, UsageError
from docgen.kinds import ReportKind
from docgen.toolkit.analysis import Analysis
from docgen.toolkit.model import Finding
from docgen.toolkit.ooxml import Para
from docgen.toolkit.tags import Tag, scan

#: The part name of an HTML template in findings.
HTML_PART = "html"
#: What makes a browser fetch or run something when the page opens: scripts, frames, objects,
#: style sheets, and any quoted ``src``/``srcset``/``poster``/``background`` or CSS
#: ``url()``/``@import`` that is not a ``data:`` URI. (A link ``<a href>`` fetches nothing
#: until clicked.)
_EXTERNAL = re.compile(
    r"<(?:script|iframe|object|embed|link|frame|applet|base)\b"
    r"|\b(?:src|srcset|poster|background)\s*=\s*[\"'](?!\s*data:)"
    r"|url\(\s*[\"']?(?!\s*data:)|@import\b", re.IGNORECASE)
#: A closer the Word check reports as stray, which CSS in an HTML page may well hold.
_CSS_CLOSER = re.compile(r"^[%}]\s*}$")


class HtmlAnalysis(Analysis):
    """The template analysis for a text template: no docxtpl prefixes, blocks across lines."""

    def _check_text(self, para: Para, tags: list[Tag], unclosed: list[tuple[int, str]]) -> None:
        before = len(self.findings)
        super()._check_text(para, tags, unclosed)
        # -- ``}}``, ``%}`` and ``} }`` outside a tag are plain text to Jinja, and CSS
        # -- (``width:100%}``, nested rules) has them: only Word's check reports them --
        kept = self.findings[:before]
        for finding in self.findings[before:]:
            span = finding.span
            shown = para.text[span[0]:span[1]] if span is not None else ""
            if not _CSS_CLOSER.match(shown):
                kept.append(finding)
        self.findings = kept

    def _drop_replaced(self, tags: list[Tag]) -> None:
        for tag in tags:
            if tag.state == "ok" and tag.prefix:
                tag.state = "broken"
                self.add("TEMPLATE-SYNTAX",
                         f"{tag.shown}：HTML 模板中没有 {{%{tag.prefix} … %}} 前缀（那是 Word 模板"
                         "的写法）；请写成 {% … %}", tag.para, tag.span)

    def _check_pair(self, opener: Tag, tag: Tag) -> None:
        return  # -- in a text template a block may open and close on any lines --


def _paragraphs(source: str) -> tuple[list[Para], list[int]]:
    """The template's lines as paragraphs, a tag that spans lines kept whole on its first line.

    Returns the paragraphs and each one's offset in `source` (a newline inside a joined tag
    becomes a space, so offsets within a paragraph stay those of the source).
    """
    whole = Para(HTML_PART, 0, TemplateLocation(HTML_PART), None, source, [], None)
    spans = [(t.start, t.end) for t in scan(whole)[0]]
    starts = [0] + [m.end() for m in re.finditer("\n", source)]
    ends = [s - 1 for s in starts[1:]] + [len(source)]
    paras: list[Para] = []
    offsets: list[int] = []
    line = 0
    while line < len(starts):
        last = line
        grown = True
        while grown:  # -- take in the lines of a tag that starts here and ends further on --
            grown = False
            for start, stop in spans:
                if starts[line] <= start < ends[last] < stop:
                    last = bisect.bisect_right(starts, stop - 1) - 1
                    grown = True
        text = source[starts[line]:ends[last]].replace("\n", " ")
        paras.append(Para(HTML_PART, len(paras), TemplateLocation(HTML_PART, line=line + 1), None,
                          text, [], None))
        offsets.append(starts[line])
        line = last + 1
    return paras, offsets


def _locate(finding: Finding, paras: list[Para], offsets: list[int], starts: list[int],
            name: str) -> Issue:
    """The finding's issue, placed at its line and column in the file."""
    issue = finding.issue
    if finding.para is None or finding.part != HTML_PART:
        return issue
    offset = offsets[finding.para] + (finding.span[0] if finding.span is not None else 0)
    line = bisect.bisect_right(starts, offset) - 1
    column = offset - starts[line] + 1 if finding.span is not None else None
    location = TemplateLocation(part=name, line=line + 1, column=column)
    return Issue(code=issue.code, path=issue.path, message=issue.message,
                 severity=issue.severity, labels=issue.labels, expected=issue.expected,
                 actual=issue.actual, context=issue.context, stage="template",
                 location=location)


def _external(source: str, starts: list[int], name: str) -> list[Issue]:
    """TEMPLATE-EXTERNAL for each thing the page would fetch or run when opened (#13: no
    scripts, nothing fetched), at its line and column; refused unless allow_external."""
    found = []
    for match in _EXTERNAL.finditer(source):
        line = bisect.bisect_right(starts, match.start()) - 1
        column = match.start() - starts[line] + 1
        shown = source[match.start():match.start() + 60].split("\n")[0]
        found.append(Issue(
            code=EXTERNAL_CODE, path="", stage="template", context=shown,
            location=TemplateLocation(part=name, line=line + 1, column=column),
            message=f"网页模板引用外部内容或脚本（{match.group(0).strip()}…）：打开网页时浏览器会"
                    "去取或运行它；docgen 生成的网页应自成一体。确需使用请加 --allow-external"))
    return found


#: HTML template checks (docgen.engine.memo: per template and schema version, and kind).
_CHECKED: Memo[tuple[Issue, ...]] = Memo(limit=64)


def check_html_template(path: Path, kind: ReportKind) -> list[Issue]:
    """Return every problem of the HTML template at `path` for `kind`, errors first.

    Each issue's `location` has the line and column (``第12行 第8列``), its `context` the
    text there; codes as `docgen.toolkit.analysis.CODES`. Raises `UsageError` if there is no
    file at `path`; never raises for a broken template. The result is cached per file version
    and kind (a batch checks a template once).
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"找不到模板文件：{path}")
    try:
        key = (file_version(path), file_version(kind.schema_path), kind.name)
    except OSError:
        return _check(path, kind)
    return list(_CHECKED.get(key, lambda: tuple(_check(path, kind))))


def _check(path: Path, kind: ReportKind) -> list[Issue]:
    try:
        source = read_html_template(path)
    except TemplateProblemError as exc:
        return list(exc.issues)
    compile_problems: tuple[Issue, ...] = ()
    try:
        compile_html(path)
    except TemplateProblemError as exc:
        if any(i.code == "TEMPLATE-LIMIT" for i in exc.issues):
            return list(exc.issues)  # -- too deep or too large to analyse safely --
        compile_problems = exc.issues
    analysis = HtmlAnalysis(kind, load_schema(kind.schema_path))
    paras, offsets = _paragraphs(source)
    analysis.check_part(HTML_PART, paras)
    analysis.finish()
    starts = [0] + [m.end() for m in re.finditer("\n", source)]
    issues = [_locate(f, paras, offsets, starts, path.name) for f in sorted(
        analysis.findings, key=lambda f: (0 if f.issue.is_error else 1, f.order))]
    if not any(i.is_error for i in issues):  # -- what Jinja refuses that the analysis missed --
        issues = [*compile_problems, *issues]
    issues += _external(source, starts, path.name)
    if "<article" not in source:
        issues.append(Issue(code="TEMPLATE-HTML", path=path.name, stage="template",
                            severity="warning", message="HTML 模板中没有 <article> 元素："
                            "无法只输出正文片段（--fragment）"))
    unique: dict[tuple[str, str, str], Issue] = {}
    for issue in issues:
        unique.setdefault((issue.code, issue.path, issue.message), issue)
    return sorted(unique.values(), key=lambda i: 0 if i.is_error else 1)
