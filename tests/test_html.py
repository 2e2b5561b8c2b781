"""The web page (issue 13): the same document as the Word file, table grid by table grid and
paragraph by paragraph; self-contained, accessible, and still bordered after a CMS editor strips
what it strips; the same bytes every time; its templates checked like Word ones."""

from __future__ import annotations

import copy
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from conftest import EXAMPLES, FIXTURES, ROOT, W, open_docx, read_json
from hypothesis import given
from hypothesis import strategies as st
from test_properties import SETTINGS, valid_reports
from test_templates import notice_module

import docgen
from docgen.cli import main
from docgen.kinds import custom_kind, get_kind

HTML_TEMPLATES = ROOT / "templates" / "html"
CASES = {
    "2019 jindong": (EXAMPLES / "jindong-2019.json", False),
    "2021 county": (EXAMPLES / "county-bureau-2025.json", False),
    "2019 as published": (FIXTURES / "jindong-2019-as-published.json", True),
}
#: The header block's labels and the context field each shows.
HEADER_FIELDS = {"信息索引号：": ("header", "index_no"), "审核程序：": ("header", "review"),
                 "发布机构：": ("header", "publisher"), "发文字号：": ("header", "document_no"),
                 "发布日期：": ("published",), "公开方式：": ("header", "disclosure"),
                 "信息来源：": ("header", "source")}


# -- reading both forms ----------------------------------------------------------------------


def _docx_cell_text(tc: Any) -> str:
    return "\n".join("".join(t.text or "" for t in p.iter(W + "t")) for p in tc.iter(W + "p"))


def docx_grid(tbl: Any) -> list[list[str]]:
    """A w:tbl as its full grid: a merged cell's text in every slot it covers."""
    grid: list[list[str]] = []
    for tr in tbl.iterchildren(W + "tr"):
        row: list[str] = []
        for tc in tr.iterchildren(W + "tc"):
            span = tc.find(f"{W}tcPr/{W}gridSpan")
            width = int(span.get(W + "val")) if span is not None else 1
            merge = tc.find(f"{W}tcPr/{W}vMerge")
            if merge is not None and merge.get(W + "val") != "restart":
                text = grid[-1][len(row)]  # -- continues the cell above --
            else:
                text = _docx_cell_text(tc)
            row += [text] * width
        grid.append(row)
    return grid


def html_grid(table: Any) -> list[list[str]]:
    """An HTML table as its full grid, rowspan and colspan expanded (the HTML table model)."""
    grid: dict[tuple[int, int], str] = {}
    rows = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    for y, tr in enumerate(rows):
        x = 0
        for cell in tr.xpath("./th|./td"):
            while (y, x) in grid:
                x += 1
            text = cell.text_content().strip()
            for dy in range(int(cell.get("rowspan", 1))):
                for dx in range(int(cell.get("colspan", 1))):
                    grid[(y + dy, x + dx)] = text
            x += int(cell.get("colspan", 1))
    height = max(y for y, _ in grid) + 1
    width = max(x for _, x in grid) + 1
    assert len(grid) == height * width, "the table's grid has holes or overlaps"
    return [[grid[(y, x)] for x in range(width)] for y in range(height)]


def docx_paragraphs(data: bytes) -> list[str]:
    """The body's paragraphs outside tables, empty ones left out."""
    body = open_docx(data).element.body
    texts = ["".join(t.text or "" for t in p.iter(W + "t")) for p in body.iterchildren(W + "p")]
    return [t for t in texts if t.strip()]


def html_paragraphs(page: Any) -> list[str]:
    """The article's headings and paragraphs outside tables, empty ones left out."""
    found = page.xpath("//article//*[self::h1 or self::h2 or self::h3 or self::p]"
                       "[not(ancestor::table)]")
    return [e.text_content() for e in found if e.text_content().strip()]


def official_tables(page: Any) -> list[Any]:
    """Tables 2–4 of the page (the header block, when there is one, comes first)."""
    return [t for t in page.iter("table") if t.findtext("caption") != "信息属性"]


def both_forms(report: Any, allow_errors: bool = False) -> tuple[Any, bytes, Any]:
    prepared = docgen.prepare(report)
    data = prepared.render(allow_errors=allow_errors)
    page = lxml.html.document_fromstring(prepared.render_html(allow_errors=allow_errors))
    return prepared, data, page


def assert_same_document(prepared: Any, data: bytes, page: Any) -> None:
    """Tables 2–4 grid for grid, the header block field for field, the narrative in order."""
    word = [docx_grid(t) for t in open_docx(data).element.body.iterchildren(W + "tbl")]
    header = page.xpath("//table[caption='信息属性']")
    if header:
        shown = [tuple(c.text_content() for c in tr.xpath("./th|./td"))
                 for tr in header[0].iter("tr")]
        context = prepared.context
        expected = []
        for row in word[0]:
            for label, value in ((row[0], row[1]), (row[2], row[3])):
                if label:
                    source: Any = context
                    for key in HEADER_FIELDS[label]:
                        source = source[key]
                    if source is not None:
                        expected.append((label, value))
        assert shown == expected
        word = word[1:]
    tables = official_tables(page)
    assert len(tables) == len(word) == 3
    for number, (table, grid) in enumerate(zip(tables, word, strict=True), start=2):
        assert html_grid(table) == grid, f"table {number} differs from the Word table"
    assert html_paragraphs(page) == docx_paragraphs(data)


# -- same document, two forms ----------------------------------------------------------------


@pytest.mark.parametrize("case", list(CASES))
def test_every_table_and_paragraph_equals_the_word_document(case: str) -> None:
    report, allow_errors = CASES[case]
    prepared, data, page = both_forms(report, allow_errors)
    assert_same_document(prepared, data, page)


def test_the_tables_hold_what_the_report_says(county: dict[str, Any],
                                               jindong: dict[str, Any]) -> None:
    page = lxml.html.document_fromstring(docgen.render(county, html=True))
    table2, table3, table4 = (html_grid(t) for t in official_tables(page))
    assert ["规章", "/", "/", "/"] in table2  # -- null as "/" --
    assert ["行政规范性文件", "8（其中修订3件）", "4", "37"] in table2
    assert table2[-1] == ["行政事业性收费", "26.418", "26.418", "26.418"]
    assert table3[3][3:] == ["128", "23", "2", "3", "9", "4", "169"]
    assert table3[2][:3] == [table3[0][0]] * 3  # -- the corner spans three rows and columns --
    assert table4[0] == ["行政复议"] * 5 + ["行政诉讼"] * 10
    page = lxml.html.document_fromstring(docgen.render(jindong, html=True))
    zeros = [row for row in html_grid(official_tables(page)[1]) if row[0].startswith("二、")]
    assert zeros[0][3:] == ["0"] * 7  # -- zeros printed, never blank --


def _as_2019(report: dict[str, Any], cells: list[Any]) -> dict[str, Any]:
    """A generated 2021 report moved to the 2019 format: same table 3 (（六） one row)."""
    report = copy.deepcopy(report)
    report.update(format="2019", year=2019, published="2020-01-15")
    results = report["applications"]["results"]
    rows = results["other"].values()
    results["other"] = {c: sum(r[c] for r in rows) for c in next(iter(rows))}
    values = iter(cells)
    groups = {"regulations": ("made", "published", "total"),
              "normative_documents": ("made", "published", "total"),
              **{g: ("previous", "change", "decisions")
                 for g in ("licensing", "other_services", "penalty", "coercion")},
              "fees": ("previous", "change"), "procurement": ("count", "amount")}
    report["proactive"] = {g: {k: next(values) for k in keys} for g, keys in groups.items()}
    report["proactive"]["procurement"]["amount"] = Decimal("1234.5")
    return report


CELL_2019 = st.one_of(st.integers(min_value=0, max_value=10**6), st.none(),
                      st.fixed_dictionaries({"value": st.integers(0, 99),
                                             "note": st.sampled_from(["", "其中修订2件", "<&>"])}))


@SETTINGS
@given(valid_reports(), st.lists(CELL_2019, min_size=22, max_size=22), st.booleans())
def test_any_valid_report_gives_the_same_document(report: dict[str, Any], cells: list[Any],
                                                  old_format: bool) -> None:
    if old_format:
        report = _as_2019(report, cells)
    prepared, data, page = both_forms(report)
    assert not prepared.errors, prepared.errors
    assert_same_document(prepared, data, page)


# -- the page itself ------------------------------------------------------------------------


def test_page_is_self_contained_utf8_html5(county: dict[str, Any]) -> None:
    text = docgen.render(county, html=True)
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"zh-CN\">")
    page = lxml.html.document_fromstring(text)
    assert page.findtext(".//title") == "泽安县市场监督管理局2025年政府信息公开工作年度报告"
    assert page.xpath("//meta/@charset") == ["utf-8"]
    assert not page.xpath("//script|//link|//img|//iframe|//object|//embed|//@src|//@href")
    # -- a URL only as text: the agency's site in the preamble --
    assert not re.search(r"url\(|@import|https?://(?!www\.zean\.example\.com/scjgj下载)", text)
    assert [h.text_content() for h in page.iter("h2")] == [
        "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项"]
    assert len(page.xpath("//h1")) == 1
    assert page.xpath("//h3")[0].text_content() == "（一）主动公开"


def test_fragment_is_the_article_alone(county: dict[str, Any]) -> None:
    page = docgen.render(county, html=True)
    fragment = docgen.render(county, fragment=True)
    assert fragment.startswith("<article") and fragment.endswith("</article>\n")
    assert fragment in page
    assert "<html" not in fragment and "<title" not in fragment


def test_same_bytes_every_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = EXAMPLES / "county-bureau-2025.json"
    first = docgen.render(source, html=True).encode("utf-8")
    assert docgen.render(source, html=True).encode("utf-8") == first
    assert main(["render", str(source), "-o", str(tmp_path / "a.html")]) == 0
    assert main(["render", str(source), "-o", str(tmp_path / "b.html")]) == 0
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes() == first


def test_markup_in_the_data_is_text_not_markup(county: dict[str, Any]) -> None:
    county["agency"] = "<script>alert(1)</script>&amp;局"
    county["overview"]["sections"][0]["title"] = '" onmouseover="x'
    county["proactive"]["normative_documents"]["issued"] = {"value": 8, "note": "<b>修订</b>"}
    text = docgen.render(county, html=True)
    page = lxml.html.document_fromstring(text)
    assert not page.xpath("//script|//b|//@onmouseover")
    assert page.findtext(".//h1") == \
        "<script>alert(1)</script>&amp;局2025年政府信息公开工作年度报告"
    assert ["行政规范性文件", "8（<b>修订</b>）", "4", "37"] in html_grid(official_tables(page)[0])


# -- a CMS editor strips <style>, class, id, <colgroup> --------------------------------------

_BORDER = re.compile(r"border:\s*1px solid #000000")


def stripped(text: str) -> Any:
    """The page as a rich-text editor keeps it: no <style>, class, id or <colgroup>."""
    page = lxml.html.document_fromstring(text)
    for element in page.xpath("//style|//colgroup"):
        element.drop_tree()
    for element in page.iter():
        for attribute in ("class", "id"):
            element.attrib.pop(attribute, None)
    return page


@pytest.mark.parametrize("case", list(CASES)[:2])
def test_tables_stay_bordered_and_whole_after_a_cms_strips_them(case: str) -> None:
    report, _ = CASES[case]
    text = docgen.render(report, html=True)
    page = stripped(text)
    before = [html_grid(t) for t in lxml.html.document_fromstring(text).iter("table")]
    assert [html_grid(t) for t in page.iter("table")] == before
    for table in page.iter("table"):
        assert _BORDER.search(table.get("style", "")), "table without its own border"
        assert "border-collapse:collapse" in table.get("style", "")
        assert re.search(r"(^|;)width:100%", table.get("style", ""))
        for cell in table.xpath(".//th|.//td"):
            style = cell.get("style", "")
            assert _BORDER.search(style), f"cell {cell.text_content()!r} has no border"
            assert "text-align:" in style
        box = table.getparent()
        assert box.tag == "div" and "overflow-x:auto" in box.get("style", "")
    assert "px;" not in re.sub(r"border:1px solid", "", text).replace("0px", "")  # -- no
    # -- pixel widths: only the 1px border lines --
    for element in page.xpath("//article//*[self::h1 or self::h2 or self::h3 or self::p]"):
        assert element.get("style"), f"<{element.tag}> without inline style"


# -- accessibility: every data cell tied to its headers --------------------------------------


def _scan(grid_cells: dict[tuple[int, int], Any], y: int, x: int, dy: int, dx: int,
          scopes: tuple[str, ...]) -> list[Any]:
    """The header cells with one of `scopes` met walking from (y, x) by (dy, dx)."""
    found = []
    y, x = y + dy, x + dx
    while y >= 0 and x >= 0:
        cell = grid_cells.get((y, x))
        if cell is not None and cell.tag == "th" and cell.get("scope") in scopes \
                and cell not in found:
            found.append(cell)
        y, x = y + dy, x + dx
    return found


def _cells(table: Any) -> dict[tuple[int, int], Any]:
    grid: dict[tuple[int, int], Any] = {}
    for y, tr in enumerate(table.xpath("./tr|./thead/tr|./tbody/tr")):
        x = 0
        for cell in tr.xpath("./th|./td"):
            while (y, x) in grid:
                x += 1
            for dy in range(int(cell.get("rowspan", 1))):
                for dx in range(int(cell.get("colspan", 1))):
                    grid[(y + dy, x + dx)] = cell
            x += int(cell.get("colspan", 1))
    return grid


@pytest.mark.parametrize("case", list(CASES)[:2])
def test_every_data_cell_has_its_row_and_column_headers(case: str) -> None:
    report, _ = CASES[case]
    page = lxml.html.document_fromstring(docgen.render(report, html=True))
    ids = page.xpath("//@id")
    assert len(ids) == len(set(ids)), "an id used twice"
    header_block, *tables = page.iter("table")
    for table in [header_block, *tables]:
        assert table.findtext("caption"), "a table without a caption"
        assert not table.xpath(".//th[not(@scope)]")
    for td in header_block.iter("td"):
        assert td.getprevious().tag == "th" and td.getprevious().get("scope") == "row"
    for number, table in enumerate(tables, start=2):
        ids = {th.get("id"): th for th in table.iter("th")}
        cells = _cells(table)
        for (y, x), td in cells.items():
            if td.tag != "td" or cells.get((y, x - 1)) is td or cells.get((y - 1, x)) is td:
                continue
            named = [ids[i] for i in td.get("headers", "").split()]
            columns = [th.text_content() for th in named if th.get("scope") == "col"]
            rows = [th.text_content() for th in named if th.get("scope") in ("row", "rowgroup")]
            # -- the same headers found by scope alone (what remains when ids are stripped) --
            above = [th.text_content() for th in _scan(cells, y, x, -1, 0, ("col",))]
            left = [th.text_content() for th in _scan(cells, y, x, 0, -1, ("row",))]
            where = (number, y, x)
            if number == 2:  # -- a column header row per group; the group a rowgroup header --
                assert columns == above[:1] and rows[-1:] == left[:1] and len(rows) == 2, where
            elif number == 3:
                assert columns == above[::-1] and rows == left[::-1] and rows, where
            else:  # -- table 4: one data row and no row header, as in the official table --
                assert columns == above[::-1] and len(columns) in (2, 3) and not rows, where
    table3 = tables[1]
    td = table3.xpath(".//td")[7 * 4 + 1]  # -- 不予公开 1.属于国家秘密, 商业企业 --
    shown = [next(th for th in table3.iter("th") if th.get("id") == i).text_content()
             for i in td.get("headers").split()]
    assert shown == ["申请人情况", "法人或其他组织", "商业企业", "三、本年度办理结果",
                     "（三）不予公开", "1.属于国家秘密"]


# -- the command line ------------------------------------------------------------------------


def test_cli_render_html_and_fragment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = EXAMPLES / "county-bureau-2025.json"
    assert main(["render", str(source), "-o", str(tmp_path / "report.html")]) == 0
    assert "已生成" in capsys.readouterr().out
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<td" in page
    assert main(["render", str(source), "-o", str(tmp_path / "part.html"), "--fragment"]) == 0
    assert (tmp_path / "part.html").read_text(encoding="utf-8").startswith("<article")
    assert main(["render", str(source), "-o", str(tmp_path / "x.docx"), "--fragment"]) == 2
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "x.docx").exists()


def test_cli_batch_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["batch", str(EXAMPLES / "jindong-2019.json"),
                 str(EXAMPLES / "county-bureau-2025.json"), "-o", str(tmp_path), "--html",
                 "-j", "1"])
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "county-bureau-2025.docx", "county-bureau-2025.html", "jindong-2019.docx",
        "jindong-2019.html"]
    assert (tmp_path / "jindong-2019.html").read_text(encoding="utf-8") == \
        docgen.render(EXAMPLES / "jindong-2019.json", html=True)


def test_cli_batch_fragments_and_a_custom_kinds_pages(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # -- --fragment: each page's <article> alone, as `render --fragment` writes it --
    county = EXAMPLES / "county-bureau-2025.json"
    assert main(["batch", str(county), "-o", str(tmp_path / "cms"), "--fragment", "-j", "1"]) == 0
    assert (tmp_path / "cms" / "county-bureau-2025.html").read_text(encoding="utf-8") == \
        docgen.render(county, fragment=True)
    # -- a custom kind: its pages need an HTML template, given with --html-template --
    custom = EXAMPLES / "custom-kind"
    options = ["--schema", str(custom / "meeting-notice.schema.json"),
               "--template", str(custom / "meeting-notice.docx")]
    data = str(custom / "meeting-notice.json")
    code = main(["batch", data, "-o", str(tmp_path / "none"), *options, "--html"])
    assert code == 2 and "--html-template" in capsys.readouterr().err
    assert not (tmp_path / "none").exists() or not any((tmp_path / "none").iterdir())
    code = main(["batch", data, "-o", str(tmp_path / "pages"), *options,
                 "--html-template", str(custom / "meeting-notice.html")])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == [
        "meeting-notice.docx", "meeting-notice.html"]
    kind = custom_kind(custom / "meeting-notice.schema.json", custom / "meeting-notice.docx",
                       custom / "meeting-notice.html")
    assert (tmp_path / "pages" / "meeting-notice.html").read_text(encoding="utf-8") == \
        docgen.render(data, kind=kind, html=True)
    # -- a broken HTML template fails each report with its located issue, nothing written --
    broken = tmp_path / "broken.html"
    broken.write_text((custom / "meeting-notice.html").read_text(encoding="utf-8").replace(
        "{{ title }}", "{{ titel }}"), encoding="utf-8")
    code = main(["batch", data, "-o", str(tmp_path / "bad"), *options,
                 "--html-template", str(broken)])
    assert code == 1 and "titel" in capsys.readouterr().err
    assert not (tmp_path / "bad" / "meeting-notice.docx").exists()


def test_render_refuses_an_html_template_with_problems(tmp_path: Path, county: dict[str, Any],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "t.html"
    text = (HTML_TEMPLATES / "gov-info-annual-2021.html").read_text(encoding="utf-8")
    template.write_text(text.replace("{{ title }}</h1>", "{{ titel }}</h1>"), encoding="utf-8")
    with pytest.raises(docgen.TemplateProblemError) as caught:
        docgen.render(county, html=True, template=template)
    assert caught.value.issues[0].code == "TEMPLATE-FIELD"
    code = main(["render", str(EXAMPLES / "county-bureau-2025.json"), "-o",
                 str(tmp_path / "out.html"), "--template", str(template)])
    assert code == 1 and not (tmp_path / "out.html").exists()
    assert "titel" in capsys.readouterr().err


# -- template maintainers ---------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_shipped_html_templates_check_clean(version: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    template = HTML_TEMPLATES / f"gov-info-annual-{version}.html"
    assert main(["template", "check", str(template)]) == 0
    out = capsys.readouterr().out
    assert f"按 gov-info-annual-{version} 的字段" in out and "未发现问题" in out


def test_template_check_locates_html_problems_by_line_and_column(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (HTML_TEMPLATES / "gov-info-annual-2021.html").read_text(encoding="utf-8")
    text = text.replace("proactive.penalty.decisions", "proactive.penalty.decisons")
    text = text.replace("<title>{{ title }}</title>",
                        "<title>{{ title\n   | heading_labl(2) }} {{ agency.__class__ }}</title>")
    template = tmp_path / "edited.html"
    template.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    typo = next(n for n, line in enumerate(lines, 1) if "decisons" in line)

    code = main(["template", "check", str(template), "--format", "2021"])
    out = capsys.readouterr().out

    assert code == 1
    column = lines[typo - 1].index("{{ proactive.penalty.decisons") + 1
    assert (f"错误 [TEMPLATE-FIELD] 第{typo}行 第{column}列：字段 proactive.penalty.decisons 不存在"
            in out)
    assert "是否应为 proactive.penalty.decisions（本年处理决定数量）？" in out
    title = next(n for n, line in enumerate(lines, 1) if "<title>" in line)
    assert (f"[TEMPLATE-FILTER] 第{title}行 第8列：未知的过滤器 “heading_labl”；"
            "是否应为 heading_label？") in out
    assert (f"[TEMPLATE-SECURITY] 第{title + 1}行 第25列：模板试图访问 Python 内部属性 "
            "“__class__”") in out
    assert main(["template", "check", str(template), "--json"]) == 1
    assert '"line": ' in capsys.readouterr().out


def test_html_template_syntax_errors_and_word_prefixes(tmp_path: Path) -> None:
    from docgen.toolkit.html_check import check_html_template

    template = tmp_path / "t.html"
    template.write_text("<article>\n<p>{% if agency %}{{ agency }}</p>\n{%p endif %}\n"
                        "<style>p{width:100%}} a { b } }</style></article>\n", encoding="utf-8")
    issues = check_html_template(template, get_kind("2021"))
    shown = [(i.code, str(i.location), i.message) for i in issues if i.is_error]
    assert shown[0] == ("TEMPLATE-SYNTAX", "第3行 第1列", "{%p endif %}：HTML 模板中没有 "
                        "{%p … %} 前缀（那是 Word 模板的写法）；请写成 {% … %}")
    assert all("}}" not in s[2] for s in shown)  # -- CSS braces are not reported --


def test_custom_kind_with_and_without_an_html_template(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    custom = EXAMPLES / "custom-kind"
    schema = custom / "meeting-notice.schema.json"
    data = read_json(custom / "meeting-notice.json")
    kind = custom_kind(schema, custom / "meeting-notice.docx")
    with pytest.raises(docgen.UsageError, match="没有 HTML 模板"):
        docgen.render(data, kind=kind, html=True)
    template = custom / "meeting-notice.html"
    kind = custom_kind(schema, custom / "meeting-notice.docx", template)
    page = lxml.html.document_fromstring(docgen.render(data, kind=kind, html=True))
    assert page.findtext(".//h1") == data["title"]
    rows = [[c.text_content() for c in tr] for tr in page.xpath("//tbody/tr")]
    assert rows[0][:4] == ["1", "张明", "办公室", "主任"]
    assert main(["template", "check", str(template), "--schema", str(schema)]) == 0
    out = tmp_path / "notice.html"
    assert main(["render", str(custom / "meeting-notice.json"), "--schema", str(schema),
                 "--template", str(template), "-o", str(out)]) == 0
    assert "<td" in out.read_text(encoding="utf-8")
    shipped = notice_module().notice_kind()  # -- the example's kind, rules and both templates --
    assert docgen.render(data, kind=shipped, html=True) == docgen.render(data, kind=kind,
                                                                         html=True)


def test_custom_kind_with_only_an_html_template(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    custom = EXAMPLES / "custom-kind"
    schema, template = custom / "meeting-notice.schema.json", custom / "meeting-notice.html"
    data = str(custom / "meeting-notice.json")
    with pytest.raises(docgen.UsageError, match="没有 Word 模板"):
        docgen.render(data, kind=custom_kind(schema, html_template=template))
    page = docgen.render(data, kind=custom_kind(schema, html_template=template), html=True)
    assert "<article" in page
    options = ["--schema", str(schema), "--template", str(template)]
    for out, said in (("n.html", None), ("p.html", "没有 Word 模板，无法同时生成 PDF"),
                      ("n.docx", "是 HTML 模板，只能用于网页")):
        extra = ["--pdf"] if out == "p.html" else []
        code = main(["render", data, *options, "-o", str(tmp_path / out), *extra])
        err = capsys.readouterr().err
        assert code == 0 if said is None else (code == 2 and said in err), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.html"]  # -- p.html: neither --
    code = main(["batch", data, "-o", str(tmp_path / "b"), *options, "--html"])
    assert code == 2 and "没有 Word 模板" in capsys.readouterr().err


def test_html_template_unused_field_is_named_by_label_and_pointer(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = ROOT / "templates/html/gov-info-annual-2021.html"
    broken = tmp_path / "t.html"
    broken.write_text(shipped.read_text(encoding="utf-8").replace("{{ title", "{{ titel"),
                      encoding="utf-8")
    assert main(["template", "check", str(broken), "--format", "2021"]) == 1
    out = capsys.readouterr().out
    assert "错误 [TEMPLATE-FIELD] 第9行 第8列：字段 titel 不存在" in out
    assert "警告 [TEMPLATE-UNUSED] 标题（/title）：模板没有使用字段 title" in out


def test_html_template_that_fetches_or_runs_something_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shipped = (ROOT / "templates/html/gov-info-annual-2021.html").read_text(encoding="utf-8")
    source = str(EXAMPLES / "county-bureau-2025.json")
    for added, column in (('<img src="http://127.0.0.1:9/p.png">', "第6列"),
                          ('<script>alert(1)</script>', "第1列"),
                          ('<div style="background:url(//evil/x.png)"></div>', "第24列"),
                          ('<link rel="stylesheet" href="s.css">', "第1列")):
        template = tmp_path / "t.html"
        template.write_text(shipped.replace("<article", added + "<article", 1), encoding="utf-8")
        assert main(["template", "check", str(template), "--format", "2021"]) == 1
        out = capsys.readouterr().out
        assert f"错误 [TEMPLATE-EXTERNAL] 第12行 {column}：网页模板引用外部内容或脚本" in out, out
        page = tmp_path / "p.html"
        assert main(["render", source, "--template", str(template), "-o", str(page)]) == 1
        assert not page.exists() and "[TEMPLATE-EXTERNAL]" in capsys.readouterr().err
        assert main(["render", source, "--template", str(template), "-o", str(page),
                     "--allow-external"]) == 0
        assert added in page.read_text(encoding="utf-8")
        page.unlink()
    inline = shipped.replace("<article", '<img src="data:image/png;base64,AAAA"><article', 1)
    template.write_text(inline, encoding="utf-8")
    assert main(["template", "check", str(template), "--format", "2021"]) == 0
    template.write_text(shipped.replace("<article", "<iframe></iframe><article", 1),
                        encoding="utf-8")
    with pytest.raises(docgen.TemplateProblemError, match="TEMPLATE-EXTERNAL"):
        docgen.render(source, html=True, template=template)
    assert "<iframe>" in docgen.render(source, html=True, template=template, allow_external=True)


def test_html_templates_ship_with_the_kinds() -> None:
    for version in ("2019", "2021"):
        path = get_kind(version).html_template_path
        assert path is not None and path.is_file() and path.suffix == ".html"


def test_html_misuse_is_a_usage_error(county: dict[str, Any], tmp_path: Path) -> None:
    docx_template = ROOT / "templates" / "docx" / "gov-info-annual-2021.docx"
    with pytest.raises(docgen.UsageError, match="需要 HTML 模板"):
        docgen.render(county, html=True, template=docx_template)
    with pytest.raises(docgen.UsageError, match="扩展名与内容不符"):
        docgen.render(county, tmp_path / "page.docx", html=True)
    with pytest.raises(docgen.UsageError, match="fragment 只用于 HTML"):
        docgen.prepare(county).render(None, fragment=True)  # type: ignore[call-overload]
    with pytest.raises(docgen.UsageError, match="拒绝覆盖输入文件"):
        docgen.render(county, tmp_path / "t.html", template=_copy_template(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.html"]


def _copy_template(folder: Path) -> Path:
    target = folder / "t.html"
    shutil.copy(HTML_TEMPLATES / "gov-info-annual-2021.html", target)
    return target


def test_broken_html_templates_are_located_template_problems(tmp_path: Path,
                                                             county: dict[str, Any]) -> None:
    from docgen.engine.html import render_html

    context = docgen.prepare(county).context
    assert context is not None
    template = tmp_path / "t.html"
    template.write_text("<article>\n<p>{{ agency }}</p>\n<p>{{ 1 // 0 }}</p>\n</article>\n",
                        encoding="utf-8")
    with pytest.raises(docgen.TemplateProblemError) as caught:
        render_html(template, context)
    issue = caught.value.issues[0]
    assert (issue.code, issue.path, issue.context) == ("TEMPLATE-ERROR", "第3行",
                                                        "<p>{{ 1 // 0 }}</p>")
    template.write_bytes("<article>{{ agency }}，政府信息</article>".encode("gbk"))
    with pytest.raises(docgen.TemplateProblemError, match="不是 UTF-8") as caught:
        render_html(template, context)
    assert caught.value.issues[0].code == "TEMPLATE-FILE"
    template.write_text("<p>{{ agency }}</p>\n", encoding="utf-8")
    with pytest.raises(docgen.TemplateProblemError, match="没有 <article>"):
        render_html(template, context, fragment=True)


def test_a_template_of_the_other_kind_is_a_usage_error_both_ways(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = str(EXAMPLES / "county-bureau-2025.json")
    html_template = str(ROOT / "templates/html/gov-info-annual-2021.html")
    word_template = str(ROOT / "templates/docx/gov-info-annual-2021.docx")
    for out, template, said in (
            ("r.docx", html_template, "是 HTML 模板，只能用于网页（-o ….html）"),
            ("r.html", word_template, "输出网页需要 HTML 模板（.html）")):
        code = main(["render", source, "-o", str(tmp_path / out), "--template", template])
        err = capsys.readouterr().err
        assert code == 2 and said in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
    code = main(["render", source, "-o", str(tmp_path / "r.shtml")])
    err = capsys.readouterr().err
    assert code == 2 and f"请写 -o {tmp_path / 'r.html'}\n" in err and ".docx" not in err
