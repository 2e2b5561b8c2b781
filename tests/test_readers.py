"""Reading published reports back (#14): import(render(data)) == data, the reference text, real
re-saved documents, damaged portal pages, hostile files."""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
import warnings
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, FIXTURES, REFERENCE_TEXT, read_json
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import docgen
from docgen.errors import UnreadableDocumentError, UsageError
from docgen.kinds.gov_info_annual.derive import derive_totals
from docgen.kinds.gov_info_annual.versions import format_for_year
from docgen.readers import import_report, read_document

with warnings.catch_warnings(), contextlib.suppress(ImportError):
    warnings.simplefilter("ignore", DeprecationWarning)
    import libcst.metadata  # noqa: F401

PUBLISHED = FIXTURES / "published"
COUNTY = read_json(EXAMPLES / "county-bureau-2025.json")
JINDONG = read_json(EXAMPLES / "jindong-2019.json")


def as_printed(data: dict[str, Any]) -> dict[str, Any]:
    """What a report's document shows, as data: its totals and the defaults the template
    prints (format, title, period, 六 when omitted) filled in."""
    shown = derive_totals(copy.deepcopy(data))
    year, agency = shown["year"], shown["agency"]
    shown.setdefault("format", format_for_year(year))
    shown.setdefault("title", f"{agency}{year}年政府信息公开工作年度报告")
    shown.setdefault("period", {"start": f"{year}-01-01", "end": f"{year}-12-31"})
    if "other_matters" not in shown:
        shown["other_matters"] = "无。" if shown.get("processing_fee") is None else ""
    return shown


def imported(tmp_path: Path, content: bytes, suffix: str) -> Any:
    path = tmp_path / f"report{suffix}"
    path.write_bytes(content)
    return import_report(path)


# -- the reference text --------------------------------------------------------------------


def test_reference_text_imports_exactly_as_published() -> None:
    report = import_report(REFERENCE_TEXT)
    assert report.data == read_json(FIXTURES / "jindong-2019-as-published.json")
    assert report.issues == []


def test_reference_text_figures_are_located_by_line() -> None:
    report = import_report(REFERENCE_TEXT)
    place = report.locations["/applications/results/total/research"]
    line = REFERENCE_TEXT.read_text(encoding="utf-8").splitlines()[place.line - 1]
    assert (str(place), line) == ("第546行", "0")
    assert str(report.locations["/proactive/procurement/amount"]) == "第168行"  # 24850元


# -- round trips: Word and PDF -------------------------------------------------------------


@pytest.mark.parametrize("data", [COUNTY, JINDONG], ids=["county-2021", "jindong-2019"])
def test_docx_round_trip_of_the_examples(tmp_path: Path, data: dict[str, Any]) -> None:
    report = imported(tmp_path, docgen.render(data, allow_errors=True), ".docx")
    assert report.data == as_printed(data)
    assert report.issues == []


def test_docx_figures_are_located_by_table_row_and_column(tmp_path: Path) -> None:
    report = imported(tmp_path, docgen.render(COUNTY), ".docx")
    # -- table 1 is the web-page header block; table 3 is the official 表三 --
    assert str(report.locations["/applications/results/withheld/third_party_rights/total"]) \
        == "表3（表三） 第11行 第10列"
    assert str(report.locations["/reviews/litigation_direct/pending"]) == "表4（表四） 第4行 第9列"


CELL = st.integers(0, 40)
NOTE_CELL = st.one_of(CELL, st.none(),
                      st.builds(lambda v, n: {"value": v, "note": f"其中修订{n}件"},
                                CELL, st.integers(0, 9)))
AGENCIES = st.sampled_from(["泽安县市场监督管理局", "金华市金东区财政局", "某某市人民政府办公室",
                            "青山镇人民政府", "县交通运输局"])
SENTENCES = st.sampled_from([
    "全年主动公开政府信息120条，其中政策文件15件。",
    "严格落实保密审查制度，未发生泄密事件。",
    "依托政府门户网站发布政策解读6篇（含图解2篇）。",
    "2026年将进一步完善依申请公开办理流程。",
    "我局坚持以公开为常态、不公开为例外。",
])
TEXTS = st.lists(SENTENCES, min_size=1, max_size=3).map("".join)


@st.composite
def reports(draw: st.DrawFn) -> dict[str, Any]:
    """Reports of either format with drawn figures, names, sections and closing."""
    base = copy.deepcopy(draw(st.sampled_from([COUNTY, JINDONG])))
    version = base.get("format") or format_for_year(base["year"])
    base["agency"] = draw(AGENCIES)
    base.pop("title", None)
    if version == "2021":
        base["year"] = draw(st.integers(2021, 2030))
        base["published"] = f"{base['year'] + 1}-01-{draw(st.integers(10, 31))}"
        base["processing_fee"] = draw(st.sampled_from([None, 0, Decimal("35.5")]))
        if base["processing_fee"] is None:
            del base["processing_fee"]
    for item, cells in base["proactive"].items():
        for cell in cells:
            if item == "procurement" and cell == "amount":
                cells[cell] = draw(st.integers(0, 10**7))
            elif item == "fees" and cell == "amount":
                cells[cell] = draw(st.sampled_from([Decimal("26.418"), 0, None]))
            elif cell == "change":
                cells[cell] = draw(st.integers(-20, 20))
            else:
                cells[cell] = draw(NOTE_CELL)
    for row in _rows(base["applications"]):
        for column in ("natural_person", "commercial", "research", "social_welfare",
                       "legal_service", "other"):
            row[column] = draw(CELL)
        row.pop("total", None)
    base["applications"]["results"].pop("total", None)
    for group in base["reviews"].values():
        for part in ("upheld", "corrected", "other", "pending"):
            group[part] = draw(CELL)
        group.pop("total", None)
    titles = draw(st.lists(st.sampled_from(["主动公开", "依申请公开", "平台建设", "监督保障"]),
                           min_size=1, max_size=4, unique=True))
    base["overview"] = {"intro": draw(TEXTS),
                        "sections": [{"title": t, "text": draw(TEXTS)} for t in titles]}
    base["other_matters"] = draw(st.sampled_from(["无。", "本年度无其他需要报告的事项。"]))
    return base


def _rows(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict) and "natural_person" in node:
        return [node]
    return [r for value in node.values() if isinstance(value, dict) for r in _rows(value)]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(reports())
def test_docx_round_trip_of_generated_reports(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        report = imported(Path(folder), docgen.render(data, allow_errors=True), ".docx")
    assert [str(i) for i in report.issues] == []
    assert report.data == as_printed(data)


@pytest.mark.slow
@pytest.mark.parametrize("data", [COUNTY, JINDONG], ids=["county-2021", "jindong-2019"])
def test_pdf_round_trip_of_the_examples(tmp_path: Path, data: dict[str, Any]) -> None:
    report = imported(tmp_path, docgen.render(data, pdf=True, allow_errors=True), ".pdf")
    expected = as_printed(data)
    # -- the PDF's header block wraps 发文字号 over two lines; LibreOffice leaves a 、 or ，
    # -- hanging at a line end out of the text layer: narrative is compared without them --
    assert report.data.pop("header", None) is not None
    expected.pop("header", None)
    assert _loose(report.data) == _loose(expected)
    assert [str(i) for i in report.issues] == []
    assert report.data["applications"] == expected["applications"]
    assert report.data["proactive"] == expected["proactive"]


@pytest.mark.slow
@settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(reports())
def test_pdf_round_trip_of_generated_reports(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        pdf = docgen.render(data, pdf=True, allow_errors=True)
        report = imported(Path(folder), pdf, ".pdf")
    expected = as_printed(data)
    report.data.pop("header", None)
    expected.pop("header", None)
    assert [str(i) for i in report.issues] == []
    assert _loose(report.data) == _loose(expected)


def _loose(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _loose(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_loose(v) for v in value]
    return value.replace("、", "").replace("，", "") if isinstance(value, str) else value


# -- documents re-saved by other programs ----------------------------------------------------


def test_libreoffice_resaved_docx_imports_like_the_original() -> None:
    report = import_report(PUBLISHED / "county-bureau-2025.lo.docx")
    assert report.data == as_printed(COUNTY)
    assert report.issues == []


def test_libreoffice_html_page_imports_like_the_original() -> None:
    report = import_report(PUBLISHED / "jindong-2019.lo.html")
    assert report.data == as_printed(JINDONG)


@pytest.mark.slow
def test_old_word_doc_is_converted_by_libreoffice() -> None:
    report = import_report(PUBLISHED / "county-bureau-2025.doc")
    assert report.data == as_printed(COUNTY)


def test_old_word_doc_without_libreoffice_gets_one_clear_message(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCGEN_SOFFICE", str(tmp_path / "no-soffice"))
    with pytest.raises(UnreadableDocumentError, match=r"旧版 Word（\.doc）.*另存为 \.docx"):
        import_report(PUBLISHED / "county-bureau-2025.doc")


@pytest.mark.parametrize("name, data", [("county-bureau-2025.pdftotext.txt", COUNTY),
                                        ("jindong-2019.pdftotext.txt", JINDONG)])
def test_pdftotext_text_never_misreads_a_figure(name: str, data: dict[str, Any]) -> None:
    """pdftotext's plain text scrambles table 3; what is read is right, the rest reported."""
    report = import_report(PUBLISHED / name)
    truth = _leaves(derive_totals(copy.deepcopy(data)))
    read = _leaves({k: report.data[k] for k in ("proactive", "applications", "reviews")})
    assert {p: v for p, v in read.items() if truth[p] != v} == {}
    unread = {p for p in truth if p.split("/")[1] in ("proactive", "applications", "reviews")
              and p not in read and not p.endswith("/total")}
    reported = {i.path for i in report.issues if i.code == "IMPORT-UNREAD"}
    assert all(any(p == r or p.startswith(r + "/") for r in reported) for p in unread)
    assert report.data["reviews"] == truth_reviews(data)


def truth_reviews(data: dict[str, Any]) -> Any:
    return derive_totals(copy.deepcopy(data))["reviews"]


def _leaves(node: Any, path: str = "") -> dict[str, Any]:
    if isinstance(node, dict) and not ("value" in node and "note" in node):
        return {p: v for k, v in node.items() for p, v in _leaves(v, f"{path}/{k}").items()}
    return {path: node}


# -- a hand-damaged portal page ------------------------------------------------------------


def test_damaged_portal_page_is_read_with_its_problems_located() -> None:
    """Word debris, one character per span, &nbsp;, no <th>, pixel widths, a 法人或其他组织
    subtotal column, thousands separators, 万元, half-width brackets, label drift, a blank
    cell, the article among the portal's chrome."""
    report = import_report(PUBLISHED / "damaged-portal-2025.html")
    expected = as_printed(COUNTY)
    assert report.data["proactive"] == expected["proactive"]
    assert report.data["reviews"] == expected["reviews"]
    assert report.data["overview"] == expected["overview"]
    assert report.data["problems"] == expected["problems"]
    assert report.data["other_matters"] == expected["other_matters"]
    assert report.data["processing_fee"] == 0
    assert report.data["signature"] == {}
    assert report.data["notes"] == expected["notes"]
    assert (report.data["agency"], report.data["year"], report.data["published"]) == \
        ("泽安县市场监督管理局", 2025, "2026-01-20")
    assert report.data["header"] == {"index_no": "001008003012345/2026-00008",
                                     "publisher": "县市场监管局",
                                     "document_no": "泽市监〔2026〕5号",
                                     "source": "泽安县市场监督管理局"}
    blank = expected["applications"]["results"]["partially_disclosed"].pop("research")
    assert blank == 0  # -- printed blank, never read as 0 --
    assert report.data["applications"] == expected["applications"]
    assert [(str(i), i.path) for i in report.issues] == [
        ("警告 [IMPORT-EXTRA-COLUMN] 表2（表三） 第4行 第5列（"
         "三、收到和处理政府信息公开申请情况）：表三多出一列（法人或其他组织小计），已略过",
         "/applications"),
        ("错误 [IMPORT-BLANK-CELL] 表2（表三） 第7行 第7列（"
         "三、收到和处理政府信息公开申请情况 › 三、本年度办理结果 › "
         "（二）部分公开（区分处理的，只计这一情形，不计其他情形） › 科研机构）："
         "单元格空白：应填数字（没有的填 0，不适用的填“/”）；已留空，未按 0 计",
         "/applications/results/partially_disclosed/research"),
    ]


def test_a_2021_report_printed_with_the_2019_table_3_is_a_format_problem(tmp_path: Path) -> None:
    page = (PUBLISHED / "damaged-portal-2025.html").read_text(encoding="utf-8")
    start = page.index("1.申请人无正当理由逾期")
    row_start = page.rindex("<tr", 0, start)
    total = page.index("(七)总计")
    page = page[:row_start] + page[row_start:total].split("</tr>")[0].replace(
        page[page.index("<td", row_start):page.index("</td>", start) + 5],
        '<td colspan=2><p>(六)其他处理</p></td>') + "</tr>" + page[page.rindex("<tr", 0, total):]
    report = imported(tmp_path, page.encode("utf-8"), ".html")
    found = [i for i in report.issues if i.code == "IMPORT-FORMAT"]
    assert len(found) == 1 and "表三按2019年版格式印制" in found[0].message
    assert report.data["applications"]["results"]["other"]["other"]["natural_person"] == 3


# -- hostile and wrong inputs ----------------------------------------------------------------


def test_a_file_that_is_not_a_report_gets_one_clear_message(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocumentError, match="不是政府信息公开工作年度报告"):
        imported(tmp_path, "会议通知\n请各单位于周五前报送材料。\n".encode(), ".txt")


def test_unknown_suffix_and_missing_file_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "a.xls").write_bytes(b"\x00\x01")
    with pytest.raises(UsageError, match="不支持的文件类型"):
        read_document(tmp_path / "a.xls")
    with pytest.raises(UsageError, match="找不到报告文件"):
        read_document(tmp_path / "missing.docx")


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_docx_with_entities_is_refused(tmp_path: Path) -> None:
    xml = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "xx">]><w:document xmlns:w='
           b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>')
    raw = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": xml})
    with pytest.raises(UnreadableDocumentError, match="XXE"):
        imported(tmp_path, raw, ".docx")


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    raw = _zip({"word/document.xml": b"<a/>", "big.bin": b"\0" * 30_000_000})
    with pytest.raises(UnreadableDocumentError, match="压缩炸弹"):
        imported(tmp_path, raw, ".docx")


def test_damaged_docx_and_pdf_get_clear_messages(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocumentError, match="不是 Word 文档"):
        imported(tmp_path, b"PK\x03\x04 broken", ".docx")
    with pytest.raises(UnreadableDocumentError, match="PDF"):
        imported(tmp_path, b"%PDF-1.4\n broken", ".pdf")


def test_pdf_without_a_text_layer_says_so(tmp_path: Path) -> None:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    body, offsets = b"%PDF-1.4\n", []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"\
        .encode()
    with pytest.raises(UnreadableDocumentError, match="没有文字层（可能是扫描件）"):
        imported(tmp_path, body, ".pdf")


def test_html_entities_and_scripts_are_not_expanded_or_run(tmp_path: Path) -> None:
    page = (PUBLISHED / "damaged-portal-2025.html").read_text(encoding="utf-8")
    page = '<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + page.replace(
        "<div class=\"footer\">", "<script>document.write('&x;')</script><div class=\"footer\">")
    report = imported(tmp_path, page.encode("utf-8"), ".html")
    assert "root:" not in repr(report.data)


def test_a_page_with_too_many_elements_is_refused(tmp_path: Path) -> None:
    page = "<html><body>" + "<span>x</span>" * 200_001 + "</body></html>"
    with pytest.raises(UnreadableDocumentError, match="网页元素过多"):
        imported(tmp_path, page.encode(), ".html")


def test_same_file_same_result() -> None:
    first = import_report(PUBLISHED / "damaged-portal-2025.html")
    second = import_report(PUBLISHED / "damaged-portal-2025.html")
    assert (first.data, first.issues) == (second.data, second.issues)


# -- pasted text variants ------------------------------------------------------------------


def _reference_lines() -> list[str]:
    return REFERENCE_TEXT.read_text(encoding="utf-8").splitlines()


def test_table_rows_pasted_with_tabs_read_like_one_cell_per_line(tmp_path: Path) -> None:
    """A table copied from a browser keeps each row on one line, cells split by tabs."""
    lines, out, row = _reference_lines(), [], []
    figures = {"0", "1", "6", "11", "31", "27", "243", "5", "21", "24850元"}
    for line in lines:
        if line in figures and row:
            row.append(line)
        elif line == "" and row:
            continue
        else:
            if row:
                out.append("\t".join(row))
            row = [line] if line and not line.startswith(("一、总体", "（")) else []
            if not row:
                out.append(line)
    out.append("\t".join(row))
    pasted = "\n".join(out)
    assert "规章\t0\t0\t0" in pasted and "（七）总计\t0\t0\t0\t0\t0\t0\t0" in pasted.replace(
        "(", "（").replace(")", "）")
    report = imported(tmp_path, pasted.encode("utf-8"), ".txt")
    expected = read_json(FIXTURES / "jindong-2019-as-published.json")
    assert report.data["applications"] == expected["applications"]
    assert report.data["proactive"] == expected["proactive"]
    assert report.data["reviews"] == expected["reviews"]


def test_a_subtotal_row_for_a_group_is_reported_and_skipped(tmp_path: Path) -> None:
    lines = _reference_lines()
    at = lines.index("1.属于国家秘密")
    assert lines[at - 2] == "(三)不予公开"
    lines[at - 1:at - 1] = ["", "0", "", "0", "", "0", "", "0", "", "0", "", "0", "", "0", ""]
    report = imported(tmp_path, "\n".join(lines).encode("utf-8"), ".txt")
    assert report.data == read_json(FIXTURES / "jindong-2019-as-published.json")
    [extra] = report.issues
    assert (extra.code, extra.severity, extra.path, str(extra.location)) == \
        ("IMPORT-EXTRA-ROW", "warning", "/applications/results/withheld", f"第{at + 1}行")


def test_a_missing_figure_in_pasted_text_leaves_the_row_unread(tmp_path: Path) -> None:
    lines = _reference_lines()
    at = lines.index("1.属于国家秘密")
    del lines[at + 2]  # -- its first figure --
    report = imported(tmp_path, "\n".join(lines).encode("utf-8"), ".txt")
    assert "state_secret" not in report.data["applications"]["results"]["withheld"]
    [unread] = report.issues
    assert unread.code == "IMPORT-UNREAD"
    assert unread.path == "/applications/results/withheld/state_secret"
    assert "应有 7 个数字，读到 6 个" in unread.message


# -- a Word document from another producer ---------------------------------------------------


def _word_table(document: Any, rows: list[list[str]], merges: list[tuple[int, int, int, int]]
                ) -> None:
    table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text:
                paragraph = table.cell(r, c).paragraphs[0]
                half = len(text) // 2  # -- text split across runs, as Word does --
                paragraph.add_run(text[:half])
                paragraph.add_run(text[half:])
    for top, left, bottom, right in merges:
        table.cell(top, left).merge(table.cell(bottom, right))


def test_word_document_with_merged_cells_and_a_table_split_across_pages(tmp_path: Path) -> None:
    """Built with python-docx (another producer): runs split mid-word, vertical and horizontal
    merges, table 3 split in two with its header repeated, labels without their remarks."""
    import docx

    data = derive_totals(copy.deepcopy(COUNTY))
    apps, columns = data["applications"], ("natural_person", "commercial", "research",
                                            "social_welfare", "legal_service", "other", "total")
    document = docx.Document()
    for text in ("泽安县市场监督管理局2025年政府信息公开工作年度报告", "一、总体情况", "综述。",
                 "二、主动公开政府信息情况"):
        document.add_paragraph(text)
    p = data["proactive"]
    _word_table(document, [
        ["第二十条第（一）项", "", "", ""],
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "/", "/", "/"], ["规范性文件", "8（其中修订3件）", "4", "37"],
        ["第二十条第（五）项", "", "", ""], ["信息内容", "本年处理决定数量", "", ""],
        ["行政许可", f"{p['licensing']['decisions']:,}", "", ""],
        ["第二十条第（六）项", "", "", ""], ["信息内容", "本年处理决定数量", "", ""],
        ["行政处罚", "612", "", ""], ["行政强制", "87", "", ""],
        ["第二十条第（八）项", "", "", ""], ["信息内容", "本年收费金额（单位：万元）", "", ""],
        ["行政事业性收费", "26.418", "", ""]],
        [(0, 0, 0, 3), (4, 0, 4, 3), (5, 1, 5, 3), (6, 1, 6, 3), (7, 0, 7, 3), (8, 1, 8, 3),
         (9, 1, 9, 3), (10, 1, 10, 3), (11, 0, 11, 3), (12, 1, 12, 3), (13, 1, 13, 3)])
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    header = [["", "", "", "申请人情况", "", "", "", "", "", ""],
              ["", "", "", "自然人", "法人或其他组织", "", "", "", "", "总计"],
              ["", "", "", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""]]
    merges = [(0, 0, 2, 2), (0, 3, 0, 9), (1, 3, 2, 3), (1, 4, 1, 8), (1, 9, 2, 9)]
    figures = [lambda row: [str(row[c]) for c in columns]][0]
    results = apps["results"]
    first = [
        *header,
        ["一、本年新收政府信息公开申请数量", "", "", *figures(apps["new_received"])],
        ["二、上年结转政府信息公开申请数量", "", "", *figures(apps["carried_over"])],
        ["三、本年度办理结果", "（一）予以公开", "", *figures(results["disclosed"])],
        ["", "（二）部分公开", "", *figures(results["partially_disclosed"])]]
    _word_table(document, first, [*merges, (3, 0, 3, 2), (4, 0, 4, 2), (5, 0, 6, 0),
                                  (5, 1, 5, 2), (6, 1, 6, 2)])
    document.add_page_break()
    rest = list(header)
    spans = []
    for group in ("withheld", "unavailable", "not_processed", "other"):
        members = list(results[group])
        spans.append((len(rest), 1, len(rest) + len(members) - 1, 1))
        for index, member in enumerate(members):
            label = docgen_title(group, member)
            rest.append(["", docgen_title(group) if index == 0 else "", label,
                         *figures(results[group][member])])
    rest.append(["", "（七）总计", "", *figures(results["total"])])
    rest.append(["四、结转下年度继续办理", "", "", *figures(apps["carried_forward"])])
    _word_table(document, rest, [*merges, *spans, (3, 0, len(rest) - 2, 0),
                                 (len(rest) - 2, 1, len(rest) - 2, 2),
                                 (len(rest) - 1, 0, len(rest) - 1, 2)])
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    reviews = data["reviews"]
    parts = ("upheld", "corrected", "other", "pending", "total")
    _word_table(document, [
        ["行政复议", "", "", "", "", "行政诉讼", *[""] * 9],
        ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "", "", "", "",
         "复议后起诉", "", "", "", ""],
        ["", "", "", "", "", *["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2],
        [str(reviews[g][k]) for g in ("administrative_review", "litigation_direct",
                                       "litigation_after_review") for k in parts]],
        [(0, 0, 0, 4), (0, 5, 0, 14), (1, 5, 1, 9), (1, 10, 1, 14),
         *[(1, c, 2, c) for c in range(5)]])
    for text in ("五、存在的主要问题及改进情况", "问题。", "六、其他需要报告的事项", "无。"):
        document.add_paragraph(text)
    path = tmp_path / "word.docx"
    document.save(str(path))
    report = import_report(path)
    assert [str(i) for i in report.issues] == []
    assert report.data["proactive"] == data["proactive"]
    assert report.data["applications"] == apps
    assert report.data["reviews"] == reviews


def docgen_title(*parts: str) -> str:
    from docgen.kinds.gov_info_annual.reading_tables import title

    return title("2021", "applications", "results", *parts)


def test_gb2312_portal_page_reads_like_utf8(tmp_path: Path) -> None:
    page = (PUBLISHED / "damaged-portal-2025.html").read_text(encoding="utf-8")
    page = page.replace("charset=utf-8", "charset=gb2312")
    report = imported(tmp_path, page.encode("gb18030"), ".html")
    original = import_report(PUBLISHED / "damaged-portal-2025.html")
    assert report.data == original.data


# -- round trip: docgen's own web page (#13 × #14) ---------------------------------------------


@pytest.mark.parametrize("data", [COUNTY, JINDONG], ids=["county-2021", "jindong-2019"])
@pytest.mark.parametrize("fragment", [False, True], ids=["page", "fragment"])
def test_html_round_trip_of_the_examples(tmp_path: Path, data: dict[str, Any],
                                         fragment: bool) -> None:
    page = docgen.render(data, html=True, fragment=fragment, allow_errors=True)
    report = imported(tmp_path, page.encode("utf-8"), ".html")
    assert [str(i) for i in report.issues] == []
    assert report.data == as_printed(data)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(reports())
def test_html_round_trip_of_generated_reports(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        page = docgen.render(data, html=True, allow_errors=True)
        report = imported(Path(folder), page.encode("utf-8"), ".html")
    assert [str(i) for i in report.issues] == []
    assert report.data == as_printed(data)
