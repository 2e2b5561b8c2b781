"""Walking a template's Jinja syntax tree: which fields each expression reaches."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import nodes

from docgen.engine import fill
from docgen.engine.formatting import FILTERS
from docgen.engine.schema_tree import (
    children,
    is_array,
    is_leaf,
    is_open,
    node_at,
    schema_props,
    schema_types,
)
from docgen.errors import TemplateLocation
from docgen.toolkit.fields import Path_, dotted, schema_entries, schema_labels
from docgen.toolkit.model import (
    DICT_ATTRS,
    FILTER_INPUTS,
    LIST_ATTRS,
    LOOP_ATTRS,
    NUMBER_ATTRS,
    STR_ATTRS,
    Bind,
    Ref,
    Scope,
    Sink,
    filter_usage,
    suggest,
    unsafe,
)
from docgen.toolkit.ooxml import Para
from docgen.toolkit.tags import DUMMIES, ENDS, Tag, jinja_message


class ExpressionWalk:
    """The syntax-tree half of the analysis: `Analysis` holds the state and records findings."""

    schema: Mapping[str, Any]
    top: list[str]
    used: Sink
    printed: dict[tuple[str, int], list[Path_]]
    tags: dict[tuple[str, int], list[Tag]]
    _nodes: dict[Path_, dict[str, Any] | None]
    _para: Para | None
    _line_paras: list[Para]

    def add(self, code: str, message: str, para: Para | None = None,
            span: tuple[int, int] | None = None, *, labels: tuple[str, ...] = (),
            expected: Any = None, actual: Any = None,
            location: TemplateLocation | None = None, field: Path_ = (),
            quote: bool = True) -> None:
        raise NotImplementedError

    def _walk_part(self, part: str, paras: list[Para], tags: list[Tag],
                   inserts: dict[int, list[str]], tail: list[str]) -> None:
        """Parse the repaired part and check every expression in it."""
        if not paras:
            return
        lines: list[list[str]] = [[] for _ in paras]
        for position, tag in enumerate(tags):
            line = lines[tag.para.index]
            line += inserts.get(position, [])
            if tag.kind == "{#":
                continue
            if tag.state == "ok":
                line.append(tag.source)
            elif tag.state == "broken" and tag.kind == "{%" and (
                    tag.name in DUMMIES or tag.name in ENDS):
                line.append(DUMMIES.get(tag.name) or "{% " + tag.name + " %}")
        lines[-1] += tail
        source = "\n".join(" ".join(line) for line in lines)
        try:
            tree = fill.ENVIRONMENT.parse(source)
        except Exception as exc:  # -- a syntax error this module does not model --
            line_no = getattr(exc, "lineno", None)
            if line_no is None:
                raise
            para = paras[min(max(int(line_no), 1), len(paras)) - 1]
            self.add("TEMPLATE-SYNTAX", jinja_message(exc), para)
            return
        self._line_paras = paras
        self._para = paras[0]
        self._statements(tree.body, {})

    # -- walking the template's syntax tree --------------------------------------------------

    def _at(self, node: Any) -> None:
        line = getattr(node, "lineno", None)
        if isinstance(line, int) and self._line_paras:
            self._para = self._line_paras[min(max(line, 1), len(self._line_paras)) - 1]

    def _span(self, needle: str) -> tuple[int, int] | None:
        para = self._para
        if para is None:
            return None
        for tag in self.tags.get((para.part, para.index), []):
            if needle in tag.source:
                return tag.span
        return None

    def _report(self, code: str, message: str, needle: str, **extra: Any) -> None:
        self.add(code, message, self._para, self._span(needle), **extra)

    def _statements(self, body: Iterable[Any], scope: Scope) -> None:
        for node in body:
            self._statement(node, scope)

    def _statement(self, node: Any, scope: Scope) -> None:
        # -- one branch per kind of Jinja statement, each a few lines: long, but read as a table --
        self._at(node)
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData):
                    self._at(child)
                    self._output(child, scope)
        elif isinstance(node, nodes.If):
            self._expr(node.test, scope, None)
            self._statements(node.body, scope)
            for branch in node.elif_:
                self._statement(branch, scope)
            self._statements(node.else_, scope)
        elif isinstance(node, nodes.For):
            found = self._expr(node.iter, scope, None)
            inner = dict(scope)
            self._bind(node.target, self._item(found), inner)
            inner["loop"] = Bind(loop=True)
            if node.test is not None:
                self._expr(node.test, inner, None)
            self._statements(node.body, inner)
            self._statements(node.else_, scope)
        elif isinstance(node, nodes.Assign):
            uses: Sink = {}
            found = self._expr(node.node, scope, uses)
            self._bind(node.target, Bind(found, frozenset(uses)), scope)
        elif isinstance(node, nodes.AssignBlock):
            saved, self.used = self.used, {}
            self._statements(node.body, scope)
            captured, self.used = self.used, saved
            if node.filter is not None:
                self._expr(node.filter, scope, None)
            self._bind(node.target, Bind(None, frozenset(captured)), scope)
        elif isinstance(node, nodes.Macro):
            inner = dict(scope)
            for arg in node.args:
                inner[arg.name] = Bind()
            for name in ("varargs", "kwargs", "caller"):
                inner[name] = Bind()
            for default in node.defaults:
                self._expr(default, scope, None)
            scope[node.name] = Bind()
            self._statements(node.body, inner)
        elif isinstance(node, nodes.CallBlock):
            self._expr(node.call, scope, self.used)
            inner = dict(scope)
            for arg in node.args:
                inner[arg.name] = Bind()
            self._statements(node.body, inner)
        elif isinstance(node, nodes.FilterBlock):
            self._expr(node.filter, scope, None)
            self._statements(node.body, scope)
        elif isinstance(node, nodes.With):
            inner = dict(scope)
            for target, value in zip(node.targets, node.values, strict=False):
                uses = {}
                found = self._expr(value, scope, uses)
                self._bind(target, Bind(found, frozenset(uses)), inner)
            self._statements(node.body, inner)
        elif isinstance(node, (nodes.ScopedEvalContextModifier, nodes.EvalContextModifier)):
            for option in node.options:
                value = option.value
                if option.key == "autoescape" and not (
                        isinstance(value, nodes.Const) and value.value):
                    self._report("TEMPLATE-SECURITY", "{% autoescape false %} 关闭了转义：数据中的"
                                 " & < > 会损坏 Word 文档；请删去这个标签", "autoescape")
            self._statements(getattr(node, "body", []), scope)
        elif isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            return  # -- reported with the tag --
        elif isinstance(node, (nodes.Block, nodes.Scope)):
            self._statements(node.body, dict(scope))
        elif isinstance(node, nodes.ExprStmt):
            self._expr(node.node, scope, None)
        else:
            for child in node.iter_child_nodes():
                self._statement(child, scope)

    def _bind(self, target: Any, bind: Bind, scope: Scope) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = bind
        elif isinstance(target, nodes.Tuple):
            for item in target.items:
                self._bind(item, Bind(), scope)

    def _item(self, found: Ref | None) -> Bind:
        """What a loop variable stands for, from the loop's list."""
        if found is None:
            return Bind()
        if found.exact and is_array(self.schema, self._node(found.path)):
            return Bind(Ref((*found.path, "[]")))
        return Bind(Ref(found.path, exact=False))

    def _node(self, path: Path_) -> dict[str, Any] | None:
        if path not in self._nodes:
            self._nodes[path] = node_at(self.schema, path)
        return self._nodes[path]

    def _mark(self, path: Path_, sink: Sink | None) -> None:
        if sink is None or self._para is None:
            return
        sink.setdefault(path, self._para)
        if sink is self.used:
            self.printed.setdefault((self._para.part, self._para.index), []).append(path)

    def _output(self, node: Any, scope: Scope) -> None:
        if isinstance(node, nodes.Filter) and node.name == "paragraphs":
            self._report("TEMPLATE-FILTER", "paragraphs 过滤器得到的是段落列表，不能直接显示；"
                         "应写成三段：{%p for para in … | paragraphs %}、{{ para }}、"
                         "{%p endfor %}", "paragraphs")
        found = self._expr(node, scope, self.used)
        shows_value = isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem))
        if found is not None and found.exact and shows_value:
            target = self._node(found.path)
            if target is not None and not is_leaf(self.schema, target):
                names = [k for k, _ in children(self.schema, target)][:3]
                sample = "、".join(f"{dotted(found.path)}.{n}" for n in names if n != "[]")
                what = "列表" if is_array(self.schema, target) else "一组字段"
                hint = f"请写出其中的字段，如 {sample}" if sample else \
                    "请用 {%p for item in … %} 逐项显示"
                self._report("TEMPLATE-FIELD", f"{dotted(found.path)} 是{what}，不能直接显示；"
                             + hint, found.path[-1])

    def _expr(self, node: Any, scope: Scope, sink: Sink | None) -> Ref | None:
        """Check an expression; mark the fields it shows in `sink`; return what it reaches."""
        self._at(node)
        if isinstance(node, nodes.Name):
            return self._name(node.name, scope, sink)
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            return self._chain(node, scope, sink)
        if isinstance(node, nodes.Filter):
            return self._filter(node, scope, sink)
        if isinstance(node, nodes.Test):
            self._test(node, scope)
            return None
        if isinstance(node, nodes.Call):
            self._call(node, scope, sink)
            return None
        if isinstance(node, nodes.CondExpr):
            self._expr(node.test, scope, None)
            self._expr(node.expr1, scope, sink)
            if node.expr2 is not None:
                self._expr(node.expr2, scope, sink)
            return None
        for child in node.iter_child_nodes():
            self._expr(child, scope, sink)
        return None

    def _name(self, name: str, scope: Scope, sink: Sink | None) -> Ref | None:
        if name in scope:
            bind = scope[name]
            for used in bind.uses:
                self._mark(used, sink)
            if bind.ref is not None:
                self._mark(bind.ref.path, sink)
            return bind.ref
        if name in fill.ENVIRONMENT.globals or name in ("true", "false", "none"):
            return None
        if name == "loop":
            self._report("TEMPLATE-FIELD", "loop 只能在 {% for %} 循环内使用", "loop")
            return None
        if name in self.top:
            self._mark((name,), sink)
            return Ref((name,))
        if name == "self":  # -- Jinja's reference to the template itself --
            return None
        if name in fill.ENVIRONMENT.filters:
            self._report("TEMPLATE-FILTER", f"{name} 是过滤器，不能像函数那样调用；应写成 "
                         f"{{{{ 值 | {name}(…) }}}}，如 {filter_usage(name)}"
                         if name in FILTERS else f"{name} 是过滤器；应写成 {{{{ 值 | {name} }}}}",
                         name)
            return None
        near = suggest(name, [*self.top, *scope])
        hint = f"；是否应为 {near}" + (f"（{' › '.join(schema_labels(self.schema, (near,)))}）"
                                      if near in self.top else "") + "？" if near else \
            "；用 docgen template fields 查看全部字段"
        self._report("TEMPLATE-FIELD", f"字段 {name} 不存在{hint}", name,
                     expected=near, actual=name)
        return None

    def _chain(self, node: Any, scope: Scope, sink: Sink | None) -> Ref | None:
        """``a.b.c`` / ``a['b']`` / ``a.0``: check every step against the schema."""
        # -- unwinds the chain, then walks it forward: one job, kept in one piece --
        keys: list[tuple[str | int, str]] = []
        base = node
        while True:
            if isinstance(base, nodes.Getattr):
                keys.append((base.attr, "." + base.attr))
            elif isinstance(base, nodes.Getitem) and isinstance(base.arg, nodes.Const) and \
                    isinstance(base.arg.value, (str, int)) and not isinstance(base.arg.value,
                                                                              bool):
                value = base.arg.value
                keys.append((value, f"[{value!r}]" if isinstance(value, str) else f".{value}"))
            else:
                break
            base = base.node
        keys.reverse()
        for key, written in keys:
            if isinstance(key, str) and unsafe(key):
                self._report("TEMPLATE-SECURITY",
                             f"模板试图访问 Python 内部属性 “{key}”：沙箱禁止这样做，"
                             "生成时必然失败；模板中只能使用数据字段", key,
                             actual=written.lstrip("."))
                return None
        root = ""
        if isinstance(base, nodes.Getitem):
            if self._has_dunder(base.arg):
                self._report("TEMPLATE-SECURITY", "模板试图拼出以 _ 开头的属性名访问 Python "
                             "内部属性：沙箱禁止这样做", "_")
                return None
            self._expr(base.arg, scope, None)
            inner = self._expr(base.node, scope, None)
            found = Ref(inner.path, exact=False) if inner is not None else None
        elif isinstance(base, nodes.Name):
            bind = scope.get(base.name)
            if bind is not None and bind.loop:
                first = keys[0][0] if keys else None
                if isinstance(first, str) and first not in LOOP_ATTRS:
                    near = suggest(first, LOOP_ATTRS)
                    hint = f"；是否应为 loop.{near}？" if near else ""
                    self._report("TEMPLATE-FIELD", f"loop.{first} 不存在（可用：loop.index、"
                                 f"loop.index0、loop.first、loop.last、loop.length…）{hint}",
                                 first, expected=f"loop.{near}" if near else None,
                                 actual=f"loop.{first}")
                return None
            root = base.name
            found = self._name(base.name, scope, None)
            if found is None and bind is not None and bind.uses and sink is not None:
                for used in bind.uses:
                    self._mark(used, sink)
        else:
            found = self._expr(base, scope, None)
        deepest = found
        for position, (key, _written) in enumerate(keys):
            if found is None or not found.exact:
                break
            step = self._step(found, key)
            if isinstance(step, str):
                self._field_problem(step, root, keys, position, found)
                return None
            found = step
            if found is not None:
                deepest = found
        if deepest is not None:
            self._mark(deepest.path, sink)
        return found

    def _has_dunder(self, node: Any) -> bool:
        if isinstance(node, nodes.Const) and isinstance(node.value, str):
            return node.value.startswith("_") or "__" in node.value
        return any(self._has_dunder(child) for child in node.iter_child_nodes())

    def _step(self, found: Ref, key: str | int) -> Ref | str | None:
        """One step down the schema: the child, None (not checkable, fine), or a problem."""
        node = self._node(found.path)
        if node is None:
            return None
        if isinstance(key, int):
            return Ref((*found.path, "[]")) if is_array(self.schema, node) else None
        if is_array(self.schema, node) and not schema_props(self.schema, node):
            return None if key in LIST_ATTRS else "array"
        props = schema_props(self.schema, node)
        if key in props:
            return Ref((*found.path, key))
        if props:
            return None if key in DICT_ATTRS or is_open(node) else "unknown"
        types = schema_types(self.schema, node) - {"null"}
        if not types or types == {"object"}:
            return None
        if types <= {"string"} and key in STR_ATTRS:
            return None
        if types <= {"integer", "number"} and key in NUMBER_ATTRS:
            return None
        return "scalar"

    def _field_problem(self, problem: str, root: str, keys: list[tuple[str | int, str]],
                       position: int, parent: Ref) -> None:
        key = str(keys[position][0])
        before = root + "".join(w for _, w in keys[:position])
        after = "".join(w for _, w in keys[position + 1:])
        written = before + keys[position][1] + after
        schema_path = dotted((*parent.path, key))
        alias = f"（即 {schema_path}）" if root and dotted(parent.path) != before else ""
        parent_label = " › ".join(schema_labels(self.schema, parent.path)) or "数据"
        if problem == "array":
            message = (f"{written}{alias}：{before} 是列表（{parent_label}），要逐项显示请用循环："
                       f"{{%p for item in {before} %}} … {{{{ item.{key} }}}} … {{%p endfor %}}")
            self._report("TEMPLATE-FIELD", message, key, actual=written)
            return
        if problem == "scalar":
            message = (f"{written}{alias}：{before}（{parent_label}）是单个数据，没有下一级字段 "
                       f"“{key}”")
            self._report("TEMPLATE-FIELD", message, key, actual=written)
            return
        node = self._node(parent.path) or {}
        candidates = list(schema_props(self.schema, node))
        near = suggest(key, candidates)
        suggestion = f"{before}.{near}{after}" if near else self._deeper(parent, key, before,
                                                                          after)
        if suggestion is not None:
            target = (*parent.path, near) if near else None
            label = " › ".join(schema_labels(self.schema, target)[-1:]) if target else ""
            hint = f"；是否应为 {suggestion}" + (f"（{label}）" if label else "") + "？"
        else:
            hint = "；此处可用的字段：" + "、".join(candidates[:12])
        space = "" if alias else " "
        message = f"字段 {written}{alias}{space}不存在：“{parent_label}”中没有 “{key}”{hint}"
        self._report("TEMPLATE-FIELD", message, key, expected=suggestion, actual=written)

    def _deeper(self, parent: Ref, key: str, before: str, after: str) -> str | None:
        """A field named `key` further down: ``applications.disclosed`` → ``…results.disclosed``."""
        for entry in schema_entries(self.schema):
            path = entry.path
            if len(path) > len(parent.path) + 1 and path[:len(parent.path)] == parent.path \
                    and path[-1] == key and "[]" not in path[len(parent.path):]:
                return before + "." + ".".join(path[len(parent.path):]) + after
        return None

    def _filter(self, node: Any, scope: Scope, sink: Sink | None) -> Ref | None:
        name = node.name
        filters = fill.ENVIRONMENT.filters
        if name not in filters:
            near = suggest(name, [*FILTERS, *filters])
            hint = f"；是否应为 {near}？" if near else ""
            self._report("TEMPLATE-FILTER", f"未知的过滤器 “{name}”{hint}（docgen 的过滤器："
                         f"{'、'.join(FILTERS)}）", name, expected=near, actual=name)
        elif name in FILTERS and node.dyn_args is None and node.dyn_kwargs is None:
            try:
                inspect.signature(FILTERS[name]).bind(
                    None, *node.args, **{k.key: None for k in node.kwargs})
            except TypeError as exc:
                self._report("TEMPLATE-FILTER", f"过滤器 {name} 的参数不对（{exc}）；"
                             f"写法：{filter_usage(name)}", name)
        if name == "safe":
            self._report("TEMPLATE-SECURITY", "safe 过滤器关闭了转义：数据中的 & < > 会损坏 "
                         "Word 文档；请删去 | safe", "safe")
        if name == "attr" and node.args and self._has_dunder(node.args[0]):
            self._report("TEMPLATE-SECURITY", "attr 过滤器试图访问 Python 内部属性：沙箱禁止"
                         "这样做，生成时必然失败", "attr")
        for arg in node.args:
            self._expr(arg, scope, sink)
        for keyword in node.kwargs:
            self._expr(keyword.value, scope, sink)
        if node.node is None:
            return None
        inner = self._expr(node.node, scope, sink)
        if inner is None:
            return None
        self._filter_input(name, inner)
        return Ref(inner.path, exact=False)

    def _filter_input(self, name: str, inner: Ref) -> None:
        """A docgen filter applied to a field it cannot format fails every render."""
        accepted = FILTER_INPUTS.get(name)
        target = self._node(inner.path) if inner.exact else None
        if accepted is None or target is None:
            return
        types = schema_types(self.schema, target) - {"null"}
        if not types or types & accepted:
            return
        what = "列表" if "array" in types else "一组字段" if "object" in types else \
            "文字" if "string" in types else "、".join(sorted(types))
        want = "数字" if accepted & {"number"} else "整数" if accepted == {"integer"} else \
            "日期或文字" if accepted == {"string"} else "数字或文字"
        label = " › ".join(schema_labels(self.schema, inner.path)[-1:])
        self._report("TEMPLATE-FILTER", f"过滤器 {name} 只能用于{want}，而 {dotted(inner.path)}"
                     f"（{label}）是{what}，生成时必然失败", name)

    def _test(self, node: Any, scope: Scope) -> None:
        if node.name not in fill.ENVIRONMENT.tests:
            near = suggest(node.name, fill.ENVIRONMENT.tests)
            hint = f"；是否应为 is {near}？" if near else ""
            self._report("TEMPLATE-FILTER", f"未知的测试 “is {node.name}”{hint}", node.name,
                         expected=near, actual=node.name)
        self._expr(node.node, scope, None)
        for arg in node.args:
            self._expr(arg, scope, None)

    def _call(self, node: Any, scope: Scope, sink: Sink | None) -> None:
        callee = node.node
        if isinstance(callee, nodes.Getattr) and callee.attr in ("format", "format_map") and \
                self._has_dunder(callee.node):
            self._report("TEMPLATE-SECURITY", "格式字符串试图访问 Python 内部属性：沙箱禁止"
                         "这样做，生成时必然失败", "format")
            return
        self._expr(callee, scope, sink)
        for arg in node.args:
            self._expr(arg, scope, sink)
        for keyword in node.kwargs:
            self._expr(keyword.value, scope, sink)
        for extra in (node.dyn_args, node.dyn_kwargs):
            if extra is not None:
                self._expr(extra, scope, sink)
