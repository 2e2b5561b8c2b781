"""The report as an Excel/WPS workbook (#17): written like the official tables, read back exactly,
every mistake located by sheet and cell; bounded like any input; opened by LibreOffice Calc."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import EXAMPLES, read_json, tables, visible_texts
from hypothesis import given
from hypothesis import strategies as st
from test_properties import AMOUNT, COUNT, LABEL, SETTINGS, TEXT, cells, valid_reports

import docgen
from docgen.cli import main
from docgen.engine import workbook as engine_workbook
from docgen.engine import xlsx
from docgen.kinds.gov_info_annual.workbook import (
    FIELDS_SHEET,
    TABLE2,
    TABLE3,
    TABLE4,
    build_layout,
    export_workbook,
)

COUNTY = read_json(EXAMPLES / "county-bureau-2025.json")
JINDONG = read_json(EXAMPLES / "jindong-2019.json")
VERSIONS = {"county": (COUNTY, "2021"), "jindong": (JINDONG, "2019")}


def without_totals(data: Any, path: str = "") -> Any:
    """`data` without the totals of tables 3 and 4 (the workbook shows them as formulas)."""
    if isinstance(data, dict):
        return {k: without_totals(v, f"{path}/{k}") for k, v in data.items()
                if not (k == "total" and path.startswith(("/applications", "/reviews")))}
    if isinstance(data, list):
        return [without_totals(v, path) for v in data]
    return data


def write(tmp_path: Path, data: dict[str, Any], version: str, name: str = "r.xlsx") -> Path:
    target = tmp_path / name
    target.write_bytes(export_workbook(data, version))
    return target


def cell_of(version: str, path: str) -> str:
    return build_layout(version).locations()[path].cell


def edit(path: Path, change: Any) -> Path:
    """Change the workbook at `path` with openpyxl (as a user would in Excel) and save it."""
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


# -- round trip ------------------------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(VERSIONS))
def test_examples_round_trip_exactly(example: str, tmp_path: Path) -> None:
    data, version = VERSIONS[example]
    path = write(tmp_path, data, version)
    assert docgen.load(path) == without_totals(data)
    assert docgen.check(path) == docgen.check(data)


@SETTINGS
@given(valid_reports())
def test_generated_reports_round_trip_exactly(report: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), report, "2021")
        assert docgen.load(path) == without_totals(report)


@st.composite
def reports_2019(draw: st.DrawFn) -> dict[str, Any]:
    """The 2019 example with any table 2 (signed 本年增/减, amounts, notes, “/”) and texts."""
    report = copy.deepcopy(JINDONG)
    count, signed = cells(COUNT), cells(st.integers(min_value=-10**6, max_value=10**6))
    proactive: dict[str, Any] = {
        g: {k: draw(count) for k in ("made", "published", "total")}
        for g in ("regulations", "normative_documents")}
    for group in ("licensing", "other_services", "penalty", "coercion"):
        proactive[group] = {"previous": draw(count), "change": draw(signed),
                            "decisions": draw(count)}
    proactive["fees"] = {"previous": draw(count), "change": draw(signed)}
    proactive["procurement"] = {"count": draw(count), "amount": draw(cells(AMOUNT))}
    report["proactive"] = proactive
    report["agency"] = draw(LABEL)
    report["problems"] = {"problems": draw(TEXT), "improvements": draw(TEXT)}
    report["other_matters"] = draw(TEXT)
    return report


@SETTINGS
@given(reports_2019())
def test_generated_2019_reports_round_trip_exactly(report: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), report, "2019")
        assert docgen.load(path) == without_totals(report)


def test_what_cells_cannot_show_comes_back(tmp_path: Path) -> None:
    """Empty texts, nulls, empty objects and `format` have no cell; the marker keeps them."""
    data = copy.deepcopy(COUNTY)
    data.update(format="2021", other_matters="", header=None, title="")
    data["signature"] = {}
    assert docgen.load(write(tmp_path, data, "2021")) == without_totals(data)
    typed_over = edit(write(tmp_path, data, "2021", "b.xlsx"), lambda b: b[FIELDS_SHEET]
                      .__setitem__(cell_of("2021", "/other_matters"), "无。"))
    assert docgen.load(typed_over)["other_matters"] == "无。"


def test_same_data_same_bytes() -> None:
    assert export_workbook(COUNTY, "2021") == export_workbook(copy.deepcopy(COUNTY), "2021")


def test_workbook_renders_like_the_json(tmp_path: Path) -> None:
    path = write(tmp_path, COUNTY, "2021")
    assert docgen.render(path) == docgen.render(COUNTY)


# -- the layout ------------------------------------------------------------------------------


def test_init_writes_the_official_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    target = tmp_path / "report.xlsx"
    code, out = run(capsys, "init", "--year", "2025", "-o", str(target))
    assert code == 0 and "已生成" in out
    # -- the next step, as init -o DATA.json says it --
    assert f"然后运行 docgen check {target}" in out
    book = openpyxl.load_workbook(target)
    assert book.sheetnames[:5] == [FIELDS_SHEET, TABLE2, TABLE3, TABLE4, "填写说明"]
    assert book["_docgen"].sheet_state == "hidden"
    table3 = book[TABLE3]
    assert table3["A5"].value == "一、本年新收政府信息公开申请数量"
    assert [table3.cell(4, c).value for c in range(5, 10)] == [
        "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
    assert "E3:I3" in {str(r) for r in table3.merged_cells.ranges}
    assert table3["C25"].value.startswith("1.申请人无正当理由逾期不补正")
    assert table3["J5"].value == "=SUM(D5:I5)"
    assert table3.protection.sheet and not table3["D5"].protection.locked
    assert table3["A5"].protection.locked
    table2 = book[TABLE2]
    assert [table2.cell(3, c).value for c in range(1, 5)] == [
        "信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    assert table2["A5"].value == "行政规范性文件"
    rules = {str(v.sqref): v for v in table2.data_validations.dataValidation}
    assert '"/"' in rules["B4"].formula1
    fields = book[FIELDS_SHEET]
    assert fields["A3"].value == "基本信息" and fields["A4"].value == "机关名称"
    assert docgen.load(target)["year"] == 2025


def test_2019_layout_has_its_own_table_2(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(write(tmp_path, JINDONG, "2019"))
    labels = [c.value for c in book[TABLE2]["A"] if c.value]
    assert "其他对外管理服务事项" in labels and "政府集中采购" in labels
    assert "规范性文件" in labels
    assert book[TABLE3]["B25"].value == "（六）其他处理"


def test_table_2_cells_read_slash_and_notes(tmp_path: Path) -> None:
    path = write(tmp_path, COUNTY, "2021")
    book = openpyxl.load_workbook(path)
    assert book[TABLE2][cell_of("2021", "/proactive/regulations/issued")].value == "/"
    assert book[TABLE2]["B5"].value == "8（其中修订3件）"
    proactive = docgen.load(path)["proactive"]
    assert proactive["regulations"]["issued"] is None
    assert proactive["normative_documents"]["issued"] == {"value": 8, "note": "其中修订3件"}
    assert proactive["fees"]["amount"] == Decimal("26.418")


# -- mistakes, located -----------------------------------------------------------------------


def test_text_where_a_number_belongs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cell = cell_of("2021", "/applications/results/disclosed/research")
    path = edit(write(tmp_path, COUNTY, "2021"),
                lambda b: b[TABLE3].__setitem__(cell, "12件"))
    code, out = run(capsys, "check", str(path))
    assert code == 1
    assert (f"错误 [XLSX-NUMBER] 表三!{cell}（三、收到和处理政府信息公开申请情况 › "
            "三、本年度办理结果 › （一）予以公开 › 科研机构）"
            "/applications/results/disclosed/research：应填非负整数，实为“12件”") in out
    assert "SCHEMA" not in out  # -- said once, by the workbook --


def test_schema_and_rule_issues_are_located_at_their_cells(tmp_path: Path) -> None:
    minus = cell_of("2021", "/reviews/litigation_direct/corrected")
    fee = cell_of("2021", "/proactive/fees/amount")

    def change(book: Any) -> None:
        book[TABLE4][minus] = -1
        book[TABLE3]["D7"] = 999

    path = edit(write(tmp_path, COUNTY, "2021"), change)
    issues = {i.code: i for i in docgen.check(path)}
    assert str(issues["SCHEMA-MINIMUM"].location) == f"表四!{minus}"
    balance = [i for i in docgen.check(path) if i.path.startswith("/applications")]
    assert balance and all(str(i.location).startswith("表三!") for i in balance)
    assert fee == "B15"


def test_slash_where_the_model_has_no_null(tmp_path: Path) -> None:
    path = edit(write(tmp_path, COUNTY, "2021"), lambda b: b[TABLE3].__setitem__("E6", "/"))
    [issue] = [i for i in docgen.check(path) if i.is_error]
    assert issue.code == "XLSX-NUMBER" and "不能填“/”" in issue.message
    assert issue.path == "/applications/carried_over/commercial"


def test_formula_in_an_input_cell(tmp_path: Path) -> None:
    path = edit(write(tmp_path, COUNTY, "2021"), lambda b: b[TABLE3].__setitem__("D5", "=1+1"))
    [issue] = [i for i in docgen.check(path) if i.is_error]
    assert issue.code == "XLSX-FORMULA" and str(issue.location) == "表三!D5"


def test_merged_and_unmerged_cells(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(book: Any) -> None:
        book[TABLE3].merge_cells("D7:E7")
        book[TABLE4].unmerge_cells("F2:O2")

    path = edit(write(tmp_path, COUNTY, "2021"), change)
    code, out = run(capsys, "check", str(path))
    assert code == 1
    assert "[XLSX-MERGED] 表三!D7:E7" in out and "多出的合并单元格" in out
    assert "[XLSX-MERGED] 表四!F2:O2" in out and "被拆分" in out


def test_moved_cells_stop_the_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = edit(write(tmp_path, COUNTY, "2021"), lambda b: b[TABLE3].insert_rows(8))
    code, out = run(capsys, "check", str(path))
    assert code == 1
    assert "[XLSX-MOVED] 表三!B8" in out and "本表未读取" in out
    assert "SCHEMA" not in out and "T3" not in out


def test_renamed_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = edit(write(tmp_path, COUNTY, "2021"),
                lambda b: setattr(b[TABLE4], "title", "表4"))
    code, out = run(capsys, "check", str(path))
    assert code == 1
    assert "[XLSX-SHEET] 工作表“表四”" in out and "找不到工作表“表四”" in out
    assert "表4（是否被改名？）" in out


def test_extra_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = edit(write(tmp_path, COUNTY, "2021"), lambda b: b[TABLE3].__setitem__("A40", "合计"))
    code, out = run(capsys, "check", str(path))
    assert code == 1 and "[XLSX-EXTRA] 表三!A40" in out and "表格外多出的内容“合计”" in out


def test_other_and_newer_layouts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    newer = edit(write(tmp_path, COUNTY, "2021"), lambda b: b["_docgen"].__setitem__("B2", "9"))
    code, out = run(capsys, "check", str(newer))
    assert code == 1 and "[XLSX-VERSION]" in out and "较新版本" in out
    plain = tmp_path / "plain.xlsx"
    openpyxl.Workbook().save(plain)
    code, out = run(capsys, "render", str(plain), "-o", str(tmp_path / "x.docx"))
    assert code == 1 and "不是 docgen 生成的工作簿" in out
    assert not (tmp_path / "x.docx").exists()


def test_custom_kind_has_no_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, COUNTY, "2021")
    schema = EXAMPLES / "custom-kind"
    found = sorted(schema.glob("*.json"))
    schema_file = next(p for p in found if "schema" in p.name)
    code, out = run(capsys, "check", str(path), "--schema", str(schema_file))
    assert code == 2 and "不支持 Excel 工作簿" in out


def test_missing_openpyxl_names_the_extra(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, COUNTY, "2021")
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    code, out = run(capsys, "check", str(path))
    assert code == 2 and "pip install 'docgen-gov[xlsx]'" in out


# -- bounded like any input ------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _entries(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


@pytest.mark.parametrize("case", ["not-zip", "doctype", "bomb", "entries", "size"])
def test_hostile_workbooks_are_refused(case: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    entries = _entries(export_workbook(COUNTY, "2021"))
    sheet = "xl/worksheets/sheet3.xml"
    if case == "not-zip":
        raw = b"agency,year\n"
        expected = "不是 Excel 工作簿"
    elif case == "doctype":
        body = entries[sheet].split(b"?>", 1)[-1]
        entries[sheet] = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + body
        raw, expected = _zip(entries), "DOCTYPE/实体声明"
    elif case == "bomb":
        entries["xl/media/zeros.bin"] = b"\0" * (xlsx.MAX_UNPACKED_BYTES + 1)
        raw, expected = _zip(entries), "疑似压缩炸弹"
    elif case == "entries":
        entries.update({f"xl/x{i}.bin": b"" for i in range(xlsx.MAX_ENTRIES)})
        raw, expected = _zip(entries), "文件过多"
    else:
        monkeypatch.setattr(xlsx, "MAX_BYTES", 1000)
        raw, expected = _zip(entries), "文件过大"
    path = tmp_path / "bad.xlsx"
    path.write_bytes(raw)
    code, out = run(capsys, "check", str(path))
    assert code == 1 and expected in out and "Traceback" not in out


def test_formulas_are_never_evaluated(tmp_path: Path) -> None:
    """A total cell overwritten by hand is ignored: docgen derives the totals itself."""
    path = edit(write(tmp_path, COUNTY, "2021"), lambda b: b[TABLE3].__setitem__("J5", 5))
    assert docgen.check(path) == docgen.check(COUNTY)


# -- export ----------------------------------------------------------------------------------


def test_export_next_year(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "2025.json"
    source.write_text(json.dumps(COUNTY, ensure_ascii=False, default=str), encoding="utf-8")
    this_year = tmp_path / "2025.xlsx"
    assert run(capsys, "export", str(source), "-o", str(this_year))[0] == 0
    following = tmp_path / "2026.xlsx"
    code, out = run(capsys, "export", str(this_year), "-o", str(following), "--next-year")
    assert code == 0 and "已生成" in out
    data = docgen.load(following)
    assert data["year"] == 2026 and data["agency"] == COUNTY["agency"]
    carried = {k: v for k, v in COUNTY["applications"]["carried_forward"].items() if k != "total"}
    assert data["applications"] == {"carried_over": carried}
    assert data["proactive"]["normative_documents"] == {"in_force": 37}
    assert data["proactive"]["regulations"] == {"in_force": None}
    assert [s["title"] for s in data["overview"]["sections"]] == [
        s["title"] for s in COUNTY["overview"]["sections"]]
    assert all(s["text"] == "" for s in data["overview"]["sections"])
    code, out = run(capsys, "export", str(this_year), "-o", str(following))
    assert code == 2 and "已存在" in out


def test_export_next_year_2019(tmp_path: Path) -> None:
    from docgen.kinds.gov_info_annual.workbook import next_year

    data = next_year(JINDONG)
    assert data["year"] == JINDONG["year"] + 1
    licensing = JINDONG["proactive"]["licensing"]
    if isinstance(licensing["previous"], int) and isinstance(licensing["change"], int):
        assert data["proactive"]["licensing"] == {
            "previous": licensing["previous"] + licensing["change"]}
    path = write(tmp_path, data, "2019")
    assert docgen.load(path)["proactive"] == data["proactive"]


def test_export_refuses_what_it_would_lose(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    data = copy.deepcopy(COUNTY)
    data["contact"]["fax"] = "0570-1"
    source = tmp_path / "d.json"
    source.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    code, out = run(capsys, "export", str(source), "-o", str(tmp_path / "d.xlsx"))
    assert code == 1 and "/contact/fax" in out and not (tmp_path / "d.xlsx").exists()


# -- LibreOffice -----------------------------------------------------------------------------


def resave(path: Path, libreoffice: str, folder: Path) -> Path:
    """Open `path` in LibreOffice Calc and save it again as .xlsx (as a user's program would)."""
    out = folder / "resaved"
    out.mkdir(exist_ok=True)
    subprocess.run([libreoffice, "--headless", "--norestore",
                    f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                    "--convert-to", "xlsx", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180)
    return out / path.name


def typed(value: Any) -> Any:
    """What a user types for `value`."""
    if value is None:
        return "/"
    if isinstance(value, dict):
        return f"{value['value']}（{value['note']}）"
    if isinstance(value, Decimal):
        return float(value)
    return value


@pytest.mark.slow
def test_typed_workbook_resaved_by_libreoffice_renders_like_json(
        tmp_path: Path, libreoffice: str, capsys: pytest.CaptureFixture[str]) -> None:
    start = tmp_path / "typed.xlsx"
    assert run(capsys, "init", "--year", "2025", "-o", str(start))[0] == 0
    layout = build_layout("2021")
    book = openpyxl.load_workbook(start)
    for sheet in layout.sheets:
        for cell in sheet.inputs:
            value = engine_workbook._get(COUNTY, cell.path)
            absent = value is None and not cell.kind.startswith("cell_")
            book[sheet.name][cell.cell] = None if absent or value == "" else typed(value)
    book.save(start)
    resaved = resave(start, libreoffice, tmp_path)
    from_workbook = docgen.render(resaved)
    from_json = docgen.render(COUNTY)
    assert visible_texts(from_workbook) == visible_texts(from_json)
    assert tables(from_workbook) == tables(from_json)


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(VERSIONS))
def test_libreoffice_opens_it_and_shows_the_totals(example: str, tmp_path: Path,
                                                   libreoffice: str) -> None:
    data, version = VERSIONS[example]
    resaved = resave(write(tmp_path, data, version), libreoffice, tmp_path)
    assert docgen.load(resaved) == without_totals(data)
    shown = openpyxl.load_workbook(resaved, data_only=True)  # -- Calc's computed values --
    derived = docgen.prepare(data).data
    for sheet in build_layout(version).sheets:
        for formula in sheet.formulas:
            expected = engine_workbook._get(derived, formula.path)
            assert shown[sheet.name][formula.cell].value == expected, formula.path


def test_every_command_that_reads_data_says_it_takes_a_workbook(
        capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("check", "render", "export", "batch"):
        with pytest.raises(SystemExit):
            main([command, "-h"])
        assert "xlsx" in capsys.readouterr().out, command


def test_format_option_against_the_workbooks_layout_is_one_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "county.xlsx"  # -- the county example gives no "format": the year does --
    assert run(capsys, "export", str(EXAMPLES / "county-bureau-2025.json"), "-o", str(book))[0] == 0
    code, out = run(capsys, "check", str(book), "--format", "2019")
    assert code == 1 and out.count("错误 [") == 1
    assert "错误 [FORMAT-MISMATCH] 格式版本（/format）：工作簿按 2021 年版格式制作" in out
    assert run(capsys, "check", str(book), "--format", "2021")[0] == 0
