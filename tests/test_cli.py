"""The ``docgen`` command as a clerk meets it: messages, exit codes, files written or not."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, FIXTURES, deep, read_json, visible_texts

import docgen
from docgen.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, data: dict[str, Any], name: str = "data.json") -> Path:
    path = tmp_path / name
    # -- a Decimal is written as the number it is (its float repr is the same digits) --
    text = json.dumps(data, ensure_ascii=False,
                      default=lambda v: float(v) if isinstance(v, Decimal) else str(v))
    path.write_text(text, encoding="utf-8")
    return path


def test_render_writes_the_document(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "sub" / "report.docx"

    code, stdout, _ = run(capsys, "render", str(EXAMPLES / "jindong-2019.json"), "-o", str(out))

    assert code == 0
    assert str(out) in stdout
    assert "金东区经济商务局2019年政府信息公开工作年度报告" in visible_texts(out)


def test_three_problems_in_one_run(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   jindong: dict[str, Any]) -> None:
    data = deep(jindong)
    data["applications"]["new_received"]["commercial"] = "三"
    del data["agency"]
    data["reviews"]["administrative_review"]["upheld"] = -1
    out = tmp_path / "report.docx"

    code, _, err = run(capsys, "render", str(write(tmp_path, data)), "-o", str(out))

    assert code == 1
    assert "/applications/new_received/commercial" in err
    assert "一、本年新收政府信息公开申请数量 › 商业企业" in err
    assert "/agency" in err and "机关名称" in err and "缺少必填项" in err
    assert "/reviews/administrative_review/upheld" in err and "行政复议 › 结果维持" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "data.json"]


def test_missing_data_file_is_one_line_exit_2(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    code, _, err = run(capsys, "render", str(tmp_path / "nope.json"))

    assert code == 2
    assert err.strip().count("\n") == 0
    assert "找不到数据文件" in err


def test_bad_option_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["render", "--no-such-option"])

    assert exited.value.code == 2


def test_malformed_json_names_line_and_column(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "agency": "某局",\n  "year": 2025,,\n}', encoding="utf-8")

    code, _, err = run(capsys, "check", str(path))

    assert code == 1
    assert "第 3 行第 16 列" in err and "JSON" in err


def test_check_reference_as_published(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(FIXTURES / "jindong-2019-as-published.json"))

    assert code == 1
    assert out.count("[T3-RESULTS]") == 2
    assert "科研机构" in out and "（七）总计" in out


def test_check_json_is_a_stable_array(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--json",
                       str(FIXTURES / "jindong-2019-as-published.json"))

    issues = json.loads(out)
    assert code == 1
    assert [(i["code"], i["path"], i["severity"]) for i in issues] == [
        ("T3-RESULTS", "/applications/results/total/research", "error"),
        ("T3-RESULTS", "/applications/results/total/total", "error"),
    ]
    assert set(issues[0]) == {"code", "severity", "path", "labels", "message", "expected",
                              "actual", "context", "stage", "location"}
    assert issues[0]["labels"][-2:] == ["（七）总计", "科研机构"]
    assert issues[0]["expected"] == 1 and issues[0]["actual"] == 0


def test_check_clean_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(EXAMPLES / "jindong-2019.json"))

    assert code == 0
    assert "未发现问题" in out


def test_strict_fails_on_warnings(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                  jindong: dict[str, Any]) -> None:
    data = deep(jindong)
    data["published"] = "2020-03-01"  # -- after the 31 January deadline --
    path = write(tmp_path, data)

    assert run(capsys, "check", str(path))[0] == 0
    code, out, _ = run(capsys, "check", "--strict", str(path))
    assert code == 1
    assert "警告" in out


def test_render_refuses_errors_unless_allowed(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    data = FIXTURES / "jindong-2019-as-published.json"
    out = tmp_path / "as-published.docx"

    code, _, err = run(capsys, "render", str(data), "-o", str(out))
    assert code == 1 and not out.exists()
    assert "报告未生成" in err

    code, _, err = run(capsys, "render", str(data), "-o", str(out), "--allow-errors")
    assert code == 0 and out.exists()
    assert "T3-RESULTS" in err  # -- still shown --


def test_render_refuses_to_overwrite_its_data(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path, jindong: dict[str, Any]) -> None:
    path = write(tmp_path, jindong, "report.docx")
    before = path.read_bytes()

    code, _, err = run(capsys, "render", str(path), "-o", str(path))

    assert code == 2
    assert "拒绝覆盖" in err
    assert path.read_bytes() == before


def test_init_skeleton_cannot_pass_empty_and_renders_when_filled(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    assert run(capsys, "init", "--year", "2025", "-o", str(data))[0] == 0
    skeleton = read_json(data)
    assert skeleton["format"] == "2021" and skeleton["year"] == 2025
    assert skeleton["applications"]["results"]["other"]["overdue_fee"]["commercial"] == 0
    assert "total" not in skeleton["applications"]["results"]
    assert "total" not in skeleton["applications"]["new_received"]

    code, out, _ = run(capsys, "check", str(data), "--json")
    assert code == 1
    assert sorted(i["path"] for i in json.loads(out) if i["severity"] == "error") == [
        "/agency", "/overview/sections/0/text", "/overview/sections/0/title",
        "/problems/improvements", "/problems/problems"]
    assert {i["code"] for i in json.loads(out) if i["severity"] == "error"} == {"REQUIRED-TEXT"}

    skeleton["agency"] = "泽安县统计局"
    skeleton["overview"]["sections"][0].update(title="主动公开", text="全年主动公开信息12条。")
    skeleton["problems"].update(problems="公开不够及时。", improvements="建立提醒制度。")
    skeleton["applications"]["new_received"]["natural_person"] = 2
    skeleton["applications"]["results"]["disclosed"]["natural_person"] = 2
    data.write_text(json.dumps(skeleton, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(capsys, "check", str(data))
    assert (code, out) == (0, "未发现问题。\n")
    out_file = tmp_path / "data.docx"
    assert run(capsys, "render", str(data), "-o", str(out_file))[0] == 0
    assert "泽安县统计局2025年政府信息公开工作年度报告" in visible_texts(out_file)


@pytest.mark.parametrize("year", ["1800", "2101"])
def test_init_accepts_only_years_check_accepts(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path, year: str) -> None:
    code, out, err = run(capsys, "init", "--year", year, "-o", str(tmp_path / "d.json"))

    assert code == 2 and out == ""
    assert f"报告年度应在 1990 至 2100 之间，实为 {year}" in err
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_to_overwrite(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text("{}", encoding="utf-8")

    code, _, err = run(capsys, "init", "--year", "2025", "-o", str(data))

    assert code == 2 and "已存在" in err
    assert data.read_text(encoding="utf-8") == "{}"


@pytest.mark.parametrize("fmt", ["2019", "2021"])
def test_schema_prints_the_version(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = run(capsys, "schema", "--format", fmt)

    schema = json.loads(out)
    assert code == 0
    assert schema["$schema"].endswith("2020-12/schema")
    labels = json.dumps(schema, ensure_ascii=False)
    assert ("其他对外管理服务事项" in labels) == (fmt == "2019")


def test_python_m_docgen_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "docgen", "--version"], capture_output=True,
                          text=True, check=False)

    assert done.returncode == 0
    assert done.stdout.startswith("docgen ")


@pytest.mark.parametrize(("name", "hint"), [
    ("report.doc", "-o {dir}/report.docx"),
    ("report", "-o {dir}/report.docx 或 -o {dir}/report.pdf")])
def test_output_suffix_decides_or_says_what_to_type(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path, name: str,
                                                    hint: str) -> None:
    out = tmp_path / name

    code, _, err = run(capsys, "render", str(EXAMPLES / "jindong-2019.json"), "-o", str(out))

    assert code == 2 and hint.format(dir=tmp_path) in err
    assert list(tmp_path.iterdir()) == []


def test_custom_schema_problems_are_messages(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    data = str(EXAMPLES / "jindong-2019.json")
    broken = tmp_path / "broken.schema.json"
    broken.write_text("{", encoding="utf-8")
    invalid = tmp_path / "invalid.schema.json"
    invalid.write_text('{"properties": {"a": {"type": "nonsense"}}}', encoding="utf-8")

    assert run(capsys, "check", data, "--schema", str(tmp_path / "missing.json"))[0] == 2
    for schema in (broken, invalid):
        code, _, err = run(capsys, "check", data, "--schema", str(schema))
        assert code == 1 and "不是有效的 JSON Schema" in err and "Traceback" not in err


def test_check_json_reports_an_unreadable_file_as_json(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")

    code, out, _ = run(capsys, "check", "--json", str(path))

    assert code == 1
    [issue] = json.loads(out)
    assert issue["code"] == "DATA-FILE" and "JSON 格式错误" in issue["message"]


def test_yaml_data_renders_like_json(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     county: dict[str, Any]) -> None:
    yaml = pytest.importorskip("yaml")
    text = yaml.safe_dump(json.loads(json.dumps(county, default=str)), allow_unicode=True)
    # -- as a person writes YAML: dates and amounts unquoted --
    text = text.replace("'2026-01-20'", "2026-01-20").replace("'26.418'", "26.418")
    assert "amount: 26.418\n" in text and "published: 2026-01-20\n" in text
    path = tmp_path / "report.yaml"
    path.write_text(text, encoding="utf-8")

    assert docgen.load(path) == county
    code, _, _ = run(capsys, "render", str(path), "-o", str(tmp_path / "report.docx"))
    assert code == 0
    assert (tmp_path / "report.docx").read_bytes() == docgen.render(county)


def test_check_previous_compares_the_carry_over(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path,
                                                county: dict[str, Any]) -> None:
    last = deep(county)
    last["year"] = 2024
    last["published"] = "2025-01-20"
    carried = dict(county["applications"]["carried_over"])  # -- what this year took over --
    carried["natural_person"] += 1
    carried.pop("total")
    last["applications"]["carried_forward"] = carried
    previous = write(tmp_path, last, "2024.json")
    data = write(tmp_path, county, "2025.json")

    code, out, _ = run(capsys, "check", "--json", str(data), "--previous", str(previous))

    found = {(i["code"], i["path"]) for i in json.loads(out)}
    assert code == 0
    assert ("CARRY-OVER", "/applications/carried_over/natural_person") in found
    assert ("CARRY-OVER", "/applications/carried_over/total") in found
    assert not [i for i in json.loads(out) if i["path"].endswith("/commercial")]
    assert run(capsys, "check", "--strict", str(data), "--previous", str(previous))[0] == 1
