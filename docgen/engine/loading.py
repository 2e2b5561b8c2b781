"""Read report data from JSON or YAML files (or take a dict), exactly and within limits.

Every way a data file can be unreadable or hostile ends in one `DataFileError` (exit status 1)
whose Chinese message says where: line and column for a syntax error, the JSON Pointer of the
value for a limit. Nothing here lets a `RecursionError`, `decimal.InvalidOperation` or a
parser's own exception reach the user.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

from docgen.engine.files import InputTooLarge, read_bounded
from docgen.engine.jsontypes import value_name
from docgen.engine.messages import os_error_text
from docgen.engine.textfile import encoding_problem, instead_of, json_syntax_message, not_text
from docgen.errors import DataFileError, UsageError, pointer

#: Larger data files are refused: a real report is a few dozen KB; 10 MB inputs must still load.
MAX_BYTES = 16 * 1024 * 1024
#: Deeper nesting is refused (a report is about six levels deep).
MAX_DEPTH = 32
#: More values than this (counting what YAML aliases expand to) are refused.
MAX_NODES = 500_000
#: A number written out in full (``format(value, "f")``) may have at most this many digits, so
#: ``1e999999999`` cannot make a render write a billion zeros. Real figures have a dozen.
MAX_NUMBER_DIGITS = 40

YAML_SUFFIXES = (".yaml", ".yml")

_INT_LIMIT = 10**MAX_NUMBER_DIGITS
_YAML_MERGE = "tag:yaml.org,2002:merge"



class _LimitError(Exception):
    """A limit broken at a place in the data; the keys are collected while unwinding."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.parts: list[str | int] = []


def load(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Return the report held in `source`: a path to a JSON or YAML file, or a mapping.

    Numbers with a fraction become `Decimal` (never `float`, so ``4068.208`` stays exact);
    YAML dates become ISO strings. Raises `UsageError` for a missing file and `DataFileError`
    (with line and column) for a file that is not valid JSON or YAML or breaks a limit.
    """
    if isinstance(source, Mapping):
        return as_report(source, "数据")
    return read_report(Path(source)).data


@dataclass(frozen=True)
class ReadReport:
    """A report read from a file (`read_report`)."""

    data: dict[str, Any]
    #: Proven on the file's text: no string or key in `data` holds a character XML cannot
    #: hold, so the walk that looks for one (TEXT-CONTROL-CHAR) is not needed.
    clean_text: bool = False


#: An escape in JSON text that could write a character XML cannot hold (``\b``, ``\f``,
#: ``\u…``); U+FFFE/U+FFFF are looked for as they are (`_clean_json_text`).
_MAYBE_ILLEGAL = re.compile(r"\\[bfu]")


def _clean_json_text(text: str) -> bool:
    """Whether no string parsed from the JSON `text` can hold a character XML cannot hold:
    no escape that could write one, no U+FFFE/U+FFFF as they are (a raw control character
    is a JSON syntax error; a surrogate cannot be decoded from UTF-8). Three searches: one
    pattern with both would be twenty times slower."""
    return _MAYBE_ILLEGAL.search(text) is None and "\ufffe" not in text \
        and "\uffff" not in text


def read_report(path: Path) -> ReadReport:
    """As `load` for a file, saying also whether its text is proven clean (`ReadReport`)."""
    name = str(path)
    try:
        raw = read_bounded(path, MAX_BYTES)
    except InputTooLarge as exc:
        raise DataFileError(f"{name}：文件过大（{exc.amount()}）") from None
    except IsADirectoryError as exc:
        raise UsageError(f"{name} 是文件夹，不是数据文件") from exc
    except FileNotFoundError as exc:
        raise UsageError(f"找不到数据文件：{name}") from exc
    except PermissionError as exc:
        raise UsageError(f"无权读取数据文件：{name}") from exc
    except OSError as exc:
        raise UsageError(f"无法读取数据文件 {name}：{os_error_text(exc)}") from exc
    what = not_text(raw)
    if what is not None:
        raise DataFileError(f"{name} 是{what}，不是数据文件；{instead_of(what)}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{name}：{encoding_problem(raw, exc.start)}") from exc
    if not text.strip():
        raise DataFileError(f"{name}：文件为空，没有报告数据")
    if path.suffix.lower() in YAML_SUFFIXES:  # -- copied: YAML's keys may be other than text --
        return ReadReport(as_report(_parse_yaml(text, name), name))
    return ReadReport(as_report(_parse_json(text, name), name, parsed=True),
                      _clean_json_text(text))


def load_json_text(text: str, name: str, line: int = 1) -> dict[str, Any]:
    """Return the report in the JSON `text` (e.g. one line of a JSON Lines file) as `load` does.

    `name` says where the text came from in messages, `line` the file line `text` starts on.
    """
    return as_report(_parse_json(text, name, line), f"{name}:{line}" if line > 1 else name,
                     parsed=True)


def as_report(data: Any, name: str, *, parsed: bool = False) -> dict[str, Any]:
    """Return `data` as a report dict: floats made `Decimal`, dates made ISO strings.

    Checks the limits on depth, size and numbers so a hostile input fails with a clear
    message (`DataFileError`) naming the place in the data. A caller's data is copied; data
    docgen has just `parsed` from a file is its own, and is converted in place.
    """
    if not isinstance(data, Mapping):
        if data is None:
            raise DataFileError(f"{name}：没有报告数据（顶层应为对象 {{…}}）")
        kind = value_name(data)
        raise DataFileError(f"{name}：顶层应为对象（{{…}}），实为{kind}")
    budget = [MAX_NODES]
    try:
        converted = _convert(data, 0, budget, parsed)
    except _LimitError as exc:
        where = pointer(*exc.parts)
        if len(exc.parts) > 8:
            where = pointer(*exc.parts[:8]) + "/…"
        raise DataFileError(f"{name}：{where + ' ' if where else ''}{exc.message}") from None
    except RecursionError:
        raise DataFileError(f"{name}：嵌套层级过深（上限 {MAX_DEPTH} 层）") from None
    assert isinstance(converted, dict)
    return converted


def _convert(value: Any, depth: int, budget: list[int], owned: bool = False) -> Any:
    # -- `owned`: containers made by docgen's own parse, changed in place (no copy) --
    budget[0] -= 1
    if budget[0] < 0:
        raise _LimitError(f"数据项过多（上限 {MAX_NODES} 个，可能含有 YAML 别名炸弹）")
    if depth > MAX_DEPTH:
        raise _LimitError(f"嵌套层级过深（上限 {MAX_DEPTH} 层）")
    if type(value) is dict or isinstance(value, Mapping):
        keep = owned and type(value) is dict
        converted: dict[str, Any] = cast("dict[str, Any]", value) if keep else {}
        for key, item in value.items():
            text = key if isinstance(key, str) else _key_text(key)
            if depth < MAX_DEPTH and _plain(item):  # -- most values: no call, no copy --
                budget[0] -= 1
                if not keep:
                    converted[text] = item
                continue
            try:
                made = _convert(item, depth + 1, budget, owned)
            except _LimitError as exc:
                exc.parts.insert(0, text)
                raise
            if made is not item or not keep:
                converted[text] = made
        if budget[0] < 0:
            raise _LimitError(f"数据项过多（上限 {MAX_NODES} 个，可能含有 YAML 别名炸弹）")
        return converted
    if type(value) is list or isinstance(value, (list, tuple)):
        keep = owned and type(value) is list
        items: list[Any] = cast("list[Any]", value) if keep else []
        for index, item in enumerate(value):
            if depth < MAX_DEPTH and _plain(item):
                budget[0] -= 1
                if not keep:
                    items.append(item)
                continue
            try:
                made = _convert(item, depth + 1, budget, owned)
            except _LimitError as exc:
                exc.parts.insert(0, index)
                raise
            if keep:
                if made is not item:
                    items[index] = made
            else:
                items.append(made)
        if budget[0] < 0:
            raise _LimitError(f"数据项过多（上限 {MAX_NODES} 个，可能含有 YAML 别名炸弹）")
        return items
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _LimitError(f"不是有效的数字（{value}）")
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        _check_decimal(value)
        return value
    if isinstance(value, int):
        if abs(value) >= _INT_LIMIT:
            raise _LimitError(f"数字位数过多（上限 {MAX_NUMBER_DIGITS} 位）")
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return ForeignValue(value)


class ForeignValue:
    """A value no JSON or YAML file can hold (a complex number, a `Fraction`, a set, bytes…),
    passed in a dict by a Python caller. Kept in place, so the schema check names it as a
    wrong type at its path (it is none of JSON's types), and no rule computes with it."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"{type(self.value).__name__} {self.value!r}"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ForeignValue) and other.value == self.value

    def __hash__(self) -> int:
        return hash(repr(self))


def _plain(value: Any) -> bool:
    """Whether `value` is kept as it is: text, true/false, null or a small whole number."""
    kind = type(value)
    return kind is str or kind is bool or value is None or (
        kind is int and -_INT_LIMIT < value < _INT_LIMIT)


def _key_text(key: Any) -> str:
    # -- YAML allows non-text keys (2025: …, true: …); the schema then names them as text --
    if isinstance(key, (datetime, date)):
        return key.isoformat()
    return str(key)


def _check_decimal(value: Decimal) -> None:
    if not value.is_finite():
        raise _LimitError(f"不是有效的数字（{value}）")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    whole = max(value.adjusted() + 1, 1)
    fraction = max(-exponent, 0)
    if whole + fraction > MAX_NUMBER_DIGITS:
        raise _LimitError(f"数字位数过多（{value}，写出后超过 {MAX_NUMBER_DIGITS} 位）")


def _parse_json(text: str, name: str, first_line: int = 1) -> Any:
    try:
        # -- whole numbers parsed by json itself (a hook per number cost a fifth of a load;
        # `_convert` refuses the long ones, located), unless Python's cap on digits is off:
        # then converting a long one takes quadratic time, and the hook refuses it first --
        return json.loads(text, parse_float=Decimal, parse_int=_int_parser(),
                          parse_constant=_no_constant, object_pairs_hook=_json_object)
    except json.JSONDecodeError as exc:
        raise DataFileError(json_syntax_message(exc, name, first_line)) from exc
    except RecursionError:
        raise DataFileError(f"{name}：嵌套层级过深（上限 {MAX_DEPTH} 层）") from None
    except ValueError as exc:
        # -- Python's own cap on converting digits (4,300 by default), said in Chinese --
        digits = _INT_DIGITS.search(str(exc))
        if digits is not None:
            raise DataFileError(f"{name}：数字位数过多（{digits.group(1)} 位，上限 "
                                f"{MAX_NUMBER_DIGITS} 位）") from None
        raise DataFileError(f"{name}：{exc}") from exc


_INT_DIGITS = re.compile(r"value has (\d+) digits")


def _int_parser() -> Callable[[str], int] | None:
    cap = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    return None if 0 < cap <= 10_000 else _json_int


def _json_int(token: str) -> int:
    digits = len(token.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        raise ValueError(f"数字位数过多（{digits} 位，上限 {MAX_NUMBER_DIGITS} 位）")
    return int(token)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"同一对象中字段 “{key}” 出现了两次（后者会覆盖前者），请删去一个")
            seen.add(key)
    return found


def _no_constant(token: str) -> Any:
    raise ValueError(f"不允许使用 {token}（不是有效的数字）")


def _parse_yaml(text: str, name: str) -> Any:
    try:
        import yaml
    except ImportError as exc:
        raise UsageError("读取 YAML 需要 PyYAML：pip install 'docgen-gov[yaml]'") from exc

    class Loader(yaml.SafeLoader):
        """Safe YAML with exact decimals, bounded integers and dates kept as ISO text."""

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
            seen: set[str] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _YAML_MERGE:
                    if key_node.value in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None,
                            f"同一对象中字段 “{key_node.value}” 出现了两次（后者会覆盖前者），"
                            "请删去一个", key_node.start_mark)
                    seen.add(key_node.value)
            return super().construct_mapping(node, deep=deep)

    def decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        value = loader.construct_yaml_float(node)
        if value != value or value in (float("inf"), float("-inf")):
            raise yaml.constructor.ConstructorError(
                None, None, f"不允许使用 {node.value}（不是有效的数字）", node.start_mark)
        try:
            return Decimal(str(node.value).replace("_", ""))
        except InvalidOperation:  # -- 1:30.5, YAML 1.1's base-60 notation --
            return Decimal(repr(value))

    def integer(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        digits = str(node.value).lstrip("+-").replace("_", "")
        if len(digits) > MAX_NUMBER_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"数字位数过多（上限 {MAX_NUMBER_DIGITS} 位）", node.start_mark)
        return loader.construct_yaml_int(node)

    def text_date(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        return str(loader.construct_scalar(node))

    Loader.add_constructor("tag:yaml.org,2002:float", decimal)
    Loader.add_constructor("tag:yaml.org,2002:int", integer)
    Loader.add_constructor("tag:yaml.org,2002:timestamp", text_date)
    try:
        return yaml.load(text, Loader=Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" 第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        raise DataFileError(f"{name}{where}：YAML 格式错误（{exc.problem}）") from exc
    except yaml.YAMLError as exc:
        raise DataFileError(f"{name}：YAML 格式错误（{exc}）") from exc
    except RecursionError:
        raise DataFileError(f"{name}：嵌套层级过深（上限 {MAX_DEPTH} 层）") from None
    except ValueError as exc:
        raise DataFileError(f"{name}：YAML 格式错误（{exc}）") from exc
