"""What a rendered report shows: the golden reference report, the 2021 tables, exact figures."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import REFERENCE_TEXT, W, deep, open_docx, tables, visible_texts

import docgen

CHROME = ("首页", ">>")


def reference_texts() -> list[str]:
    """The reference report's text units, web-page chrome taken out.

    The page's 发布时间 line is chrome (time, visits, font buttons), except its 信息来源, which
    docgen prints in the header block after 公开方式; every other line is one unit.
    """
    lines = [line.strip().removeprefix("• ") for line in
             REFERENCE_TEXT.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line and not line.startswith(CHROME)]
    chrome = next(i for i, line in enumerate(lines) if line.startswith("发布时间"))
    source = re.search(r"信息来源:\s*(\S+)", lines.pop(chrome))
    assert source is not None
    title = chrome - 1
    return [*lines[:title], "信息来源:", source.group(1), *lines[title:]]


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def test_golden_reference_report(jindong: dict[str, Any]) -> None:
    rendered = [nfkc(t) for t in visible_texts(docgen.render(jindong))]  # type: ignore[arg-type]
    expected = [nfkc(t) for t in reference_texts()]
    # -- the as-published error: the example sets （一）予以公开 科研机构 and 总计 to 0 --
    disclosed = expected.index("(一)予以公开")
    assert expected[disclosed + 1: disclosed + 8] == ["0", "0", "1", "0", "0", "0", "1"]
    expected[disclosed + 3] = expected[disclosed + 7] = "0"

    assert len(rendered) == len(expected)
    for index, (got, want) in enumerate(zip(rendered, expected, strict=True)):
        # -- the one permitted difference: a 本年增/减 figure carries its sign --
        if got != want and got == f"+{want}":
            continue
        assert got == want, f"text unit {index}: {got!r} != {want!r}"


def test_signed_changes_are_the_only_difference(jindong: dict[str, Any]) -> None:
    table2 = tables(docgen.render(jindong))[1]  # type: ignore[arg-type]

    assert ["行政许可", "6", "+11", "0"] in table2
    assert ["行政强制", "0", "0", "0"] in table2
    assert ["政府集中采购", "1", "24850元"] in table2


def _merge_state(tc: Any) -> str | None:
    merge = tc.find(f"{W}tcPr/{W}vMerge")
    return None if merge is None else (merge.get(W + "val") or "continue")


def _text(element: Any) -> str:
    return "".join(t.text or "" for t in element.iter(W + "t"))


def test_official_merged_cells(jindong: dict[str, Any]) -> None:
    document = open_docx(docgen.render(jindong))  # type: ignore[arg-type]
    rows = document.tables[2]._tbl.findall(W + "tr")
    firsts = [row.findall(W + "tc")[0] for row in rows]
    note = firsts[0]
    span = note.find(f"{W}tcPr/{W}gridSpan")
    start = next(i for i, tc in enumerate(firsts) if _text(tc) == "三、本年度办理结果")
    spanned = 1
    while _merge_state(firsts[start + spanned]) == "continue":
        spanned += 1

    assert span is not None and span.get(W + "val") == "3"
    assert _merge_state(note) == "restart"
    assert [_merge_state(tc) for tc in firsts[1:3]] == ["continue", "continue"]
    assert _merge_state(firsts[start]) == "restart"
    assert spanned == 20  # -- 19 result rows + （七）总计, as in the official 2019 table --


def table3_row(doc: bytes, label: str) -> list[str]:
    for row in tables(doc)[2]:
        if label in row:
            return row[row.index(label) + 1:]
    raise AssertionError(f"no row {label}")


def test_current_format_tables(county: dict[str, Any]) -> None:
    doc = docgen.render(county)
    assert isinstance(doc, bytes)
    table2, table3, table4 = tables(doc)[1:4]
    apps = county["applications"]
    columns = ["natural_person", "commercial", "research", "social_welfare", "legal_service",
               "other", "total"]

    def figures(row: dict[str, Any]) -> list[str]:
        return [str(row[c]) for c in columns]

    assert ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"] in table2
    assert "行政规范性文件" in [r[0] for r in table2]
    assert ["信息内容", "本年收费金额（单位：万元）"] in table2
    assert not any("第二十条第（九）项" in r for r in table2)
    assert table3_row(doc, "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请") == \
        figures(apps["results"]["other"]["overdue_correction"])
    assert table3_row(doc, "3.其他") == figures(apps["results"]["other"]["other"])
    assert table3_row(doc, "（七）总计") == figures(apps["results"]["total"])
    assert table3_row(doc, "四、结转下年度继续办理") == figures(apps["carried_forward"])
    assert table3_row(doc, "8.属于行政查询事项") == \
        figures(apps["results"]["withheld"]["administrative_query"])
    groups = ["administrative_review", "litigation_direct", "litigation_after_review"]
    keys = ["upheld", "corrected", "other", "pending", "total"]
    assert table4[-1] == [str(county["reviews"][g][k]) for g in groups for k in keys]
    assert len(table3) == 3 + 25  # -- header rows + the 25 data rows of the 2021 table --


def test_cells_exact_decimal_note_null_large(county: dict[str, Any]) -> None:
    data = deep(county)
    data["proactive"]["fees"]["amount"] = Decimal("4068.208")
    data["proactive"]["licensing"]["decisions"] = 517645
    data["proactive"]["regulations"]["issued"] = {"value": 22, "note": "其中修订16件"}
    data["proactive"]["regulations"]["repealed"] = None
    data["proactive"]["regulations"]["in_force"] = 155

    table2 = tables(docgen.render(data))[1]  # type: ignore[arg-type]

    assert ["行政事业性收费", "4068.208"] in table2
    assert ["行政许可", "517645"] in table2
    assert ["规章", "22（其中修订16件）", "/", "155"] in table2


def test_omitted_totals_render_the_same_document(county: dict[str, Any]) -> None:
    bare = deep(county)
    apps = bare["applications"]
    rows = [apps["new_received"], apps["carried_over"], apps["carried_forward"]]
    for value in apps["results"].values():
        if "natural_person" in value:
            rows.append(value)
        else:
            rows += list(value.values())
    for row in rows:
        row.pop("total", None)
    del apps["results"]["total"]
    for group in bare["reviews"].values():
        del group["total"]

    assert docgen.check(bare) == docgen.check(county)
    assert docgen.render(bare) == docgen.render(county)


def test_same_input_same_bytes(jindong: dict[str, Any], tmp_path: Path) -> None:
    first = docgen.render(jindong, tmp_path / "a.docx").path
    second = docgen.render(jindong, tmp_path / "b.docx").path

    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert "金东区经济商务局2019年政府信息公开工作年度报告" in core
    assert "2020-01-17T00:00:00Z" in core


def test_markup_characters_come_out_literally(county: dict[str, Any]) -> None:
    data = deep(county)
    text = "A&B <select> \"引号\" 'single' 😀 𠀀 ]]>"
    data["overview"]["sections"][0]["title"] = text

    assert text in "\n".join(visible_texts(docgen.render(data)))  # type: ignore[arg-type]


def test_paragraphs_from_line_breaks(county: dict[str, Any]) -> None:
    data = deep(county)
    data["other_matters"] = "第一段。\n\n第二段。\r\n第三段。"

    texts = visible_texts(docgen.render(data))  # type: ignore[arg-type]

    at = texts.index("第一段。")
    assert texts[at: at + 3] == ["第一段。", "第二段。", "第三段。"]


@pytest.mark.parametrize(("fee", "sentence"), [(0, "本年度未收取信息处理费。"),
                                                (Decimal("380"), "本年度共收取信息处理费380元。")])
def test_processing_fee_sentence(county: dict[str, Any], fee: Any, sentence: str) -> None:
    data = deep(county)
    data["processing_fee"] = fee

    assert sentence in visible_texts(docgen.render(data))  # type: ignore[arg-type]


def test_default_title_preamble_and_signature(county: dict[str, Any]) -> None:
    data = deep(county)
    data.pop("title", None)
    data.pop("preamble", None)
    data["signature"] = {}

    texts = visible_texts(docgen.render(data))  # type: ignore[arg-type]

    agency, year = data["agency"], data["year"]
    assert f"{agency}{year}年政府信息公开工作年度报告" in texts
    preamble = next(t for t in texts if "《中华人民共和国政府信息公开条例》" in t)
    assert f"{year}年1月1日至12月31日" in preamble
    assert data["contact"]["phone"] in preamble
    assert texts[-2:] == [agency, "2026年1月20日"]


def test_format_follows_year_and_warns_on_mismatch(jindong: dict[str, Any]) -> None:
    data = deep(jindong)
    data["year"] = 2020
    data["published"] = "2021-01-20"
    data.pop("period", None)
    del data["format"]
    texts = visible_texts(docgen.render(data))  # type: ignore[arg-type]
    assert "第二十条第（九）项" in texts  # -- the 2019 table --

    data["year"] = 2025
    data["published"] = "2026-01-20"
    data["format"] = "2019"
    assert [i.code for i in docgen.check(data)] == ["FORMAT-YEAR"]
    assert "第二十条第（九）项" in visible_texts(docgen.render(data))  # type: ignore[arg-type]


def test_unknown_format_lists_the_known_ones(jindong: dict[str, Any]) -> None:
    data = deep(jindong)
    data["format"] = "2030"

    with pytest.raises(docgen.InvalidReportError) as raised:
        docgen.render(data)

    assert [(i.code, i.path) for i in raised.value.issues] == [("SCHEMA-ENUM", "/format")]
    assert "“2019”或“2021”" in raised.value.issues[0].message


def test_render_raises_with_every_issue(jindong: dict[str, Any], tmp_path: Path) -> None:
    data = deep(jindong)
    data["applications"]["new_received"]["research"] = 5
    data["year"] = "2019"
    out = tmp_path / "x.docx"

    with pytest.raises(docgen.InvalidReportError) as raised:
        docgen.render(data, out)

    codes = {i.code for i in raised.value.issues}
    assert {"SCHEMA-TYPE", "T3-ROW", "T3-BALANCE"} <= codes
    assert not out.exists()


@pytest.mark.parametrize("created", ["a<b&c", "", "2020-13", "2020-01-17T10:00"])
def test_core_properties_stay_valid_for_any_date_text(created: str) -> None:
    from lxml import etree

    from docgen.engine.fill import _core_properties

    xml = etree.fromstring(_core_properties({"title": "A&B <x>", "created": created}))

    texts = {element.tag.rsplit("}", 1)[1]: element.text for element in xml}
    assert texts["title"] == "A&B <x>"
    assert texts["created"] == texts["modified"] == "2000-01-01T00:00:00Z"
