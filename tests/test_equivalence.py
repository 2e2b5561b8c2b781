"""The compiled renderer writes what plain docxtpl writes, the same bytes every time, and
compiles a template once per modification."""

from __future__ import annotations

import importlib
import io
import os
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, FIXTURES
from lxml import etree

from docgen.api import prepare
from docgen.engine import limits
from docgen.kinds import get_kind
from docgen.kinds.gov_info_annual.skeleton import annual_report_skeleton

fill = importlib.import_module("docgen.engine.fill")

#: The parts docxtpl renders: the body, and every header and footer.
RENDERED = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")
CORE = "docProps/core.xml"

def filled_skeleton(year: int) -> dict[str, Any]:
    """`docgen init`'s skeleton with its blanks filled, as a clerk leaves it (totals derived)."""
    data = annual_report_skeleton(year)
    data["agency"] = "某县某局"
    data["overview"]["sections"][0].update(title="主动公开", text="全年主动公开信息。")
    data["problems"].update(problems="无。", improvements="无。")
    return data


CASES: dict[str, tuple[Any, bool]] = {
    "2019 × jindong example": (EXAMPLES / "jindong-2019.json", False),
    "2021 × county example": (EXAMPLES / "county-bureau-2025.json", False),
    "2019 × as published (allow_errors)": (FIXTURES / "jindong-2019-as-published.json", True),
    "2019 × init skeleton, filled": (filled_skeleton(2019), False),
    "2021 × init skeleton, filled": (filled_skeleton(2025), False),
}


def canonical(xml: bytes) -> bytes:
    """Exclusive C14N: no XML declaration, attributes in order, each namespace declared where
    it is used, so where docxtpl and docgen happen to declare namespaces does not matter."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    return bytes(etree.tostring(root, method="c14n", exclusive=True, with_comments=False))


def entries(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rendered_parts(docx: bytes) -> dict[str, bytes]:
    return {name: canonical(data) for name, data in entries(docx).items() if RENDERED.match(name)}


@pytest.fixture(params=list(CASES), ids=list(CASES))
def case(request: pytest.FixtureRequest) -> tuple[Path, dict[str, Any]]:
    report, allow_errors = CASES[request.param]
    prepared = prepare(report)
    assert prepared.renderable(allow_errors=allow_errors) and prepared.context is not None
    return prepared.kind.template_path, prepared.context


def test_compiled_output_equals_docxtpl(case: tuple[Path, dict[str, Any]]) -> None:
    template, context = case

    compiled = rendered_parts(fill.compile_template(template).render(context))
    reference = rendered_parts(fill.render_with_docxtpl(template, context))

    assert sorted(compiled) == sorted(reference)
    assert any(name.startswith("word/footer") for name in compiled)
    for name in reference:
        assert compiled[name] == reference[name], f"{name} differs from docxtpl's render"


def test_unrendered_parts_are_the_templates_own(case: tuple[Path, dict[str, Any]]) -> None:
    template, context = case

    written = entries(fill.compile_template(template).render(context))
    original = entries(template.read_bytes())

    assert list(written) == list(original) + ([CORE] if CORE not in original else [])
    for name, data in original.items():
        if not RENDERED.match(name) and name != CORE:
            assert written[name] == data, f"{name} was changed"


def test_same_data_same_bytes(case: tuple[Path, dict[str, Any]]) -> None:
    template, context = case
    properties = {"title": str(context["title"]), "created": str(context["published"])}

    first = fill.compile_template(template).render(context, properties)
    second = fill.compile_template(template).render(context, properties)
    fresh = fill.CompiledTemplate(template).render(context, properties)

    assert first == second == fresh
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.testzip() is None  # -- every entry's CRC and size check out --
        assert {info.date_time for info in archive.infolist()} == {fill.ZIP_EPOCH}


def test_compile_cache_follows_the_file(tmp_path: Path) -> None:
    template = tmp_path / "t.docx"
    shutil.copyfile(get_kind("2021").template_path, template)

    first = fill.compile_template(template)
    assert fill.compile_template(template) is first
    assert fill.compile_template(tmp_path / "." / "t.docx") is first

    stat = template.stat()
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = fill.compile_template(template)

    assert second is not first
    assert fill.compile_template(template) is second


JOIN_CASES = {
    "plain": ("{{ title }}", "第二段", "{{ note }}"),
    "blocks between paragraphs": ("{%p if title %}", "{{ title }}", "{%p endif %}", "末段"),
    "a value that ends a paragraph's line": ("{{p note }}", "末段"),
    "whitespace control": ("{{p note -}}", "末段"),
    "markup bringing paragraphs": ("{{ title }}", "{{ raw | safe }}", "末段"),
    "markup without paragraphs": ("{% for i in range(3) %}{{ title | safe }}{% endfor %}", "x"),
}


@pytest.mark.parametrize("name", list(JOIN_CASES))
def test_joined_templates_write_what_unjoined_ones_did(tmp_path: Path, name: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # -- the line breaks taken out at compile time: every output exactly as when they were
    # taken out of each render (values ending in a line break, markup, whitespace control) --
    template = _one_paragraph_template(tmp_path, *JOIN_CASES[name])
    context = {"title": "标题 A&B", "note": "注：\n", "raw":
               "</w:t></w:r></w:p>\n<w:p><w:r><w:t>插入的段落</w:t></w:r></w:p>\n<w:p><w:r><w:t>"}

    joined = fill.CompiledTemplate(template).render(context)
    monkeypatch.setattr(fill, "_join", lambda tree, source: False)
    unjoined = fill.CompiledTemplate(template).render(context)

    assert joined == unjoined


def test_markup_without_paragraphs_renders_once(tmp_path: Path) -> None:
    # -- the template runs once: its loop steps counted once, its calls made once --
    template = _one_paragraph_template(
        tmp_path, "{% for i in range(600) %}{{ v | safe }}{% endfor %}{{ l.pop() }}")
    with limits.limits(loop_iterations=1000):
        made = fill.CompiledTemplate(template)
        body = rendered_parts(made.render({"v": "x", "l": [1, 2]}))["word/document.xml"]

    assert made._body.joined and body.decode().count("x") >= 600 and b"x2<" in body


def test_a_path_through_a_link_and_up_is_the_file_the_system_opens(tmp_path: Path) -> None:
    # -- work/link -> real/sub: work/link/../t.docx is real/t.docx, not work/t.docx --
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "link").symlink_to(tmp_path / "real" / "sub")
    shutil.copyfile(get_kind("2021").template_path, tmp_path / "real" / "t.docx")
    shutil.copyfile(get_kind("2019").template_path, tmp_path / "work" / "t.docx")
    context = prepare(EXAMPLES / "county-bureau-2025.json").context
    assert context is not None

    through = fill.compile_template(tmp_path / "work" / "link" / ".." / "t.docx")

    assert through.render(context) == fill.compile_template(
        tmp_path / "real" / "t.docx").render(context)


def test_row_and_column_loops_take_docxtpls_path(tmp_path: Path) -> None:
    """A template whose tables grow rows and columns: fix_tables' grid, as docxtpl writes it."""
    import docx

    document = docx.Document()
    document.add_paragraph("{{ title }}")
    rows = document.add_table(rows=3, cols=2)
    rows.cell(0, 0).text = "{%tr for row in rows %}"
    rows.cell(1, 0).text = "{{ row.name }}"
    rows.cell(1, 1).text = "{{ row.count | cell }}"
    rows.cell(2, 0).text = "{%tr endfor %}"
    columns = document.add_table(rows=1, cols=3)
    columns.cell(0, 0).text = "{%tc for name in names %}"
    columns.cell(0, 1).text = "{{ name }}"
    columns.cell(0, 2).text = "{%tc endfor %}"
    template = tmp_path / "loops.docx"
    document.save(str(template))
    context = {"title": "A & B <C>", "rows": [{"name": "甲", "count": 3},
                                               {"name": "乙", "count": None}],
               "names": ["一", "二", "三", "四", "五"]}

    compiled = fill.compile_template(template).render(context)
    reference = fill.render_with_docxtpl(template, context)

    assert rendered_parts(compiled) == rendered_parts(reference)
    body = rendered_parts(compiled)["word/document.xml"].decode()
    assert body.count("<w:gridCol ") == 2 + 5 and "A &amp; B &lt;C&gt;" in body


def _one_paragraph_template(folder: Path, *paragraphs: str) -> Path:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    template = folder / "t.docx"
    document.save(str(template))
    return template


@pytest.mark.parametrize(("paragraphs", "joined"), [
    (("{{ title }}", "第二段", "{{ note }}"), True),
    # -- markup that brings a paragraph (and its line break) of its own: rendered unjoined --
    (("{{ title }}", "{{ raw | safe }}", "末段"), True),
    # -- the template's text filtered, captured or unescaped: never joined --
    (("{%p filter lower %}", "ABC {{ title }}", "{%p endfilter %}"), False),
    (("{%p set kept %}", "ABC", "{%p endset %}", "{{ kept }}"), False),
    (("{%p autoescape false %}", "{{ title }}", "{%p endautoescape %}"), False),
])
def test_paragraph_breaks_taken_out_as_docxtpl_does(tmp_path: Path, paragraphs: tuple[str, ...],
                                                     joined: bool) -> None:
    template = _one_paragraph_template(tmp_path, *paragraphs)
    context = {"title": "标题 A&B", "note": "注：<无>", "raw":
               "</w:t></w:r></w:p>\n<w:p><w:r><w:t>插入的段落</w:t></w:r></w:p>\n<w:p><w:r><w:t>"}

    made = fill.CompiledTemplate(template)
    compiled = made.render(context)
    reference = fill.render_with_docxtpl(template, context)

    assert made._body.joined is joined
    assert rendered_parts(compiled) == rendered_parts(reference)
