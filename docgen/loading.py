"""Read report data from JSON or YAML files (or take a dict), exactly and within limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from docgen.errors import DataFileError, UsageError

#: Larger data files are refused: a real report is a few dozen KB; 10 MB inputs must still load.
MAX_BYTES = 16 * 1024 * 1024
#: Deeper nesting is refused (a report is about six levels deep).
MAX_DEPTH = 32
#: More values than this (counting what YAML aliases expand to) are refused.
MAX_NODES = 500_000

YAML_SUFFIXES = (".yaml", ".yml")


def load(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Return the report held in `source`: a path to a JSON or YAML file, or a mapping.

    Numbers with a fraction become `Decimal` (never `float`, so ``4068.208`` stays exact);
    YAML dates become ISO strings. Raises `UsageError` for a missing file and `DataFileError`
    (with line and column) for a file that is not valid JSON or YAML or breaks a limit.
    """
    if isinstance(source, Mapping):
        return as_report(source, "数据")
    path = Path(source)
    name = str(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise UsageError(f"{name} 是文件夹，不是数据文件")
        if size > MAX_BYTES:
            raise DataFileError(f"{name}：文件过大（{size} 字节，上限 {MAX_BYTES} 字节）")
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise UsageError(f"找不到数据文件：{name}") from exc
    except PermissionError as exc:
        raise UsageError(f"无权读取数据文件：{name}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{name}：不是 UTF-8 编码的文本（第 {exc.start + 1} 个字节）") from exc
    if path.suffix.lower() in YAML_SUFFIXES:
        data = _parse_yaml(text, name)
    else:
        data = _parse_json(text, name)
    return as_report(data, name)


def as_report(data: Any, name: str) -> dict[str, Any]:
    """Return `data` as a report dict: floats made `Decimal`, dates made ISO strings.

    Checks the limits on depth and size so a hostile input fails with a clear message.
    """
    if not isinstance(data, Mapping):
        raise DataFileError(f"{name}：顶层应为对象（{{…}}），实为 {type(data).__name__}")
    budget = [MAX_NODES]
    converted = _convert(data, 0, budget, name)
    assert isinstance(converted, dict)
    return converted


def _convert(value: Any, depth: int, budget: list[int], name: str) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise DataFileError(f"{name}：数据项过多（上限 {MAX_NODES} 个，可能含有 YAML 别名炸弹）")
    if depth > MAX_DEPTH:
        raise DataFileError(f"{name}：嵌套层级过深（上限 {MAX_DEPTH} 层）")
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, str) else k: _convert(v, depth + 1, budget, name)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_convert(v, depth + 1, budget, name) for v in value]
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _parse_json(text: str, name: str) -> Any:
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise DataFileError(
            f"{name} 第 {exc.lineno} 行第 {exc.colno} 列：JSON 格式错误（{exc.msg}）"
        ) from exc
    except RecursionError as exc:
        raise DataFileError(f"{name}：嵌套层级过深（上限 {MAX_DEPTH} 层）") from exc
    except ValueError as exc:
        raise DataFileError(f"{name}：{exc}") from exc


def _no_constant(token: str) -> Any:
    raise ValueError(f"不允许使用 {token}（不是有效的数字）")


def _parse_yaml(text: str, name: str) -> Any:
    try:
        import yaml
    except ImportError as exc:
        raise UsageError("读取 YAML 需要 PyYAML：pip install 'docgen[yaml]'") from exc

    class Loader(yaml.SafeLoader):
        """Safe YAML with exact decimals and dates kept as ISO text."""

    def decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        value = loader.construct_yaml_float(node)
        return Decimal(str(loader.construct_scalar(node))) if value == value and abs(
            value) != float("inf") else value

    def text_date(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        return str(loader.construct_scalar(node))

    Loader.add_constructor("tag:yaml.org,2002:float", decimal)
    Loader.add_constructor("tag:yaml.org,2002:timestamp", text_date)
    try:
        return yaml.load(text, Loader=Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" 第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        raise DataFileError(f"{name}{where}：YAML 格式错误（{exc.problem}）") from exc
    except yaml.YAMLError as exc:
        raise DataFileError(f"{name}：YAML 格式错误（{exc}）") from exc
    except RecursionError as exc:
        raise DataFileError(f"{name}：嵌套层级过深（上限 {MAX_DEPTH} 层）") from exc
