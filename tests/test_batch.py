"""``docgen batch`` and `render_many`: many reports, one bad one does not stop the rest."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, FIXTURES, visible_texts

from docgen.batch import JsonLine, Outcome, collect_inputs, render_many, safe_name
from docgen.cli import main
from docgen.cli.batch import ProgressLine

JINDONG_TITLE = "金东区经济商务局2019年政府信息公开工作年度报告"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


def example(name: str) -> dict[str, Any]:
    """An example as plain JSON values (floats), to write back to a file unchanged."""
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture
def jindong() -> dict[str, Any]:
    return example("jindong-2019.json")


@pytest.fixture
def county() -> dict[str, Any]:
    return example("county-bureau-2025.json")


def deep(data: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(dump(data))
    return copied


def title(year: int) -> str:
    return f"泽安县{year}机关政府信息公开工作年度报告"


@pytest.fixture
def folder(tmp_path: Path, jindong: dict[str, Any], county: dict[str, Any]) -> Path:
    """Three good reports (both formats, JSON and YAML) and one with a wrong type."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a-jindong.json").write_text(dump(jindong), encoding="utf-8")
    second = deep(county)
    second["title"] = title(2025)
    (inputs / "b-county.json").write_text(dump(second), encoding="utf-8")
    third = deep(county)
    third["title"] = title(2026)
    third["agency"] = "泽安县农业农村局"
    # -- JSON is YAML: the .yml file goes through the YAML loader --
    (inputs / "c-county.yml").write_text(dump(third), encoding="utf-8")
    broken = deep(county)
    broken["applications"]["new_received"]["commercial"] = "三"
    (inputs / "d-broken.json").write_text(dump(broken), encoding="utf-8")
    (inputs / "notes.txt").write_text("not a report", encoding="utf-8")
    return inputs


def test_folder_with_one_broken_report(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                       folder: Path) -> None:
    out = tmp_path / "out"

    code, stdout, err = run(capsys, "batch", str(folder), "-o", str(out), "--jobs", "1")

    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["a-jindong.docx", "b-county.docx",
                                                     "c-county.docx"]
    assert JINDONG_TITLE in visible_texts(out / "a-jindong.docx")
    assert title(2025) in visible_texts(out / "b-county.docx")
    assert title(2026) in visible_texts(out / "c-county.docx")
    assert "已生成 3 份" in stdout and "失败 1 份" in stdout
    broken = str(folder / "d-broken.json")
    assert f"{broken} 未生成" in err
    assert "SCHEMA-TYPE" in err and "/applications/new_received/commercial" in err
    # -- not a terminal: one plain progress line per report --
    assert f"[4/4] {broken}：失败" in err
    assert "\r" not in err and "Traceback" not in err


def test_json_lines_and_two_jobs(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                 jindong: dict[str, Any], county: dict[str, Any]) -> None:
    lines = tmp_path / "reports.jsonl"
    lines.write_text(f"{dump(jindong)}\n\n{dump(county)}\n{{broken\n", encoding="utf-8")
    out = tmp_path / "out"

    code, stdout, err = run(capsys, "batch", str(lines), "-o", str(out), "--jobs", "2")

    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["reports-1.docx", "reports-3.docx"]
    assert JINDONG_TITLE in visible_texts(out / "reports-1.docx")
    county_title = "泽安县市场监督管理局2025年政府信息公开工作年度报告"
    assert county_title in visible_texts(out / "reports-3.docx")
    assert f"{lines}:4 未生成" in err and "第 4 行第 2 列：JSON 格式错误" in err
    assert "已生成 2 份" in stdout


def test_json_lines_refuse_duplicate_keys_like_files(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path,
                                                     county: dict[str, Any]) -> None:
    line = dump(county).replace('"year": 2025', '"year": 2019, "year": 2025', 1)
    assert line.count('"year"') == 2
    lines = tmp_path / "dup.jsonl"
    lines.write_text(line + "\n", encoding="utf-8")

    code, _, err = run(capsys, "batch", str(lines), "-o", str(tmp_path / "out"), "-j", "1")

    assert code == 1
    assert "“year” 出现了两次" in err


def test_workers_write_the_same_bytes_as_one_process(tmp_path: Path, jindong: dict[str, Any],
                                                     county: dict[str, Any]) -> None:
    reports = [("j", jindong), ("c", county), ("j2", deep(jindong)), ("c2", deep(county))]

    one = render_many(reports, tmp_path / "one", jobs=1)
    two = render_many(reports, tmp_path / "two", jobs=2)

    assert one.ok and two.ok and len(two.rendered) == 4
    for a, b in zip(one.outcomes, two.outcomes, strict=True):
        assert a.name == b.name
        assert a.written[0].read_bytes() == b.written[0].read_bytes()


def test_render_many_keeps_each_failure_and_calls_progress(tmp_path: Path,
                                                           county: dict[str, Any]) -> None:
    bad = deep(county)
    bad["reviews"]["administrative_review"]["total"] = 99
    seen: list[tuple[int, int, str]] = []

    result = render_many([("县/局", county), ("县/局", bad), ("CON", county)], tmp_path, jobs=1,
                         progress=lambda done, total, o: seen.append((done, total, o.name)))

    assert [o.name for o in result.outcomes] == ["县_局", "县_局-2", "CON_"]
    assert [o.ok for o in result.outcomes] == [True, False, True]
    assert "T4-TOTAL" in [i.code for i in result.failed[0].issues]
    assert seen == [(1, 3, "县_局"), (2, 3, "县_局-2"), (3, 3, "CON_")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CON_.docx", "县_局.docx"]


def test_no_inputs_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()

    code, _, err = run(capsys, "batch", str(empty), "-o", str(tmp_path / "out"))
    missing, _, err2 = run(capsys, "batch", str(tmp_path / "nowhere"), "-o", str(tmp_path))

    assert code == 2 and "没有找到数据文件" in err
    assert missing == 2 and "找不到输入" in err2
    assert not (tmp_path / "out").exists()


def test_progress_bar_on_a_terminal() -> None:
    stream = io.StringIO()
    bar = ProgressLine(stream, terminal=True)
    done = Outcome("a", "a.json", (Path("a.docx"),))

    bar(1, 4, done)
    bar(4, 4, done)

    assert stream.getvalue() == f"\r[{'#' * 7}{' ' * 23}] 1/4\r[{'#' * 30}] 4/4\n"


def test_inputs_and_names(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("{}", encoding="utf-8")
    (tmp_path / "a.json").write_text("{}", encoding="utf-8")
    (tmp_path / "x.jsonl").write_text("{}\n", encoding="utf-8")
    lines = tmp_path / "x.jsonl"

    found = collect_inputs([tmp_path, lines])

    assert found == [("a", tmp_path / "a.json"), ("b", tmp_path / "b.yaml"),
                     ("x-1", JsonLine(lines, 1, 0, 3))]
    assert safe_name("../..") == "_" and safe_name("  ") == "report"
    assert len(safe_name("局" * 300)) == 80


def test_pdf_without_libreoffice_stops_before_any_report(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        folder: Path) -> None:
    monkeypatch.setenv("DOCGEN_SOFFICE", str(tmp_path / "no-soffice"))
    out = tmp_path / "out"

    code, _, err = run(capsys, "batch", str(folder), "-o", str(out), "--pdf")

    assert code == 2 and "LibreOffice" in err and err.count("\n") == 1
    assert not out.exists()


def test_a_folder_of_workbooks_is_rendered_like_a_folder_of_json(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    folder = tmp_path / "in"
    folder.mkdir()
    code, _, _ = run(capsys, "export", str(EXAMPLES / "county-bureau-2025.json"), "-o",
                     str(folder / "county.xlsx"))
    (folder / "~$county.xlsx").write_bytes(b"lock")  # -- what Excel leaves beside an open file --
    code, out, err = run(capsys, "batch", str(folder), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert "已生成 1 份，失败 0 份" in out + err and "~$county.xlsx" in out + err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["county.docx"]
    assert "泽安县市场监督管理局" in "".join(visible_texts(tmp_path / "out" / "county.docx"))


def test_allow_errors_reproduces_published_reports_in_bulk(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # -- a reviewer re-renders published reports as printed: 勾稽 errors warn, nothing else --
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIXTURES / "jindong-2019-as-published.json", folder / "published.json")
    out = tmp_path / "out"

    assert main(["batch", str(folder), "-o", str(out), "--jobs", "1"]) == 1
    assert not (out / "published.docx").exists()
    capsys.readouterr()
    assert main(["batch", str(folder), "-o", str(out), "--jobs", "1", "--allow-errors"]) == 0
    assert "金东区经济商务局2019年政府信息公开工作年度报告" in visible_texts(out / "published.docx")


def test_outcomes_read_back_as_each_report_ended(tmp_path: Path, county: dict[str, Any]) -> None:
    # -- written; written with a warning; failed: each read back whole, in order, however
    # the batch keeps them --
    warned = deep(county)
    warned["overview"]["intro"] = "全年收到政府信息公开申请999件。"
    bad = deep(county)
    bad["reviews"]["administrative_review"]["total"] = 99
    lines = tmp_path / "in.jsonl"
    lines.write_text("\n".join(dump(d) for d in (county, warned, bad, county)) + "\n",
                     encoding="utf-8")
    out = tmp_path / "out"

    result = render_many(collect_inputs([lines]), out, jobs=1, html=True)

    outcomes = list(result.outcomes)
    assert len(result.outcomes) == 4 and outcomes == [result.outcomes[i] for i in range(4)]
    assert outcomes[0] == Outcome("in-1", f"{lines}:1", (out / "in-1.docx", out / "in-1.html"))
    assert outcomes[1].ok and [i.code for i in outcomes[1].issues] == ["NARRATIVE"]
    assert not outcomes[2].ok and outcomes[2].source == f"{lines}:3"
    assert result.outcomes[-1] == outcomes[3] and result.outcomes[1:3] == outcomes[1:3]
    assert result.warned == [outcomes[1]] and result.failed == [outcomes[2]]
    assert result.rendered == [outcomes[0], outcomes[1], outcomes[3]] and not result.ok
    assert result.outcomes == outcomes and result.outcomes == tuple(outcomes)
    assert result.outcomes != outcomes[:3]
    with pytest.raises(IndexError):
        result.outcomes[4]


def test_the_result_does_not_keep_the_callers_reports(tmp_path: Path,
                                                      county: dict[str, Any]) -> None:
    import sys

    report = deep(county)
    before = sys.getrefcount(report)

    result = render_many([("a", report)], tmp_path, jobs=1)

    assert result.ok and result.outcomes[0].source == "a"
    assert sys.getrefcount(report) == before


def test_a_large_batch_keeps_little_per_report(tmp_path: Path, county: dict[str, Any]) -> None:
    # -- what the calling process keeps per report of a JSON Lines batch: its place in the
    # file and its name, not its outcome (benchmarks/ measures 100,000 lines) --
    import gc
    import tracemalloc

    lines = tmp_path / "in.jsonl"
    lines.write_text((dump(county) + "\n") * 300, encoding="utf-8")
    render_many(collect_inputs([lines]), tmp_path / "warm", jobs=1)  # -- caches filled --
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = render_many(collect_inputs([lines]), tmp_path / "out", jobs=1)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert result.ok and len(result.outcomes) == 300
    assert kept / 300 < 500, f"{kept / 300:.0f} bytes kept per report"  # -- 830 before --
