"""A copy of a template with each problem as a Word comment at its place."""

from __future__ import annotations

import io
from pathlib import Path

from docgen.errors import (
    SEVERITY_LABELS,
    Issue,
    TemplateProblemError,
    UsageError,
)
from docgen.kinds import (
    ReportKind,
)
from docgen.toolkit.check import analyse
from docgen.toolkit.ooxml import BODY, part_paragraphs


def annotate_template(path: Path, kind: ReportKind, out: Path) -> list[Issue]:
    """Write to `out` a copy of the template with each problem as a Word comment at its place.

    Every error and every warning about what the template holds (full-width braces, a figure
    typed in a table) becomes a comment; fields the template never shows (TEMPLATE-UNUSED) are
    about what is missing, so they are only listed. Problems in a header or footer, where Word
    allows no comments, are attached to the first paragraph with their place. Returns every
    issue; raises `TemplateProblemError` if the file is not a Word document at all, and
    `UsageError` if `out` is the template itself.
    """
    import docx
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

    from docgen.engine.files import write_atomic

    path, out = Path(path), Path(out)
    if out.exists() and out.resolve() == path.resolve():
        raise UsageError(f"批注副本不能覆盖模板本身：{out}")
    findings, analysis = analyse(path, kind)
    issues = [f.issue for f in findings]
    if analysis is None:
        raise TemplateProblemError(path.name, issues)
    document = docx.Document(str(path))
    paras = part_paragraphs(document.element, BODY, "")
    if not paras:
        document.add_paragraph()
        paras = part_paragraphs(document.element, BODY, "")
    first = next((p for p in paras if p.runs and p.text.strip()), paras[0])
    for finding in findings:
        issue = finding.issue
        if issue.code == "TEMPLATE-UNUSED":
            continue
        target = paras[finding.para] if finding.part == BODY and finding.para is not None \
            and finding.para < len(paras) else first
        note = f"{SEVERITY_LABELS[issue.severity]} [{issue.code}] "
        if target is first and (finding.part != BODY or finding.para is None) and issue.location:
            note += f"{issue.location}："
        note += issue.message
        if issue.labels:
            note += f"（{' › '.join(issue.labels)}）"
        paragraph = Paragraph(target.element, document)
        runs = [r for (s, e, r) in target.runs
                if finding.span is None or (s < finding.span[1] and e > finding.span[0])] \
            or [r for (_, _, r) in target.runs]
        if not runs:
            runs = [target.element.add_r()]
        document.add_comment([Run(runs[0], paragraph), Run(runs[-1], paragraph)], text=note,
                             author="docgen", initials="dg")
    buffer = io.BytesIO()
    document.save(buffer)
    write_atomic(out, buffer.getvalue())
    return issues
