"""Hostile and careless inputs to `docgen import`/`audit` (#14), workbooks (#17) and the HTML
output (#13): each is a clear message with a stable code and the right exit status, bounded,
nothing fetched or read from outside, nothing half-written, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import stat
import subprocess
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXAMPLES, REFERENCE_TEXT, read_json

import docgen
from docgen.audit import data_json
from docgen.cli import main
from docgen.engine.wordml import MAX_TEMPLATE_BYTES
from docgen.errors import UnreadableDocumentError
from docgen.readers import import_report
from docgen.readers import pdf as pdf_reader

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SECRET = "TOPSECRET-7f3a"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


def _rezip(source: bytes | Path, target: Path, change: dict[str, Callable[[bytes], bytes]],
           add: tuple[tuple[str, bytes], ...] = (), rename: dict[str, str] | None = None) -> Path:
    raw = source.read_bytes() if isinstance(source, Path) else source
    with zipfile.ZipFile(io.BytesIO(raw)) as old, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename in change:
                data = change[info.filename](data)
            new.writestr((rename or {}).get(info.filename, info.filename), data)
        for name, data in add:
            new.writestr(name, data)
    return target


def _doctype(secret: Path) -> bytes:
    return (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
            ).encode()


@pytest.fixture(scope="module")
def county_docx() -> bytes:
    return docgen.render(EXAMPLES / "county-bureau-2025.json")


# -- Word ------------------------------------------------------------------------------------


def test_docx_with_a_dtd_anywhere_or_a_duplicate_part_is_refused(
        tmp_path: Path, secret: Path, county_docx: bytes,
        capsys: pytest.CaptureFixture[str]) -> None:
    doc = "word/document.xml"
    late = _rezip(county_docx, tmp_path / "late.docx", {doc: lambda d: (
        b'<?xml version="1.0"?><!--' + b"x" * 5000 + b"-->"
        + _doctype(secret).split(b"?>", 1)[1] + d.split(b"?>", 1)[1])})
    utf16 = _rezip(county_docx, tmp_path / "utf16.docx", {doc: lambda d: (
        _doctype(secret).replace(b'"1.0"', b'"1.0" encoding="UTF-16"')
        + d.split(b"?>", 1)[1]).decode().encode("utf-16")})
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = _rezip(county_docx, tmp_path / "twice.docx", {}, add=((doc, b"<x/>"),))
    for path, message in ((late, "DOCTYPE/实体声明"), (utf16, "DOCTYPE/实体声明"),
                          (twice, "重复的部件 word/document.xml")):
        code, out, err = run(capsys, "import", str(path))
        assert (code, out) == (1, "")
        assert err.startswith(f"docgen: [IMPORT-UNSAFE] {path.name}：") and message in err
        assert SECRET not in err


def _docx(path: Path, body: str) -> Path:
    with zipfile.ZipFile(path, "w") as package:  # -- stored: no compression ratio to refuse --
        package.writestr("word/document.xml",
                         f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>')
    return path


def test_docx_too_deep_or_too_large_is_a_limit(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    deep = _docx(tmp_path / "deep.docx",
                 "<w:tbl><w:tr><w:tc>" * 2000 + "<w:p/>" + "</w:tc></w:tr></w:tbl>" * 2000)
    cells = _docx(tmp_path / "cells.docx",  # -- 1 500 000 cells took 17 s and 1.7 GB --
                  "<w:tbl>" + ("<w:tr>" + "<w:tc/>" * 1000 + "</w:tr>") * 250 + "</w:tbl>")
    big = _docx(tmp_path / "big.docx", "<w:p/>" * 4_000_000)
    for path, message in (
            (deep, "Word 文档正文嵌套过深（上限 256 层），已拒绝"),
            (cells, "行、段落或单元格过多（250001 个，上限 200000），不像一份年度报告，已拒绝"),
            (big, "正文部件过大（24000113 字节，上限 20971520），已拒绝")):
        code, _, err = run(capsys, "audit", str(path))
        assert (code, err) == (1, f"docgen: [IMPORT-LIMIT] {path.name}：{message}\n")


# -- web pages -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def county_page() -> str:
    return docgen.prepare(EXAMPLES / "county-bureau-2025.json").render_html()


def _body(page: str, before: str, after: str = "") -> str:
    start = page.index(">", page.index("<body")) + 1
    end = page.index("</body>")
    return page[:start] + before + page[start:end] + after + page[end:]


def test_pathological_pages_are_a_limit_not_a_silent_miss(
        tmp_path: Path, county_page: str, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.html"  # -- libxml2 stops at 256 levels and drops the rest --
    deep.write_text(_body(county_page, "<div>" * 1_000_000), encoding="utf-8")
    line = tmp_path / "line.html"  # -- 15 MB on one line: one text node past 10 MB --
    line.write_text(_body(county_page, "<p>" + "一" * (5 * 1024 * 1024) + "</p>")
                    .replace("\n", ""), encoding="utf-8")
    for path in (deep, line):
        code, out, err = run(capsys, "audit", str(path))
        assert (code, out) == (1, "")
        assert err == (f"docgen: [IMPORT-LIMIT] {path.name}：网页超出读取限制"
                       "（元素嵌套超过 256 层，或一段文字超过 10 MB），已拒绝\n")
    spans = tmp_path / "spans.html"  # -- 20 000 cells each spanning 1000 rows (was 2.5 GB) --
    spans.write_text(_body(county_page, "<table><tr>" + '<td rowspan="1000">1</td>' * 20_000
                           + "</tr>" + "<tr><td>x</td></tr>" * 20 + "</table>"),
                     encoding="utf-8")
    code, _, err = run(capsys, "audit", str(spans))
    assert (code, err) == (1, "docgen: [IMPORT-LIMIT] spans.html：网页表格 1 的合并单元格过多"
                              "（上限 100000 格），已拒绝\n")


def test_hostile_page_content_is_read_as_text_nothing_fetched(
        tmp_path: Path, secret: Path, county_page: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    hostile = (f'<!DOCTYPE html [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
               + _body(county_page.split("\n", 1)[1],
                       '<script>document.write("x")</script><iframe src="http://127.0.0.1:9/">'
                       '</iframe><object data="file:///etc/passwd"></object>'
                       '<a href="javascript:alert(1)">链接</a><p title="'
                       + "&amp;" * 1_000_000 + '">&s; &#0; &#x110000;</p>'))
    path = tmp_path / "hostile.html"
    path.write_text(hostile, encoding="utf-8")
    clean = tmp_path / "clean.html"
    clean.write_text(county_page, encoding="utf-8")
    imported = import_report(path)
    assert imported.data == import_report(clean).data
    assert SECRET not in data_json(imported.data)
    code, out, _ = run(capsys, "audit", str(path))
    assert (code, out) == (0, "未发现问题。\n")


def test_a_wrong_declared_charset_does_not_garble_the_page(
        tmp_path: Path, county_page: str) -> None:
    utf8 = tmp_path / "declared-gb2312.html"  # -- says gb2312, is UTF-8 --
    utf8.write_text(county_page.replace('charset="utf-8"', "charset=gb2312"),
                    encoding="utf-8")
    gbk = tmp_path / "declared-utf8.html"  # -- says UTF-8, is GB18030 --
    gbk.write_bytes(county_page.encode("gb18030"))
    expected = read_json(EXAMPLES / "county-bureau-2025.json")["agency"]
    for path in (utf8, gbk):
        assert import_report(path).data["agency"] == expected


# -- text ------------------------------------------------------------------------------------


def test_binary_given_as_text_is_refused(tmp_path: Path, county_docx: bytes,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    nul = tmp_path / "nul.txt"  # -- a NUL past the first 4 KB --
    nul.write_bytes(REFERENCE_TEXT.read_bytes() + b"\x00" * 100)
    noise = tmp_path / "noise.txt"  # -- no NUL, decodes as GB18030, full of controls --
    noise.write_bytes(bytes(range(1, 9)) * 500 + "一、总体情况".encode())
    for path in (nul, noise):
        code, _, err = run(capsys, "audit", str(path))
        assert code == 1
        assert err == f"docgen: [IMPORT-FILE] {path.name}：不是文本文件（含二进制内容）\n"


def test_a_16mb_single_line_text_is_one_message(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "line.txt"
    path.write_text("一、总体情况" + "予以公开9件，" * 900_000, encoding="utf-8")
    code, _, err = run(capsys, "audit", str(path))
    assert code == 1
    assert err.startswith(f"docgen: [IMPORT-NOT-REPORT] {path.name}：不是政府信息公开工作年度报告")


def test_many_lines_are_read_in_linear_time_or_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = REFERENCE_TEXT.read_text(encoding="utf-8")
    at = text.index("三、收到和处理")
    padded = tmp_path / "padded.txt"  # -- 150 000 stray lines: took 0.5 ms each, now cached --
    padded.write_text(text[:at] + "1\n" * 150_000 + text[at:], encoding="utf-8")
    code, out, _ = run(capsys, "audit", str(padded))
    assert code == 1 and "[T3-RESULTS]" in out
    flood = tmp_path / "flood.txt"  # -- 3 000 000 lines: 1.4 GB before, now refused first --
    flood.write_text(text[:at] + "1\n" * 3_000_000 + text[at:], encoding="utf-8")
    code, _, err = run(capsys, "audit", str(flood))
    assert (code, err) == (1, "docgen: [IMPORT-LIMIT] flood.txt：行、段落或单元格过多（3000653 个，"
                              "上限 200000），不像一份年度报告，已拒绝\n")


def test_terminal_escapes_in_imported_text_are_shown_not_obeyed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = REFERENCE_TEXT.read_text(encoding="utf-8")
    hostile = tmp_path / "escapes.txt"
    hostile.write_text(text.replace("金东区经济商务局", "金东区\x1b]0;pwned\x07\u202e经济商务局"),
                       encoding="utf-8")
    named = tmp_path / "e\x1b[2Jx.txt"
    named.write_bytes(b"\x00binary")
    outputs = [run(capsys, "audit", str(hostile), str(named)),
               run(capsys, "audit", str(named)),
               run(capsys, "audit", "--json", str(hostile), str(named)),
               run(capsys, "import", str(hostile))]
    for code, out, err in outputs:
        assert code in (0, 1)
        for shown in (out, err):
            assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "金东区\\x1b]0;pwned\\x07\\u202e经济商务局 2019年" in outputs[0][1]
    assert "e\\x1b[2Jx.txt" in outputs[1][2]
    summary = json.loads(outputs[2][1])
    assert summary[0]["agency"] == "金东区\x1b]0;pwned\x07\u202e经济商务局"
    assert json.loads(outputs[3][1])["agency"] == summary[0]["agency"]


# -- PDF -------------------------------------------------------------------------------------


def test_malformed_or_huge_pdf_is_one_message(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\ngarbage\n")
    code, _, err = run(capsys, "audit", str(path))
    assert code == 1
    assert err.startswith(f"docgen: [IMPORT-FILE] {path.name}：PDF 已损坏、已加密或无法读取（")
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as handle:
        handle.write(b"%PDF-1.4\n")
        handle.truncate(MAX_TEMPLATE_BYTES + 1)
    code, _, err = run(capsys, "audit", str(huge))
    assert code == 1
    assert err == (f"docgen: [IMPORT-LIMIT] huge.pdf：文件过大（上限 {MAX_TEMPLATE_BYTES} 字节）"
                   "\n")


@pytest.mark.slow
def test_encrypted_pdf_is_one_message(tmp_path: Path, county_docx: bytes, libreoffice: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "report.docx"
    source.write_bytes(county_docx)
    options = ('{"EncryptFile":{"type":"boolean","value":"true"},'
               '"DocumentOpenPassword":{"type":"string","value":"secret"}}')
    profile = f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}"
    subprocess.run([libreoffice, "--headless", profile, "--convert-to",
                    f"pdf:writer_pdf_Export:{options}", "--outdir", str(tmp_path), str(source)],
                   capture_output=True, timeout=180, check=True)
    code, _, err = run(capsys, "audit", str(tmp_path / "report.pdf"))
    assert (code, err) == (1, "docgen: [IMPORT-FILE] report.pdf：PDF 已加密（需要密码），无法读取；"
                              "请提供未加密的文件\n")


def _fake_pdftotext(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    program = folder / "pdftotext"
    program.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def test_pdftotext_running_long_is_killed_with_its_group(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    helper = tmp_path / "helper.pid"
    _fake_pdftotext(tmp_path, monkeypatch, f"sleep 300 & echo $! > {helper}\nsleep 300\n")
    monkeypatch.setattr(pdf_reader, "TIMEOUT", 1)
    with pytest.raises(UnreadableDocumentError, match=r"读取 PDF 超时（1 秒）") as caught:
        pdf_reader.read_pdf(b"%PDF-1.4\n", "slow.pdf")
    assert caught.value.code == "IMPORT-LIMIT"
    pid = int(helper.read_text())
    for _ in range(50):  # -- the killed helper is reaped by init --
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("pdftotext's helper was left running")


def test_pdftotext_writing_without_end_is_stopped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_pdftotext(tmp_path, monkeypatch, "exec yes 一、总体情况\n")
    monkeypatch.setattr(pdf_reader, "MAX_TEXT_BYTES", 1024 * 1024)
    with pytest.raises(UnreadableDocumentError, match=r"PDF 的文字过多（超过 1048576 字节）"):
        pdf_reader.read_pdf(b"%PDF-1.4\n", "endless.pdf")


# -- audit --csv, import -o ------------------------------------------------------------------


def test_audit_csv_cells_never_become_formulas(tmp_path: Path, county_docx: bytes,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    data = read_json(EXAMPLES / "county-bureau-2025.json")
    paths = []
    for index, agency in enumerate(('=HYPERLINK("http://evil/","点此")', "+1+cmd|' /C calc'!A0",
                                    "-2+3", "@SUM(1,2)")):
        path = tmp_path / f"r{index}.docx"
        docgen.render(data | {"agency": agency}, path)
        paths.append(path)
    formula_name = tmp_path / "=1+1.txt"
    formula_name.write_bytes(b"\x00")
    table = tmp_path / "summary.csv"
    code, _, _ = run(capsys, "audit", *map(str, paths), "--csv", str(table))
    assert code == 0
    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil/","点此")', "'+1+cmd|' /C calc'!A0", "'-2+3", "'@SUM(1,2)"]
    run(capsys, "audit", formula_name.name, "--csv", str(table))
    row = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8-sig"))))[1]
    assert row[0] == "'=1+1.txt"
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_import_and_audit_outputs_follow_the_file_rules(
        tmp_path: Path, county_docx: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.docx"
    report.write_bytes(county_docx)
    previous = tmp_path / "last.json"
    previous.write_bytes((EXAMPLES / "county-bureau-2025.json").read_bytes())
    link = tmp_path / "link.csv"
    link.symlink_to(previous)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    cases = [("import", str(report), "-o", str(report)),
             ("audit", str(report), "--previous", str(previous), "--csv", str(link)),
             ("import", str(report), "-o", str(fifo)),
             ("audit", str(report), "--csv", str(fifo)),
             ("init", "--year", "2025", "-o", str(fifo), "--force"),
             ("export", str(previous), "-o", str(tmp_path / "fifo.xlsx"), "--force")]
    os.mkfifo(tmp_path / "fifo.xlsx")
    for argv in cases:
        code, _, err = run(capsys, *argv)
        assert code == 2, argv
        assert "拒绝覆盖输入文件" in err or "不是普通文件" in err
    assert report.read_bytes() == county_docx
    assert previous.read_bytes() == (EXAMPLES / "county-bureau-2025.json").read_bytes()
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fifo.xlsx", "last.json", "link.csv", "pipe.json", "report.docx"]


# -- workbooks -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("openpyxl")
    from docgen.kinds import select_kind
    from docgen.kinds.gov_info_annual.workbook import export_workbook

    data = read_json(EXAMPLES / "county-bureau-2025.json")
    path = tmp_path_factory.mktemp("xlsx") / "good.xlsx"
    path.write_bytes(export_workbook(data, str(select_kind(data).version)))
    return path


_SHEET = "xl/worksheets/sheet1.xml"
_YEAR = b'<c r="B5" s="8" t="n"><v>2025</v></c>'


def test_hostile_workbook_packages_are_refused(
        tmp_path: Path, secret: Path, workbook: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    dtd = _doctype(secret)
    rows = "".join(f'<row r="{r}"><c r="D{r}" t="n"><v>{r}</v></c></row>'
                   for r in range(100, 60_100)).encode()
    rels = "xl/_rels/workbook.xml.rels"
    with pytest.warns(UserWarning, match="Duplicate name"):
        twice = _rezip(workbook, tmp_path / "twice.xlsx", {}, add=((_SHEET, b"<worksheet/>"),))
    cases = {
        "core.xlsx": ({"docProps/core.xml": lambda d: dtd + d.split(b"?>", 1)[-1]}, {},
                      "docProps/core.xml 含有 DOCTYPE/实体声明"),
        "strings.xlsx": ({_SHEET: lambda d: dtd + d.replace(_YEAR, b'<c r="B5"><v>&s;</v></c>'),
                          rels: lambda d: d.replace(b"sheet1.xml", b"sheet1")},
                         {_SHEET: "xl/worksheets/sheet1"}, "xl/worksheets/sheet1 含有 DOCTYPE"),
        "rows.xlsx": ({_SHEET: lambda d: d.replace(b"</sheetData>", rows + b"</sheetData>")},
                      {}, "工作簿中的单元格过多（超过 50000 个）"),
    }
    paths = {twice: "重复的部件 xl/worksheets/sheet1.xml"}
    for name, (change, rename, message) in cases.items():
        paths[_rezip(workbook, tmp_path / name, change, rename=rename)] = message
    for path, message in paths.items():
        for command in ("check", "render"):
            code, _, err = run(capsys, command, str(path), *(
                ("-o", str(tmp_path / "out.docx")) if command == "render" else ()))
            assert code == 1
            assert err.startswith(f"docgen: [XLSX-UNSAFE] {path}：") and message in err, err
            assert SECRET not in err
    assert not (tmp_path / "out.docx").exists()


def test_workbook_cells_that_look_like_data(tmp_path: Path, secret: Path, workbook: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    cells = {
        "hyperlink": (b'<c r="B5" t="str"><f>HYPERLINK("http://127.0.0.1:9/","x")</f>'
                      b"<v>2025</v></c>", "[XLSX-FORMULA]", "单元格中是公式"),
        "dde": (b"<c r=\"B5\"><f>cmd|' /C calc'!A0</f><v>2025</v></c>", "[XLSX-FORMULA]",
                "单元格中是公式"),
        "huge": (b'<c r="B5" t="n"><v>1e400</v></c>', "[XLSX-NUMBER]", "应填整数"),
        "digits": (b'<c r="B5" t="n"><v>' + b"1" + b"0" * 40 + b"</v></c>", "[XLSX-NUMBER]",
                   "应填整数"),
    }
    for name, (cell, code_text, message) in cells.items():
        path = _rezip(workbook, tmp_path / f"{name}.xlsx",
                      {_SHEET: lambda d, c=cell: d.replace(_YEAR, c)})  # type: ignore[misc]
        code, out, err = run(capsys, "check", str(path))
        assert code == 1
        assert f"错误 {code_text} 报告信息!B5（报告年度）/year：{message}" in out + err
    nan = _rezip(workbook, tmp_path / "nan.xlsx",
                 {_SHEET: lambda d: d.replace(_YEAR, b'<c r="B5" t="n"><v>NaN</v></c>')})
    code, _, err = run(capsys, "check", str(nan))
    assert (code, err) == (1, f"docgen: [XLSX-FILE] {nan}：工作簿已损坏，无法读取（ValueError）\n")


def test_workbook_external_links_and_odd_sheet_names(
        tmp_path: Path, secret: Path, workbook: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    external = (f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                f'relationships"><Relationship Id="rId1" Type="{rel_ns}/externalLinkPath" '
                f'Target="{secret.as_uri()}" TargetMode="External"/></Relationships>').encode()
    linked = _rezip(workbook, tmp_path / "linked.xlsx", {
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", (
            f'<Relationship Id="rId99" Type="{rel_ns}/externalLink" '
            'Target="externalLinks/externalLink1.xml"/></Relationships>').encode()),
        "xl/workbook.xml": lambda d: d.replace(b"<definedNames/>", (
            f'<externalReferences><externalReference xmlns:r="{rel_ns}" r:id="rId99"/>'
            "</externalReferences><definedNames/>").encode())}, add=(
        ("xl/externalLinks/externalLink1.xml",
         b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         b'<externalBook xmlns:r="' + rel_ns.encode() + b'" r:id="rId1"/></externalLink>'),
        ("xl/externalLinks/_rels/externalLink1.xml.rels", external)))
    code, out, err = run(capsys, "check", str(linked))
    assert code == 0 and SECRET not in out + err  # -- never loaded (keep_links=False) --
    escape = f"../../../../..{tmp_path}/escaped.xml"
    odd = _rezip(workbook, tmp_path / "odd.xlsx", {}, add=(
        (escape, b"<x/>"), ("x" * 60_000, b"<x/>"), ("\u202e\x01.xml", b"<x/>")))
    assert run(capsys, "check", str(odd))[0] == 0  # -- never extracted: read in memory --
    assert not (tmp_path / "escaped.xml").exists()
    named = _rezip(workbook, tmp_path / "named.xlsx", {"xl/workbook.xml": lambda d: d.replace(
        'name="表二"'.encode(), 'name="表\x1b[2J二"'.encode())})
    code, _, err = run(capsys, "check", str(named))
    assert (code, err) == (
        1, f"docgen: [XLSX-FILE] {named}：工作簿已损坏，无法读取（XMLSyntaxError）\n")


def test_export_never_writes_a_formula(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("openpyxl")
    data = read_json(EXAMPLES / "county-bureau-2025.json")
    data |= {"published": "=cmd|' /C calc'!A0", "agency": '=HYPERLINK("http://evil/")'}
    source = tmp_path / "dde.json"
    source.write_text(data_json(data), encoding="utf-8")
    target = tmp_path / "dde.xlsx"
    assert run(capsys, "export", str(source), "-o", str(target))[0] == 0
    with zipfile.ZipFile(target) as package:
        sheet = package.read(_SHEET).decode()
    assert "cmd|" in sheet and "<f>cmd" not in sheet and "<f>HYPERLINK" not in sheet
    code, out, err = run(capsys, "check", str(target))
    assert code == 1
    assert "报告信息!B9（发布日期）/published：不是有效的日期" in out + err
    hard = tmp_path / "hard.xlsx"
    os.link(target, hard)
    code, _, err = run(capsys, "export", str(target), "-o", str(hard), "--force")
    assert (code, err) == (2, f"docgen: 拒绝覆盖输入文件：{hard}\n")


# -- the HTML output -------------------------------------------------------------------------


def test_html_output_of_hostile_data_runs_and_links_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = read_json(EXAMPLES / "county-bureau-2025.json")
    data["overview"]["intro"] = ("</script><!-- <script>alert(1)</script> "
                                 '<iframe src="http://127.0.0.1:9/"> ]]> '
                                 + data["overview"]["intro"])
    data["contact"]["website"] = "javascript:alert(document.cookie)"
    source = tmp_path / "evil.json"
    source.write_text(data_json(data), encoding="utf-8")
    for extra in ((), ("--fragment",)):
        target = tmp_path / f"evil{len(extra)}.html"
        code, _, _ = run(capsys, "render", str(source), "-o", str(target), *extra)
        assert code == 0
        page = target.read_text(encoding="utf-8")
        for markup in ("<script", "</script", "<!-- <", "<iframe", "href=\"javascript",
                       "src=\"http"):
            assert markup not in page.lower()
        assert "&lt;/script&gt;&lt;!-- &lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "本报告电子版可在javascript:alert(document.cookie)下载" in page
        assert "<a " not in page
    fragment = (tmp_path / "evil1.html").read_text(encoding="utf-8")
    assert fragment.startswith("<article") and fragment.rstrip().endswith("</article>")


@pytest.mark.parametrize("suffix", [".xlsx", ".html", ".json"])
def test_a_device_named_as_an_input_is_read_within_the_limit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    # -- stat says a device holds 0 bytes: only a bounded read stops /dev/zero --
    device = tmp_path / f"zero{suffix}"
    device.symlink_to("/dev/zero")
    command = ["import", str(device)] if suffix == ".html" else ["check", str(device)]

    code, out, err = run(capsys, *command)

    assert code == 1 and out == ""
    assert "文件过大" in err and "Traceback" not in err


@pytest.mark.parametrize(("name", "command"), [("loop.html", "import"), ("loop.xlsx", "check")])
def test_an_unreadable_input_says_why_in_chinese(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        name: str, command: str) -> None:
    # -- the operating system's reason in Chinese, as for data files (issue 16) --
    for variable in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    loop = tmp_path / name
    loop.symlink_to(loop)

    code, out, err = run(capsys, command, str(loop))

    assert code == 2 and out == ""
    assert "符号链接层数过多（可能是循环链接）" in err


def test_a_bounded_read_says_how_large_when_the_file_system_knows(tmp_path: Path) -> None:
    from docgen.engine.files import InputTooLarge, read_bounded

    exact = tmp_path / "exact.bin"
    exact.write_bytes(b"x" * 100)
    assert read_bounded(exact, 100) == b"x" * 100
    with pytest.raises(InputTooLarge) as larger:
        read_bounded(exact, 99)
    assert (larger.value.size, larger.value.amount()) == (100, "100 字节，上限 99 字节")
    with pytest.raises(InputTooLarge) as device:
        read_bounded(Path("/dev/zero"), 99)  # -- stat says 0 bytes: the read finds more --
    assert device.value.size is None and device.value.amount("上限") == "上限 99 字节"
