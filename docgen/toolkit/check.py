"""`check_template`: every problem of a Word template for a kind, located."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from lxml import etree

from docgen.engine import fill
from docgen.engine.memo import Memo, file_version
from docgen.engine.schema import load_schema
from docgen.engine.wordml import safe_parser
from docgen.errors import (
    Issue,
    TemplateProblemError,
    UsageError,
)
from docgen.kinds import (
    ReportKind,
)
from docgen.toolkit.analysis import Analysis
from docgen.toolkit.model import Finding
from docgen.toolkit.ooxml import BODY, part_areas, part_paragraphs

Path_ = tuple[str, ...]
"""A place in the schema: property names, with ``[]`` standing for any item of an array."""



# ============================================================================================
# Public entry points
# ============================================================================================


def analyse(path: Path, kind: ReportKind) -> tuple[list[Finding], Analysis | None]:
    """Check the template at `path`; return the findings in document order."""
    if not path.is_file():
        raise UsageError(f"找不到模板文件：{path}")
    compile_problems: tuple[Issue, ...] = ()
    try:
        compiled: fill.CompiledTemplate | None = fill.compile_template(path)
    except TemplateProblemError as exc:
        if any(i.code in ("TEMPLATE-FILE", "TEMPLATE-LIMIT") for i in exc.issues):
            return [Finding(i) for i in exc.issues], None
        compile_problems = exc.issues
        compiled = None
    schema = load_schema(kind.schema_path)
    analysis = Analysis(kind, schema)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        document = etree.fromstring(archive.read(BODY), safe_parser())
        relations = archive.read("word/_rels/document.xml.rels") \
            if "word/_rels/document.xml.rels" in names else None
        areas = part_areas(document, relations)
        analysis.check_part(BODY, part_paragraphs(document, BODY, ""))
        rendered = compiled.part_names if compiled is not None else \
            [n for n in names if fill.HEADER_FOOTER.match(n)]
        for name in rendered:
            if fill.HEADER_FOOTER.match(name):
                default = ("页眉" if "header" in name else "页脚") + \
                    f"（{name.removeprefix('word/')}）"
                try:
                    root = etree.fromstring(archive.read(name), safe_parser())
                except etree.XMLSyntaxError:
                    continue  # -- the compile reports it --
                analysis.check_part(name, part_paragraphs(root, name, areas.get(name, default)))
    if compiled is not None:
        analysis.findings += [Finding(i, order=(997, 0, 0)) for i in compiled.external]
    analysis.finish()
    findings = analysis.findings
    if compile_problems and not any(f.issue.code == "TEMPLATE-SYNTAX" and f.issue.is_error
                                    for f in findings):
        findings += [Finding(i, order=(998, 0, 0)) for i in compile_problems]
    unique: dict[tuple[str, str, str], Finding] = {}
    for finding in findings:
        unique.setdefault((finding.issue.code, finding.issue.path, finding.issue.message),
                          finding)
    ordered = sorted(unique.values(),
                     key=lambda f: (0 if f.issue.is_error else 1, f.order))
    return ordered, analysis


#: Template checks (docgen.engine.memo: per template and schema version, kind and hints).
_CHECKED: Memo[tuple[Issue, ...]] = Memo(limit=64)


def check_template(path: Path, kind: ReportKind) -> list[Issue]:
    """Return every problem of the Word template at `path` for `kind`, errors first.

    Each issue's `location` is a place a Word user can find (``表3 第12行 第4列``, ``第5段``,
    ``页眉 第1段``), its `context` the text there, and its `path` the JSON Pointer of the field
    concerned where there is one. Codes: see `CODES`. Raises
    `UsageError` if there is no file at `path`; never raises for a broken template. The
    result is cached per file version and kind (a batch checks a custom template once).
    """
    path = Path(path)
    try:
        key = (file_version(path), file_version(kind.schema_path), kind.name,
               json.dumps(dict(kind.extra or {}), sort_keys=True, default=str))
    except OSError:
        return [f.issue for f in analyse(path, kind)[0]]
    return list(_CHECKED.get(key, lambda: tuple(f.issue for f in analyse(path, kind)[0])))
