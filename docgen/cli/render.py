"""``docgen render``: the output's suffix decides what is written; ``--pdf`` adds a PDF.

One rule for ``render`` and ``batch``: a ``.docx`` (or ``.html``) is the document, ``--pdf``
writes a PDF of the same name next to it. ``-o report.pdf`` writes only the PDF. Any other
suffix is refused with the exact option to type (`docgen.engine.outputs`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from docgen.cli.common import kind_option, previous_option, print_issues
from docgen.cli.lang import t
from docgen.cli.safety import visible
from docgen.engine.files import is_html, refuse_overwriting
from docgen.engine.outputs import OUTPUT_SUFFIXES, output_format
from docgen.errors import UsageError


def output_path(args: argparse.Namespace) -> Path:
    """The file ``-o`` names; a folder — or a name ending in ``/``, a folder to create — gets
    DATA's name; no ``-o``: DATA's name with .docx."""
    data = Path(args.data)
    default = ".html" if getattr(args, "fragment", False) else next(iter(OUTPUT_SUFFIXES))
    if not args.output:
        return data.with_suffix(default)
    out = Path(args.output)
    if out.is_dir() or args.output.endswith(("/", os.sep)):
        return out / data.with_suffix(default).name
    return out


def render_outputs(args: argparse.Namespace) -> int:
    """Check DATA, then write the output (and its PDF with --pdf); print what was written."""
    from docgen.api import prepare

    out = output_path(args)
    fmt = output_format(out)
    # -- no input is ever an output: the data, last year's data, the template, the schema --
    inputs = [Path(args.data), args.previous, args.template, getattr(args, "schema", None)]
    if out == Path(args.data):
        from docgen.api import load

        load(out)  # -- a document given as data (report.docx): say what it is, first --
    refuse_overwriting(out, inputs)
    also_pdf = args.pdf and fmt != "pdf"
    if fmt == "pdf" or also_pdf:
        from docgen.engine.pdf import require_libreoffice

        require_libreoffice()  # -- before anything is written: both files or neither --
    kind = kind_option(args)
    word = None if is_html(args.template or "") else args.template
    if also_pdf and fmt == "html" and word is None and kind is not None \
            and kind.template_path == Path():
        # -- before the page is written: both files or neither --
        raise UsageError(f"报告类型 {kind.name} 没有 Word 模板，无法同时生成 PDF；"
                         "请去掉 --pdf，或改用 Word 模板（.docx）")
    prepared = prepare(Path(args.data), kind=kind, previous=previous_option(args))
    if prepared.issues and prepared.renderable(allow_errors=args.allow_errors):
        print_issues(prepared.issues)
    allow_external = getattr(args, "allow_external", False)
    written = [prepared.render(out, template=args.template, pdf=fmt == "pdf",
                               allow_errors=args.allow_errors,
                               fragment=getattr(args, "fragment", False),
                               allow_external=allow_external).path]
    if also_pdf and fmt == "html":
        # -- the PDF is printed from the Word template, as the .docx would be --
        written.append(prepared.render(out.with_suffix(".pdf"), template=word, pdf=True,
                                       allow_errors=args.allow_errors,
                                       allow_external=allow_external).path)
    elif also_pdf:
        from docgen.engine.files import write_atomic
        from docgen.engine.pdf import docx_to_pdf

        pdf = out.with_suffix(".pdf")
        refuse_overwriting(pdf, inputs)
        write_atomic(pdf, docx_to_pdf(out.read_bytes()))
        written.append(pdf)
    if fmt == "pdf" or also_pdf:
        from docgen.cli.fonts import warn_substitutions

        warn_substitutions()
    print(visible(t("已生成：", "written: ") + t("、", ", ").join(map(str, written))))
    return 0
