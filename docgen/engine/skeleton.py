"""Data files to fill in: every field a schema defines, with zeros and empty texts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from docgen.engine.schema_tree import branches, resolve_node


def skeleton(schema: Mapping[str, Any], node: Mapping[str, Any] | None = None) -> Any:
    """Return a value for `node` (default: the whole schema) with every property present.

    Objects get all their properties, arrays one item, integers and numbers 0, texts "",
    dates a placeholder to replace, enums their first value; unions take their first branch
    that is not null.
    """
    current = resolve_node(schema, schema if node is None else node)
    alternatives = branches(schema, current)
    if alternatives:
        usable = [b for b in alternatives if b.get("type") != "null"]
        return skeleton(schema, (usable or alternatives)[0])
    if "enum" in current:
        return current["enum"][0]
    kind = current.get("type", "object" if "properties" in current else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {key: skeleton(schema, sub) for key, sub in current.get("properties", {}).items()}
    if kind == "array":
        return [skeleton(schema, current["items"])] if "items" in current else []
    if kind in ("integer", "number"):
        return max(0, current.get("minimum", 0))
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return "2000-01-01" if current.get("format") == "date" else ""
