"""Bad input, hostile templates and failed writes, as a user meets them.

One test per row of the table in docs/bad-input.md: each asserts on what the user sees (the
message with the field's path and Chinese label, the exit status of ``docgen``), that no
traceback escapes, and that no output or temporary file is left behind.
"""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from conftest import deep, visible_texts

import docgen
from docgen.cli import main
from docgen.engine import files, fill, loading
from docgen.kinds import ReportKind, get_kind

KIND = get_kind("2021")
SHIPPED_TEMPLATE = KIND.template_path
SECRET = "DOCGEN-SECRET-7f3a9c"


# -- helpers ---------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``docgen`` in-process; an escaping exception fails the test (it would be a traceback)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)  # -- shortest repr: "26.418" is written and read back exactly --
    raise TypeError(value)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, default=_number), encoding="utf-8")
    return path


def leftovers(folder: Path, keep: Iterable[Path]) -> list[str]:
    """Names in `folder` other than `keep`: outputs or temporary files that should not be."""
    kept = {p.name for p in keep}
    return sorted(p.name for p in folder.iterdir() if p.name not in kept)


def template_variant(path: Path, *, title: str | None = None,
                     document: Callable[[str], str] | None = None,
                     parts: dict[str, Callable[[bytes], bytes]] | None = None,
                     extra: Iterable[tuple[str, bytes]] = (), drop: Iterable[str] = ()) -> Path:
    """A copy of the shipped 2021 template, rewritten.

    `title` replaces the ``{{ title }}`` tag (XML-escaped, as Word would store typed text);
    `document` rewrites word/document.xml; `parts` rewrites other entries; `extra` adds entries.
    """
    dropped = set(drop)
    with zipfile.ZipFile(SHIPPED_TEMPLATE) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            if name in dropped:
                continue
            data = source.read(name)
            if name == "word/document.xml":
                text = data.decode("utf-8")
                if title is not None:
                    assert "{{ title }}" in text
                    text = text.replace("{{ title }}", escape(title))
                if document is not None:
                    text = document(text)
                data = text.encode("utf-8")
            if parts and name in parts:
                data = parts[name](data)
            target.writestr(name, data)
        for name, data in extra:
            target.writestr(name, data)
    return path


def kind_with(template: Path) -> ReportKind:
    """The 2021 kind (rules, defaults and all) with another template, as a maintainer's."""
    return dataclasses.replace(KIND, template_path=template)


def problem_text(error: docgen.TemplateProblemError) -> str:
    return "\n".join([str(error), *(str(i) for i in error.issues)])


@pytest.fixture
def county_file(tmp_path: Path, county: dict[str, Any]) -> Path:
    return write_json(tmp_path / "county.json", county)


# -- data: syntax ----------------------------------------------------------------------------


def test_malformed_json_render_names_line_and_column_writes_nothing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = tmp_path / "broken.json"
    data.write_text('{\n  "agency": "某局",\n  "year": 2025\n  "published": "2026-01-20"\n}',
                    encoding="utf-8")

    code, _, err = run(capsys, "render", str(data), "-o", str(tmp_path / "out.docx"))

    assert code == 1
    assert "broken.json 第 4 行第 3 列：JSON 格式错误" in err
    assert leftovers(tmp_path, [data]) == []


def test_malformed_yaml_names_line_and_column(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    data = tmp_path / "broken.yaml"
    data.write_text("agency: 某局\nyear: 2025\noverview:\n  intro: [未闭合\npublished: x\n",
                    encoding="utf-8")

    code, _, err = run(capsys, "check", str(data))

    assert code == 1
    assert "broken.yaml 第 5 行第 10 列：YAML 格式错误" in err
    assert err.strip().count("\n") == 0


def test_every_schema_problem_in_one_run_with_labels(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path,
                                                     county: dict[str, Any]) -> None:
    data = deep(county)
    data["format"] = "2021"
    data["year"] = 1800                                              # -- out of range --
    data["applications"]["carried_over"]["research"] = -2            # -- negative count --
    data["reviews"]["litigation_direct"]["upheld"] = "一"             # -- wrong type --
    row = data["applications"]["new_received"]
    row["comercial"] = row.pop("commercial")                         # -- typo --
    del data["published"]                                            # -- missing --
    path = write_json(tmp_path / "data.json", data)

    code, out, _ = run(capsys, "check", str(path))

    assert code == 1
    assert "报告年度（/year）：不能小于 1990，实为 1800" in out
    assert ("收到和处理政府信息公开申请情况 › 二、上年结转政府信息公开申请数量 › 科研机构"
            "（/applications/carried_over/research）：不能小于 0，实为 -2") in out
    assert "结果维持（/reviews/litigation_direct/upheld）：类型错误：应为非负整数" in out
    assert "/applications/new_received/comercial" in out
    assert "未知字段 “comercial”（可能拼写错误；是否应为 “commercial”？）" in out
    assert "商业企业（/applications/new_received/commercial）：缺少必填项" in out
    assert "发布日期（/published）：缺少必填项（published）" in out


@pytest.mark.parametrize(("name", "text", "shown"), [
    ("nan.json", '{"agency": "某局", "processing_fee": NaN}', "不允许使用 NaN"),
    ("inf.json", '{"agency": "某局", "processing_fee": Infinity}', "不允许使用 Infinity"),
    ("minf.json", '{"agency": "某局", "processing_fee": -Infinity}', "不允许使用 -Infinity"),
    ("nan.yaml", "agency: 某局\nprocessing_fee: .nan\n",
     "第 2 行第 17 列：YAML 格式错误（不允许使用 .nan"),
    ("inf.yaml", "agency: 某局\nprocessing_fee: .inf\n",
     "第 2 行第 17 列：YAML 格式错误（不允许使用 .inf"),
])
def test_nan_and_infinity_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                  name: str, text: str, shown: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    code, _, err = run(capsys, "check", str(path))

    assert code == 1
    assert shown in err and "不是有效的数字" in err


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), Decimal("sNaN"),
                                   Decimal("-Infinity")])
def test_nan_in_a_python_dict_is_a_data_error(county: dict[str, Any], value: Any) -> None:
    data = deep(county)
    data["proactive"]["fees"]["amount"] = value

    with pytest.raises(docgen.DataFileError, match="/proactive/fees/amount 不是有效的数字"):
        docgen.check(data)
    with pytest.raises(docgen.DataFileError):
        docgen.render(data)


@pytest.mark.parametrize(("number", "shown"), [
    ("1e999999999", "/proactive/fees/amount 数字位数过多"),
    ("1e-999999999", "/proactive/fees/amount 数字位数过多"),
    ("1" + "0" * 50, "/proactive/fees/amount 数字位数过多（上限 40 位）"),
    ("1" + "0" * 5000, "数字位数过多（5001 位，上限 40 位）"),
])
def test_absurd_numbers_refused_quickly(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        county_file: Path, number: str, shown: str) -> None:
    text = county_file.read_text(encoding="utf-8")
    assert '"amount": 26.418' in text
    county_file.write_text(text.replace('"amount": 26.418', f'"amount": {number}'),
                           encoding="utf-8")
    out = tmp_path / "out.docx"

    code, _, err = run(capsys, "render", str(county_file), "-o", str(out))

    assert code == 1
    assert shown in err
    assert not out.exists()


def test_invalid_utf8_names_line_and_byte(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    path = tmp_path / "latin.json"
    path.write_bytes('{\n  "agency": "Café"\n}'.encode("latin-1"))

    code, _, err = run(capsys, "check", str(path))

    assert code == 1
    assert "latin.json：第 2 行：不是 UTF-8 编码的文本（第 19 个字节 0xE9）" in err
    assert "“编码”选“UTF-8”后保存" in err


@pytest.mark.parametrize(("name", "content"), [("empty.json", ""), ("blank.json", " \n\t\n"),
                                               ("empty.yaml", ""), ("comment.yaml", "# 待填\n")])
def test_empty_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str,
                    content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    code, _, err = run(capsys, "render", str(path), "-o", str(tmp_path / "out.docx"))

    assert code == 1
    assert "没有报告数据" in err
    assert leftovers(tmp_path, [path]) == []


@pytest.mark.parametrize(("content", "shown"), [("[1, 2]", "列表"), ('"泽安县"', "文字"),
                                                ("2025", "整数"), ("null", "没有报告数据")])
def test_top_level_not_an_object(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                 content: str, shown: str) -> None:
    path = write_json(tmp_path / "data.json", json.loads(content))

    code, _, err = run(capsys, "check", str(path))

    assert code == 1
    assert "顶层应为对象" in err and shown in err


def test_directory_as_data_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    folder = tmp_path / "report.json"
    folder.mkdir()

    code, _, err = run(capsys, "render", str(folder))

    assert code == 2
    assert "是文件夹，不是数据文件" in err
    assert list(tmp_path.iterdir()) == [folder]


@pytest.mark.parametrize(("name", "text"), [("json", '{"agency": "某局", "agency": "另一局"}'),
                                            ("yaml", "agency: 某局\nyear: 2025\nagency: 另一局\n")])
def test_duplicate_keys_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                name: str, text: str) -> None:
    path = tmp_path / f"data.{name}"
    path.write_text(text, encoding="utf-8")

    code, _, err = run(capsys, "check", str(path))

    assert code == 1
    assert "字段 “agency” 出现了两次" in err
    if name == "yaml":
        assert "第 3 行第 1 列" in err


# -- data: text ------------------------------------------------------------------------------


@pytest.mark.parametrize(("escaped", "code_point"), [(r"\u0001", "U+0001"), (r"\u000b", "U+000B"),
                                                     (r"\ud800", "U+D800"), (r"\b", "U+0008"),
                                                     (r"\f", "U+000C"), ("\uffff", "U+FFFF"),
                                                     ("\ufffe", "U+FFFE")])
def test_control_characters_are_an_issue_naming_the_field(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, county_file: Path,
        escaped: str, code_point: str) -> None:
    text = county_file.read_text(encoding="utf-8")
    county_file.write_text(text.replace('"title": "平台建设"', f'"title": "平台{escaped}建设"'),
                           encoding="utf-8")
    out = tmp_path / "out.docx"

    code, _, err = run(capsys, "render", str(county_file), "-o", str(out))

    assert code == 1
    assert "[TEXT-CONTROL-CHAR]" in err
    assert "一、总体情况 › 分项情况 › 第4项 › 小标题（/overview/sections/3/title）" in err
    assert f"控制字符 {code_point}（第 3 个字符）" in err
    assert "报告未生成" in err
    assert leftovers(tmp_path, [county_file]) == []


def test_markup_emoji_and_rare_cjk_render_literally(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path,
                                                    county: dict[str, Any]) -> None:
    data = deep(county)
    data["agency"] = "𪚥𠀀县<市场>&\"监管\"局"
    data["overview"]["intro"] = "A&B <w:p/> &amp; ]]> 'single' \"double\" 😀👨‍👩‍👧 𠀀𪚥"
    data["proactive"]["normative_documents"]["issued"] = {"value": 8, "note": "其中<修订>&3件"}
    data["other_matters"] = "{{ title }} {% if %} <![CDATA[x]]>"
    path = write_json(tmp_path / "data.json", data)
    out = tmp_path / "out.docx"

    code, _, _ = run(capsys, "render", str(path), "-o", str(out))

    texts = visible_texts(out)
    assert code == 0
    assert "𪚥𠀀县<市场>&\"监管\"局2025年政府信息公开工作年度报告" in texts
    assert data["overview"]["intro"] in texts
    assert "8（其中<修订>&3件）" in texts
    assert data["other_matters"] in texts


# -- data: size and depth --------------------------------------------------------------------


def test_100kb_narrative_renders(county: dict[str, Any]) -> None:
    data = deep(county)
    sentence = "本局坚持以公开为常态、不公开为例外，全面推进决策、执行、管理、服务、结果公开。"
    data["overview"]["intro"] = sentence * (100 * 1024 // len(sentence.encode("utf-8")) + 1)
    data["other_matters"] = "\n".join([sentence] * 1200)
    assert len(data["overview"]["intro"].encode("utf-8")) > 100 * 1024

    texts = visible_texts(docgen.render(data))  # type: ignore[arg-type]

    assert data["overview"]["intro"] in texts
    assert texts.count(sentence) == 1200


def test_10mb_input_is_checked_and_rendered(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            county: dict[str, Any]) -> None:
    data = deep(county)
    data["overview"]["intro"] = "政府信息公开。" * (10 * 1024 * 1024 // 21)
    data["overview"]["sections"] += [{"title": f"第{i}节", "text": "内容。\n" * 5}
                                     for i in range(2000)]
    path = write_json(tmp_path / "big.json", data)
    out = tmp_path / "big.docx"
    assert path.stat().st_size > 10 * 1024 * 1024

    assert run(capsys, "check", str(path))[0] == 0
    code, stdout, _ = run(capsys, "render", str(path), "-o", str(out))

    assert code == 0 and str(out) in stdout
    assert out.stat().st_size > 0


def test_larger_than_the_limit_is_refused(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_bytes(b'{"agency": "' + b"x" * loading.MAX_BYTES + b'"}')

    code, _, err = run(capsys, "render", str(path), "-o", str(tmp_path / "out.docx"))

    assert code == 1
    assert f"文件过大（{loading.MAX_BYTES + 14} 字节，上限 {loading.MAX_BYTES} 字节）" in err
    assert leftovers(tmp_path, [path]) == []


@pytest.mark.parametrize(("where", "text"), [
    ("in a field", '{"agency": "某局", "overview": {"intro": ' + "[" * 10_000 + "]" * 10_000
     + "}}"),
    ("top level", "[" * 10_000 + "]" * 10_000),
    ("objects", '{"a": ' * 10_000 + "1" + "}" * 10_000),
    ("just under the parser", '{"overview": {"sections": ' + "[" * 200 + "]" * 200 + "}}"),
])
def test_deep_nesting_is_a_limit_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                       where: str, text: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(text, encoding="utf-8")

    code, _, err = run(capsys, "check", str(path))

    assert code == 1, where
    assert f"嵌套层级过深（上限 {loading.MAX_DEPTH} 层）" in err
    assert "RecursionError" not in err


@pytest.mark.parametrize("leaf", ['"s"', "1", "true", "null", "1.5", "[]"])
def test_the_depth_limit_is_the_same_for_every_value(leaf: str) -> None:
    # -- a value one level too deep is refused, whatever it is; one level less is read --
    depth = loading.MAX_DEPTH
    too_deep = '{"a": ' + "[" * depth + leaf + "]" * depth + "}"
    just_right = '{"a": ' + "[" * (depth - 1) + leaf + "]" * (depth - 1) + "}"

    with pytest.raises(docgen.DataFileError, match="嵌套层级过深"):
        loading.load_json_text(too_deep, "x.jsonl")
    assert loading.load_json_text(just_right, "x.jsonl")["a"]


@pytest.mark.skipif(not hasattr(sys, "set_int_max_str_digits"), reason="Python 3.11+")
def test_a_long_integer_is_refused_quickly_with_pythons_cap_off() -> None:
    # -- with the cap off, converting 400,000 digits takes half a second (quadratic): the
    # digits are counted first, before any conversion (the count is in the message) --
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        with pytest.raises(docgen.DataFileError, match="数字位数过多（400000 位"):
            loading.load_json_text('{"a": ' + "7" * 400_000 + "}", "x.jsonl")
    finally:
        sys.set_int_max_str_digits(before)


def test_deep_yaml_is_a_limit_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("overview:\n  intro: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")

    code, _, err = run(capsys, "check", str(path))

    assert code == 1
    assert f"嵌套层级过深（上限 {loading.MAX_DEPTH} 层）" in err


def test_yaml_alias_bomb_is_refused_quickly(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    lines = ['a: &a ["哈哈哈哈哈哈哈哈哈哈"]']
    for index in range(1, 12):  # -- 10 ** 11 strings once expanded --
        previous, name = chr(ord("a") + index - 1), chr(ord("a") + index)
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, _, err = run(capsys, "check", str(path))

    assert code == 1
    assert f"数据项过多（上限 {loading.MAX_NODES} 个，可能含有 YAML 别名炸弹）" in err


def test_yaml_python_tags_are_refused_safely(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f'agency: !!python/object/apply:os.system ["touch {marker}"]\n'
                    "year: !!python/object:builtins.dict {}\n", encoding="utf-8")

    code, _, err = run(capsys, "check", str(path))

    assert code == 1
    assert "evil.yaml 第 1 行第 9 列：YAML 格式错误" in err
    assert "python/object/apply:os.system" in err
    assert not marker.exists()


@pytest.mark.parametrize("name", ["deep.json", "bomb.yaml"])
def test_hostile_data_no_traceback_from_the_real_command(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "deep.json":
        path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    else:
        path.write_text("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n"
            for i in range(9)), encoding="utf-8")

    done = subprocess.run([sys.executable, "-m", "docgen", "render", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("docgen: ") and done.stderr.count("\n") == 1
    assert leftovers(tmp_path, [path]) == []


# -- templates -------------------------------------------------------------------------------


def assert_template_refused(template: Path, shown: str, tmp_path: Path,
                            county: dict[str, Any]) -> None:
    """The template is refused by compile_template and by a render, which writes nothing."""
    with pytest.raises(docgen.TemplateProblemError) as compiled:
        fill.compile_template(template)
    assert shown in problem_text(compiled.value)
    out = tmp_path / "out.docx"
    with pytest.raises(docgen.TemplateProblemError) as rendered:
        docgen.render(county, out, kind=kind_with(template))
    assert shown in problem_text(rendered.value)
    assert not out.exists()


def test_template_not_a_zip(tmp_path: Path, county: dict[str, Any]) -> None:
    template = tmp_path / "notes.docx"
    template.write_text("这是一个文本文件，不是 Word 文档。", encoding="utf-8")

    assert_template_refused(template, "不是 Word 文档（.docx 应为 zip 格式）", tmp_path, county)


def test_template_zip_bomb(tmp_path: Path, county: dict[str, Any]) -> None:
    template = template_variant(tmp_path / "bomb.docx",
                                extra=[("word/media/zeros.bin", bytes(8 * 1024 * 1024))])
    assert template.stat().st_size < 100 * 1024

    assert_template_refused(template, "文档包解压后过大，疑似压缩炸弹，已拒绝", tmp_path, county)


def test_template_too_many_entries(tmp_path: Path, county: dict[str, Any]) -> None:
    count = fill.MAX_TEMPLATE_ENTRIES + 1
    template = template_variant(tmp_path / "many.docx",
                                extra=[(f"word/media/{i}.bin", b"x") for i in range(count)])

    assert_template_refused(template, f"上限 {fill.MAX_TEMPLATE_ENTRIES}", tmp_path, county)


def test_template_missing_document_xml(tmp_path: Path, county: dict[str, Any]) -> None:
    template = template_variant(tmp_path / "hollow.docx", drop=["word/document.xml"])

    assert_template_refused(template, "文档包缺少 word/document.xml，不是有效的 Word 文档",
                            tmp_path, county)


def _external_entity(secret_file: Path) -> Callable[[str], str]:
    def rewrite(xml: str) -> str:
        doctype = (f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>\n')
        xml = xml.replace("<w:document ", doctype + "<w:document ", 1)
        return xml.replace("{{ title }}", "&xxe;{{ title }}", 1)
    return rewrite


def test_template_external_entity_xxe_refused(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path, county: dict[str, Any]) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET, encoding="utf-8")
    template = template_variant(tmp_path / "xxe.docx", document=_external_entity(secret_file))

    assert_template_refused(template, "含有 DOCTYPE/实体声明（可能是 XXE 攻击），已拒绝",
                            tmp_path, county)
    data = write_json(tmp_path / "data.json", county)
    code, out, err = run(capsys, "render", str(data), "--schema", str(KIND.schema_path),
                         "--template", str(template), "-o", str(tmp_path / "out.docx"))
    assert code == 1 and "XXE" in err
    assert SECRET not in out + err
    assert leftovers(tmp_path, [secret_file, template, data]) == []


SANDBOX_ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ title|attr('__class__') }}",
    "{{ '{0.__class__.__base__}'.format(title) }}",
]


@pytest.mark.parametrize("expression", SANDBOX_ESCAPES)
def test_template_sandbox_escape_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         county: dict[str, Any], expression: str) -> None:
    template = template_variant(tmp_path / "escape.docx", title=expression)
    out = tmp_path / "out.docx"

    with pytest.raises(docgen.TemplateProblemError) as raised:
        docgen.render(county, out, kind=kind_with(template))
    assert [i.code for i in raised.value.issues] == ["TEMPLATE-SECURITY"]
    assert "unsafe" in raised.value.issues[0].message
    assert str(raised.value.issues[0].location).startswith("正文 第")

    data = write_json(tmp_path / "data.json", county)
    code, _, err = run(capsys, "render", str(data), "--schema", str(KIND.schema_path),
                       "--template", str(template), "-o", str(out))
    assert code == 1
    assert "模板 escape.docx 有问题" in err and "[TEMPLATE-SECURITY]" in err
    assert leftovers(tmp_path, [template, data]) == []


@pytest.mark.parametrize("case", ["not a zip", "zip bomb", "xxe", "no document", "escape"])
def test_template_refusals_through_render_template_option(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, county: dict[str, Any],
        case: str) -> None:
    pytest.importorskip("docgen.toolkit.check")
    template = tmp_path / "t.docx"
    if case == "not a zip":
        template.write_bytes(b"PK not really")
    elif case == "zip bomb":
        template_variant(template, extra=[("word/media/zeros.bin", bytes(8 * 1024 * 1024))])
    elif case == "xxe":
        secret_file = tmp_path / "secret.txt"
        secret_file.write_text(SECRET, encoding="utf-8")
        template_variant(template, document=_external_entity(secret_file))
    elif case == "no document":
        template_variant(template, drop=["word/document.xml"])
    else:
        template_variant(template, title=SANDBOX_ESCAPES[0])
    data = write_json(tmp_path / "data.json", county)
    before = set(tmp_path.iterdir())

    code, out, err = run(capsys, "render", str(data), "--template", str(template),
                         "-o", str(tmp_path / "out.docx"))

    assert code == 1
    assert "t.docx" in err
    assert SECRET not in out + err
    assert set(tmp_path.iterdir()) == before


# -- writing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_failure_mid_write_leaves_old_output_and_no_temp_file(
        tmp_path: Path, county: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        step: str) -> None:
    out = tmp_path / "report.docx"
    out.write_bytes(b"last year's good report")
    created: list[str] = []
    real_mkstemp = files.tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = real_mkstemp(*args, **kwargs)
        created.append(name)
        return fd, name

    def fail(*args: Any) -> None:
        assert Path(created[0]).exists()  # -- the temporary file is there, partly written --
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(files.os, step, fail)

    with pytest.raises((OSError, docgen.UsageError), match="磁盘已满"):
        docgen.render(county, out)

    assert created and Path(created[0]).parent == tmp_path
    assert out.read_bytes() == b"last year's good report"
    assert leftovers(tmp_path, [out]) == []


def test_interrupted_write_leaves_old_output_and_no_temp_file(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, county_file: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report.docx"
    out.write_bytes(b"old")

    def interrupt(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupt)

    code, _, _ = run(capsys, "render", str(county_file), "-o", str(out))

    assert code == 130
    assert out.read_bytes() == b"old"
    assert leftovers(tmp_path, [out, county_file]) == []


def test_failure_mid_render_writes_nothing(tmp_path: Path, county: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report.docx"
    out.write_bytes(b"old")

    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("render failed half-way")

    monkeypatch.setattr(fill.CompiledTemplate, "_render_body", broken)

    with pytest.raises(RuntimeError, match="half-way"):
        docgen.render(county, out)

    assert out.read_bytes() == b"old"
    assert leftovers(tmp_path, [out]) == []


def test_output_folders_are_created(tmp_path: Path, county: dict[str, Any]) -> None:
    out = tmp_path / "二〇二五" / "年报" / "report.docx"

    written = docgen.render(county, out)

    assert written.path == out and out.is_file() and written.issues == ()
    assert leftovers(out.parent, [out]) == []


def test_refuses_to_overwrite_the_template(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           county_file: Path) -> None:
    template = template_variant(tmp_path / "mine.docx")
    before = template.read_bytes()

    with pytest.raises(docgen.UsageError, match="拒绝覆盖输入文件"):
        docgen.render(county_file, template, kind=kind_with(template))
    code, _, err = run(capsys, "render", str(county_file), "--schema", str(KIND.schema_path),
                       "--template", str(template), "-o", str(template))

    assert code == 2 and "拒绝覆盖输入文件" in err
    assert template.read_bytes() == before


def test_refuses_to_overwrite_the_data_through_a_link(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path, county_file: Path) -> None:
    before = county_file.read_bytes()
    link = tmp_path / "report.docx"
    link.symlink_to(county_file)

    code, _, err = run(capsys, "render", str(county_file), "-o", str(link))

    assert code == 2 and "拒绝覆盖输入文件" in err
    assert county_file.read_bytes() == before


# -- found while writing these tests ------------------------------------------------------------


def test_template_escape_sequences_in_data_stay_literal(county: dict[str, Any]) -> None:
    data = deep(county)
    data["other_matters"] = "a{_{b}_}c{_%d%_}e"

    assert "a{_{b}_}c{_%d%_}e" in visible_texts(docgen.render(data))  # type: ignore[arg-type]


@pytest.mark.parametrize("case", ["comment before", "utf-16", "footer"])
def test_template_xxe_hidden_past_the_first_4kb_refused(tmp_path: Path, county: dict[str, Any],
                                                        case: str) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET, encoding="utf-8")
    doctype = f'<!DOCTYPE w:ftr [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>'
    if case == "comment before":
        padding = "<!--" + " " * 5000 + "-->\n"
        template = template_variant(tmp_path / "xxe.docx", document=lambda xml: xml.replace(
            "<w:document ", padding + doctype.replace("w:ftr", "w:document") + "<w:document ", 1)
            .replace("{{ title }}", "&xxe;{{ title }}", 1))
    else:
        def footer(data: bytes) -> bytes:
            xml = data.decode("utf-8").replace("<w:ftr ", doctype + "<w:ftr ", 1)
            xml = xml.replace("</w:p>", "<w:r><w:t>&xxe;</w:t></w:r></w:p>", 1)
            if case == "footer":
                return xml.replace("<!DOCTYPE", "<!--" + " " * 5000 + "-->\n<!DOCTYPE").encode()
            return xml.replace('encoding="UTF-8"', 'encoding="UTF-16"').replace(
                "encoding='UTF-8'", "encoding='UTF-16'").encode("utf-16")
        template = template_variant(tmp_path / "xxe.docx", parts={"word/footer1.xml": footer})

    assert_template_refused(template, "XXE", tmp_path, county)


@pytest.mark.parametrize("case", ["comment before", "footer"])
def test_template_xxe_secret_never_leaks(tmp_path: Path, county: dict[str, Any],
                                         case: str) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET, encoding="utf-8")
    doctype = f'<!DOCTYPE w:ftr [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>'
    padding = "<!--" + " " * 5000 + "-->\n"
    if case == "comment before":
        template = template_variant(tmp_path / "xxe.docx", document=lambda xml: xml.replace(
            "<w:document ", padding + doctype.replace("w:ftr", "w:document") + "<w:document ", 1)
            .replace("{{ title }}", "&xxe;{{ title }}", 1))
    else:
        template = template_variant(tmp_path / "xxe.docx", parts={"word/footer1.xml": lambda d: (
            d.decode("utf-8").replace("<w:ftr ", padding + doctype + "<w:ftr ", 1)
            .replace("</w:p>", "<w:r><w:t>&xxe;</w:t></w:r></w:p>", 1).encode())})

    try:
        result = docgen.render(county, kind=kind_with(template))
    except docgen.TemplateProblemError as refused:
        assert SECRET not in problem_text(refused)
    else:
        assert isinstance(result, bytes)
        with zipfile.ZipFile(io.BytesIO(result)) as archive:
            assert not any(SECRET.encode() in archive.read(n) for n in archive.namelist())


@pytest.mark.parametrize("damage", ["flipped bytes", "lying size"])
def test_template_damaged_entry_refused(tmp_path: Path, county: dict[str, Any],
                                        damage: str) -> None:
    raw = bytearray(SHIPPED_TEMPLATE.read_bytes())
    with zipfile.ZipFile(SHIPPED_TEMPLATE) as archive:
        info = archive.getinfo("word/document.xml")
    if damage == "flipped bytes":
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 200
        for at in range(start, start + 200):
            raw[at] ^= 0x55
    else:  # -- the central directory claims a smaller size than the data inflates to --
        name = info.filename.encode()
        central = raw.find(b"PK\x01\x02")
        while raw[central + 46: central + 46 + len(name)] != name:
            central = raw.find(b"PK\x01\x02", central + 1)
        raw[central + 24: central + 28] = (100).to_bytes(4, "little")
    template = tmp_path / "damaged.docx"
    template.write_bytes(bytes(raw))

    assert_template_refused(template, "damaged.docx", tmp_path, county)


@pytest.mark.parametrize("expression", ["{{ 1 / 0 }}", "{{ range(10 ** 6)|list }}",
                                        "{{ '%s %s'|format(1) }}", "{{ title|wordwrap(-1) }}"])
def test_template_runtime_errors_are_template_problems(tmp_path: Path, county: dict[str, Any],
                                                       expression: str) -> None:
    template = template_variant(tmp_path / "faulty.docx", title=expression)
    out = tmp_path / "out.docx"

    with pytest.raises(docgen.TemplateProblemError) as raised:
        docgen.render(county, out, kind=kind_with(template))

    assert str(raised.value.issues[0].location).startswith("正文 第")
    assert leftovers(tmp_path, [template]) == []


@pytest.mark.parametrize("case", ["parent is a file"])
def test_unwritable_output_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            county_file: Path, case: str) -> None:
    out = county_file / "report.docx"

    code, _, err = run(capsys, "render", str(county_file), "-o", str(out))

    assert code == 2
    assert "无法写入" in err and err.count("\n") == 1
    assert not any(p.name.endswith(".tmp") for p in tmp_path.rglob("*"))
