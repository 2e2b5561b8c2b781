"""`docgen import` and `docgen audit` (#14), and the reviewers' year-on-year rules."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, FIXTURES, REFERENCE_TEXT, read_json

import docgen
from docgen.cli import main
from docgen.kinds.gov_info_annual.review_rules import SIMILARITY_THRESHOLD

PUBLISHED = FIXTURES / "published"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- docgen audit ----------------------------------------------------------------------------


def test_audit_of_the_reference_text_prints_the_two_table3_errors(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "audit", str(REFERENCE_TEXT))
    assert code == 1
    assert out.splitlines() == [
        "错误 [T3-RESULTS] 第546行（三、收到和处理政府信息公开申请情况 › 三、本年度办理结果 › "
        "（七）总计 › 科研机构）：（七）总计 的“科研机构”应为 1（各项办理结果之和），实为 0",
        "    印为：0；应为：1",
        "错误 [T3-RESULTS] 第554行（三、收到和处理政府信息公开申请情况 › 三、本年度办理结果 › "
        "（七）总计 › 总计）：（七）总计 的“总计”应为 1（各项办理结果之和），实为 0",
        "    印为：0；应为：1",
        "共 2 个错误，0 个警告。",
    ]


def test_audit_of_a_clean_word_report_finds_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "county.docx"
    docgen.render(EXAMPLES / "county-bureau-2025.json", report)
    assert run(capsys, "audit", str(report))[:2] == (0, "未发现问题。\n")


def test_audit_locates_a_blank_cell_in_the_published_table(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "audit", str(PUBLISHED / "damaged-portal-2025.html"))
    assert code == 1
    assert out.splitlines()[0].startswith(
        "错误 [IMPORT-BLANK-CELL] 表2（表三） 第7行 第7列（"
        "三、收到和处理政府信息公开申请情况 › 三、本年度办理结果 › （二）部分公开")


def test_audit_of_many_files_prints_one_line_each_and_writes_csv(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = tmp_path / "county.docx"
    docgen.render(EXAMPLES / "county-bureau-2025.json", clean)
    junk = tmp_path / "notice.txt"
    junk.write_text("会议通知\n", encoding="utf-8")
    summary = tmp_path / "summary.csv"
    code, out, _ = run(capsys, "audit", str(REFERENCE_TEXT), str(clean), str(junk),
                       "--csv", str(summary))
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("金东区经济商务局 2019年，2 个错误，0 个警告（错误代码：T3-RESULTS）")
    assert lines[1].endswith("泽安县市场监督管理局 2025年，0 个错误，0 个警告（错误代码：无）")
    assert "无法读取" in lines[2] and "不是政府信息公开工作年度报告" in lines[2]
    rows = list(csv.reader(summary.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:6] == ["文件", "机关名称", "报告年度", "格式版本", "错误数", "警告数"]
    assert [r[1:7] for r in rows[1:3]] == [
        ["金东区经济商务局", "2019", "2019", "2", "0", "T3-RESULTS"],
        ["泽安县市场监督管理局", "2025", "2021", "0", "0", ""]]


def test_audit_json_lists_issues_with_their_places(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "audit", str(REFERENCE_TEXT), "--json")
    assert code == 1
    [result] = json.loads(out)
    assert (result["agency"], result["year"], result["errors"]) == ("金东区经济商务局", 2019, 2)
    first = result["issues"][0]
    assert (first["code"], first["location"]["line"], first["expected"], first["actual"]) == \
        ("T3-RESULTS", 546, 1, 0)


def test_audit_strict_fails_on_warnings(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = read_json(EXAMPLES / "county-bureau-2025.json")
    data["published"] = "2026-06-30"  # -- late: a warning --
    source = tmp_path / "late.json"
    source.write_text(docgen_json(data), encoding="utf-8")
    report = tmp_path / "late.docx"
    docgen.render(source, report)
    assert run(capsys, "audit", str(report))[0] == 0
    code, out, _ = run(capsys, "audit", str(report), "--strict")
    assert code == 1 and "PUBLISHED-LATE" in out


def docgen_json(data: dict[str, Any]) -> str:
    from docgen.audit import data_json

    return data_json(data)


# -- docgen import ---------------------------------------------------------------------------


def test_import_writes_a_data_file_that_checks_like_the_original(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "county.docx"
    docgen.render(EXAMPLES / "county-bureau-2025.json", report)
    target = tmp_path / "county.json"
    code, out, err = run(capsys, "import", str(report), "-o", str(target))
    assert (code, out, err) == (0, f"已生成：{target}（2021年版格式）\n", "")
    data = read_json(target)
    assert data["proactive"]["fees"]["amount"] == read_json(
        EXAMPLES / "county-bureau-2025.json")["proactive"]["fees"]["amount"]
    assert '"amount": 26.418' in target.read_text(encoding="utf-8")
    assert run(capsys, "check", str(target))[:2] == (0, "未发现问题。\n")


def test_import_lists_what_could_not_be_read(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "import", str(PUBLISHED / "damaged-portal-2025.html"))
    assert code == 0
    assert json.loads(out)["agency"] == "泽安县市场监督管理局"
    assert "以下内容未能读出或有疑问：" in err
    assert "[IMPORT-BLANK-CELL] 表2（表三） 第7行 第7列" in err


def test_import_of_something_else_is_one_message(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "minutes.docx"
    docgen.render(EXAMPLES / "county-bureau-2025.json", junk)
    junk.write_bytes(b"not a zip")
    code, out, err = run(capsys, "import", str(junk))
    assert (code, out) == (1, "")
    assert err == "docgen: [IMPORT-FILE] minutes.docx：不是 Word 文档（.docx 应为 zip 格式）\n"


def test_import_refuses_to_overwrite_its_input(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    source = tmp_path / "r.txt"
    source.write_bytes(REFERENCE_TEXT.read_bytes())
    code, _, err = run(capsys, "import", str(source), "-o", str(source))
    assert code == 2 and "拒绝覆盖输入文件" in err


# -- reviewers' rules ------------------------------------------------------------------------


def _last_year(data: dict[str, Any]) -> dict[str, Any]:
    previous = copy.deepcopy(data)
    previous["year"] -= 1
    previous["published"] = f"{previous['year'] + 1}-01-20"
    return previous


def test_same_as_last_year_quotes_the_repeated_sentences() -> None:
    data = read_json(EXAMPLES / "county-bureau-2025.json")
    found = [i for i in docgen.check(data, previous=_last_year(data))
             if i.code == "SAME-AS-LAST-YEAR"]
    assert len(found) == 1
    assert found[0].severity == "warning"
    assert "与上年度报告相同" in found[0].message and "阈值 50%" in found[0].message
    assert "“2025年，泽安县市场监督管理局坚持以习近平新时代中国特色社会主义" in found[0].message


def test_a_rewritten_report_is_not_same_as_last_year() -> None:
    data = read_json(EXAMPLES / "county-bureau-2025.json")
    previous = _last_year(data)
    for section in previous["overview"]["sections"]:
        section["text"] = "去年的工作另有写法，内容与今年完全不同的一句话。" + section["title"]
    previous["overview"]["intro"] = "上年度的综述也是另外写的，没有重复今年的句子。"
    previous["problems"] = {"problems": "上年度的问题是另一些问题，写法完全不同。"}
    previous["other_matters"] = "无。"
    assert SIMILARITY_THRESHOLD == 0.5
    codes = {i.code for i in docgen.check(data, previous=previous)}
    assert "SAME-AS-LAST-YEAR" not in codes


def test_table2_stock_rule_and_its_note() -> None:
    data = read_json(EXAMPLES / "county-bureau-2025.json")
    previous = _last_year(data)
    previous["proactive"]["normative_documents"]["in_force"] = 30
    [found] = [i for i in docgen.check(data, previous=previous) if i.code == "T2-STOCK"]
    assert (found.path, found.expected, found.actual, found.severity) == \
        ("/proactive/normative_documents/in_force", 34, 37, "warning")
    assert "上年度 30 + 本年制发 8 − 本年废止 4" in found.message
    previous["proactive"]["normative_documents"]["in_force"] = 33
    assert "T2-STOCK" not in {i.code for i in docgen.check(data, previous=previous)}
    previous["proactive"]["normative_documents"]["in_force"] = 30
    data["proactive"]["normative_documents"]["in_force"] = {"value": 37, "note": "含清理后恢复3件"}
    assert "T2-STOCK" not in {i.code for i in docgen.check(data, previous=previous)}


def test_audit_previous_may_be_a_published_file(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = read_json(EXAMPLES / "county-bureau-2025.json")
    this_year, last_year = tmp_path / "2025.docx", tmp_path / "2024.docx"
    docgen.render(data, this_year)
    docgen.render(_last_year(data), last_year)
    code, out, _ = run(capsys, "audit", str(this_year), "--previous", str(last_year))
    assert code == 0
    assert "警告 [SAME-AS-LAST-YEAR]" in out and "警告 [CARRY-OVER]" in out
    assert "第" in out.split("[CARRY-OVER]")[1].splitlines()[0]  # -- located in the document --


def test_audit_reports_the_old_format_used_in_a_new_year(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = read_json(EXAMPLES / "jindong-2019.json")
    data.update(year=2022, published="2023-01-17", period={"start": "2022-01-01",
                                                           "end": "2022-12-31"})
    data.pop("title", None)
    report = tmp_path / "old-format.docx"
    docgen.render(data, report)
    code, out, _ = run(capsys, "audit", str(report), "--json")
    [result] = json.loads(out)
    assert code == 0  # -- a warning: the figures themselves add up --
    assert (result["year"], result["format"]) == (2022, "2019")
    assert "FORMAT-YEAR" in result["codes"]


def test_import_of_the_reference_text_prints_the_fixture_byte_for_byte(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "import", str(REFERENCE_TEXT))
    assert (code, err) == (0, "")
    assert out == (FIXTURES / "jindong-2019-as-published.json").read_text(encoding="utf-8")


def test_check_and_render_previous_may_be_a_published_file_or_a_workbook(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("openpyxl")
    data = read_json(EXAMPLES / "county-bureau-2025.json")
    this_year, last_page, last_book = (tmp_path / "2025.json", tmp_path / "2024.html",
                                       tmp_path / "2024.xlsx")
    this_year.write_text(docgen_json(data), encoding="utf-8")
    docgen.render(_last_year(data), last_page)
    (tmp_path / "2024.json").write_text(docgen_json(_last_year(data)), encoding="utf-8")
    assert run(capsys, "export", str(tmp_path / "2024.json"), "-o", str(last_book))[0] == 0
    for command in (["check", str(this_year)],
                    ["render", str(this_year), "-o", str(tmp_path / "out.docx")]):
        for last in (last_page, last_book):
            code, out, err = run(capsys, *command, "--previous", str(last))
            assert code == 0, err
            assert "警告 [SAME-AS-LAST-YEAR]" in out + err and "[PREVIOUS-YEAR]" not in out + err
    code, out, _ = run(capsys, "audit", str(last_page), "--previous", str(last_book))
    assert code == 0 and "[PREVIOUS-YEAR]" in out  # -- last year's page against itself --


def test_import_audit_export_speak_english_with_lang_en(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "2025.html"
    docgen.render(read_json(EXAMPLES / "county-bureau-2025.json"), page)
    code, out, _ = run(capsys, "--lang", "en", "import", str(page), "-o", str(tmp_path / "d.json"))
    assert code == 0 and out == f"written: {tmp_path / 'd.json'} (2021 format)\n"
    code, out, _ = run(capsys, "--lang", "en", "audit", str(REFERENCE_TEXT))
    assert code == 1
    assert out.startswith("error [T3-RESULTS] 第546行") and "    printed: 0; expected: 1" in out
    assert out.endswith("2 error(s), 0 warning(s).\n") and "共" not in out
    code, out, _ = run(capsys, "--lang", "en", "audit", str(page), str(REFERENCE_TEXT))
    assert f"{page}: 泽安县市场监督管理局 2025, 0 error(s), 0 warning(s) (error codes: none)" in out
    code, _, err = run(capsys, "--lang", "en", "init", "--year", "2025", "-o",
                       str(tmp_path / "d.json"))
    assert code == 2 and "d.json exists; add --force to overwrite it" in err
    code, _, err = run(capsys, "--lang", "en", "export", str(tmp_path / "d.json"), "-o",
                       str(tmp_path / "d.csv"))
    assert code == 2 and "the output file must end in .xlsx" in err


def test_audit_of_a_missing_file_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "audit", str(REFERENCE_TEXT), str(tmp_path / "nowhere.docx"))
    assert code == 2 and out == "" and "找不到报告文件：" in err and "nowhere.docx" in err


def test_import_of_a_data_file_says_it_needs_no_import(
        capsys: pytest.CaptureFixture[str]) -> None:
    data = EXAMPLES / "county-bureau-2025.json"
    code, out, err = run(capsys, "import", str(data))
    assert code == 2 and out == ""
    assert "是 docgen 的数据文件，不是已发布的报告，无需导入" in err


def test_an_unreadable_previous_report_is_named_as_last_years(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "2024.html"
    junk.write_text("<html><body><p>你好</p></body></html>", encoding="utf-8")
    for command in (["check", str(EXAMPLES / "county-bureau-2025.json")],
                    ["audit", str(REFERENCE_TEXT)]):
        code, out, err = run(capsys, *command, "--previous", str(junk))
        assert code == 1 and out == ""
        assert err.startswith("docgen: [IMPORT-NOT-REPORT] 上一年度的报告（--previous）"
                              "2024.html：不是政府信息公开工作年度报告")


def test_a_file_of_another_type_fails_alone_in_audit_and_is_a_usage_error_in_import(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = tmp_path / "county.docx"
    docgen.render(EXAMPLES / "county-bureau-2025.json", clean)
    sheet = tmp_path / "统计表.xls"
    sheet.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600)

    code, out, _ = run(capsys, "audit", str(clean), str(sheet))

    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith("泽安县市场监督管理局 2025年，0 个错误，0 个警告（错误代码：无）")
    assert "统计表.xls：无法读取" in lines[1] and "不支持的文件类型 .xls" in lines[1]

    code, _, err = run(capsys, "import", str(sheet))

    assert code == 2 and "不支持的文件类型 .xls" in err
