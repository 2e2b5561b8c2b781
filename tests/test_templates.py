"""Template maintainers' toolkit: field reference, located template checks, annotated copies,
custom templates and custom kinds."""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import docx
import pytest
from conftest import EXAMPLES, FIXTURES, ROOT, W, deep, open_docx, read_json, tables, visible_texts
from docx.shared import Pt
from docx.text.run import Run

import docgen
from docgen.cli import main
from docgen.engine.schema import load_schema
from docgen.engine.schema_tree import labels_for, node_at
from docgen.errors import Issue, TemplateProblemError, UsageError
from docgen.kinds import ReportKind, get_kind
from docgen.toolkit.analysis import CODES
from docgen.toolkit.annotate import annotate_template
from docgen.toolkit.check import check_template
from docgen.toolkit.fields import field_reference

TEMPLATES = FIXTURES / "templates"
SHIPPED = ROOT / "templates" / "docx"
CUSTOM = EXAMPLES / "custom-kind"



def place(issue: Issue) -> str:
    """Where a template problem is, in the words Word users find it by."""
    return str(issue.location) if issue.location is not None else issue.path

def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.is_error]


def find(issues: list[Issue], code: str, where: str) -> Issue:
    found = [i for i in issues if i.code == code and place(i) == where]
    assert found, f"no {code} at {where}: {[(i.code, place(i)) for i in issues]}"
    return found[0]


def notice_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("notice_rules", CUSTOM / "notice_rules.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def soffice_convert(program: str, source: Path, fmt: str, folder: Path) -> Path:
    """Convert with LibreOffice in its own profile; return the converted file."""
    subprocess.run(
        [program, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
         "--norestore", "--nolockcheck", "--convert-to", fmt, "--outdir", str(folder),
         str(source)],
        check=True, capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
    target = folder / f"{source.stem}.{fmt}"
    assert target.exists()
    return target


# -- the four problems of one broken template ----------------------------------------------------


def test_four_problems_located_in_one_run() -> None:
    issues = check_template(TEMPLATES / "four-problems.docx", get_kind("2021"))

    found = errors(issues)
    assert [i.code for i in found] == ["TEMPLATE-FIELD", "TEMPLATE-SYNTAX", "TEMPLATE-FILTER",
                                       "TEMPLATE-SECURITY"]
    field, syntax, unknown, security = found
    assert place(field) == "表1 第2行 第2列"
    assert "applications.new_recieved.natural_person" in field.message
    assert "是否应为 applications.new_received.natural_person" in field.message
    assert field.expected == "applications.new_received.natural_person"
    assert field.context == "{{ applications.new_recieved.natural_person }}"
    assert place(syntax) == "第2段" and "{%p if header %}" in syntax.message
    assert "没有对应的 {% endif %}" in syntax.message
    assert place(unknown) == "第4段" and "format_data" in unknown.message
    assert unknown.expected == "format_date" and unknown.context == \
        "发布日期：{{ published | format_data }}"
    assert place(security) == "第5段" and "__class__" in security.message
    assert all(i.severity == "warning" for i in issues if not i.is_error)


def test_template_check_cli_exit_codes(capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path) -> None:
    code, out, _ = run(capsys, "template", "check", str(TEMPLATES / "four-problems.docx"),
                       "--format", "2021")
    assert code == 1
    assert "错误 [TEMPLATE-FIELD] 表1 第2行 第2列：" in out
    assert "共 4 个错误" in out

    code, out, _ = run(capsys, "template", "check", str(SHIPPED / "gov-info-annual-2021.docx"))
    assert code == 0 and "未发现问题" in out

    code, _, err = run(capsys, "template", "check", str(tmp_path / "missing.docx"))
    assert code == 2 and "找不到模板文件" in err and "Traceback" not in err

    code, _, err = run(capsys, "template", "check", str(SHIPPED / "gov-info-annual-2021.docx"),
                       "--schema", str(tmp_path / "missing.schema.json"))
    assert code == 2 and "找不到模式文件" in err

    code, _, err = run(capsys, "template", "fields", "--schema", str(tmp_path / "no.json"))
    assert code == 2


def test_template_check_in_english_with_lang_en(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--lang", "en", "template", "check",
                       str(TEMPLATES / "four-problems.docx"), "--format", "2021")
    assert code == 1 and out.startswith("checking template ")
    assert "error [TEMPLATE-FIELD] 表1 第2行 第2列: " in out and "4 error(s)" in out
    code, out, _ = run(capsys, "--lang", "en", "template", "check",
                       str(SHIPPED / "gov-info-annual-2021.docx"))
    assert code == 0 and out.endswith("no problems found.\n") and "检查" not in out
    code, _, err = run(capsys, "--lang", "en", "template", "check", str(tmp_path / "x.docx"))
    assert code == 2 and "no such template file: " in err


def test_template_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "template", "check", str(TEMPLATES / "four-problems.docx"),
                       "--format", "2021", "--json")

    assert code == 1
    issues = json.loads(out)
    assert [i["code"] for i in issues if i["severity"] == "error"] == [
        "TEMPLATE-FIELD", "TEMPLATE-SYNTAX", "TEMPLATE-FILTER", "TEMPLATE-SECURITY"]
    assert issues[0]["location"]["text"] == "表1 第2行 第2列" and issues[0]["path"] == ""
    assert issues[0]["expected"] == "applications.new_received.natural_person"
    assert {i["code"] for i in issues} <= set(CODES)


def test_version_is_guessed_from_the_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "template", "check", str(SHIPPED / "gov-info-annual-2019.docx"))

    assert code == 0
    assert "gov-info-annual-2019" in out and "未发现问题" in out


# -- annotated copies ----------------------------------------------------------------------------


def _comment_places(path: Path) -> dict[int, str]:
    """The text of the paragraph or table cell where each comment starts, by comment id."""
    body = open_docx(path).element.body
    places: dict[int, str] = {}
    for start in body.iter(W + "commentRangeStart"):
        holder = start.getparent()
        while holder.tag not in (W + "p",):
            holder = holder.getparent()
        places[int(start.get(W + "id"))] = "".join(t.text or "" for t in holder.iter(W + "t"))
    return places


def test_annotated_copy_has_the_four_comments_at_their_places(tmp_path: Path) -> None:
    out = tmp_path / "annotated.docx"

    issues = annotate_template(TEMPLATES / "four-problems.docx", get_kind("2021"), out)

    assert len(errors(issues)) == 4
    document = docx.Document(str(out))
    comments = list(document.comments)
    assert len(comments) == 4
    assert {c.author for c in comments} == {"docgen"}
    by_id = {c.comment_id: c.text for c in comments}
    places = _comment_places(out)
    assert sorted(places) == sorted(by_id)
    texts = {places[i]: by_id[i] for i in by_id}
    assert "TEMPLATE-FIELD" in texts["{{ applications.new_recieved.natural_person }}"]
    assert "applications.new_received.natural_person" in \
        texts["{{ applications.new_recieved.natural_person }}"]
    assert "TEMPLATE-SYNTAX" in texts["{%p if header %}"]
    assert "TEMPLATE-FILTER" in texts["发布日期：{{ published | format_data }}"]
    assert "TEMPLATE-SECURITY" in texts["{{ ''.__class__.__mro__ }}"]
    # -- the comment on the misspelled field sits in table 1, row 2, column 2 --
    cell = document.tables[0].cell(1, 1)._tc
    assert list(cell.iter(W + "commentRangeStart"))
    # -- the template itself is untouched --
    assert not list(open_docx(TEMPLATES / "four-problems.docx").element.body.iter(
        W + "commentRangeStart"))


def test_annotate_from_the_command_line(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    out = tmp_path / "many-annotated.docx"

    code, stdout, _ = run(capsys, "template", "check", str(TEMPLATES / "many-problems.docx"),
                          "--format", "2021", "--annotate", str(out))

    assert code == 1
    assert "已生成批注副本" in stdout
    comments = list(docx.Document(str(out)).comments)
    assert len(comments) > 20
    # -- header/footer problems are attached to the first paragraph, with their place --
    assert any(c.text.startswith("错误 [TEMPLATE-FIELD] 页眉 第1段：") for c in comments)

    template = tmp_path / "t.docx"
    shutil.copy(TEMPLATES / "four-problems.docx", template)
    code, _, err = run(capsys, "template", "check", str(template), "--annotate", str(template))
    assert code == 2 and "不能覆盖模板本身" in err


def test_annotated_copy_opens_in_libreoffice(libreoffice: str, tmp_path: Path) -> None:
    annotated = tmp_path / "annotated.docx"
    annotate_template(TEMPLATES / "four-problems.docx", get_kind("2021"), annotated)

    pdf = soffice_convert(libreoffice, annotated, "pdf", tmp_path)
    odt = soffice_convert(libreoffice, annotated, "odt", tmp_path)

    assert pdf.read_bytes().startswith(b"%PDF")
    content = zipfile.ZipFile(odt).read("content.xml").decode("utf-8")
    assert content.count("<office:annotation ") + content.count("<office:annotation>") == 4
    assert "TEMPLATE-SECURITY" in content


# -- further broken templates --------------------------------------------------------------------


@pytest.mark.parametrize(("code", "where", "fragment"), [
    ("TEMPLATE-SYNTAX", "第1段", "多余的 {%p endfor %}"),
    ("TEMPLATE-SYNTAX", "第2段", "只能写在表格里"),
    ("TEMPLATE-FULLWIDTH", "第3段", "全角"),
    ("TEMPLATE-SYNTAX", "第4段", "没有结束符 }}；结束符是全角字符"),
    ("TEMPLATE-FIELD", "第5段", "overview.sections 是列表"),
    ("TEMPLATE-FIELD", "第7段", "是否应为 s.title"),
    ("TEMPLATE-FILTER", "第9段", 'x | cell(signed=False, unit="")'),
    ("TEMPLATE-SYNTAX", "第10段", "{{ agency | upper( }}"),
    ("TEMPLATE-SYNTAX", "第11段", "是否应为 {% else"),
    ("TEMPLATE-SYNTAX", "第12段", "“＂”→“\"”"),
    ("TEMPLATE-SYNTAX", "第13段", "这些文字会丢失"),
    ("TEMPLATE-FIELD", "第15段", "loop 只能在 {% for %} 循环内使用"),
    ("TEMPLATE-SYNTAX", "第16段", "不能使用 include"),
    ("TEMPLATE-FIELD", "第17段", "applications.results.total 是一组字段"),
    ("TEMPLATE-FIELD", "第18段", "是否应为 applications.results.disclosed.total"),
    ("TEMPLATE-SECURITY", "第19段", "safe"),
    ("TEMPLATE-FILTER", "第20段", "是否应为 is defined"),
    ("TEMPLATE-SYNTAX", "第21段", "两个括号之间有空格"),
    ("TEMPLATE-FIELD", "表1 第1行 第4列", "是否应为 reviews.administrative_review.upheld"),
    ("TEMPLATE-LITERAL", "表1 第2行 第3列", "{{ reviews.administrative_review.corrected }}"),
    ("TEMPLATE-SYNTAX", "表2 第1行 第2列", "这个标签会被删除"),
    ("TEMPLATE-FIELD", "页眉 第1段", "是否应为 agency（机关名称）"),
    ("TEMPLATE-FILTER", "页脚 第1段", "是否应为 cn_year"),
])
def test_many_problems_each_located(code: str, where: str, fragment: str) -> None:
    issues = check_template(TEMPLATES / "many-problems.docx", get_kind("2021"))

    issue = find(issues, code, where)
    assert fragment in issue.message
    assert issue.severity == CODES[code]


def test_many_problems_nothing_else() -> None:
    issues = check_template(TEMPLATES / "many-problems.docx", get_kind("2021"))

    # -- 22 errors: one per broken place (第21段 has two spaced brace pairs) --
    assert len(errors(issues)) == 22
    assert {i.code for i in issues if not i.is_error} == {
        "TEMPLATE-FULLWIDTH", "TEMPLATE-LITERAL", "TEMPLATE-UNUSED"}


def test_crossed_and_stray_blocks() -> None:
    issues = errors(check_template(TEMPLATES / "crossed-blocks.docx", get_kind("2021")))

    assert [(place(i), i.code) for i in issues] == [
        ("第3段", "TEMPLATE-SYNTAX"), ("第6段", "TEMPLATE-SYNTAX"),
        ("第9段", "TEMPLATE-SYNTAX"), ("第11段", "TEMPLATE-SYNTAX")]
    assert "应在 第5段 的 {%p endfor %} 之前结束" in issues[0].message
    assert "多余的 {%p endif %}" in issues[1].message
    assert "else 必须是最后一个分支" in issues[2].message
    assert "多余的 {%p elif agency %}" in issues[3].message


def test_not_a_word_document(capsys: pytest.CaptureFixture[str]) -> None:
    issues = check_template(TEMPLATES / "not-a-docx.docx", get_kind("2021"))

    assert [i.code for i in issues] == ["TEMPLATE-FILE"]
    code, out, _ = run(capsys, "template", "check", str(TEMPLATES / "not-a-docx.docx"))
    assert code == 1 and "不是 Word 文档" in out
    with pytest.raises(UsageError):
        check_template(TEMPLATES / "no-such-file.docx", get_kind("2021"))


def test_unused_fields_are_warnings_with_labels() -> None:
    issues = check_template(TEMPLATES / "four-problems.docx", get_kind("2021"))

    missing = find(issues, "TEMPLATE-UNUSED", "表1 第2行")
    assert missing.actual == "applications.new_received.natural_person"
    assert missing.labels == ("三、收到和处理政府信息公开申请情况",
                              "一、本年新收政府信息公开申请数量", "自然人")
    assert "是否漏了一个单元格" in missing.message


# -- what Word does to a template is fine --------------------------------------------------------


def test_split_runs_curly_quotes_header_and_row_loop(county: dict[str, Any],
                                                     tmp_path: Path) -> None:
    template = TEMPLATES / "word-quirks.docx"

    issues = check_template(template, get_kind("2021"))

    assert errors(issues) == []
    assert {i.code for i in issues} == {"TEMPLATE-UNUSED"}
    out = tmp_path / "report.docx"
    docgen.render(county, out, template=template)
    texts = visible_texts(out)
    assert county["agency"] in texts[0] or any(county["agency"] in t for t in texts)
    sections = county["overview"]["sections"]
    rows = tables(out)[0]
    assert rows[0] == ["序号", "小标题"]
    assert rows[1:] == [[str(n), s["title"]] for n, s in enumerate(sections, start=1)]
    header = open_docx(out).sections[0].header.paragraphs[0].text
    assert header == county["agency"]


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_shipped_templates_check_clean(version: str) -> None:
    issues = check_template(SHIPPED / f"gov-info-annual-{version}.docx", get_kind(version))

    assert issues == [], [str(i) for i in issues]


def _edit_like_word(source: Path, target: Path) -> None:
    """A paragraph added, a font changed, a tag split over two runs by a formatting change."""
    document = docx.Document(str(source))
    heading = next(p for p in document.paragraphs if p.text == "一、总体情况")
    heading.insert_paragraph_before("（本报告由办公室编写，经局务会审议。）")
    title = next(p for p in document.paragraphs if p.text == "{{ title }}")
    for run in title.runs:
        run.font.name = "黑体"
        run.font.size = Pt(24)
        run.element.get_or_add_rPr().get_or_add_rFonts().set(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", "黑体")
    numbered = next(p for p in document.paragraphs if "{{ section.title }}" in p.text)
    first = numbered.runs[0]
    text = first.text
    cut = text.index("section.title") + 4
    second = copy.deepcopy(first.element)
    first.element.addnext(second)
    first.text = text[:cut]
    tail = Run(second, numbered)
    tail.text = text[cut:]
    tail.italic = True
    # -- Word marks the "misspelt" field name and keeps a bookmark between the two runs --
    for name, attrs in (("bookmarkEnd", {W + "id": "0"}),
                        ("bookmarkStart", {W + "id": "0", W + "name": "_GoBack"}),
                        ("proofErr", {W + "type": "spellStart"})):
        first.element.addnext(first.element.makeelement(W + name, attrs))
    document.styles["Normal"].font.size = Pt(15)
    document.save(str(target))


def test_edited_copy_of_shipped_template_checks_clean_and_renders(
        jindong: dict[str, Any], tmp_path: Path) -> None:
    edited = tmp_path / "my-2019.docx"
    _edit_like_word(SHIPPED / "gov-info-annual-2019.docx", edited)

    assert check_template(edited, get_kind("2019")) == []
    out = tmp_path / "jindong.docx"
    docgen.render(jindong, out, template=edited)

    texts = visible_texts(out)
    assert "（本报告由办公室编写，经局务会审议。）" in texts
    assert "金东区经济商务局2019年政府信息公开工作年度报告" in texts
    reference = tmp_path / "reference.docx"
    docgen.render(jindong, reference)
    assert tables(out) == tables(reference)
    titles = [s["title"] for s in jindong["overview"]["sections"]]
    assert any(titles[0] in t for t in texts)


def test_render_refuses_a_broken_custom_template(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    out = tmp_path / "out.docx"

    code, _, err = run(capsys, "render", str(EXAMPLES / "county-bureau-2025.json"),
                       "--template", str(TEMPLATES / "four-problems.docx"), "-o", str(out))

    assert code == 1
    assert "表1 第2行 第2列" in err and "applications.new_received.natural_person" in err
    assert not out.exists()
    with pytest.raises(TemplateProblemError) as raised:
        docgen.render(read_json(EXAMPLES / "county-bureau-2025.json"), out,
                      template=TEMPLATES / "four-problems.docx")
    assert len(raised.value.issues) == 4


# -- the field reference --------------------------------------------------------------------------


def test_fields_json_lists_paths_labels_types_filters(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "template", "fields", "--json")

    assert code == 0
    fields = {f["path"]: f for f in json.loads(out)}
    total = fields["applications.results.total.commercial"]
    assert total["labels"] == ["三、收到和处理政府信息公开申请情况", "三、本年度办理结果",
                               "（七）总计", "商业企业"]
    assert total["type"] == "count" and "number" in total["filters"]
    assert fields["proactive.fees.amount"]["type"] == "amount_cell"
    assert fields["overview.sections[].title"]["labels"][-1] == "小标题"
    assert fields["overview.sections"]["type"] == "array"
    assert fields["published"]["filters"][0] == "format_date"
    assert fields["preamble"]["filters"] == ["paragraphs"]
    assert "applications.results.other.overdue_fee.total" in fields


def test_field_json_key_order_and_list_items_without_labels(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "template", "fields", "--json")

    assert code == 0
    fields = json.loads(out)
    assert list(fields[0]) == ["path", "labels", "label", "type", "type_label", "filters",
                               "usage", "required", "description"]
    section = next(f for f in fields if f["path"] == "overview.sections[].title")
    # -- a template's list item has no 第N项 label, unlike a located data problem's --
    assert section["labels"] == ["一、总体情况", "分项情况", "小标题"]
    schema = load_schema(get_kind("2021").schema_path)
    assert labels_for(schema, "/overview/sections/1/title") == (
        "一、总体情况", "分项情况", "第2项", "小标题")
    assert node_at(schema, ["overview", "sections", "[]", "title"]) == \
        node_at(schema, ["overview", "sections", "1", "title"])
    assert node_at(schema, ["overview", "nope"]) is None


def test_fields_text_for_each_version_and_custom_schema(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "template", "fields", "--format", "2019")
    assert code == 0
    assert out.startswith("# 模板可用字段：gov-info-annual-2019")
    assert "| `proactive.licensing.change` |" in out
    assert "cell(signed=True)" in out
    assert "`{{ proactive.procurement.amount \\| cell(unit=\"元\") }}`" in out

    code, out, _ = run(capsys, "template", "fields", "--schema",
                       str(CUSTOM / "meeting-notice.schema.json"))
    assert code == 0
    assert "| `attendees[].name` | 参会人员 › 姓名 |" in out


def test_every_leaf_of_the_schema_is_in_the_reference() -> None:
    for version in ("2019", "2021"):
        fields = field_reference(get_kind(version))
        paths = [f.path for f in fields]
        assert len(paths) == len(set(paths))
        assert all(f.labels for f in fields)
        assert {f.type for f in fields} <= {
            "count", "change", "amount", "count_cell", "change_cell", "amount_cell", "integer",
            "year", "number", "date", "text", "string", "enum", "boolean", "array", "object"}


# -- a custom kind --------------------------------------------------------------------------------


NOTICE_ROWS = [
    ["序号", "姓名", "单位", "职务", "联系电话"],
    ["1", "张明", "办公室", "主任", "0571-8888 1001"],
    ["2", "李华", "法规科", "科长", "0571-8888 1002"],
    ["3", "王芳", "城关市场监管所", "所长", ""],
]


def test_custom_kind_template_checks_clean() -> None:
    kind = ReportKind(name="meeting-notice", schema_path=CUSTOM / "meeting-notice.schema.json",
                      template_path=CUSTOM / "meeting-notice.docx")

    assert check_template(CUSTOM / "meeting-notice.docx", kind) == []


def test_custom_kind_from_python(tmp_path: Path) -> None:
    kind = notice_module().notice_kind()
    out = tmp_path / "notice.docx"

    docgen.render(CUSTOM / "meeting-notice.json", out, kind=kind)

    assert tables(out) == [NOTICE_ROWS]
    texts = visible_texts(out)
    assert texts[0] == "关于召开2026年政务公开工作推进会的通知"
    assert "    定于2026年2月10日上午9:00在局机关三楼会议室召开2026年政务公开工作推进会，" \
           "现将有关事项通知如下：" in texts
    assert "    2.部署2026年政务公开重点工作" in texts
    assert "二、参会人员（共3人）" in texts
    assert texts[-1] == "2026年2月3日"


def test_custom_kind_rules(tmp_path: Path) -> None:
    kind = notice_module().notice_kind()
    data = deep(read_json(CUSTOM / "meeting-notice.json"))
    data["meeting"]["date"] = "2026-01-30"
    data["attendees"].append(dict(data["attendees"][0]))

    issues = docgen.check(data, kind=kind)

    assert [(i.code, i.path, i.severity) for i in issues] == [
        ("NOTICE-DATE", "/meeting/date", "error"),
        ("NOTICE-DUPLICATE", "/attendees/3/name", "warning")]
    assert issues[0].labels == ("会议", "会议日期")
    with pytest.raises(docgen.InvalidReportError):
        docgen.render(data, tmp_path / "x.docx", kind=kind)


def test_custom_kind_from_the_command_line(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    out = tmp_path / "notice.docx"

    code, stdout, _ = run(capsys, "render", str(CUSTOM / "meeting-notice.json"),
                          "--schema", str(CUSTOM / "meeting-notice.schema.json"),
                          "--template", str(CUSTOM / "meeting-notice.docx"), "-o", str(out))

    assert code == 0 and str(out) in stdout
    assert tables(out) == [NOTICE_ROWS]
    code, stdout, _ = run(capsys, "template", "check", str(CUSTOM / "meeting-notice.docx"),
                          "--schema", str(CUSTOM / "meeting-notice.schema.json"))
    assert code == 0 and "未发现问题" in stdout


# -- more ways a new maintainer breaks a template (built here, not seen by the checker before) -----


def build(folder: Path, name: str, *blocks: Any) -> Path:
    """A small template: strings are paragraphs, tuples are paragraphs of several runs, lists
    are tables, ``("header", text)`` is the header."""
    document = docx.Document()
    for block in blocks:
        if isinstance(block, list):
            t = document.add_table(rows=len(block), cols=max(len(r) for r in block))
            for r, row in enumerate(block):
                for c, text in enumerate(row):
                    t.cell(r, c).text = text
        elif isinstance(block, tuple) and block[0] == "header":
            document.sections[0].header.paragraphs[0].add_run(block[1])
        elif isinstance(block, tuple):
            paragraph = document.add_paragraph()
            for text in block:
                paragraph.add_run(text)
        else:
            document.add_paragraph(block)
    path = folder / f"{name}.docx"
    document.save(str(path))
    return path


BROKEN: dict[str, tuple[tuple[Any, ...], str, str, str]] = {
    "if across paragraphs": (("本年{% if processing_fee %}收取", "费用{% endif %}。"),
                             "TEMPLATE-SYNTAX", "第2段", "只能在同一段内配对"),
    "if across cells": (([["{% if agency %}甲", "乙{% endif %}"]],),
                        "TEMPLATE-SYNTAX", "表1 第1行 第2列", "只能在同一段内配对"),
    "p block from body into a cell": (("{%p if agency %}", [["甲", "{%p endif %}"]]),
                                      "TEMPLATE-SYNTAX", "表1 第1行 第2列", "都在同一个单元格里"),
    "tr loop closed by p": (([["{%tr for s in overview.sections %}"], ["{{ s.title }}"]],
                             "{%p endfor %}"), "TEMPLATE-SYNTAX", "第1段", "前缀不同"),
    "number on a group": (("{{ applications.new_received | number }}",),
                          "TEMPLATE-FILTER", "第1段", "只能用于数字"),
    "date filter on a year": (("{{ year | format_date }}",),
                              "TEMPLATE-FILTER", "第1段", "只能用于日期或文字"),
    "filter called as a function": (("{{ date_range(period.start, period.end) }}",),
                                    "TEMPLATE-FILTER", "第1段", "date_range 是过滤器"),
    "AutoCorrect dash": (("{%– if agency –%}有{% endif %}",),
                         "TEMPLATE-SYNTAX", "第1段", "“–”→“-”"),
    "full-width pipe": (("{{ agency｜upper }}",), "TEMPLATE-SYNTAX", "第1段", "“｜”→“|”"),
    "unpaired quote": (("{{ agency | default(“无') }}",),
                       "TEMPLATE-SYNTAX", "第1段", "引号没有配对"),
    "loop attribute": (("{%p for s in overview.sections %}", "{{ loop.idx }}", "{%p endfor %}"),
                       "TEMPLATE-FIELD", "第2段", "是否应为 loop.index"),
    "set variable": (("{% set row = applications.new_received %}{{ row.totl }}",),
                     "TEMPLATE-FIELD", "第1段", "是否应为 row.total"),
    "misspelt list in a loop": (("{%p for s in overview.section %}", "{{ s.title }}",
                                 "{%p endfor %}"),
                                "TEMPLATE-FIELD", "第1段", "是否应为 overview.sections"),
    "unclosed in the header": ((("header", "{%p if header %}"), "正文"),
                               "TEMPLATE-SYNTAX", "页眉 第1段", "没有对应的 {% endif %}"),
    "else if": (("{% if agency %}甲{% else if year %}乙{% endif %}",),
                "TEMPLATE-SYNTAX", "第1段", "应写作 elif"),
    "endfor with a name": (("{%p for s in overview.sections %}", "{{ s.title }}",
                            "{%p endfor s %}"), "TEMPLATE-SYNTAX", "第3段", "不应有内容"),
    "format string": (("{{ '{0.__class__}'.format(agency) }}",),
                      "TEMPLATE-SECURITY", "第1段", "内部属性"),
    "attr filter": (("{{ agency | attr('__class__') }}",),
                    "TEMPLATE-SECURITY", "第1段", "内部属性"),
    "spelled-out dunder": (("{{ agency['__cla' ~ 'ss__'] }}",),
                           "TEMPLATE-SECURITY", "第1段", "内部属性"),
    "tag split over two paragraphs": (("{{ agen", "cy }}"), "TEMPLATE-SYNTAX", "第1段",
                                      "没有结束符 }}"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_further_breakages_are_located(case: str, tmp_path: Path) -> None:
    blocks, code, where, fragment = BROKEN[case]
    template = build(tmp_path, "broken", *blocks)

    issues = check_template(template, get_kind("2021"))

    issue = find(issues, code, where)
    assert fragment in issue.message, issue.message


VALID: dict[str, tuple[str, ...]] = {
    "inline if with else": ("本年{% if processing_fee == 0 %}未收取{% else %}收取"
                            "{{ processing_fee | money }}{% endif %}信息处理费。",),
    "with": ("{% with a = applications %}{{ a.new_received.total }}{% endwith %}",),
    "macro": ("{% macro total(r) %}{{ r.total }}{% endmacro %}"
              "{{ total(applications.carried_over) }}",),
    "namespace": ("{% set ns = namespace(n=0) %}{% set ns.n = 2 %}{{ ns.n }}",),
    "dict get": ("{{ header.get('index_no') if header else '' }}",),
    "string method": ("{{ agency.strip() }}",),
    "list index": ("{{ overview.sections[0].title }}",),
    "raw text": ("{% raw %}{{ 这不是标签 }}{% endraw %}",),
    "comment": ("{# 维护说明 #}{{ agency }}",),
    "no-break space": ("{{\u00a0agency\u00a0}}",),
    "heading numbers": ("{%p for s in overview.sections %}",
                        "{{ loop.index | heading_label(2) }}{{ s.title }}", "{%p endfor %}"),
}


@pytest.mark.parametrize("case", sorted(VALID))
def test_valid_constructs_check_clean_and_render(case: str, tmp_path: Path,
                                                 county: dict[str, Any]) -> None:
    template = build(tmp_path, "valid", *VALID[case])

    assert errors(check_template(template, get_kind("2021"))) == []
    data = docgen.render(county, None, template=template)
    assert isinstance(data, bytes)
    open_docx(data)  # -- the generated document opens --


def test_tracked_deletion_is_still_a_template(tmp_path: Path) -> None:
    """docxtpl fills deleted (tracked-change) text too, so a typo there is still caught."""
    template = build(tmp_path, "tracked", "{{ agency }}")
    document = docx.Document(str(template))
    p = document.paragraphs[0]._p
    deleted = p.makeelement(W + "del", {W + "id": "1", W + "author": "x"})
    r = p.makeelement(W + "r", {})
    text = r.makeelement(W + "delText", {})
    text.text = "{{ agnecy }}"
    r.append(text)
    deleted.append(r)
    p.append(deleted)
    document.save(str(template))

    issue = find(check_template(template, get_kind("2021")), "TEMPLATE-FIELD", "第1段")
    assert "是否应为 agency" in issue.message
