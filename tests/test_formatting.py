"""Tests for docgen.formatting: the vectors of formatting-rules.md, edge cases and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from docgen.engine import formatting
from docgen.engine.formatting import (
    FILTERS,
    FormattingError,
    cell,
    change_words,
    cn_number,
    cn_year,
    compact,
    date_range,
    doc_number,
    format_date,
    heading_label,
    money,
    number,
    page_number_text,
    paragraphs,
    percent,
    rmb_upper,
    signed,
    yuan_to_wan,
)

ROOT = Path(__file__).resolve().parent.parent
THIN = "\u2005"
D = Decimal


# -- independent references -------------------------------------------------------------------


def reference_numeral(n: int, digits: str, units: tuple[str, ...], keep_one: bool) -> str:
    """Read 0 ≤ `n` < 10**12 digit by digit, a second way, for comparison with `cn_number`.

    A run of zeros before a non-zero digit is one 零, except when the run is the tail of a
    万 group and the next group starts with its 千 digit (十万一千); a whole empty group is 零.
    """
    if n == 0:
        return digits[0]
    text = str(n)
    size = len(text)
    out: list[str] = []
    previous: int | None = None
    for i, char in enumerate(text):
        position = size - 1 - i
        digit = int(char)
        if digit:
            if previous is not None and previous > position + 1:
                tail_of_group = position % 4 == 3 and previous <= position + 4
                if not tail_of_group:
                    out.append(digits[0])
            if position % 4 == 1 and digit == 1 and previous is None and not keep_one:
                out.append(units[1])
            else:
                out.append(digits[digit] + units[position % 4])
            previous = position
        if position in (4, 8) and int(text[max(0, i - 3) : i + 1]):
            out.append("万" if position == 4 else "亿")
    return "".join(out)


def lower_reference(n: int) -> str:
    return reference_numeral(n, "零一二三四五六七八九", ("", "十", "百", "千"), False)


def upper_reference(n: int) -> str:
    return reference_numeral(n, "零壹贰叁肆伍陆柒捌玖", ("", "拾", "佰", "仟"), True)


def parse_numeral(text: str) -> int:
    """Return the value of a Chinese integer numeral (lower or upper case), 亿 nesting allowed."""
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    digits.update({c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")})
    small = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
    yi = wan = section = current = 0
    for char in text:
        if char in digits:
            current = digits[char]
        elif char in small:
            section += (current or 1) * small[char]
            current = 0
        elif char == "万":
            wan += (section + current) * 10**4
            section = current = 0
        elif char == "亿":
            yi += (wan + section + current) * 10**8
            wan = section = current = 0
        else:  # pragma: no cover
            raise AssertionError(char)
    return yi + wan + section + current


# -- cn_number ---------------------------------------------------------------------------------

CN_NUMBER_CASES = [
    # formatting-rules §4 and §2.2 (GB/T 15835 §5.2)
    (1, "一"),
    (10, "十"),
    (11, "十一"),
    (15, "十五"),
    (19, "十九"),
    (20, "二十"),
    (21, "二十一"),
    (100, "一百"),
    (101, "一百零一"),
    (110, "一百一十"),
    (1001, "一千零一"),
    (1010, "一千零一十"),
    (2019, "二千零一十九"),
    (3052, "三千零五十二"),
    (10010, "一万零一十"),
    (100000, "十万"),
    (110000, "十一万"),
    (100010, "十万零一十"),
    (101000, "十万一千"),
    (10006037, "一千万六千零三十七"),
    (100000001, "一亿零一"),
    (100006037, "一亿零六千零三十七"),
    (1000000000, "十亿"),
    (D("95.06"), "九十五点零六"),
    (-3, "负三"),
    (D("0.5"), "零点五"),
    # where cn2an drops the 零 after an empty 万 group (formatting-rules §6.1)
    (100001000, "一亿零一千"),
    (1000000006037, "一万亿零六千零三十七"),
    (10**12 + 10**8, "一万零一亿"),
    # own edge cases: 零 across 万 and 亿 groups
    (0, "零"),
    (40100, "四万零一百"),
    (101250, "十万一千二百五十"),
    (D("107000.53"), "十万七千点五三"),
    (10**8 + 1, "一亿零一"),
    (100100000, "一亿零一十万"),
    (110000000, "一亿一千万"),
    (100000010, "一亿零一十"),
    (10**12, "一万亿"),
    (D("-0.5"), "负零点五"),
    (D("1004.050"), "一千零四点零五零"),
    (D("-0"), "零"),
    (0.1, "零点一"),
    ("2019", "二千零一十九"),
    (D("1E+3"), "一千"),
]


@pytest.mark.parametrize(
    ("n", "expected"), CN_NUMBER_CASES, ids=[str(c[0]) for c in CN_NUMBER_CASES]
)
def test_cn_number(n: Any, expected: str) -> None:
    assert cn_number(n) == expected


def test_cn_number_matches_reference_exhaustively_below_120000() -> None:
    mismatches = [n for n in range(120000) if cn_number(n) != lower_reference(n)]
    assert not mismatches, mismatches[:10]


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_cn_number_matches_reference(n: int) -> None:
    assert cn_number(n) == lower_reference(n)


@given(st.integers(min_value=0, max_value=10**16 - 1))
def test_cn_number_reads_back(n: int) -> None:
    text = cn_number(n)
    assert parse_numeral(text) == n
    assert "零零" not in text
    assert n == 0 or not text.endswith("零")


# -- cn_year and dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2019, "二〇一九"),
        (2000, "二〇〇〇"),
        (1998, "一九九八"),
        (2012, "二〇一二"),
        ("2021", "二〇二一"),
    ],
)
def test_cn_year(year: Any, expected: str) -> None:
    assert cn_year(year) == expected
    assert "零" not in cn_year(year)
    assert "\u3007" in cn_year(2000)


@pytest.mark.parametrize(
    ("value", "numerals", "expected"),
    [
        ("2020-01-17", "arabic", "2020年1月17日"),
        (date(2020, 1, 17), "arabic", "2020年1月17日"),
        (datetime(2020, 1, 17, 9, 30), "arabic", "2020年1月17日"),
        ("2008-08-08", "arabic", "2008年8月8日"),
        ("2021-12-31", "arabic", "2021年12月31日"),
        ("2020-01-17", "chinese", "二〇二〇年一月十七日"),
        ("2021-12-31", "chinese", "二〇二一年十二月三十一日"),
        ("2008-08-08", "chinese", "二〇〇八年八月八日"),
        ("2012-05-18", "chinese", "二〇一二年五月十八日"),
        ("2020-02-29", "arabic", "2020年2月29日"),
    ],
)
def test_format_date(value: Any, numerals: str, expected: str) -> None:
    assert format_date(value, numerals=numerals) == expected


@pytest.mark.parametrize(
    ("start", "end", "kwargs", "expected"),
    [
        ("2019-01-01", "2019-12-31", {}, "2019年1月1日至12月31日"),
        ("2022-01-01", "2022-12-31", {}, "2022年1月1日至12月31日"),
        ("2019-12-01", "2020-01-31", {}, "2019年12月1日至2020年1月31日"),
        ("2019-01-01", "2019-12-31", {"sep": "\u2014"}, "2019年1月1日\u201412月31日"),
        ("2011-02-03", "2011-02-10", {"sep": "—"}, "2011年2月3日—10日"),
        ("2019-01-01", "2019-01-31", {"sep": "—"}, "2019年1月1日—31日"),
        ("2019-01-01", "2019-01-31", {}, "2019年1月1日至31日"),
        ("2019-01-31", "2019-02-01", {}, "2019年1月31日至2月1日"),
        ("2019-01-15", "2020-01-20", {}, "2019年1月15日至2020年1月20日"),
        ("2019-02-03", "2019-02-10", {"numerals": "chinese"}, "二〇一九年二月三日至十日"),
        (date(2019, 1, 1), date(2019, 1, 1), {}, "2019年1月1日至1日"),
        ("2019-01-01", "2019-12-31", {"numerals": "chinese"}, "二〇一九年一月一日至十二月三十一日"),
        (
            "2019-12-01",
            "2020-01-31",
            {"numerals": "chinese"},
            "二〇一九年十二月一日至二〇二〇年一月三十一日",
        ),
    ],
)
def test_date_range(start: Any, end: Any, kwargs: dict[str, Any], expected: str) -> None:
    assert date_range(start, end, **kwargs) == expected


# -- Arabic numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "group", "expected"),
    [
        (46106, None, "46106"),
        (D("4068.208"), None, "4068.208"),
        (D("4068.200"), None, "4068.200"),
        (D("-125.03"), None, "-125.03"),
        (D("0.46"), None, "0.46"),
        (D("1E+5"), None, "100000"),
        (D("4.068208E+3"), None, "4068.208"),
        (D("-0.00"), None, "0.00"),
        ("310.385", None, "310.385"),
        (0.1, None, "0.1"),
        (1e16, None, "10000000000000000"),
        (12345, ",", "12,345"),
        (624000, ",", "624,000"),
        (1256, ",", "1,256"),
        (D("19351235.235767"), ",", "19,351,235.235767"),
        (D("1234567.891"), ",", "1,234,567.891"),
        (D("4068.200"), ",", "4,068.200"),
        (-1234567, ",", "-1,234,567"),
        (D("123456789012345678901234567890.123456789"), ",", None),
        (1256, "thin", "1256"),
        (12345, "thin", f"12{THIN}345"),
        (D("55235367.34623"), "thin", f"55{THIN}235{THIN}367.346{THIN}23"),
        (D("1234.5678"), "thin", f"1{THIN}234.567{THIN}8"),
        (D("-1234567"), "thin", f"-1{THIN}234{THIN}567"),
        (D("0.1234"), "thin", f"0.123{THIN}4"),
    ],
)
def test_number(x: Any, group: str | None, expected: str | None) -> None:
    result = number(x, group=group)
    if expected is None:  # -- very long: digits survive, grouping by three --
        assert result.replace(",", "") == format(D(x), "f")
        assert all(len(g) == 3 for g in result.split(".")[0].split(",")[1:])
    else:
        assert result == expected


@pytest.mark.parametrize(
    ("x", "places", "expected"),
    [
        (0.105, 1, "10.5%"),
        (D("0.105"), 1, "10.5%"),
        (0.125, 0, "13%"),
        (D("0.125"), 0, "13%"),
        (D("0.135"), 0, "14%"),
        (D("0.3405"), 2, "34.05%"),
        (D("0.3405"), 1, "34.1%"),
        (D("0.63"), 0, "63%"),
        (D("-0.032"), 1, "-3.2%"),
        (D("-0.0001"), 1, "0.0%"),
        (1, 1, "100.0%"),
        (D("0.00045"), 2, "0.05%"),
    ],
)
def test_percent(x: Any, places: int, expected: str) -> None:
    assert percent(x, places=places) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [(11, "+11"), (-3, "-3"), (0, "0"), (1036, "+1036"), (461, "+461"), (-8, "-8"), (D("-0"), "0")],
)
def test_signed(n: Any, expected: str) -> None:
    assert signed(n) == expected


@pytest.mark.parametrize(
    ("n", "unit", "expected"),
    [
        (11, "件", "增加11件"),
        (-3, "件", "减少3件"),
        (0, "件", "持平"),
        (-3, "项", "减少3项"),
        (D("1.5"), "万元", "增加1.5万元"),
    ],
)
def test_change_words(n: Any, unit: str, expected: str) -> None:
    assert change_words(n, unit=unit) == expected


def test_change_words_default_unit() -> None:
    assert change_words(2) == "增加2件"


# -- money -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "places", "expected"),
    [
        (3103850, None, "310.385"),
        (3103850, 2, "310.39"),
        (40682080, None, "4068.208"),
        (100000, None, "10"),
        (10000, 2, "1.00"),
        (D("100.00"), None, "0.01"),
        (24850, None, "2.485"),
        (0, None, "0"),
        ("3103850", 0, "310"),
    ],
)
def test_yuan_to_wan(amount: Any, places: int | None, expected: str) -> None:
    assert yuan_to_wan(amount, places=places) == expected


@pytest.mark.parametrize(
    ("x", "places", "expected"),
    [
        (25000, None, "2.5万"),
        (123456789, 2, "1.23亿"),
        (3103850, 2, "310.39万"),
        (345000000, None, "3.45亿"),
        (12345, None, "1.2345万"),
        (10**12, None, "1万亿"),
        (9999, None, "9999"),
        (0, None, "0"),
        (-25000, None, "-2.5万"),
        (99999999, 2, "1亿"),
        (D("9999.999"), 2, "1万"),
        (25000, 2, "2.5万"),
    ],
)
def test_compact(x: Any, places: int | None, expected: str) -> None:
    assert compact(x, places=places) == expected


@pytest.mark.parametrize(
    ("amount", "kwargs", "expected"),
    [
        (24850, {}, "24850元"),
        (380, {}, "380元"),
        (D("4068.208"), {"unit": "万元"}, "4068.208万元"),
        (D("310.385"), {"unit": "万元"}, "310.385万元"),
        (D("2.345"), {"places": 2}, "2.35元"),
        (2.675, {"places": 2}, "2.68元"),  # -- shortest repr, not the binary 2.67499… --
        (D("1409.5"), {"places": 2}, "1409.50元"),
    ],
)
def test_money(amount: Any, kwargs: dict[str, Any], expected: str) -> None:
    assert money(amount, **kwargs) == expected


RMB_CASES = [
    # the task's table and formatting-rules §3.2 / §3.3 official examples
    (24850, {}, "贰万肆仟捌佰伍拾元整"),
    (D("1004.05"), {}, "壹仟零肆元零伍分"),
    (D("0.50"), {}, "伍角整"),
    (D("1680.32"), {}, "壹仟陆佰捌拾元零叁角贰分"),
    (D("1680.32"), {"zero_before_jiao": False}, "壹仟陆佰捌拾元叁角贰分"),
    (D("16409.02"), {}, "壹万陆仟肆佰零玖元零贰分"),
    (D("325.04"), {}, "叁佰贰拾伍元零肆分"),
    (D("107000.53"), {}, "壹拾万柒仟元零伍角叁分"),
    (D("107000.53"), {"zero_before_jiao": False}, "壹拾万柒仟元伍角叁分"),
    (D("1409.50"), {}, "壹仟肆佰零玖元伍角整"),
    (D("1409.50"), {"prefix": True, "zheng_after_jiao": False}, "人民币壹仟肆佰零玖元伍角"),
    (D("6007.14"), {"prefix": True}, "人民币陆仟零柒元壹角肆分"),
    (3504, {}, "叁仟伍佰零肆元整"),
    (39148, {}, "叁万玖仟壹佰肆拾捌元整"),
    (0, {}, "零元整"),
    (10, {}, "壹拾元整"),
    (100000, {}, "壹拾万元整"),
    (100006037, {}, "壹亿零陆仟零叁拾柒元整"),
    (D("1.999"), {}, "贰元整"),
    (24850, {"prefix": True}, "人民币贰万肆仟捌佰伍拾元整"),
    (D("10000.01"), {}, "壹万元零壹分"),
    (D("0.05"), {}, "伍分"),
    (D("0.32"), {}, "叁角贰分"),
    (100010, {}, "壹拾万零壹拾元整"),
    (D("35.5"), {}, "叁拾伍元伍角整"),
    # own edge cases: 零 across groups, rounding half-up, 整 after 角
    (10010, {}, "壹万零壹拾元整"),
    (1005, {}, "壹仟零伍元整"),
    (40100, {}, "肆万零壹佰元整"),
    (101250, {}, "壹拾万壹仟贰佰伍拾元整"),
    (100000001, {}, "壹亿零壹元整"),
    (10**8 + 1, {}, "壹亿零壹元整"),
    (1000000006037, {}, "壹万亿零陆仟零叁拾柒元整"),
    (D("310.385"), {}, "叁佰壹拾元零叁角玖分"),
    (D("10.155"), {}, "壹拾元零壹角陆分"),
    (D("0.005"), {}, "壹分"),
    (D("0.004"), {}, "零元整"),
    (D("0.995"), {}, "壹元整"),
    (1.005, {}, "壹元零壹分"),  # -- shortest repr, not the binary 1.00499… --
    ("24850", {}, "贰万肆仟捌佰伍拾元整"),
    (D("2.50"), {}, "贰元伍角整"),
    (D("20.50"), {}, "贰拾元零伍角整"),
]


@pytest.mark.parametrize(
    ("amount", "kwargs", "expected"),
    RMB_CASES,
    ids=[f"{c[0]}-{'-'.join(c[1])}" if c[1] else str(c[0]) for c in RMB_CASES],
)
def test_rmb_upper(amount: Any, kwargs: dict[str, Any], expected: str) -> None:
    assert rmb_upper(amount, **kwargs) == expected


@given(st.integers(min_value=1, max_value=10**12 - 1))
def test_rmb_upper_integers_match_reference(n: int) -> None:
    assert rmb_upper(n) == upper_reference(n) + "元整"


@given(st.integers(min_value=0, max_value=10**14 - 1))
def test_rmb_upper_reads_back(cents: int) -> None:
    text = rmb_upper(D(cents).scaleb(-2))
    yuan_text = text.split("元")[0] if "元" in text else "零"
    assert parse_numeral(yuan_text) == cents // 100
    assert not text.startswith("零") or text == "零元整"
    assert "零零" not in text
    assert text.endswith(("整", "分"))
    assert text.endswith("分") == (cents % 10 != 0)


# -- labels ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "level", "expected"),
    [
        (1, 1, "一、"),
        (6, 1, "六、"),
        (10, 1, "十、"),
        (11, 1, "十一、"),
        (20, 1, "二十、"),
        (1, 2, "（一）"),
        (12, 2, "（十二）"),
        (1, 3, "1."),
        (12, 3, "12."),
        (1, 4, "（1）"),
        (12, 4, "（12）"),
    ],
)
def test_heading_label(n: int, level: int, expected: str) -> None:
    assert heading_label(n, level) == expected


def test_heading_label_characters() -> None:
    assert heading_label(1, 1)[-1] == "\u3001"
    assert heading_label(1, 2)[0] == "\uff08" and heading_label(1, 2)[-1] == "\uff09"
    assert heading_label(1, 4)[0] == "\uff08" and heading_label(1, 4)[-1] == "\uff09"
    assert heading_label(1, 3) == "1\u002e"


def test_page_number_text() -> None:
    assert page_number_text(1) == "\u2014 1 \u2014"
    assert page_number_text(12) == "— 12 —"


@pytest.mark.parametrize(
    ("prefix", "year", "seq", "expected"),
    [
        ("国办公开办函", 2021, 30, "国办公开办函〔2021〕30号"),
        ("国办发", 1987, 9, "国办发〔1987〕9号"),
        ("京政办发", "2020", "01", "京政办发〔2020〕1号"),
    ],
)
def test_doc_number(prefix: str, year: Any, seq: Any, expected: str) -> None:
    result = doc_number(prefix, year, seq)
    assert result == expected
    assert "\u3014" in result and "\u3015" in result


# -- cell and paragraphs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (None, {}, "/"),
        (None, {"unit": "元"}, "/"),
        (None, {"signed": True}, "/"),
        (22, {}, "22"),
        (0, {}, "0"),
        ({"value": 22, "note": "其中修订16件"}, {}, "22（其中修订16件）"),
        ({"value": 22}, {}, "22"),
        ({"value": 22, "note": ""}, {}, "22"),
        ({"value": 22, "note": None}, {}, "22"),
        ({"value": None, "note": "未统计"}, {}, "/（未统计）"),
        ({"value": 11, "note": "新增"}, {"signed": True}, "+11（新增）"),
        ({"value": 24850, "note": "含运费"}, {"unit": "元"}, "24850元（含运费）"),
        (D("4068.208"), {}, "4068.208"),
        (D("4.068208E+3"), {}, "4068.208"),
        (D("4068.200"), {}, "4068.200"),
        (11, {"signed": True}, "+11"),
        (-3, {"signed": True}, "-3"),
        (0, {"signed": True}, "0"),
        (24850, {"unit": "元"}, "24850元"),
        (D("310.385"), {"unit": "万元"}, "310.385万元"),
        (1036, {}, "1036"),
    ],
)
def test_cell(value: Any, kwargs: dict[str, Any], expected: str) -> None:
    assert cell(value, **kwargs) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, []),
        ("", []),
        ("一段。", ["一段。"]),
        ("第一段。\n第二段。", ["第一段。", "第二段。"]),
        ("第一段。\r\n第二段。", ["第一段。", "第二段。"]),
        ("第一段。\r第二段。", ["第一段。", "第二段。"]),
        ("\n\n  第一段。  \n\n\r\n\u3000\u3000第二段。\n", ["第一段。", "第二段。"]),
        ("  \n \r\n\t", []),
    ],
)
def test_paragraphs(text: str | None, expected: list[str]) -> None:
    assert paragraphs(text) == expected


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "bad"),
    [
        (lambda: rmb_upper(-1), -1),
        (lambda: rmb_upper(D("-0.01")), D("-0.01")),
        (lambda: number(True), True),
        (lambda: number(False), False),
        (lambda: number("abc"), "abc"),
        (lambda: number("1,234"), "1,234"),
        (lambda: number("1_000"), "1_000"),
        (lambda: number(""), ""),
        (lambda: number(None), None),  # type: ignore[arg-type]
        (lambda: number(float("nan")), float("nan")),
        (lambda: number(float("inf")), float("inf")),
        (lambda: number(D("NaN")), D("NaN")),
        (lambda: number(D("Infinity")), D("Infinity")),
        (lambda: number("Infinity"), "Infinity"),
        (lambda: number("nan"), "nan"),
        (lambda: number(1, group="x"), "x"),
        (lambda: cn_number(True), True),
        (lambda: cn_number([1]), [1]),  # type: ignore[arg-type]
        (lambda: cn_year(-1), -1),
        (lambda: cn_year(D("2019.5")), D("2019.5")),  # type: ignore[arg-type]
        (lambda: format_date("2020-02-30"), "2020-02-30"),
        (lambda: format_date("2020/01/17"), "2020/01/17"),
        (lambda: format_date("20200117"), "20200117"),
        (lambda: format_date(20200117), 20200117),  # type: ignore[arg-type]
        (lambda: format_date(None), None),  # type: ignore[arg-type]
        (lambda: format_date("2020-01-17", numerals="roman"), "roman"),
        (lambda: date_range("2019-12-31", "2019-01-01"), ("2019-12-31", "2019-01-01")),
        (lambda: date_range("2019-01-01", "2019-13-01"), "2019-13-01"),
        (lambda: heading_label(1, 0), 0),
        (lambda: heading_label(1, 5), 5),
        (lambda: heading_label(1, True), True),
        (lambda: heading_label(0, 1), 0),
        (lambda: heading_label(-2, 2), -2),
        (lambda: heading_label(True, 1), True),
        (lambda: percent(0.1, places=-1), -1),
        (lambda: money(1, places=1.5), 1.5),  # type: ignore[arg-type]
        (lambda: yuan_to_wan(1, places=True), True),
        (lambda: page_number_text(0), 0),
        (lambda: doc_number("国办发", 2021, 0), 0),
        (lambda: signed(True), True),
        (lambda: change_words("多"), "多"),
        (lambda: cell("abc"), "abc"),
        (lambda: cell(True), True),
        (lambda: cell({"note": "x"}), {"note": "x"}),
        (lambda: paragraphs(5), 5),  # type: ignore[arg-type]
    ],
)
def test_bad_input_raises_formatting_error(call: Any, bad: Any) -> None:
    with pytest.raises(FormattingError) as info:
        call()
    assert isinstance(info.value, ValueError)
    if bad == bad:  # -- NaN is not equal to itself --
        assert info.value.value == bad
    else:
        assert repr(info.value.value) == repr(bad)
    assert repr(bad) in str(info.value)


def test_formatting_error_is_a_docgen_error() -> None:
    from docgen.errors import DocgenError

    assert issubclass(FormattingError, DocgenError)
    assert issubclass(FormattingError, ValueError)


# -- the filter table --------------------------------------------------------------------------

PUBLIC = [
    "cell",
    "change_words",
    "cn_number",
    "cn_year",
    "compact",
    "date_range",
    "doc_number",
    "format_date",
    "heading_label",
    "money",
    "number",
    "page_number_text",
    "paragraphs",
    "percent",
    "rmb_upper",
    "signed",
    "yuan_to_wan",
]


def test_filters_table_lists_every_function_under_its_name() -> None:
    assert sorted(FILTERS) == PUBLIC
    for name, function in FILTERS.items():
        assert function is getattr(formatting, name)
        assert function.__name__ == name
        assert function.__doc__ and ">>>" in function.__doc__


def test_filters_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        FILTERS["x"] = str  # type: ignore[index]


def test_locale_is_pinned() -> None:
    assert formatting.LOCALE == "zh_CN"


def test_module_imports_no_rendering_or_schema_library() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import docgen.engine.formatting; "
        "print(sorted(m for m in ('docxtpl', 'jinja2', 'jsonschema', 'docx', 'cn2an') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# -- independence from the machine's locale ----------------------------------------------------

LANG_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from decimal import Decimal
from babel.core import default_locale
from docgen.engine import formatting as f
print(json.dumps({
    "babel_default": str(default_locale()),
    "out": [
        f.format_date("2020-01-17"),
        f.format_date("2020-01-17", numerals="chinese"),
        f.date_range("2019-01-01", "2019-12-31"),
        f.number(Decimal("19351235.235767"), group=","),
        f.number(Decimal("55235367.34623"), group="thin"),
        f.number(-1234567, group=","),
        f.percent(0.125, 0),
        f.compact(123456789, 2),
        f.yuan_to_wan(3103850, 2),
        f.money(Decimal("2.345"), places=2),
        f.rmb_upper(Decimal("1680.32"), prefix=True),
        f.cn_number(100006037),
        f.signed(11),
    ],
}, ensure_ascii=True))
"""


def test_output_does_not_depend_on_lang() -> None:
    results = {}
    for lang in ("C", "en_US.UTF-8", "zh_CN.UTF-8", "de_DE.UTF-8"):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
        env.update(
            LANG=lang, LANGUAGE=lang.split(".")[0], LC_ALL=lang, LC_NUMERIC=lang, LC_TIME=lang
        )
        env["PYTHONIOENCODING"] = "utf-8"
        proc = subprocess.run(
            [sys.executable, "-c", LANG_PROBE, str(ROOT)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        results[lang] = json.loads(proc.stdout)
    # -- the probe has teeth: babel's own default really changed with LANG --
    assert len({r["babel_default"] for r in results.values()}) > 1
    outputs = [r["out"] for r in results.values()]
    assert all(o == outputs[0] for o in outputs)
    assert outputs[0][0] == "2020年1月17日"
    assert outputs[0][3] == "19,351,235.235767"
    assert outputs[0][5] == "-1,234,567"
    assert outputs[0][10] == "人民币壹仟陆佰捌拾元零叁角贰分"


@given(st.dates(min_value=date(1, 1, 1)), st.booleans(), st.booleans())
def test_arabic_dates_are_what_babel_writes(day: date, with_year: bool,
                                            with_month: bool) -> None:
    # -- docgen writes 年月日 itself (babel parsed its locale and pattern on every call) --
    from babel.dates import format_date

    shown_year = with_year and with_month
    pattern = ("y年" if shown_year else "") + ("M月" if with_month else "") + "d日"
    expected = format_date(day, pattern, locale="zh_CN")
    assert formatting._date_text(day, "arabic", with_year, with_month) == expected
