"""Walking a JSON Schema: the one ``$ref`` resolver, properties, items, types and unions.

Shared by schema checking (labels), the field reference, `docgen init` and the template
checker. Imports no third-party library: a schema is plain data here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from docgen.engine.jsontypes import json_type
from docgen.errors import split_pointer

Schema = Mapping[str, Any]

#: How many ``$ref`` hops a node may take before the chain counts as a loop.
MAX_REF_HOPS = 32


def ref_target(schema: Schema, ref: str) -> Any:
    """Return what the local reference `ref` (``#/$defs/x``) names, or {} if nothing."""
    target: Any = schema
    for part in split_pointer(ref[1:]):
        target = target.get(part, {}) if isinstance(target, Mapping) else {}
    return target


def resolve_node(schema: Schema, node: Any) -> dict[str, Any]:
    """Follow local ``$ref``s (``#/$defs/x``) until a schema with no ``$ref`` remains."""
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node and seen < MAX_REF_HOPS:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#"):
            break
        merged = {k: v for k, v in node.items() if k != "$ref"}
        node = {**ref_target(schema, ref), **merged}
        seen += 1
    return dict(node) if isinstance(node, Mapping) else {}


def branches(schema: Schema, node: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the alternatives (``anyOf``, ``oneOf``) of a schema node, each resolved."""
    return [resolve_node(schema, b) for key in ("anyOf", "oneOf") for b in node.get(key, [])]


def _is_item(node: Mapping[str, Any], part: str) -> bool:
    return "items" in node and (part.isdigit() or part == "[]")


def _child(schema: Schema, node: Mapping[str, Any], part: str) -> dict[str, Any] | None:
    """Return the sub-schema of `node` for the key, index or ``[]`` (any item) `part`."""
    props = node.get("properties")
    if isinstance(props, Mapping) and part in props:
        return resolve_node(schema, props[part])
    if _is_item(node, part):
        return resolve_node(schema, node["items"])
    for branch in branches(schema, node):
        found = _child(schema, branch, part)
        if found is not None:
            return found
    return None


def node_at(schema: Schema, parts: Iterable[str]) -> dict[str, Any] | None:
    """Return the sub-schema at `parts`, or None where the schema has none.

    A part is a property name, or an array index or ``[]`` for an array's items.
    """
    node: dict[str, Any] | None = resolve_node(schema, schema)
    for part in parts:
        if node is None:
            break
        node = _child(schema, node, part)
    return node


def labels_for(schema: Schema, path: str, *, item_labels: bool = True) -> tuple[str, ...]:
    """Return the chain of official labels (schema titles) for the JSON Pointer `path`.

    Array items are named by their position (第2项) and title; with `item_labels` false an
    item adds no label (as a template's ``sections[].title`` has none for ``[]``).
    """
    node = resolve_node(schema, schema)
    labels: list[str] = []
    for part in split_pointer(path):
        child = _child(schema, node, part)
        if child is None:
            break
        if _is_item(node, part) and not item_labels:
            node = child
            continue
        if "items" in node and part.isdigit():
            labels.append(f"第{int(part) + 1}项")
        if child.get("title") and not (labels and labels[-1] == child["title"]):
            labels.append(str(child["title"]))
        node = child
    return tuple(labels)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def ref_names(schema: Schema, node: Any) -> list[str]:
    """The names of the ``$defs`` a schema node refers to, outermost first."""
    names: list[str] = []
    seen = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and seen < MAX_REF_HOPS:
        ref = node["$ref"]
        names.append(ref.rsplit("/", 1)[-1])
        node = ref_target(schema, ref) if ref.startswith("#") else {}
        seen += 1
    return names


def schema_props(schema: Schema, node: Schema) -> dict[str, Any]:
    """The property schemas of an object node, its union branches included."""
    found: dict[str, Any] = {}
    own = node.get("properties")
    if isinstance(own, Mapping):
        found.update(own)
    for branch in branches(schema, node):
        for key, value in schema_props(schema, branch).items():
            found.setdefault(key, value)
    return found


def items_of(schema: Schema, node: Schema) -> Any:
    if "items" in node and isinstance(node["items"], Mapping):
        return node["items"]
    for branch in branches(schema, node):
        found = items_of(schema, branch)
        if found is not None:
            return found
    return None


def schema_types(schema: Schema, node: Schema) -> set[str]:
    types = {str(t) for t in as_list(node.get("type"))}
    if "properties" in node:
        types.add("object")
    if "items" in node:
        types.add("array")
    for key in ("enum", "const"):
        if key in node:
            types |= {json_type(v) for v in as_list(node[key])}
    for branch in branches(schema, node):
        types |= schema_types(schema, branch)
    return types


def is_array(schema: Schema, node: Schema | None) -> bool:
    return node is not None and items_of(schema, node) is not None


def is_open(node: Schema) -> bool:
    """Whether an object node accepts names it does not declare (a map)."""
    return isinstance(node.get("additionalProperties"), Mapping)


def is_nullable(schema: Schema, node: Schema) -> bool:
    return "null" in schema_types(schema, node) or node.get("default", 0) is None


def is_leaf(schema: Schema, node: Schema) -> bool:
    """A node shown as one value: no own properties (a union such as a table cell is one)."""
    if isinstance(node.get("properties"), Mapping) and node["properties"]:
        return False
    items = items_of(schema, node)
    return not (items is not None and not is_leaf(schema, resolve_node(schema, items)))


def children(schema: Schema, node: Schema) -> list[tuple[str, Any]]:
    """The parts below a non-leaf node: its own properties, or ``[]`` for a list of objects."""
    if is_leaf(schema, node):
        return []
    items = items_of(schema, node)
    if items is not None and not isinstance(node.get("properties"), Mapping):
        return [("[]", items)]
    return list((node.get("properties") or {}).items())
