"""A clerk's first hour (#16): Chinese command line, hints that name the mistake, a skeleton
that cannot pass empty, batches that never leave a wrong file unmentioned."""

from __future__ import annotations

import json
import os
import pydoc
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, FIXTURES, ROOT, read_json

import docgen
from docgen.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_text(tmp_path: Path, text: str, name: str = "data.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the command line in Chinese -------------------------------------------------------------


def test_no_command_lists_every_command_with_an_example(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)

    assert code == 2 and out == ""
    assert "用法：docgen 命令 …" in err and "required" not in err
    for command, example in [("init", "docgen init --year 2025 -o 报告.json"),
                             ("check", "docgen check 报告.json"),
                             ("render", "docgen render 报告.json -o 报告.docx"),
                             ("batch", "docgen batch 数据文件夹 -o 输出文件夹"),
                             ("schema", "docgen schema --format 2021"),
                             ("template", "docgen template check 模板.docx"),
                             ("export", "docgen export 上年报告.json -o 报告.xlsx --next-year"),
                             ("import", "docgen import 已发布的报告.html -o 上年报告.json"),
                             ("audit", "docgen audit 报告.html --previous 上年报告.json"),
                             ("fonts", "docgen fonts")]:
        line = next(line for line in err.splitlines() if line.startswith(f"  {command} "))
        assert line.endswith(f"例：{example}")
    commands = [line.split()[0] for line in err.splitlines() if line.startswith("  ")]
    assert all("-h" not in line for line in err.splitlines() if line.startswith("  "))
    assert len(commands) == 10


def test_template_without_subcommand_lists_its_commands(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "template")

    assert code == 2
    assert "例：docgen template fields --format 2021" in err
    assert "例：docgen template check 模板.docx" in err


def test_help_and_option_errors_are_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["render", "-h"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    assert out.startswith("用法：docgen render")
    assert "选项:" in out and "显示本帮助并退出" in out and "--allow-errors" in out
    assert "usage" not in out and "show this help" not in out

    with pytest.raises(SystemExit) as done:
        main(["render", "x.json", "--pfd"])
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert "docgen: 错误：无法识别的参数：--pfd（docgen -h 查看帮助）" in err

    with pytest.raises(SystemExit) as done:
        main(["check"])
    assert "缺少必需的参数：DATA" in capsys.readouterr().err

    with pytest.raises(SystemExit) as done:
        main(["init", "--year", "二〇二五"])
    assert "参数 --year：应为整数，实为 '二〇二五'" in capsys.readouterr().err


def test_english_with_lang_option_or_locale(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--lang", "en", "check"])
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert "usage: docgen check" in err and "the following arguments are required: DATA" in err

    broken = write_text(tmp_path, '{"agency": "泽安县"，"year": 2025}')
    code, _, err = run(capsys, "--lang", "en", "check", str(broken))
    assert code == 1
    assert "line 1 column 17: invalid JSON (Expecting ',' delimiter)" in err
    assert "full-width punctuation" in err

    env = {**os.environ, "LANG": "en_US.UTF-8", "LC_ALL": ""}
    done_en = subprocess.run([sys.executable, "-m", "docgen", "check", str(broken)],
                             capture_output=True, text=True, check=False, env=env)
    assert done_en.returncode == 1 and "invalid JSON" in done_en.stderr
    # -- the library's language is not changed by the command having run --
    with pytest.raises(docgen.DataFileError, match="JSON 格式错误"):
        docgen.load(broken)


# -- JSON syntax errors: where, the line, a caret, the IME's full-width punctuation ----------


@pytest.mark.parametrize(("text", "where", "caret_line", "hint"), [
    ('{\n  "agency": "金东区"，\n  "year": 2019\n}\n', "第 2 行第 18 列",
     '      "agency": "金东区"，',
     "提示：， 是中文输入法打出的全角标点，JSON 的标点必须是半角：请改为 ,"),
    ('{\n  "agency"： "金东区"\n}\n', "第 2 行第 11 列", '      "agency"： "金东区"',
     "请改为 :"),
    ('{\n  “agency”: "金东区"\n}\n', "第 2 行第 3 列", '      “agency”: "金东区"', '请改为 "'),
    ('{\n  "agency": "金东区",\n  "year": 2019,\n}\n', "第 4 行第 1 列", "    }",
     "提示：最后一项后面不能有逗号：请删去第 3 行第 15 列的“,”"),
])
def test_json_syntax_error_in_chinese_with_caret_and_hint(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, where: str,
        caret_line: str, hint: str) -> None:
    path = write_text(tmp_path, text)

    code, _, err = run(capsys, "check", str(path))

    lines = err.splitlines()
    assert code == 1
    assert f"data.json {where}：JSON 格式错误：" in lines[0]
    assert "Expecting" not in err
    assert lines[1] == caret_line
    column = int(where.split("第 ")[2].split(" 列")[0])
    shown = lines[1][4:column + 3]
    width = sum(2 if "\u4e00" <= c <= "\u9fff" or c in "，：“”" else 1 for c in shown)
    assert lines[2] == " " * (4 + width) + "^"
    assert hint in lines[3]


# -- files that are no data files, and encodings ---------------------------------------------


def _docx(tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return path


def test_a_document_given_as_data_to_render_is_named_not_refused_as_an_output(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    document = tmp_path / "report.docx"
    docgen.render(read_json(EXAMPLES / "county-bureau-2025.json"), document)
    before = document.read_bytes()
    code, _, err = run(capsys, "render", str(document))
    assert code == 1 and "是Word 文档（.docx），不是数据文件" in err and "docgen import" in err
    assert "拒绝覆盖" not in err and document.read_bytes() == before


@pytest.mark.parametrize(("make", "said"), [
    (_docx, "是Word 文档（.docx），不是数据文件"),
    (lambda p: write_bytes(p, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "是PDF 文件，不是数据文件"),
    (lambda p: write_bytes(p, b"<!DOCTYPE html>\n<html lang=\"zh-CN\"></html>"),
     "是网页（HTML），不是数据文件；已发布的报告可用 docgen import 读成数据文件"),
    (lambda p: write_bytes(p, "{\"agency\": \"泽安县\"}".encode("gbk")),
     "是 GBK/GB18030 编码的文本（中文 Windows 记事本的“ANSI”）"),
    (lambda p: write_bytes(p, "{\"agency\": \"泽安县\"}".encode("utf-16")),
     "是 UTF-16 编码的文本（记事本中叫“Unicode”）"),
    (lambda p: write_bytes(p, "{\"agency\": \"泽安县\"}".encode("utf-16-le")),
     "是 UTF-16 编码的文本"),
])
def test_wrong_kind_of_file_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     make: Any, said: str) -> None:
    path = make(tmp_path)

    code, _, err = run(capsys, "check", str(path))

    assert code == 1 and said in err
    assert "字节" not in err
    if "编码" in said:
        assert "“编码”选“UTF-8”后保存" in err


def write_bytes(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "data.json"
    path.write_bytes(data)
    return path


def test_json_lines_in_gbk_are_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lines = tmp_path / "reports.jsonl"
    lines.write_bytes('{"agency": "泽安县"}\n'.encode("gbk"))

    code, _, err = run(capsys, "batch", str(lines), "-o", str(tmp_path / "out"))

    assert code == 1 and "reports.jsonl：是 GBK/GB18030 编码的文本" in err


def test_os_errors_are_translated(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "init", "--year", "2025", "-o", str(tmp_path / ("长" * 200)))

    assert code == 2 and "文件名过长" in err and "File name too long" not in err


# -- hints: --format against the file's format, -o's suffix ----------------------------------


def test_format_option_contradicting_the_file_is_one_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(EXAMPLES / "jindong-2019.json"), "--format", "2021")

    assert code == 1
    assert out.splitlines() == [
        '错误 [FORMAT-MISMATCH] 格式版本（/format）：数据文件写明 "format": "2019"，'
        '却要求按 2021 年版格式处理（--format 2021）；请去掉 --format（按文件写明的格式处理），'
        '或把文件中的 format 改为 "2021"',
        "共 1 个错误，0 个警告。"]


def test_output_folder_gets_the_data_name(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    code, out, _ = run(capsys, "render", str(EXAMPLES / "jindong-2019.json"), "-o", str(tmp_path))

    assert code == 0 and out == f"已生成：{tmp_path / 'jindong-2019.docx'}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["jindong-2019.docx"]


# -- skeleton and EMPTY-SECTION --------------------------------------------------------------


def test_section_five_with_blank_subsections_is_empty(county: dict[str, Any]) -> None:
    county["problems"] = {"sections": [{"title": "问题", "text": " "}]}

    issues = docgen.check(county)

    assert [(i.code, i.path) for i in issues if i.path.startswith("/problems")] == [
        ("REQUIRED-TEXT", "/problems/sections/0/text"), ("EMPTY-SECTION", "/problems")]


@pytest.fixture
def county() -> dict[str, Any]:
    return read_json(EXAMPLES / "county-bureau-2025.json")


def test_typing_two_cells_gives_no_total_errors(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    run(capsys, "init", "--year", "2025", "-o", str(data))
    skeleton = read_json(data)
    skeleton["applications"]["new_received"]["commercial"] = 3
    skeleton["applications"]["results"]["disclosed"]["commercial"] = 3
    data.write_text(json.dumps(skeleton, ensure_ascii=False), encoding="utf-8")

    code, out, _ = run(capsys, "check", str(data), "--json")

    assert code == 1
    assert {i["code"] for i in json.loads(out)} == {"REQUIRED-TEXT", "EMPTY-SECTION"}


# -- batch never leaves a wrong file unmentioned ---------------------------------------------


def test_batch_removes_a_failed_inputs_old_output_and_names_the_rest(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    (inputs / "东区").mkdir(parents=True)
    for name in ("a.json", "b.json"):
        (inputs / name).write_bytes((EXAMPLES / "county-bureau-2025.json").read_bytes())
    (inputs / "东区" / "c.json").write_bytes((EXAMPLES / "jindong-2019.json").read_bytes())
    (inputs / "说明.txt").write_text("x", encoding="utf-8")
    out = tmp_path / "out"
    assert run(capsys, "batch", str(inputs), "-o", str(out), "-j", "1")[0] == 0
    (inputs / "b.json").write_text("{", encoding="utf-8")
    (out / "另一个局.docx").write_bytes(b"old")

    code, stdout, err = run(capsys, "batch", str(inputs), "-o", str(out), "-j", "1")

    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.docx", "另一个局.docx"]
    assert f"已删除上次生成的同名旧文件（它已不代表这份数据）：{out / 'b.docx'}" in err
    assert "注意：输出文件夹中另有 1 个文件不是本次生成的：另一个局.docx" in err
    assert f"已跳过 1 个不是数据文件的文件：{inputs / '说明.txt'}" in err
    assert f"已跳过 1 个子文件夹（加 --recursive 可一并读取）：{inputs / '东区'}" in err
    assert stdout == f"已生成 1 份，失败 1 份；输出文件夹：{out}\n"

    code, _, err = run(capsys, "batch", str(inputs), "-o", str(out), "-j", "1", "--recursive")
    assert (out / "东区_c.docx").is_file() and "子文件夹" not in err


# -- pipes, help(docgen) ---------------------------------------------------------------------


def test_closed_pipe_ends_quietly() -> None:
    done = subprocess.Popen([sys.executable, "-m", "docgen", "template", "fields", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert done.stdout is not None and done.stderr is not None
    done.stdout.read(10)
    done.stdout.close()  # -- like `| head -c 10` --
    err = done.stderr.read().decode()
    done.stderr.close()
    done.wait()

    assert err == ""
    assert done.returncode == 141


def test_help_docgen_is_one_page() -> None:
    page = pydoc.render_doc(docgen, renderer=pydoc.plaintext)

    assert len(page.splitlines()) <= 150
    for name in ("load(", "check(", "render(", "render_many(", "InvalidReportError",
                 "docgen-gov", "import_report(", "html=False", "render_html"):
        assert name in page
    assert "with_traceback" not in page


# -- --pdf: one rule for render and batch ----------------------------------------------------


@pytest.mark.slow
def test_pdf_option_writes_both_and_pdf_suffix_writes_the_pdf(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = str(EXAMPLES / "county-bureau-2025.json")
    code, out, _ = run(capsys, "render", data, "-o", str(tmp_path / "a.docx"), "--pdf")
    assert code == 0 and out == f"已生成：{tmp_path / 'a.docx'}、{tmp_path / 'a.pdf'}\n"
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")

    code, out, _ = run(capsys, "render", data, "-o", str(tmp_path / "b.pdf"))
    assert code == 0 and out == f"已生成：{tmp_path / 'b.pdf'}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx", "a.pdf", "b.pdf"]


@pytest.mark.slow
def test_batch_pdf_warns_of_substituted_fonts_as_render_pdf_does(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = str(EXAMPLES / "county-bureau-2025.json")
    code, _, render_err = run(capsys, "render", data, "-o", str(tmp_path / "a.pdf"))
    assert code == 0
    code, _, batch_err = run(capsys, "batch", data, "-o", str(tmp_path / "out"), "--pdf")
    assert code == 0
    font_lines = [line for line in render_err.splitlines() if "[FONT-" in line]
    assert font_lines == [line for line in batch_err.splitlines() if "[FONT-" in line]


def test_batch_speaks_english_with_lang_en(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.txt").write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "--lang", "en", "batch", str(tmp_path / "in"), "-o",
                       str(tmp_path / "out"))
    assert code == 2 and "no data files in the inputs" in err
    assert "passed over 1 file(s) that are no data files: " in err
    code, out, err = run(capsys, "--lang", "en", "batch", str(EXAMPLES / "jindong-2019.json"),
                         str(FIXTURES / "jindong-2019-as-published.json"), "-o",
                         str(tmp_path / "out"))
    assert code == 1
    assert out == f"1 written, 1 failed; output folder: {tmp_path / 'out'}\n"
    assert f"/2] {EXAMPLES / 'jindong-2019.json'}: written " in err
    assert "jindong-2019-as-published.json not written:" in err and "：" not in out


def test_root_is_the_repository() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_problems_written_as_sections_need_no_separate_texts() -> None:
    # -- 五 is either its two texts or sub-sections (as the county example writes it) --
    report = read_json(EXAMPLES / "county-bureau-2025.json")
    report["problems"].update(problems="", improvements="")
    assert [i.code for i in docgen.check(report) if i.is_error] == []
    report["problems"]["sections"] = []
    assert [(i.code, i.path) for i in docgen.check(report) if i.is_error] == [
        ("REQUIRED-TEXT", "/problems/problems"), ("REQUIRED-TEXT", "/problems/improvements")]
