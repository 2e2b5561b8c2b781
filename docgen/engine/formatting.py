"""Pure functions that write numbers, money, dates and labels as Chinese official documents do."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from types import MappingProxyType
from typing import Any, TypeAlias

from docgen.errors import DocgenError

__all__ = [
    "FILTERS",
    "LOCALE",
    "FormattingError",
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

#: Pinned on purpose: babel otherwise falls back to LC_NUMERIC / LC_TIME / LANG.
LOCALE = "zh_CN"

#: What the functions accept as a number (``bool`` is refused at run time).
Number: TypeAlias = "int | Decimal | float | str"
#: What the functions accept as a date: a `datetime.date` or an ISO ``YYYY-MM-DD`` string.
DateLike: TypeAlias = "date | str"

_NUMERIC_STRING = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

_LOWER_DIGITS = "零一二三四五六七八九"
_LOWER_UNITS = ("", "十", "百", "千")
_UPPER_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UPPER_UNITS = ("", "拾", "佰", "仟")
_YEAR_DIGITS = "〇一二三四五六七八九"  # 〇 is U+3007 IDEOGRAPHIC NUMBER ZERO

_THIN = "\u2005"  # FOUR-PER-EM SPACE: a quarter of a 汉字 (GB/T 15835 §5.1.1 千分空)
_EM_DASH = "\u2014"  # 一字线


class FormattingError(DocgenError, ValueError):
    """A value cannot be formatted: not a number, an impossible date, a bad option."""

    def __init__(self, message: str, value: object) -> None:
        super().__init__(f"{message}：{value!r}")
        #: The value that could not be formatted.
        self.value = value


# -- coercion helpers ---------------------------------------------------------------------------


def _to_decimal(value: object) -> Decimal:
    """Return `value` as a finite `Decimal`; a float goes through its shortest repr."""
    if isinstance(value, bool):
        raise FormattingError("不是数字", value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str) and _NUMERIC_STRING.fullmatch(value.strip()):
        result = Decimal(value.strip())
    else:
        raise FormattingError("不是数字", value)
    if not result.is_finite():
        raise FormattingError("不是有限的数字", value)
    return result


def _to_int(value: object, minimum: int | None = None) -> int:
    """Return `value` as an `int`; it must be integral and at least `minimum`."""
    number = _to_decimal(value)
    if number != number.to_integral_value():
        raise FormattingError("不是整数", value)
    result = int(number)
    if minimum is not None and result < minimum:
        raise FormattingError(f"应不小于 {minimum}", value)
    return result


def _check_places(places: object) -> int:
    """Return `places` if it is a usable number of decimal places."""
    if isinstance(places, bool) or not isinstance(places, int) or places < 0:
        raise FormattingError("小数位数应为非负整数", places)
    return places


def _round(value: Decimal, places: int) -> Decimal:
    """Return `value` rounded half-up to `places` decimals, with room for any size."""
    with localcontext() as ctx:
        ctx.prec = max(28, value.adjusted() + places + 10)
        ctx.rounding = ROUND_HALF_UP
        return value.quantize(Decimal(1).scaleb(-places))


def _plain(value: Decimal) -> str:
    """Return the digits of `value` exactly, never in exponent notation, never ``-0``."""
    if value.is_zero():
        value = value.copy_abs()
    return format(value, "f")


def _trimmed(value: Decimal) -> str:
    """Return `_plain(value)` without trailing zeros after the decimal point."""
    text = _plain(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _to_date(value: object) -> date:
    """Return `value` as a `datetime.date`; a string must be ISO ``YYYY-MM-DD``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise FormattingError("不是有效的日期", value) from None
    raise FormattingError("不是有效的日期", value)


# -- Chinese numerals ---------------------------------------------------------------------------


def _read_group(value: int, digits: str, units: tuple[str, ...], short_ten: bool) -> str:
    """Read 1 ≤ `value` ≤ 9999; `short_ten` reads a leading 1x as 十x instead of 一十x."""
    out: list[str] = []
    pending_zero = False
    for position in (3, 2, 1, 0):
        digit = value // 10**position % 10
        if digit == 0:
            pending_zero = pending_zero or bool(out)
            continue
        if pending_zero:
            out.append(digits[0])
            pending_zero = False
        if position == 1 and digit == 1 and short_ten and not out:
            out.append(units[1])
        else:
            out.append(digits[digit] + units[position])
    return "".join(out)


def _read_int(value: int, digits: str, units: tuple[str, ...], short_ten: bool) -> str:
    """Read the integer `value` ≥ 1 with 万 and 亿 groups and one 零 per gap."""
    if value >= 10**8:
        high, low = divmod(value, 10**8)
        text = _read_int(high, digits, units, short_ten) + "亿"
        if low:
            text += (digits[0] if low < 10**7 else "") + _read_int(low, digits, units, False)
        return text
    if value >= 10**4:
        high, low = divmod(value, 10**4)
        text = _read_group(high, digits, units, short_ten) + "万"
        if low:
            text += (digits[0] if low < 10**3 else "") + _read_group(low, digits, units, False)
        return text
    return _read_group(value, digits, units, short_ten)


def cn_number(n: Number) -> str:
    """Return `n` in Chinese counting numerals (GB/T 15835 §5.2: 零 in quantities).

    A leading ten is 十 (十, 十万), an inner one 一十 (一百一十); one 零 stands for each gap,
    including a whole empty 万 group. Decimals are read digit by digit after 点.

    >>> cn_number(101)
    '一百零一'
    >>> cn_number(100006037)
    '一亿零六千零三十七'
    >>> cn_number(Decimal("95.06"))
    '九十五点零六'
    >>> cn_number(10), cn_number(110), cn_number(100000), cn_number(0)
    ('十', '一百一十', '十万', '零')
    >>> cn_number(-3)
    '负三'
    """
    text = _plain(_to_decimal(n))
    sign = ""
    if text.startswith("-"):
        sign, text = "负", text[1:]
    whole, _, fraction = text.partition(".")
    integer = int(whole)
    words = _read_int(integer, _LOWER_DIGITS, _LOWER_UNITS, True) if integer else "零"
    if fraction:
        words += "点" + "".join(_LOWER_DIGITS[int(c)] for c in fraction)
    return sign + words


def cn_year(y: int | str) -> str:
    """Return the year `y` digit by digit in Chinese numerals, with 〇 (U+3007) for zero.

    >>> cn_year(2019)
    '二〇一九'
    >>> cn_year("2000")
    '二〇〇〇'
    """
    year = _to_int(y, minimum=1)
    return "".join(_YEAR_DIGITS[int(c)] for c in str(year))


# -- dates --------------------------------------------------------------------------------------


def _date_text(day: date, numerals: str, with_year: bool = True, with_month: bool = True) -> str:
    """Return `day` as 年月日 text in Arabic or Chinese numerals (a month implies its year)."""
    with_year = with_year and with_month
    if numerals == "arabic":
        # -- what babel's format_date(day, "y年M月d日", locale="zh_CN") writes (unpadded
        # Western digits; tests/test_formatting.py compares the two), without its parsing
        # of locale and pattern on every call --
        year = f"{day.year}年" if with_year else ""
        month = f"{day.month}月" if with_month else ""
        return f"{year}{month}{day.day}日"
    if numerals == "chinese":
        year = cn_year(day.year) + "年" if with_year else ""
        month = cn_number(day.month) + "月" if with_month else ""
        return f"{year}{month}{cn_number(day.day)}日"
    raise FormattingError("numerals 应为 'arabic' 或 'chinese'", numerals)


def format_date(d: DateLike, numerals: str = "arabic") -> str:
    """Return the date `d` as a 成文日期: full year, no zero padding (GB/T 9704 §7.3.5.4).

    JSON has no date type, so an ISO ``YYYY-MM-DD`` string is accepted too.

    >>> format_date("2020-01-17")
    '2020年1月17日'
    >>> format_date(date(2021, 12, 31))
    '2021年12月31日'
    >>> format_date("2020-01-17", numerals="chinese")
    '二〇二〇年一月十七日'
    """
    return _date_text(_to_date(d), numerals)


def date_range(start: DateLike, end: DateLike, sep: str = "至", *, numerals: str = "arabic") -> str:
    """Return the period from `start` to `end`; the end leaves out a repeated year and month.

    `sep` is the word 至 (the 年报 wording) or the 一字线 ``—`` (U+2014, GB/T 15834). Within
    one year the end leaves out the year; within one month it leaves out the year and the
    month too, as in GB/T 15834's own example ``2011年2月3日—10日``.

    >>> date_range("2019-01-01", "2019-12-31")
    '2019年1月1日至12月31日'
    >>> date_range("2019-12-01", "2020-01-31")
    '2019年12月1日至2020年1月31日'
    >>> date_range("2019-01-01", "2019-12-31", sep="—")
    '2019年1月1日—12月31日'
    >>> date_range("2019-01-01", "2019-12-31", numerals="chinese")
    '二〇一九年一月一日至十二月三十一日'
    >>> date_range("2019-01-01", "2019-01-31", sep="—")
    '2019年1月1日—31日'
    >>> date_range("2019-01-01", "2019-01-31")
    '2019年1月1日至31日'
    >>> date_range("2019-02-03", "2019-02-10", numerals="chinese")
    '二〇一九年二月三日至十日'
    """
    first, last = _to_date(start), _to_date(end)
    if last < first:
        raise FormattingError("结束日期早于开始日期", (start, end))
    same_year = last.year == first.year
    tail = _date_text(last, numerals, with_year=not same_year,
                      with_month=not (same_year and last.month == first.month))
    return _date_text(first, numerals) + sep + tail


# -- Arabic numbers -----------------------------------------------------------------------------


def _group_thin(text: str) -> str:
    """Group the digits of `text` by three on both sides of the point with 千分空."""
    sign = "-" if text.startswith("-") else ""
    whole, point, fraction = text.lstrip("-").partition(".")
    if not point and len(whole) <= 4:
        return text
    head = len(whole) % 3 or 3
    groups = [whole[:head]] + [whole[i : i + 3] for i in range(head, len(whole), 3)]
    result = sign + _THIN.join(groups)
    if point:
        result += "." + _THIN.join(fraction[i : i + 3] for i in range(0, len(fraction), 3))
    return result


def number(x: Number, group: str | None = None) -> str:
    """Return `x` in Arabic digits, exactly as given; ungrouped unless `group` is set.

    `group` is ``","`` (千分撇: the integer part only) or ``"thin"`` (千分空 U+2005 on both
    sides of the point; integers of four digits or fewer stay ungrouped), GB/T 15835 §5.1.1.

    >>> number(46106)
    '46106'
    >>> number(Decimal("4068.208"))
    '4068.208'
    >>> number(12345, group=",")
    '12,345'
    >>> number(Decimal("19351235.235767"), group=",")
    '19,351,235.235767'
    >>> number(Decimal("55235367.34623"), group="thin")
    '55\\u2005235\\u2005367.346\\u200523'
    """
    value = _to_decimal(x)
    if group is None:
        return _plain(value)
    if group == ",":
        if value.is_zero():
            value = value.copy_abs()
        exponent = value.as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        with localcontext() as ctx:
            ctx.prec = max(28, value.adjusted() + decimals + 10)
            ctx.rounding = ROUND_HALF_UP
            from babel.numbers import format_decimal  # -- only where needed (start-up) --

            return str(format_decimal(value, pattern, locale=LOCALE))
    if group == "thin":
        return _group_thin(_plain(value))
    raise FormattingError("group 应为 None、',' 或 'thin'", group)


def percent(x: Number, places: int = 1) -> str:
    """Return the ratio `x` as a percentage with `places` decimals, rounded half-up.

    >>> percent(Decimal("0.105"))
    '10.5%'
    >>> percent(Decimal("0.125"), places=0)
    '13%'
    >>> percent(Decimal("-0.032"))
    '-3.2%'
    """
    return _plain(_round(_to_decimal(x).scaleb(2), _check_places(places))) + "%"


def _signed_text(value: Decimal) -> str:
    """Return `value` with ``+`` before a positive number."""
    text = _plain(value)
    return "+" + text if value > 0 else text


def signed(n: Number) -> str:
    """Return the change `n` as a 本年增/减 cell: ``+11``, ``-3``, ``0``; never grouped.

    >>> signed(11), signed(-3), signed(0), signed(1036)
    ('+11', '-3', '0', '+1036')
    """
    return _signed_text(_to_decimal(n))


def change_words(n: Number, unit: str = "件") -> str:
    """Return the change `n` in words: 增加…, 减少…, or 持平.

    >>> change_words(11)
    '增加11件'
    >>> change_words(-3, unit="项")
    '减少3项'
    >>> change_words(0)
    '持平'
    """
    value = _to_decimal(n)
    if value.is_zero():
        return "持平"
    word = "增加" if value > 0 else "减少"
    return word + _plain(value.copy_abs()) + unit


# -- money --------------------------------------------------------------------------------------


def yuan_to_wan(amount: Number, places: int | None = None) -> str:
    """Return `amount` in 元 as 万元 digits: exact by default, or rounded half-up to `places`.

    >>> yuan_to_wan(3103850)
    '310.385'
    >>> yuan_to_wan(3103850, places=2)
    '310.39'
    >>> yuan_to_wan(100000)
    '10'
    """
    value = _to_decimal(amount).scaleb(-4)
    if places is None:
        return _trimmed(value)
    return _plain(_round(value, _check_places(places)))


def compact(x: Number, places: int | None = None) -> str:
    """Return `x` with 万, 亿 or 万亿 as its unit (GB/T 15835); below 10000 as plain digits.

    With `places`, at most that many decimals are kept (half-up); trailing zeros go.

    >>> compact(25000)
    '2.5万'
    >>> compact(123456789, places=2)
    '1.23亿'
    >>> compact(9999)
    '9999'
    >>> compact(99999999, places=2)
    '1亿'
    """
    value = _to_decimal(x)
    if places is not None:
        places = _check_places(places)
    for exponent, unit in ((12, "万亿"), (8, "亿"), (4, "万"), (0, "")):
        scaled = value.scaleb(-exponent)
        if places is not None:
            scaled = _round(scaled, places)
        if exponent == 0 or abs(scaled) >= 1:
            return _trimmed(scaled) + unit
    raise AssertionError("unreachable")  # pragma: no cover


def money(amount: Number, unit: str = "元", places: int | None = None) -> str:
    """Return `amount` followed by `unit`, as in running text (no ``¥``, no grouping).

    >>> money(24850)
    '24850元'
    >>> money(Decimal("4068.208"), unit="万元")
    '4068.208万元'
    >>> money(Decimal("2.345"), places=2)
    '2.35元'
    """
    value = _to_decimal(amount)
    if places is not None:
        value = _round(value, _check_places(places))
    return _plain(value) + unit


def rmb_upper(
    amount: Number,
    prefix: bool = False,
    *,
    zero_before_jiao: bool = True,
    zheng_after_jiao: bool = True,
) -> str:
    """Return `amount` (元, ≥ 0) as a 大写金额, rounded half-up to 分 (formatting-rules §3.3).

    整 follows 元 and, by default, 角 (会计基础工作规范 §52); 元零X分 always has its 零;
    a 0 in the 元 place before a 角 gives 元零X角 unless `zero_before_jiao` is false.

    >>> rmb_upper(24850)
    '贰万肆仟捌佰伍拾元整'
    >>> rmb_upper(Decimal("1004.05"))
    '壹仟零肆元零伍分'
    >>> rmb_upper(Decimal("0.50"))
    '伍角整'
    >>> rmb_upper(Decimal("1680.32"), prefix=True)
    '人民币壹仟陆佰捌拾元零叁角贰分'
    >>> rmb_upper(Decimal("1680.32"), zero_before_jiao=False)
    '壹仟陆佰捌拾元叁角贰分'
    >>> rmb_upper(100006037)
    '壹亿零陆仟零叁拾柒元整'
    """
    value = _to_decimal(amount)
    if value < 0:
        raise FormattingError("大写金额不能为负数", amount)
    cents = int(_round(value, 2).scaleb(2))
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    parts: list[str] = []
    if yuan:
        parts.append(_read_int(yuan, _UPPER_DIGITS, _UPPER_UNITS, False) + "元")
        zero_before_fen = jiao == 0 and fen != 0  # -- 元零X分: the 零 is mandatory --
        zero_in_yuan_place = jiao != 0 and yuan % 10 == 0 and zero_before_jiao
        if zero_before_fen or zero_in_yuan_place:
            parts.append("零")
    if jiao:
        parts.append(_UPPER_DIGITS[jiao] + "角")
    if fen:
        parts.append(_UPPER_DIGITS[fen] + "分")
    elif not yuan and not jiao:
        parts.append("零元整")
    elif not jiao or zheng_after_jiao:
        parts.append("整")
    return ("人民币" if prefix else "") + "".join(parts)


# -- labels -------------------------------------------------------------------------------------


def heading_label(n: int, level: int) -> str:
    """Return the label of the `n`-th heading at `level` 1–4 (GB/T 9704 §7.3.3).

    >>> heading_label(1, 1), heading_label(12, 2), heading_label(3, 3), heading_label(1, 4)
    ('一、', '（十二）', '3.', '（1）')
    """
    index = _to_int(n, minimum=1)
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 4:
        raise FormattingError("标题层级应为 1 至 4", level)
    if level == 1:
        return cn_number(index) + "、"
    if level == 2:
        return f"（{cn_number(index)}）"
    if level == 3:
        return f"{index}."
    return f"（{index}）"


def page_number_text(n: int) -> str:
    """Return the page number `n` between two 一字线 (U+2014), as GB/T 9704 §7.5 shows it.

    >>> page_number_text(1)
    '— 1 —'
    """
    return f"{_EM_DASH} {_to_int(n, minimum=1)} {_EM_DASH}"


def doc_number(prefix: str, year: int | str, seq: int | str) -> str:
    """Return a 发文字号: the year in 六角括号 〔〕 (U+3014/U+3015), no padding, no 第.

    >>> doc_number("国办公开办函", 2021, 30)
    '国办公开办函〔2021〕30号'
    >>> doc_number("京政办发", "2020", "01")
    '京政办发〔2020〕1号'
    """
    return f"{prefix}〔{_to_int(year, minimum=1)}〕{_to_int(seq, minimum=1)}号"


# -- table cells and text -----------------------------------------------------------------------


def cell(value: object, signed: bool = False, unit: str = "") -> str:
    """Return a table-2 cell: ``/`` for None, a number with `unit`, or a value with its note.

    >>> cell(None), cell(22), cell(Decimal("4068.208")), cell(-3, signed=True)
    ('/', '22', '4068.208', '-3')
    >>> cell({"value": 22, "note": "其中修订16件"})
    '22（其中修订16件）'
    >>> cell(24850, unit="元"), cell(None, unit="元")
    ('24850元', '/')
    """
    if isinstance(value, Mapping):
        if "value" not in value:
            raise FormattingError("单元格对象缺少 value", value)
        text = cell(value["value"], signed=signed, unit=unit)
        note = value.get("note")
        return f"{text}（{note}）" if note else text
    if value is None:
        return "/"
    number_value = _to_decimal(value)
    return (_signed_text(number_value) if signed else _plain(number_value)) + unit


def paragraphs(text: str | None) -> list[str]:
    """Return the non-empty lines of `text`, stripped; each becomes one paragraph.

    >>> paragraphs("第一段。\\r\\n\\n  第二段。\\r")
    ['第一段。', '第二段。']
    >>> paragraphs(None)
    []
    """
    if text is None:
        return []
    if not isinstance(text, str):
        raise FormattingError("不是文本", text)
    return [line.strip() for line in _LINE_BREAK.split(text) if line.strip()]


#: Every public function, under its own name, for the render module to register as Jinja filters.
FILTERS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {
        "cell": cell,
        "change_words": change_words,
        "cn_number": cn_number,
        "cn_year": cn_year,
        "compact": compact,
        "date_range": date_range,
        "doc_number": doc_number,
        "format_date": format_date,
        "heading_label": heading_label,
        "money": money,
        "number": number,
        "page_number_text": page_number_text,
        "paragraphs": paragraphs,
        "percent": percent,
        "rmb_upper": rmb_upper,
        "signed": signed,
        "yuan_to_wan": yuan_to_wan,
    }
)
