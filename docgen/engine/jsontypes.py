"""JSON types: the type of a loaded value and the Chinese name of each, in one table.

Imports nothing but the standard library, so `docgen.load` can name types without jsonschema.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

#: What each JSON Schema type is called in messages about what a field accepts.
TYPE_NAMES = {
    "integer": "整数",
    "number": "数字",
    "string": "文字",
    "boolean": "是/否（true/false）",
    "array": "列表",
    "object": "对象",
    "null": "空值 null",
}

#: The types of a loaded value that hold no other value: what copies and walks of loaded data
#: keep as they are, without a call.
SCALAR_TYPES = frozenset({str, int, bool, type(None), Decimal})

#: What a value the data holds is called (a decimal is "小数" there).
VALUE_NAMES = {**TYPE_NAMES, "boolean": "是/否", "number": "小数", "null": "空值"}


def json_type(value: Any) -> str:
    """Return the JSON Schema type name of a (loaded) data value.

    >>> json_type(3), json_type(True), json_type(None), json_type([])
    ('integer', 'boolean', 'null', 'array')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, (float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, (list, tuple)) else "object"


def value_name(value: Any) -> str:
    """Return the Chinese name of the type of a loaded value.

    >>> value_name([1]), value_name("x"), value_name(Decimal("1.5"))
    ('列表', '文字', '小数')
    """
    return VALUE_NAMES[json_type(value)]
