"""Templates, schemas and data as an attacker writes them (issue #15): every class of hostile
input ends in a located message with its code and exit status — within the limits, with
nothing fetched, nothing read from outside, nothing left behind. Each test is a row of
docs/bad-input.md. Limits are set low here to prove they hold without spending seconds."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import deep, visible_texts
from test_hardening import (
    SECRET,
    SHIPPED_TEMPLATE,
    kind_with,
    leftovers,
    run,
    template_variant,
    write_json,
)

import docgen
from docgen import batch
from docgen.engine import files, fill, limits

ROOT = Path(__file__).resolve().parents[1]


def render_problem(template: Path, county: dict[str, Any]) -> docgen.TemplateProblemError:
    """The problem a render with `template` raises (compiled afresh: limits may differ)."""
    fill._COMPILED.clear()
    with pytest.raises(docgen.TemplateProblemError) as raised:
        docgen.render(county, kind=kind_with(template))
    return raised.value


def command(*argv: str, env: dict[str, str] | None = None, **kwargs: Any
            ) -> subprocess.CompletedProcess[str]:
    """The real ``python -m docgen`` (a traceback would show on stderr)."""
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    done = subprocess.run([sys.executable, "-m", "docgen", *argv], text=True, timeout=120,
                          check=False, env={**os.environ, **(env or {})}, **streams)
    done.stdout = done.stdout or ""
    assert "Traceback" not in done.stdout + done.stderr
    return done


# -- templates: cost -------------------------------------------------------------------------

COSTLY = {
    "lipsum": ("{{ lipsum(1000000) }}", "string_chars"),
    "nested loops": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
                     "{% endfor %}", "loop_iterations"),
    "power at compile time": ("{{ 7 ** (10 ** 9) }}", "integer_digits"),
    "huge integer": ("{{ 10 ** 5000 }}", "integer_digits"),
    "center": ("{{ title|center(10 ** 9) }}", "string_chars"),
    "center, constant": ("{{ title|center(1000000000) }}", "string_chars"),
    "multiplication": ("{{ 'x' * 10 ** 9 }}", "string_chars"),
    "list multiplication": ("{{ [1] * 10 ** 9 }}", "string_chars"),
    "str.format width": ("{{ '{:>1000000000}'.format(1) }}", "string_chars"),
    "% width": ("{{ '%1000000000d' % 1 }}", "string_chars"),
    "format filter": ("{{ '%1000000000d'|format(1) }}", "string_chars"),
    "ljust": ("{{ 'x'.ljust(10 ** 9) }}", "string_chars"),
    "replace": ("{{ ('x' * 100000).replace('', 'y' * 1000) }}", "string_chars"),
    "concatenation doubling": ("{% set ns = namespace(s='x' * 100000) %}{% for i in range(40) %}"
                               "{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "string_chars"),
    "join": ("{{ (['x' * 100000] * 1000)|join }}", "string_chars"),
    "indent": ("{{ ('a\n' * 1000)|indent(10 ** 7) }}", "string_chars"),
    "slice": ("{{ [1]|slice(10 ** 9)|list|length }}", "slice"),
    "macro recursion": ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "递归"),
}


@pytest.mark.parametrize("name", list(COSTLY))
def test_costly_templates_are_a_located_limit(tmp_path: Path, county: dict[str, Any],
                                              name: str) -> None:
    expression, limit = COSTLY[name]
    template = template_variant(tmp_path / "costly.docx", title=expression)

    with limits.limits(string_chars=1_000_000, loop_iterations=100_000):
        problem = render_problem(template, county)

    issue = problem.issues[0]
    assert issue.code == "TEMPLATE-LIMIT"
    assert issue.where.startswith("正文 第") and limit in issue.message
    assert leftovers(tmp_path, [template]) == []


@pytest.mark.parametrize("name", ["lipsum", "nested loops", "power at compile time",
                                  "huge integer", "center", "multiplication", "ljust",
                                  "str.format width", "% width"])
def test_template_check_reports_what_a_template_costs_whatever_the_data(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    template = template_variant(tmp_path / "costly.docx", title=COSTLY[name][0])
    fill._COMPILED.clear()

    code, out, _ = run(capsys, "template", "check", str(template), "--format", "2021")

    assert code == 1 and "[TEMPLATE-LIMIT] 正文 第19段" in out and COSTLY[name][1] in out


NESTED = {
    "80 parentheses": "{{ " + "(" * 80 + "1" + ")" * 80 + " }}",
    "21 nested for": "".join(f"{{% for a{i} in [1] %}}" for i in range(21)) + "x"
                     + "{% endfor %}" * 21,
    "100 nested if": "{% if 1 %}" * 100 + "x" + "{% endif %}" * 100,
    "2000 not": "{{ " + "not " * 2000 + "1 }}",
    "5000 filters": "{{ title" + "|upper" * 5000 + " }}",
    "20000 additions": "{{ 1" + " + 1" * 20000 + " }}",
}


@pytest.mark.parametrize("name", list(NESTED))
def test_nesting_too_deep_is_refused_before_the_parser(tmp_path: Path, county: dict[str, Any],
                                                       name: str) -> None:
    template = template_variant(tmp_path / "nested.docx", title=NESTED[name])

    problem = render_problem(template, county)

    assert problem.issues[0].code == "TEMPLATE-LIMIT"
    assert "模板" in problem.issues[0].message and problem.issues[0].where.startswith("正文")


def test_too_many_tags_is_refused_before_compiling(county: dict[str, Any]) -> None:
    # -- compiling cannot be interrupted: its cost is bounded by the number of tags (a
    # 100 000-paragraph body of tags, 35 KB zipped, took 46 s and 2.6 GB; now refused in 2 s) --
    with limits.limits(tags=100):
        problem = render_problem(SHIPPED_TEMPLATE, county)

    assert problem.issues[0].code == "TEMPLATE-LIMIT"
    assert "标签过多（超过 100 个，tags）" in problem.issues[0].message
    fill._COMPILED.clear()


def test_limits_through_render_template_check_and_batch(tmp_path: Path, county: dict[str, Any]
                                                        ) -> None:
    template = template_variant(tmp_path / "t.docx", title="{{ 'x' * 10 ** 9 }}")
    nested = template_variant(tmp_path / "n.docx", title=NESTED["80 parentheses"])
    data = write_json(tmp_path / "data.json", county)
    (tmp_path / "in").mkdir()
    write_json(tmp_path / "in" / "a.json", county)
    write_json(tmp_path / "in" / "b.json", county)

    rendered = command("render", str(data), "--template", str(template), "-o",
                       str(tmp_path / "out.docx"))
    checked = command("template", "check", str(nested), "--format", "2021")
    batched = command("batch", str(tmp_path / "in"), "-o", str(tmp_path / "outs"),
                      "--template", str(template), "-j", "2")

    assert rendered.returncode == 1 and "[TEMPLATE-LIMIT]" in rendered.stderr
    assert not (tmp_path / "out.docx").exists()
    assert checked.returncode == 1 and "[TEMPLATE-LIMIT]" in checked.stdout
    assert "括号嵌套过深" in checked.stdout
    assert batched.returncode == 1 and "[TEMPLATE-LIMIT]" in batched.stderr
    assert list((tmp_path / "outs").glob("*")) == []


def test_time_limit(tmp_path: Path, county: dict[str, Any]) -> None:
    # -- loops over the data's year, so that no constant tells the compiler what they cost --
    busy = ("{% for i in range(100000) %}{% for j in range(year) %}{{ '' }}{% endfor %}"
            "{% endfor %}")
    template = template_variant(tmp_path / "busy.docx", title=busy)
    fill._COMPILED.clear()
    fill.compile_template(template)  # -- compiled first: only the render is timed here --

    with limits.limits(seconds=0.2, loop_iterations=10**12), \
            pytest.raises(docgen.TemplateProblemError) as raised:
        docgen.render(county, kind=kind_with(template))
    problem = raised.value

    assert problem.issues[0].code == "TEMPLATE-LIMIT"
    assert "超时" in problem.issues[0].message and "seconds" in problem.issues[0].message


@pytest.mark.parametrize("limit", ["part_chars", "total_chars"])
def test_output_size_limits(county: dict[str, Any], limit: str) -> None:
    with limits.limits(**{limit: 20_000}):
        problem = render_problem(SHIPPED_TEMPLATE, county)

    assert problem.issues[0].code == "TEMPLATE-LIMIT" and limit in problem.issues[0].message


def test_output_stops_within_a_chunk_of_its_limit(tmp_path: Path, county: dict[str, Any]
                                                   ) -> None:
    # -- 32 outputs of 100,000 characters under a 150,000-character part: refused after the
    # second, before the rest is built (the memory a lowered limit is meant to bound) --
    import tracemalloc

    loop = "{% for i in range(32) %}{{ 'x' * (100000 + i) }}{% endfor %}"
    template = template_variant(tmp_path / "big.docx", title=loop)
    with limits.limits(part_chars=150_000):
        fill.compile_template(template)  # -- compiled first: only the render is measured --
        docgen.prepare(county)
        tracemalloc.start()
        try:
            with pytest.raises(docgen.TemplateProblemError) as raised:
                docgen.render(county, kind=kind_with(template))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    issue = raised.value.issues[0]
    assert issue.code == "TEMPLATE-LIMIT" and "part_chars" in issue.message
    assert peak < 1_000_000, f"{peak:,} bytes at the peak"  # -- all 32: 3.2 MB and more --


def test_limits_set_from_the_environment(tmp_path: Path, county: dict[str, Any]) -> None:
    data = write_json(tmp_path / "data.json", county)

    done = command("render", str(data), "-o", str(tmp_path / "out.docx"),
                   env={"DOCGEN_LIMITS": "part_chars=20000"})

    assert done.returncode == 1 and "[TEMPLATE-LIMIT]" in done.stderr
    assert "part_chars" in done.stderr and not (tmp_path / "out.docx").exists()


def test_memory_limit_in_a_batch_worker(tmp_path: Path, county: dict[str, Any]) -> None:
    # -- the string limit raised past the memory limit: the memory limit holds, in the worker --
    template = template_variant(tmp_path / "t.docx", title="{{ 'x' * 3 * 10 ** 9 }}")
    (tmp_path / "in").mkdir()
    write_json(tmp_path / "in" / "a.json", county)
    write_json(tmp_path / "in" / "b.json", county)

    done = command("batch", str(tmp_path / "in"), "-o", str(tmp_path / "outs"), "--template",
                   str(template), "-j", "2",
                   env={"DOCGEN_LIMITS": "string_chars=10000000000,memory_mb=1500"})

    assert done.returncode == 1 and "[TEMPLATE-LIMIT]" in done.stderr
    assert "内存超过上限" in done.stderr and "失败 2 份" in done.stdout


def test_unreferenced_header_parts_are_copied_not_rendered(tmp_path: Path,
                                                           county: dict[str, Any]) -> None:
    extra = [(f"word/header{i}.xml", b"<w:hdr>{{ 'x' * 10 ** 9 }}") for i in range(100, 1100)]
    template = template_variant(tmp_path / "headers.docx", extra=extra)

    fill._COMPILED.clear()
    data = docgen.render(county, kind=kind_with(template))
    checked = command("template", "check", str(template), "--format", "2021")

    with zipfile.ZipFile(__import__("io").BytesIO(data)) as archive:
        assert archive.read("word/header100.xml") == extra[0][1]
    assert checked.returncode == 0


@pytest.mark.parametrize("case", ["no body", "root not w:document", "two document.xml",
                                  "referenced header not XML"])
def test_broken_package_structure_is_a_template_file_problem(
        tmp_path: Path, county: dict[str, Any], case: str) -> None:
    template = tmp_path / "broken.docx"
    if case == "no body":
        template_variant(template, document=lambda xml: xml.replace("<w:body>", "<w:x>")
                         .replace("</w:body>", "</w:x>"))
    elif case == "root not w:document":
        template_variant(template, document=lambda xml: xml.replace("<w:document", "<w:doc")
                         .replace("</w:document>", "</w:doc>"))
    elif case == "two document.xml":
        with pytest.warns(UserWarning, match="Duplicate name"):
            template_variant(template, extra=[("word/document.xml", b"<x/>")])
    else:
        with zipfile.ZipFile(SHIPPED_TEMPLATE) as archive:
            headers = [n for n in archive.namelist() if fill.HEADER_FOOTER.match(n)]
        if not headers:
            pytest.skip("the shipped template has no header or footer")
        template_variant(template, parts={headers[0]: lambda data: b"not xml at all <"})

    problem = render_problem(template, county)
    checked = command("template", "check", str(template), "--format", "2021")

    assert problem.issues[0].code == "TEMPLATE-FILE"
    assert checked.returncode == 1 and "[TEMPLATE-FILE]" in checked.stdout


def test_template_that_is_not_a_regular_file(tmp_path: Path, county: dict[str, Any]) -> None:
    data = write_json(tmp_path / "data.json", county)

    done = command("render", str(data), "--template", "/dev/zero", "-o",
                   str(tmp_path / "out.docx"))

    assert done.returncode in (1, 2) and "/dev/zero" in done.stderr
    assert not (tmp_path / "out.docx").exists()


# -- templates: external content -------------------------------------------------------------

R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _add_relationship(rels: bytes, rid: str, kind: str, target: str,
                      external: bool = True) -> bytes:
    mode = ' TargetMode="External"' if external else ""
    return rels.replace(b"</Relationships>", (
        f'<Relationship Id="{rid}" Type="{R}/{kind}" Target="{target}"{mode}/>'
        "</Relationships>").encode())


def _paragraph(inner: str) -> Any:
    return lambda xml: xml.replace("<w:body>", f"<w:body><w:p>{inner}</w:p>", 1)


def _picture(rid: str) -> str:
    """A paragraph's inline picture whose bytes are linked (r:link), not embedded."""
    return (
        '<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
        'wordprocessingDrawing"><wp:extent cx="914400" cy="914400"/><wp:docPr id="77" '
        'name="p"/><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="0" name="p"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill>'
        f'<a:blip xmlns:r="{R}" r:link="{rid}"/><a:stretch><a:fillRect/></a:stretch>'
        '</pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/>'
        '</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
        "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>")


def external_template(path: Path, case: str, target: str = "http://127.0.0.1:9/x.png") -> Path:
    """The shipped template with one kind of external content added."""
    rels = "word/_rels/document.xml.rels"
    if case == "linked picture":
        return template_variant(path, document=_paragraph(_picture("rIdX1")), parts={
            rels: lambda r: _add_relationship(r, "rIdX1", "image", target)})
    if case == "attached template":
        return template_variant(path, extra=[("word/_rels/settings.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            f'openxmlformats.org/package/2006/relationships"><Relationship Id="rIdT" Type="{R}/'
            f'attachedTemplate" Target="file:///tmp/evil.dotm" TargetMode="External"/>'
            "</Relationships>").encode())])
    if case == "INCLUDEPICTURE":
        return template_variant(path, document=_paragraph(
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space='
            f'"preserve"> INCLUDEPICTURE "{target}" \\d </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>'))
    if case == "INCLUDETEXT":
        return template_variant(path, document=_paragraph(
            '<w:fldSimple w:instr=" INCLUDETEXT &quot;/etc/passwd&quot; "><w:r><w:t>x</w:t>'
            "</w:r></w:fldSimple>"))
    if case == "DDEAUTO":
        return template_variant(path, document=_paragraph(
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>DDEAUTO c:\\\\'
            'windows\\\\system32\\\\cmd.exe "/k calc"</w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>'))
    if case == "OLE object":
        return template_variant(path, document=_paragraph(
            '<w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" '
            'Type="Embed" ProgID="Package"/></w:object></w:r>'), parts={
            rels: lambda r: _add_relationship(r, "rIdO", "oleObject", "embeddings/x.bin",
                                              external=False),
            "[Content_Types].xml": lambda t: t.replace(b"<Default ", (
                b'<Default Extension="bin" ContentType="application/vnd.openxmlformats-'
                b'officedocument.oleObject"/><Default '), 1)},
            extra=[("word/embeddings/x.bin", b"\xd0\xcf\x11\xe0 ole")])
    raise AssertionError(case)


EXTERNAL = ["linked picture", "attached template", "INCLUDEPICTURE", "INCLUDETEXT", "DDEAUTO",
            "OLE object"]


@pytest.mark.parametrize("case", EXTERNAL)
def test_external_content_is_reported_and_refused(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path, county: dict[str, Any],
                                                  case: str) -> None:
    template = external_template(tmp_path / "ext.docx", case)
    data = write_json(tmp_path / "data.json", county)
    out = tmp_path / "out.docx"

    checked = run(capsys, "template", "check", str(template), "--format", "2021")
    refused = run(capsys, "render", str(data), "--template", str(template), "-o", str(out))
    problem = render_problem(template, county)

    assert checked[0] == 1 and "[TEMPLATE-EXTERNAL]" in checked[1]
    assert "（word/" in checked[1]  # -- located: the part, named as Word names it --
    assert refused[0] == 1 and "[TEMPLATE-EXTERNAL]" in refused[2] and not out.exists()
    assert problem.issues[0].code == "TEMPLATE-EXTERNAL"


def test_allow_external_renders_what_the_maintainer_wants(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path,
                                                          county: dict[str, Any]) -> None:
    template = external_template(tmp_path / "ext.docx", "linked picture")
    data = write_json(tmp_path / "data.json", county)
    out = tmp_path / "out.docx"

    code, _, _ = run(capsys, "render", str(data), "--template", str(template), "-o", str(out),
                     "--allow-external")

    assert code == 0
    with zipfile.ZipFile(out) as archive:
        assert b'TargetMode="External"' in archive.read("word/_rels/document.xml.rels")
    assert "本年度" in "".join(visible_texts(out))


def test_hyperlinks_are_not_external_content(tmp_path: Path, county: dict[str, Any]) -> None:
    template = template_variant(tmp_path / "link.docx", parts={
        "word/_rels/document.xml.rels": lambda r: _add_relationship(
            r, "rIdH", "hyperlink", "https://www.gov.cn/")})

    fill._COMPILED.clear()
    docgen.render(county, kind=kind_with(template))

    assert not fill.compile_template(template).external


def test_stripping_external_links_before_conversion(tmp_path: Path) -> None:
    from docgen.engine.package import strip_external

    template = external_template(tmp_path / "ext.docx", "linked picture")

    stripped = strip_external(template.read_bytes())

    with zipfile.ZipFile(__import__("io").BytesIO(stripped)) as archive:
        assert b"127.0.0.1" not in archive.read("word/_rels/document.xml.rels")
    assert strip_external(SHIPPED_TEMPLATE.read_bytes()) == SHIPPED_TEMPLATE.read_bytes()


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    """A local HTTP server that records every request; yields its base URL."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["http", "file"])
def test_pdf_fetches_nothing_and_reads_no_linked_file(tmp_path: Path, county: dict[str, Any],
                                                      listener: str, scheme: str) -> None:
    from docgen.engine.pdf import docx_to_pdf, find_libreoffice

    if find_libreoffice() is None:
        pytest.skip("LibreOffice is not installed")
    picture = tmp_path / "secret.png"
    picture.write_bytes(_PNG)
    target = f"{listener}/secret.png" if scheme == "http" else picture.as_uri()
    template = external_template(tmp_path / "ext.docx", "linked picture", target)
    docx = docgen.render(county, kind=kind_with(template), allow_external=True)

    pdf = docx_to_pdf(docx)
    (tmp_path / "out.pdf").write_bytes(pdf)
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "out.pdf")],
                            capture_output=True, text=True, check=False).stdout

    assert pdf.startswith(b"%PDF-")
    assert _Recorder.requests == []
    assert len(images.strip().splitlines()) <= 2  # -- the header lines only: no image --


#: A 1×1 red PNG.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408"
    "d763f8cfc000000301010018dd8db00000000049454e44ae426082")


@pytest.mark.slow
def test_soffice_group_killed_on_timeout_and_non_pdf_refused(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    from docgen.engine import pdf

    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nsleep 300 &\necho $! > \"$DOCGEN_CHILD\"\nsleep 300\n")
    fake.chmod(0o755)
    child = tmp_path / "child.pid"
    monkeypatch.setenv("DOCGEN_SOFFICE", str(fake))
    monkeypatch.setenv("DOCGEN_CHILD", str(child))

    with pytest.raises(docgen.PdfError, match="超时"):
        pdf.docx_to_pdf(SHIPPED_TEMPLATE.read_bytes(), timeout=1)

    pid = int(child.read_text())
    with pytest.raises(ProcessLookupError):
        for _ in range(50):
            os.kill(pid, 0)
            __import__("time").sleep(0.1)
    fake.write_text("#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = --outdir ] && o=$2; shift; done\n"
                    "mkdir -p \"$o\"; echo 'not a pdf' > \"$o/report.pdf\"\n")
    with pytest.raises(docgen.PdfError, match="不是完整的 PDF"):
        pdf.docx_to_pdf(SHIPPED_TEMPLATE.read_bytes(), timeout=10)


# -- custom schemas --------------------------------------------------------------------------

BASE_SCHEMA = {"type": "object", "properties": {"title": {"type": "string"}}}


def hostile_schemas(secret: Path, url: str) -> dict[str, tuple[Any, str]]:
    title = BASE_SCHEMA["properties"]
    return {
        "file $ref": ({**BASE_SCHEMA, "properties": {"title": {"$ref": secret.as_uri()}}},
                      "/properties/title：不允许引用外部模式"),
        "https $ref": ({**BASE_SCHEMA, "properties": {"title": {"$ref": f"{url}/s.json"}}},
                       "不允许引用外部模式"),
        "relative file $ref": ({**BASE_SCHEMA, "properties": {"title": {"$ref": "secret.json"}}},
                               "不允许引用外部模式"),
        "$ref to itself": ({"$ref": "#"}, "（根）：$ref “#” 构成循环引用"),
        "loop through allOf": ({"$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]},
                                          "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},
                               "构成循环引用"),
        "nested $id": ({"$id": f"{url}/root.json", "properties": {
            "x": {"$id": f"{url}/y.json", "$ref": "#/z"}}},
            "/properties/x：不允许在子模式中使用 $id"),
        "200 levels": (json.loads('{"properties":{"x":' * 200 + "{}" + "}}" * 200),
                       "嵌套过深（上限 64 层）"),
        "invalid pattern": ({**BASE_SCHEMA, "properties": {
            "title": {"type": "string", "pattern": "(["}}},
            "/properties/title/pattern：正则表达式"),
        "catastrophic pattern": ({**BASE_SCHEMA, "properties": {
            "title": {"type": "string", "pattern": "^(a+)+$"}}}, "灾难性回溯"),
        "overlapping alternatives": ({**BASE_SCHEMA, "patternProperties": {
            "^(a|a)*$": {"type": "string"}}, "properties": title},
            "/patternProperties/^(a|a)*$：正则表达式"),
        "meta-schema error": ({"type": "object", "properties": {"title": {"type": 5}}},
                              "/properties/title/type："),
    }


def test_hostile_schemas_are_located_refusals(tmp_path: Path, county: dict[str, Any],
                                              listener: str) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"type": "string", "description": SECRET}), encoding="utf-8")
    data = write_json(tmp_path / "data.json", {"title": "x"})
    template = template_variant(tmp_path / "t.docx")

    for name, (schema, shown) in hostile_schemas(secret, listener).items():
        path = tmp_path / f"{name.replace(' ', '-')}.json"
        path.write_text(json.dumps(schema), encoding="utf-8")
        checked = command("check", str(data), "--schema", str(path))
        rendered = command("render", str(data), "--schema", str(path), "--template",
                           str(template), "-o", str(tmp_path / "out.docx"))
        for done in (checked, rendered):
            assert done.returncode == 1, name
            assert shown in done.stderr, (name, done.stderr)
            assert SECRET not in done.stdout + done.stderr
    assert _Recorder.requests == []
    assert not (tmp_path / "out.docx").exists()


def test_a_recursive_schema_that_reaches_the_data_is_fine(tmp_path: Path) -> None:
    schema = {"$defs": {"node": {"type": "object", "properties": {
        "name": {"type": "string"},
        "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}}, "$ref": "#/$defs/node"}
    path = tmp_path / "tree.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    data = write_json(tmp_path / "data.json", {"name": "a", "kids": [{"name": 5}]})

    done = command("check", str(data), "--schema", str(path))

    assert done.returncode == 1 and "/kids/0/name" in done.stdout


# -- rules -----------------------------------------------------------------------------------


def test_narrative_rule_is_linear_and_bounded(county: dict[str, Any]) -> None:
    data = deep(county)
    disclosed = data["applications"]["results"]["disclosed"]
    data["overview"]["intro"] = "上年予以公开7件，" * 300_000 + "予以公开999999件，" * 40_000

    issues = [i for i in docgen.check(data) if i.code == "NARRATIVE"]

    assert disclosed  # -- the table holds the figure the narrative contradicts --
    assert len(issues) == 20
    assert all(i.actual == 999999 and i.path == "/overview/intro" for i in issues)


# -- files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "socket", "device"])
def test_only_regular_files_are_replaced(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         county: dict[str, Any], kind: str) -> None:
    data = write_json(tmp_path / "data.json", county)
    if kind == "fifo":
        target = tmp_path / "out.docx"
        os.mkfifo(target)
    elif kind == "socket":
        target = tmp_path / "out.docx"
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(target))
    else:  # -- ``-o /dev/null`` is refused for its missing suffix; a link to it is not --
        target = tmp_path / "out.docx"
        target.symlink_to("/dev/null")
    before = target.stat().st_mode

    code, _, err = run(capsys, "render", str(data), "-o", str(target))
    if kind == "socket":
        sock.close()

    assert code == 2 and "不是普通文件" in err
    assert target.stat().st_mode == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("which", ["previous", "schema", "data (hard link)"])
def test_an_input_is_never_an_output(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     county: dict[str, Any], which: str) -> None:
    # -- inputs named .docx (docgen reads them by content), so the suffix rule cannot save them --
    data = write_json(tmp_path / "data.json", county)
    last = write_json(tmp_path / "last.docx", county)
    if which == "previous":
        argv = ["render", str(data), "--previous", str(last), "-o", str(last)]
        kept = last
    elif which == "schema":
        schema = tmp_path / "s.docx"
        schema.write_text(json.dumps(BASE_SCHEMA), encoding="utf-8")
        argv = ["render", str(data), "--schema", str(schema), "--template",
                str(SHIPPED_TEMPLATE), "-o", str(schema)]
        kept = schema
    else:
        os.link(data, tmp_path / "other.docx")
        argv = ["render", str(data), "-o", str(tmp_path / "other.docx")]
        kept = data
    before = kept.read_bytes()

    code, _, err = run(capsys, *argv)

    assert code == 2 and "拒绝覆盖输入文件" in err
    assert kept.read_bytes() == before


def test_sigterm_unwinds_like_ctrl_c(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     county: dict[str, Any],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    data = write_json(tmp_path / "data.json", county)
    out = tmp_path / "out.docx"
    out.write_bytes(b"old")
    real_fsync = os.fsync

    def terminated(fd: int) -> None:
        real_fsync(fd)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(files.os, "fsync", terminated)
    before = signal.getsignal(signal.SIGTERM)

    code, _, _ = run(capsys, "render", str(data), "-o", str(out))

    assert code == 128 + signal.SIGTERM
    assert out.read_bytes() == b"old"
    assert leftovers(tmp_path, [out, data]) == []
    assert signal.getsignal(signal.SIGTERM) == before


@pytest.mark.slow
def test_sigterm_to_a_batch_stops_its_workers(tmp_path: Path, county: dict[str, Any]) -> None:
    (tmp_path / "in").mkdir()
    for i in range(40):
        write_json(tmp_path / "in" / f"r{i}.json", county)
    busy = template_variant(tmp_path / "t.docx", title=(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"))
    process = subprocess.Popen(
        [sys.executable, "-m", "docgen", "batch", str(tmp_path / "in"), "-o",
         str(tmp_path / "outs"), "--template", str(busy), "-j", "2"],
        env={**os.environ, "DOCGEN_LIMITS": "loop_iterations=1000000000000"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    __import__("time").sleep(3)
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True,
                              text=True, check=False).stdout.split()

    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)

    assert process.returncode == 128 + signal.SIGTERM and "Traceback" not in err
    assert children
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)


def test_stale_temporary_files_are_removed(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           county: dict[str, Any]) -> None:
    data = write_json(tmp_path / "data.json", county)
    out = tmp_path / "out" / "report.docx"
    out.parent.mkdir()
    gone = subprocess.Popen(["true"])  # -- a process that has surely exited --
    gone.wait()
    stale = out.parent / f".docgen-{gone.pid}-abcd1234.tmp"
    stale.write_bytes(b"half a report")
    living = out.parent / f".docgen-{os.getppid()}-efgh5678.tmp"
    living.write_bytes(b"someone is writing this")
    recent = out.parent / f".docgen-{gone.pid}-ijkl9012.tmp"
    recent.write_bytes(b"maybe a writer in another PID namespace")
    for path in (stale, living):  # -- written two minutes ago --
        os.utime(path, (path.stat().st_mtime - 120,) * 2)

    code, _, _ = run(capsys, "render", str(data), "-o", str(out))

    assert code == 0 and out.exists()
    assert not stale.exists() and living.exists() and recent.exists()


def test_long_output_names_fit_with_the_temporary_name(tmp_path: Path,
                                                       county: dict[str, Any]) -> None:
    name = "金" * 80  # -- 240 bytes: the longest stem batch naming allows --
    (tmp_path / "in").mkdir()
    write_json(tmp_path / "in" / "a.json", county)

    result = batch.render_many([(name, tmp_path / "in" / "a.json")], tmp_path / "outs", jobs=1)
    single = docgen.render(county, tmp_path / ("局" * 83 + ".docx"))

    assert result.ok and result.outcomes[0].written[0].name == name + ".docx"
    assert single.path.exists()


@pytest.mark.parametrize("umask, existing, expected", [(0o022, None, 0o644),
                                                       (0o077, None, 0o600),
                                                       (0o022, 0o600, 0o600),
                                                       (0o002, 0o640, 0o640)])
def test_permissions_follow_umask_or_the_replaced_file(tmp_path: Path, county: dict[str, Any],
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       umask: int, existing: int | None,
                                                       expected: int) -> None:
    out = tmp_path / "out.docx"
    if existing is not None:
        out.write_bytes(b"old")
        out.chmod(existing)
    monkeypatch.setattr(files, "_umask", umask)

    docgen.render(county, out)

    assert stat.S_IMODE(out.stat().st_mode) == expected


def test_trailing_slash_means_a_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                       county: dict[str, Any]) -> None:
    data = write_json(tmp_path / "county.json", county)

    code, out, _ = run(capsys, "render", str(data), "-o", str(tmp_path / "reports") + "/")

    assert code == 0 and (tmp_path / "reports" / "county.docx").is_file()
    assert str(tmp_path / "reports" / "county.docx") in out


# -- batch -----------------------------------------------------------------------------------


def test_a_killed_worker_fails_only_its_own_report(tmp_path: Path, county: dict[str, Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    original = batch._render_one

    def fragile(config: Any, job: Any) -> Any:
        if job.name == "b":
            os.kill(os.getpid(), signal.SIGKILL)  # -- as the OOM killer would --
        return original(config, job)

    monkeypatch.setattr(batch, "_render_one", fragile)  # -- inherited by the forked workers --
    reports = [(name, deep(county)) for name in "abcdef"]

    result = batch.render_many(reports, tmp_path / "outs", jobs=2)

    failed = {o.name: o.issues[0].code for o in result.failed}
    assert failed == {"b": "BATCH-WORKER"}
    assert sorted(p.name for p in (tmp_path / "outs").iterdir()) == \
        [f"{n}.docx" for n in "acdef"]


def test_invalid_utf8_fails_only_its_json_lines_line(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path,
                                                     county: dict[str, Any]) -> None:
    line = json.dumps(county, ensure_ascii=False, default=float).encode()
    lines = tmp_path / "all.jsonl"
    lines.write_bytes(line + b"\n" + line.replace("县".encode(), b"\xd8\xd8", 1) + b"\n" + line)

    code, out, err = run(capsys, "batch", str(lines), "-o", str(tmp_path / "outs"), "-j", "1")

    assert code == 1 and "已生成 2 份" in out and "失败 1 份" in out
    assert "第 2 行：不是 UTF-8 编码的文本" in err


def test_a_failed_pdf_leaves_no_docx(tmp_path: Path, county: dict[str, Any],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from docgen.engine import pdf

    def broken(docx: bytes, timeout: float = 0) -> bytes:
        raise docgen.PdfError("LibreOffice 未能生成 PDF")

    monkeypatch.setattr(pdf, "require_libreoffice", lambda: "soffice")
    monkeypatch.setattr(pdf, "docx_to_pdf", broken)

    result = batch.render_many([("a", deep(county))], tmp_path / "outs", jobs=1, pdf=True)

    assert not result.ok and "未能生成 PDF" in result.failed[0].issues[0].message
    assert list((tmp_path / "outs").iterdir()) == []


# -- smaller ---------------------------------------------------------------------------------


def test_standard_output_full_closed_or_not_utf8(tmp_path: Path, county: dict[str, Any]) -> None:
    data = write_json(tmp_path / "data.json", county)
    bad = deep(county)
    bad["year"] = "x"
    broken = write_json(tmp_path / "bad.json", bad)

    with open("/dev/full", "w") as full:
        to_full = command("schema", stdout=full)
    closed = command("render", str(data), "-o", str(tmp_path / "o.docx"),
                     stdout=subprocess.DEVNULL, preexec_fn=lambda: os.close(1))
    ascii_only = command("check", str(broken),
                         env={"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0",
                              "PYTHONIOENCODING": ""})
    piped = subprocess.Popen([sys.executable, "-m", "docgen", "template", "fields", "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert piped.stdout is not None and piped.stderr is not None
    piped.stdout.read(10)
    piped.stdout.close()
    err = piped.stderr.read().decode()
    piped.stderr.close()
    piped.wait(timeout=60)

    assert to_full.returncode == 2 and "磁盘已满" in to_full.stderr
    assert closed.returncode == 0 and (tmp_path / "o.docx").is_file()
    assert ascii_only.returncode == 1 and "/year" in ascii_only.stdout
    assert "Traceback" not in err and piped.returncode in (0, 141)


def test_terminal_escapes_in_data_are_shown_not_obeyed(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path,
                                                       county: dict[str, Any]) -> None:
    data = deep(county)
    data["\x1b]0;pwned\x07\x1b[2J"] = "x"
    data["agency"] = "\x1b[31m红\u202e"
    path = write_json(tmp_path / "data.json", data)

    code, out, err = run(capsys, "check", str(path))

    assert code == 1
    assert "\x1b" not in out + err and "\u202e" not in out + err
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in out


@pytest.mark.parametrize("value", [3 + 4j, Fraction(1, 3), Fraction(4, 1), {1, 2}, b"7"])
def test_python_values_no_json_holds_are_schema_issues(county: dict[str, Any],
                                                       value: Any) -> None:
    data = deep(county)
    data["proactive"]["fees"]["amount"] = value
    data["applications"]["new_received"]["natural_person"] = value

    issues = docgen.check(data)

    paths = {i.path for i in issues if i.is_error}
    assert paths == {"/proactive/fees/amount", "/applications/new_received/natural_person"}
    assert all(i.stage == "schema" for i in issues if i.is_error)
    with pytest.raises(docgen.InvalidReportError):
        docgen.render(data)
