"""Read a 政府信息公开工作年度报告 back out of a published document (`docgen import`).

The document comes as neutral blocks (paragraphs and table grids with their places, from
docgen.readers). The six parts are found by their headings (the schema titles, loosely
matched: 存在的主要问题及改进情况 / 及整改措施), the front matter gives title, agency, year,
header block, preamble and period, and tables 2–4 are read by their labels
(`reading_tables`). Whatever cannot be read is an `Issue` located in the source.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

from docgen.engine.published import Paragraph, PublishedDocument, Table, unjustify
from docgen.engine.schema import with_labels
from docgen.errors import Issue, SourceLocation, UnreadableDocumentError, split_pointer
from docgen.kinds.gov_info_annual import reading_tables as tables
from docgen.kinds.gov_info_annual.context import default_preamble
from docgen.kinds.gov_info_annual.reading_tables import Token, core
from docgen.kinds.gov_info_annual.versions import FORMAT_VERSIONS, format_for_year

#: The six parts of a report, by data key, in order.
PARTS = ("overview", "proactive", "applications", "reviews", "problems", "other_matters")
_ORDINALS = ("一", "二", "三", "四", "五", "六")


@dataclass
class ImportedReport:
    """A report read back: its `data`, what could not be read (`issues`), and where each
    value was printed (`locations`, by JSON Pointer)."""

    source: str
    data: dict[str, Any]
    issues: list[Issue] = field(default_factory=list)
    locations: dict[str, SourceLocation] = field(default_factory=dict)

    def locate(self, issue: Issue) -> Issue:
        """Return `issue` with its place in the published document, when one is known."""
        if issue.location is not None:
            return issue
        place = self.place_of(issue.path)
        return issue if place is None else replace(issue, location=place)

    def place_of(self, path: str) -> SourceLocation | None:
        """The place of `path`, or of the nearest value under or above it."""
        if path in self.locations:
            return self.locations[path]
        below = sorted(p for p in self.locations if p.startswith(path + "/"))
        if path and below:
            return self.locations[below[0]]
        parts = split_pointer(path)
        while parts:
            parts.pop()
            above = "".join("/" + p for p in parts)
            if above in self.locations:
                return self.locations[above]
        return None


# -- text ------------------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)[\w./\-~%?=&#:+]+|[\w.\-+]+@[\w.\-]+")
_HALF = {",": "，", ";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}


def full_width(text: str) -> str:
    """Return Chinese running text with half-width punctuation made full-width, as printed
    reports mean it (URLs, e-mail addresses and times such as 19:28 are kept).

    >>> full_width("规定,结合(1)实际:2019年 19:28 见 https://a.cn/x")
    '规定，结合（1）实际：2019年 19:28 见 https://a.cn/x'
    """
    out: list[str] = []
    last = 0
    for found in _URL.finditer(text):
        out.append(_full_width_plain(text[last:found.start()]))
        out.append(found.group(0))
        last = found.end()
    out.append(_full_width_plain(text[last:]))
    return "".join(out)


def _full_width_plain(text: str) -> str:
    text = re.sub(r"(?<!\d):|:(?!\d)", "：", text)
    return "".join(_HALF.get(ch, ch) for ch in text)


def _tokens(blocks: Sequence[Any]) -> list[Token]:
    found: list[Token] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            found.append(Token(block.text, block.location))
        elif isinstance(block, Table):
            for row in block.rows:
                found.extend(_row_tokens(row))
    return found


def _row_tokens(row: Sequence[Any]) -> list[Token]:
    """A table row's cells as tokens. An empty cell is a blank figure only after the row's
    first text and in a row that prints figures — not a header's empty corner, nor the empty
    top of a label column merged from the page before."""
    figures = any(c.text and tables.is_value(c.text) for c in row)
    tokens: list[Token] = []
    for cell in row:
        if cell.merged or not (cell.text or (figures and tokens)):
            continue
        tokens.append(Token(cell.text, cell.location, True))
    return tokens


def _is_heading(token: Token, part: int, official: str) -> bool:
    text = token.text.replace("．", "、").replace(".", "、")
    if token.in_table or len(text) > 40 or not text.startswith(_ORDINALS[part] + "、"):
        return False
    a, b = core(text), core(official)
    return tables.matches(text, official) or SequenceMatcher(None, a, b).ratio() >= 0.5


def _headings(tokens: list[Token], version: str) -> dict[str, int]:
    found: dict[str, int] = {}
    start = 0
    for part, key in enumerate(PARTS):
        official = tables.title(version, key)
        for index in range(start, len(tokens)):
            if _is_heading(tokens[index], part, official):
                found[key] = index
                start = index + 1
                break
    return found


# -- front matter ----------------------------------------------------------------------------

_HEADER_ALIASES = {"索引号": "index_no", "发布单位": "publisher", "文号": "document_no",
                   "来源": "source",
                   "发布日期": "published", "公开日期": "published", "成文日期": "published",
                   "发布时间": "published_time"}
_CHROME_LABELS = ("访问次数", "浏览次数", "字体", "主题分类", "名称", "有效性", "生成日期")
_TITLE = re.compile(r"(\d{4})\s*年度?.*(?:政府信息公开|政务公开).*报告")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_PERIOD = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:至|到|-|—|–|－|～|~)+\s*"
                     r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日")


def _header_labels(version: str) -> dict[str, str]:
    labels = {tables.title(version, "header", key): key
              for key in tables.children(version, "header")}
    labels.update(_HEADER_ALIASES)
    labels.update({label: "" for label in _CHROME_LABELS})
    return labels


def _iso(text: str) -> str | None:
    found = _DATE.search(text)
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3])).isoformat()
    except ValueError:
        return None


def _header(tokens: list[Token], version: str) -> tuple[dict[str, str], set[int]]:
    """The header block's fields, and the indexes of the tokens that print it."""
    labels = _header_labels(version)
    pattern = re.compile(r"(" + "|".join(sorted(map(re.escape, labels), key=len, reverse=True))
                         + r")\s*[:：]")
    fields: dict[str, str] = {}
    used: set[int] = set()
    index = 0
    while index < len(tokens):
        text = unjustify(tokens[index].text).lstrip("•·●▪◆■-* ")
        hits = list(pattern.finditer(text))
        if not hits or hits[0].start() > 0:
            index += 1
            continue
        used.add(index)
        for number, hit in enumerate(hits):
            end = hits[number + 1].start() if number + 1 < len(hits) else len(text)
            value = text[hit.end():end].strip()
            last = number + 1 == len(hits)
            if not value and last and index + 1 < len(tokens) and not pattern.search(
                    tokens[index + 1].text) and not _TITLE.search(tokens[index + 1].text):
                index += 1
                used.add(index)
                value = tokens[index].text.strip()
            key = labels[hit.group(1)]
            if key and key not in fields:
                fields[key] = value
        index += 1
    return fields, used


def _title(tokens: list[Token], skip: set[int]) -> tuple[int | None, str | None]:
    """The report's title among `tokens` (on one line, or wrapped onto a second one)."""
    for index, token in enumerate(tokens):
        if index in skip or token.in_table:
            continue
        if _TITLE.search(token.text) and len(token.text) <= 80:
            return index, token.text
        if index + 1 < len(tokens) and len(tokens[index + 1].text) <= 20:
            joined = token.text + tokens[index + 1].text
            if _TITLE.search(joined) and not _TITLE.search(token.text) and len(joined) <= 80 \
                    and joined.endswith("报告"):
                return index, joined
    return None, None


def _front(report: dict[str, Any], tokens: list[Token], outside: list[Token], version: str,
           issues: list[Issue], name: str) -> None:
    """Title, agency, year, header block, published date, preamble and period."""
    header, used = _header(outside + tokens, version)
    title_at, title_text = _title(tokens, {i - len(outside) for i in used})
    if title_text is None:
        title_text = _title(outside, set(range(len(outside))) & used)[1]
        title_at = None
    elif title_at is not None and title_text != tokens[title_at].text:
        title_at += 1  # -- a title printed on two lines --
    if title_text is not None:
        found = _TITLE.search(title_text)
        assert found is not None
        year = int(found[1])
        before, after = title_text[:found.start()].strip(), title_text[found.end(1):]
        agency = before or re.split(r"政府信息公开|政务公开", after.lstrip("年度"))[0]
        report.update(agency=agency.strip(), title=title_text, year=year)
    else:
        issues.append(Issue(code="IMPORT-UNREAD", path="/title", stage="import",
                            location=SourceLocation(source=name),
                            message="未找到报告标题（如“××局2025年政府信息公开工作年度报告”），"
                                    "无法读出机关名称和报告年度"))
    first = (title_at + 1) if title_at is not None else max(
        [i + 1 for i in used if i >= len(outside)] or [0]) - len(outside)
    lines = [full_width(t.text) for i, t in enumerate(tokens) if i >= first
             and i + len(outside) not in used and t.text]
    if lines:
        report["preamble"] = "\n".join(lines)
        period = _PERIOD.search(report["preamble"].replace(" ", ""))
        if period is not None:
            start_year = int(period[1])
            with contextlib.suppress(ValueError):  # -- an impossible date is not a period --
                report["period"] = {
                    "start": date(start_year, int(period[2]), int(period[3])).isoformat(),
                    "end": date(int(period[4] or start_year), int(period[5]),
                                int(period[6])).isoformat()}
    _standard_preamble(report)
    published = header.pop("published", None)
    moment = header.pop("published_time", None)
    published_date = _iso(published or "") or _iso(moment or "")
    if published_date:
        report["published"] = published_date
    if header:
        report["header"] = header


def _unpunctuated(text: str) -> str:
    """`text` without the commas a PDF's text layer may lose at a line end (hanging), and
    without the paragraph breaks a line ending in 。 may add."""
    return text.replace("，", "").replace("、", "").replace("\n", "")


_WEBSITE = re.compile(r"本报告电子版可在(\S+?)下载。")
_CONTACT = re.compile(r"如对本报告有任何疑问，?请与.+?联系（(.+?)）。")
_CONTACT_LABELS = {"地址": "address", "邮编": "postcode", "电话": "phone", "电子邮箱": "email"}


def _standard_preamble(report: dict[str, Any]) -> None:
    """A preamble docgen writes from agency, period and contact is read back as those."""
    preamble, agency = report.get("preamble"), report.get("agency")
    if not isinstance(preamble, str) or not agency or "year" not in report:
        return
    contact: dict[str, str] = {}
    found = _CONTACT.search(preamble)
    for part in found[1].split("；") if found else []:
        label, _, value = part.partition("：")
        if label in _CONTACT_LABELS and value:
            contact[_CONTACT_LABELS[label]] = value
    website = _WEBSITE.search(preamble)
    if website:
        contact["website"] = website[1]
    year = report["year"]
    period = report.get("period") or {"start": f"{year}-01-01", "end": f"{year}-12-31"}
    try:
        standard = default_preamble({"agency": agency, "period": period, "contact": contact})
    except Exception:  # -- a period the formatter refuses is simply not the standard one --
        return
    if _unpunctuated(standard) == _unpunctuated(preamble):
        del report["preamble"]
        if contact:
            report["contact"] = contact


# -- narrative -------------------------------------------------------------------------------

_SUBHEADING = re.compile(r"^（([一二三四五六七八九十]+)）\s*(.+)$")
_SENTENCE_END = ("。", "；", "：", "！", "？")


def _subheading(text: str) -> str | None:
    found = _SUBHEADING.match(text)
    if found is None or len(text) > 32 or text.endswith(_SENTENCE_END) or "。" in text:
        return None
    return found[2].strip()


def _sections(lines: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Split paragraphs into the text before any sub-heading and the sub-sections."""
    intro: list[str] = []
    sections: list[dict[str, Any]] = []
    for line in lines:
        heading = _subheading(line)
        if heading is not None:
            sections.append({"title": heading, "text": []})
        elif sections:
            sections[-1]["text"].append(line)
        else:
            intro.append(line)
    return intro, [{"title": s["title"], "text": "\n".join(s["text"])} for s in sections]


_IMPROVE = re.compile(r"^(?:（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、)?\s*"
                      r"[^。]{0,12}(?:改进|整改|下步|下一步|打算|措施|计划)")


def _problems(lines: list[str]) -> dict[str, Any]:
    intro, sections = _sections(lines)
    if sections and not intro:
        return {"sections": sections}
    split = next((i for i, line in enumerate(lines) if i and _IMPROVE.match(line)), len(lines))
    problems: dict[str, Any] = {"problems": "\n".join(lines[:split])}
    if split < len(lines):
        problems["improvements"] = "\n".join(lines[split:])
    return problems


_FEE_NONE = re.compile(r"^本年度?未收取(?:任何)?信息处理费。?$")
_FEE = re.compile(r"^本年度?共?收取信息处理费\s*([\d.,，]+)\s*(万?元)。?$")
_SIGNATURE_DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")


def _closing(report: dict[str, Any], lines: list[str], version: str) -> None:
    """六、其他需要报告的事项, the processing fee (2021) and the signature."""
    if len(lines) >= 2 and _SIGNATURE_DATE.match(lines[-1]) and len(lines[-2]) <= 40 \
            and not lines[-2].endswith(_SENTENCE_END):
        signature: dict[str, str] = {}
        when = _iso(lines[-1])
        if when and "published" not in report:
            report["published"] = when  # -- no header block: the signature's date --
        if lines[-2] != report.get("agency"):
            signature["agency"] = lines[-2]
        if when and when != report.get("published"):
            signature["date"] = when
        report["signature"] = signature
        lines = lines[:-2]
    rest = []
    for line in lines:
        if version != "2019" and _FEE_NONE.match(line) and "processing_fee" not in report:
            report["processing_fee"] = 0
        elif version != "2019" and (fee := _FEE.match(line)) and "processing_fee" not in report:
            amount = Decimal(fee[1].replace(",", "").replace("，", ""))
            amount = amount * 10000 if fee[2] == "万元" else amount
            report["processing_fee"] = int(amount) if amount == amount.to_integral_value() \
                else amount
        else:
            rest.append(line)
    report["other_matters"] = "\n".join(rest)


_BOILERPLATE = ("勾稽关系",)


def _notes(tokens: list[Token]) -> dict[str, str]:
    """Text printed before or after a table (not its labels, not the official remarks)."""
    value_at = [i for i, t in enumerate(tokens) if t.in_table or tables.is_value(t.text)]
    if not value_at:
        return {}
    before, after = [], []
    for index, token in enumerate(tokens):
        if token.in_table or any(b in token.text for b in _BOILERPLATE):
            continue
        if not (token.text.endswith(_SENTENCE_END) or len(token.text) >= 24):
            continue
        if index < value_at[0]:
            before.append(full_width(token.text))
        elif index > value_at[-1]:
            after.append(full_width(token.text))
    notes = {}
    if before:
        notes["before"] = "\n".join(before)
    if after:
        notes["after"] = "\n".join(after)
    return notes


# -- the report ------------------------------------------------------------------------------


def _version(tokens: list[Token], year: Any) -> str:
    return tables.detect_version(tokens) or format_for_year(year)


def read_report(document: PublishedDocument) -> ImportedReport:
    """Read the annual report printed in `document`: data, problems and places.

    Raises `UnreadableDocumentError` when the document is not such a report.
    """
    name = document.source
    tokens = _tokens(document.blocks)
    outside = _tokens(document.outside)
    heads = _headings(tokens, FORMAT_VERSIONS[-1])
    if len(heads) < 3:
        raise UnreadableDocumentError(
            f"{name}：不是政府信息公开工作年度报告（未找到“一、总体情况”“二、主动公开政府信息情况”"
            "等部分标题）", "IMPORT-NOT-REPORT")
    ordered = sorted(heads.values())

    def part(key: str) -> list[Token]:
        if key not in heads:
            return []
        start = heads[key]
        end = next((i for i in ordered if i > start), len(tokens))
        return tokens[start + 1:end]

    version = _version(part("proactive"), None)
    report: dict[str, Any] = {"format": version}
    issues: list[Issue] = list(document.issues)
    _front(report, tokens[:ordered[0]], outside, version, issues, name)
    if tables.detect_version(part("proactive")) is None:
        version = format_for_year(report.get("year"))
        report["format"] = version
    intro, sections = _sections([full_width(t.text) for t in part("overview")])
    overview: dict[str, Any] = {}
    if intro:
        overview["intro"] = "\n".join(intro)
    overview["sections"] = sections
    report["overview"] = overview
    imported = ImportedReport(name, report, issues)
    _tables(imported, {key: part(key) for key in ("proactive", "applications", "reviews")},
            version, {key: tokens[i] for key, i in heads.items()})
    if "problems" in heads:
        report["problems"] = _problems([full_width(t.text) for t in part("problems")])
    if "other_matters" in heads:
        _closing(report, [full_width(t.text) for t in part("other_matters") if t.text], version)
    for key in PARTS:
        if key not in heads:
            issues.append(Issue(code="IMPORT-UNREAD", path=f"/{key}", stage="import",
                                location=SourceLocation(source=name),
                                message=f"未找到“{tables.title(version, key)}”部分"))
    schema = tables.schema_of(version)
    imported.issues = [with_labels(schema, i) for i in issues]
    imported.data = _in_schema_order(report, version)
    return imported


def _in_schema_order(report: dict[str, Any], version: str) -> dict[str, Any]:
    """The report with its keys (and the header's) in the schema's order, as data files are."""
    ordered = {k: report[k] for k in tables.children(version) if k in report}
    ordered.update((k, v) for k, v in report.items() if k not in ordered)
    if isinstance(ordered.get("header"), dict):
        header = ordered["header"]
        ordered["header"] = {k: header[k] for k in tables.children(version, "header")
                             if k in header}
    return ordered


def _tables(imported: ImportedReport, parts: dict[str, list[Token]], version: str,
            heads: dict[str, Token]) -> None:
    """Read tables 2–4 into the report; every figure not found is reported."""
    report = imported.data
    readers = {"proactive": tables.read_table2, "applications": tables.read_table3,
               "reviews": tables.read_table4}
    notes: dict[str, dict[str, str]] = {}
    for key, reader in readers.items():
        reading = reader(parts[key], version)
        for path, value in reading.values.items():
            tables.set_path(report, path, value)
        imported.locations.update(reading.locations)
        imported.issues.extend(reading.issues)
        found = _notes(parts[key])
        if found:
            notes[key] = found
    blank = {i.path for i in imported.issues if i.code in ("IMPORT-BLANK-CELL", "IMPORT-UNREAD")}
    for path in tables.iter_required_cells(version):
        if path in imported.locations or any(path == b or path.startswith(b + "/")
                                             for b in blank):
            continue
        section = split_pointer(path)[0]
        if path.endswith("/total") and section != "proactive":
            continue  # -- a total may be omitted: it is derived --
        head = heads.get(section)
        imported.issues.append(Issue(
            code="IMPORT-UNREAD", path=path, stage="import",
            location=head.location if head is not None else None,
            message="未能在表格中找到这一项"))
    for key in readers:
        report.setdefault(key, {})
    if notes:
        report["notes"] = notes
