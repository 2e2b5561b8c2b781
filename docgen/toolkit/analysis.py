"""The template analysis: tag structure, fields and filters, what is never shown."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from docgen.engine.schema_tree import children, is_leaf, resolve_node, schema_props
from docgen.errors import (
    Issue,
    Severity,
    TemplateLocation,
    pointer,
)
from docgen.kinds import (
    ReportKind,
)
from docgen.toolkit.expressions import ExpressionWalk
from docgen.toolkit.fields import Path_, dotted, schema_entries, schema_labels
from docgen.toolkit.model import FIGURE, Finding, Sink, as_path, suggest
from docgen.toolkit.ooxml import Para
from docgen.toolkit.tags import (
    BLOCKS,
    BRACES,
    DUMMIES,
    ENDS,
    KNOWN_TAGS,
    MIDDLE,
    QUOTES,
    UNSUPPORTED,
    Tag,
    fullwidth,
    halfwidth,
    jinja_message,
    parse_error,
    scan,
)

#: Every code `check_template` uses, with its severity. The codes are stable.
CODES: Mapping[str, Severity] = {
    "TEMPLATE-FILE": "error",       # not a Word document, unreadable, too large, XXE
    "TEMPLATE-SYNTAX": "error",     # tags: unclosed, stray, misplaced, unknown, malformed
    "TEMPLATE-FIELD": "error",      # a name the schema does not have (with did-you-mean)
    "TEMPLATE-FILTER": "error",     # an unknown filter or test, or wrong filter arguments
    "TEMPLATE-SECURITY": "error",   # what the sandbox forbids, or escaping switched off
    "TEMPLATE-LIMIT": "error",      # nesting too deep, too complex, too many parts (limits)
    "TEMPLATE-EXTERNAL": "error",   # linked files/URLs, INCLUDE*/DDE* fields, OLE objects
    "TEMPLATE-FULLWIDTH": "warning",  # ｛｛ ｝｝ typed with a Chinese input method
    "TEMPLATE-UNUSED": "warning",   # schema data the template never shows
    "TEMPLATE-LITERAL": "warning",  # a figure typed in a table cell where a field belongs
}


def field_pointer(path: Path_) -> str:
    """The JSON Pointer of a schema place, or "" when it runs through an array's items.

    >>> field_pointer(("applications", "results", "total")), field_pointer(("x", "[]", "y"))
    ('/applications/results/total', '')
    """
    return "" if "[]" in path else pointer(*path)


class Analysis(ExpressionWalk):
    """Collects every problem of one template checked against one kind."""

    def __init__(self, kind: ReportKind, schema: Mapping[str, Any]) -> None:
        self.kind = kind
        self.schema = schema
        self.findings: list[Finding] = []
        self.used: Sink = {}
        self.printed: dict[tuple[str, int], list[Path_]] = {}
        self.parts: dict[str, list[Para]] = {}
        self.tags: dict[tuple[str, int], list[Tag]] = {}
        self.part_order: dict[str, int] = {}
        root = resolve_node(schema, schema)
        self.top = list(schema_props(schema, root))
        extra = kind.extra.get("template_names", ()) if kind.extra else ()
        self.top += [str(n) for n in extra if str(n) not in self.top]
        self._nodes: dict[Path_, dict[str, Any] | None] = {}
        self._para: Para | None = None
        self._line_paras: list[Para] = []

    # -- recording ---------------------------------------------------------------------------

    def add(self, code: str, message: str, para: Para | None = None,
            span: tuple[int, int] | None = None, *, labels: tuple[str, ...] = (),
            expected: Any = None, actual: Any = None,
            location: TemplateLocation | None = None, field: Path_ = (),
            quote: bool = True) -> None:
        severity = CODES[code]
        if location is None and para is not None:
            location = para.location
        context = _context(para, span) if para is not None and quote else None
        issue = Issue(code=code, path=field_pointer(field), message=message, severity=severity,
                      labels=labels, expected=expected, actual=actual, context=context,
                      stage="template", location=location)
        order = (self.part_order.get(para.part, 99), para.index, span[0] if span else 0) \
            if para is not None else (999, 0, 0)
        self.findings.append(Finding(issue, para.part if para else None,
                                      para.index if para else None, span, order))

    # -- one part ----------------------------------------------------------------------------

    def check_part(self, part: str, paras: list[Para]) -> None:
        self.part_order.setdefault(part, len(self.part_order))
        self.parts[part] = paras
        tags: list[Tag] = []
        for para in paras:
            found, unclosed = scan(para)
            self.tags[(part, para.index)] = found
            tags += found
            self._check_text(para, found, unclosed)
        self._drop_replaced(tags)
        raw = False
        for tag in tags:
            if raw and not (tag.kind == "{%" and tag.name == "endraw"):
                tag.state = "raw"  # -- text inside {% raw %}: not a tag --
                continue
            raw = tag.kind == "{%" and tag.name == "raw" and tag.state == "ok"
            if tag.state == "ok":
                self._check_tag(tag)
        inserts, tail = self._check_structure(tags)
        self._walk_part(part, paras, tags, inserts, tail)

    def _check_text(self, para: Para, tags: list[Tag], unclosed: list[tuple[int, str]]) -> None:
        """Unclosed tags, full-width braces and stray closers in one paragraph."""
        text = para.text.translate(QUOTES)
        for start, opener in unclosed:
            closer = {"{{": "}}", "{%": "%}", "{#": "#}"}[opener]
            rest = text[start:]
            hint = ""
            if "｝" in rest or "％" in rest:
                hint = "；结束符是全角字符（中文输入法），请改为半角 " + closer
            elif rest.count('"') % 2 or rest.count("'") % 2:
                hint = "；标签中的引号没有配对"
            snippet = rest[:40]
            self.add("TEMPLATE-SYNTAX", f"标签 {snippet} 没有结束符 {closer}{hint}", para,
                     (start, min(len(text), start + 40)))
        masked = list(text)
        for tag in tags:
            masked[tag.start:tag.end] = " " * (tag.end - tag.start)
        for start, _ in unclosed:  # -- reported above, with a hint on full-width closers --
            masked[start:] = " " * (len(masked) - start)
        plain = "".join(masked)
        for m in BRACES.finditer(plain):
            found = m.group()
            span = (m.start(), m.end())
            if re.search("[｛｝％]", found):
                self.add("TEMPLATE-FULLWIDTH",
                         f"“{found}”是全角字符（中文输入法输入），不会被当作标签，会原样印在"
                         "文档里；请切换到英文输入法，改为半角 {{ }} 或 {% %}", para, span)
            elif re.search(r"\s", found):
                self.add("TEMPLATE-SYNTAX",
                         f"“{found}”两个括号之间有空格，不会被当作标签，会原样印在文档里；"
                         "请删去空格", para, span)
            elif found in ("}}", "%}"):
                opener = "{{" if found == "}}" else "{%"
                self.add("TEMPLATE-SYNTAX",
                         f"多余的 {found}：前面没有与之配对的 {opener}", para, span)

    def _drop_replaced(self, tags: list[Tag]) -> None:
        """Apply docxtpl's ``{%tr %}``/``{%tc %}``/``{%p %}``: the container keeps only the tag."""
        for prefix, label in (("tr", "表格行"), ("tc", "单元格"), ("p", "段落")):
            groups: dict[Any, list[Tag]] = {}
            for tag in tags:
                if tag.state != "ok":
                    continue
                para = tag.para
                if prefix == "p":
                    key: Any = (para.part, para.index)
                elif para.cell is None or para.textbox:
                    key = None
                else:
                    key = (para.part, para.cell) if prefix == "tc" else (para.part, para.cell[:2])
                groups.setdefault(key, []).append(tag)
            for key, members in groups.items():
                own = [t for t in members if t.prefix == prefix]
                if not own:
                    continue
                if key is None:
                    for tag in own:
                        tag.state = "removed"  # -- docxtpl leaves it: an unknown tag --
                        self.add("TEMPLATE-SYNTAX",
                                 f"{tag.shown} 只能写在表格里（{{%{prefix} %}} 作用于它所在的"
                                 f"{label}）；正文段落中的循环、条件请用 {{%p … %}}",
                                 tag.para, tag.span)
                    continue
                keeper = own[-1]
                for tag in members:
                    if tag is not keeper:
                        tag.state = "dropped"
                        self.add("TEMPLATE-SYNTAX",
                                 f"{tag.shown} 与 {keeper.shown} 在同一{label}中：生成时整个"
                                 f"{label}只保留 {keeper.shown}，这个标签会被删除；请把它移到"
                                 f"另一{label}", tag.para, tag.span)
                self._check_leftover_text(keeper, prefix, label, members)

    def _check_leftover_text(self, keeper: Tag, prefix: str, label: str,
                             members: list[Tag]) -> None:
        """Text sharing a paragraph/row/cell with ``{%p %}``/``{%tr %}`` is deleted."""
        para = keeper.para
        if prefix == "p":
            paras = [para]
        else:
            depth = 3 if prefix == "tc" else 2
            paras = [p for p in self.parts.get(para.part, []) if p.cell is not None
                     and para.cell is not None and p.cell[:depth] == para.cell[:depth]]
            if para not in paras:
                paras.append(para)
        spans = {(t.para.index, t.start, t.end) for t in members}
        for p in paras:
            own = [(s, e) for (i, s, e) in spans if i == p.index]
            chars = [c for k, c in enumerate(p.text) if not any(s <= k < e for s, e in own)]
            left = "".join(chars).strip()
            if left:
                self.add("TEMPLATE-SYNTAX",
                         f"{keeper.shown} 所在的{label}里还有文字“{left[:30]}”：生成时整个"
                         f"{label}被这个标签取代，这些文字会丢失；请把 {keeper.shown} 单独放"
                         f"在一个{label}里", p, keeper.span if p is para else None)
                return

    def _check_tag(self, tag: Tag) -> None:
        """The inside of one tag: a known tag name, and Jinja can parse it."""
        if tag.kind == "{#":
            return
        if tag.prefix in ("p", "tr", "tc") and re.search(r"[%}]", tag.source[2:-2]):
            tag.state = "broken"
            self.add("TEMPLATE-SYNTAX", f"{tag.shown}：{{%{tag.prefix} … %}} 标签内不能含有 % 或 }}"
                     "（docxtpl 因此认不出它）；请把含这些字符的文字放在 {% set %} 中，"
                     "或改写条件", tag.para, tag.span)
            return
        if tag.kind == "{%":
            name = tag.name
            if name in UNSUPPORTED:
                tag.state = "broken"
                self.add("TEMPLATE-SYNTAX", f"{tag.shown}：模板中不能使用 {name}（Word 模板"
                         "只能是一个文件，不能引用其他模板）", tag.para, tag.span)
                return
            if name not in BLOCKS and name not in ENDS and name not in MIDDLE:
                tag.state = "broken"
                near = suggest(name, KNOWN_TAGS) if name else None
                hint = f"；是否应为 {{% {near} … %}}？" if near else ""
                if name in ("tr", "tc", "p", "r"):
                    hint = f"；docxtpl 的 {{%{name} … %}} 前缀后面要有一个空格"
                self.add("TEMPLATE-SYNTAX", f"{tag.shown}：未知的标签 “{name or tag.source}”"
                         f"{hint}", tag.para, tag.span)
                return
        error = parse_error(self._wrapped(tag))
        if error is not None:
            tag.state = "broken"
            message = jinja_message(error)
            wide = fullwidth(tag.source)
            if wide:
                fixes = "、".join(f"“{c}”→“{halfwidth(c)}”" for c in wide)
                message = (f"标签中有全角字符或 Word 自动更正的符号（{fixes}），请用英文输入法"
                           "改为半角；" + message)
            if tag.name == "else" and re.match(r"\{%[-+]?\s*else\s+if\b", tag.source):
                message = "“else if” 应写作 elif；" + message
            self.add("TEMPLATE-SYNTAX", f"{tag.shown}：{message}", tag.para, tag.span)

    def _wrapped(self, tag: Tag) -> str:
        """The tag alone, completed with its end tag or opener so that Jinja can parse it."""
        source, name = tag.source, tag.name
        if tag.kind != "{%":
            return source
        if name == "raw":
            return source + "{% endraw %}"
        if name == "set":
            return source + ("{% endset %}" if tag.is_block_set() else "")
        if name in BLOCKS:
            return source + "{% " + BLOCKS[name] + " %}"
        if name in MIDDLE:
            return "{% if true %}" + source + "{% endif %}"
        if name in ENDS:
            return DUMMIES[ENDS[name]] + source
        return source

    def _check_structure(self, tags: list[Tag]) -> tuple[dict[int, list[str]], list[str]]:
        """Match block tags; report unclosed ones at their opening tag, stray ends at theirs.

        Returns the end tags to insert before a tag (by position) and at the end of the part,
        so that the rest of the part can still be parsed and its fields checked.
        """
        stack: list[tuple[Tag, str, bool]] = []   # (tag, block name, else seen)
        inserts: dict[int, list[str]] = {}
        for position, tag in enumerate(tags):
            if tag.kind != "{%" or tag.state not in ("ok", "broken"):
                continue
            name = tag.name
            if name in BLOCKS and (name != "set" or tag.is_block_set()):
                stack.append((tag, name, False))
            elif name in MIDDLE:
                allowed = MIDDLE[name]
                if not stack or stack[-1][1] not in allowed:
                    tag.state = "removed"
                    self.add("TEMPLATE-SYNTAX", f"多余的 {tag.shown}：它前面没有未结束的 "
                             + " 或 ".join(f"{{% {a} %}}" for a in allowed), tag.para, tag.span)
                elif stack[-1][2]:
                    tag.state = "removed"
                    self.add("TEMPLATE-SYNTAX", f"{tag.shown} 写在了同一组 {{% else %}} 之后；"
                             "else 必须是最后一个分支", tag.para, tag.span)
                else:
                    self._check_pair(stack[-1][0], tag)
                    if name == "else":
                        stack[-1] = (stack[-1][0], stack[-1][1], True)
            elif name in ENDS:
                base = ENDS[name]
                if stack and stack[-1][1] == base:
                    self._check_pair(stack.pop()[0], tag)
                elif any(entry[1] == base for entry in stack):
                    while stack[-1][1] != base:
                        opener, block, _ = stack.pop()
                        inserts.setdefault(position, []).append("{% end" + block + " %}")
                        self.add("TEMPLATE-SYNTAX",
                                 f"{opener.shown} 没有对应的 {{% end{block} %}}：它应在 "
                                 f"{tag.para.where} 的 {tag.shown} 之前结束（标签不能交叉）",
                                 opener.para, opener.span)
                    self._check_pair(stack.pop()[0], tag)
                else:
                    tag.state = "removed"
                    self.add("TEMPLATE-SYNTAX", f"多余的 {tag.shown}：它前面没有未结束的 "
                             f"{{% {base} %}}", tag.para, tag.span)
        tail: list[str] = []
        for opener, block, _ in reversed(stack):
            tail.append("{% end" + block + " %}")
            closing = "{%" + (opener.prefix + " " if opener.prefix else " ") + "end" + block + " %}"
            self.add("TEMPLATE-SYNTAX",
                     f"{opener.shown} 没有对应的 {{% end{block} %}}：请在它要结束的地方加上 "
                     f"{closing}", opener.para, opener.span)
        return inserts, tail

    def _check_pair(self, opener: Tag, tag: Tag) -> None:
        """The tags of one block must sit where docxtpl can cut the document cleanly.

        Otherwise the generated XML is broken (Word cannot open it) or paragraphs merge.
        """
        mine, theirs = tag.para, opener.para
        reason = ""
        if tag.prefix != opener.prefix:
            same = f"{{%{opener.prefix} …%}}" if opener.prefix else "不带前缀的 {% … %}"
            reason = f"两者前缀不同，生成的文档会损坏；应同样写成{same}"
        elif not tag.prefix and (mine.part, mine.index) != (theirs.part, theirs.index):
            reason = ("不带 p 的 {% %} 标签只能在同一段内配对；跨段落的条件或循环请用 {%p … %}，"
                      "并让每个 {%p %} 标签单独成段")
        elif tag.prefix == "tr" and (mine.cell or (0,))[0] != (theirs.cell or (0,))[0]:
            reason = "{%tr %} 的开始和结束必须在同一个表格里"
        elif tag.prefix == "tc" and (mine.cell or (0, 0))[:2] != (theirs.cell or (0, 0))[:2]:
            reason = "{%tc %} 的开始和结束必须在同一表格行里"
        elif tag.prefix == "p" and (mine.cell, mine.textbox) != (theirs.cell, theirs.textbox):
            reason = ("{%p %} 的开始和结束必须都在正文中，或都在同一个单元格里；"
                      "否则生成的文档会损坏")
        if reason:
            self.add("TEMPLATE-SYNTAX", f"{tag.shown} 与 {opener.shown}（{theirs.where}）不配套："
                     + reason, mine, tag.span)

    # -- the whole document ------------------------------------------------------------------

    def finish(self) -> None:
        """Checks over the whole template: fields never shown, figures typed in table rows."""
        # -- fields shown through computed ones (title ← agency, year…) and fields no template
        # -- is expected to show come from the kind: ReportKind.extra["template_implied"/"_hidden"]
        extra = self.kind.extra or {}
        implied = {as_path(shown): tuple(as_path(f) for f in feeds)
                   for shown, feeds in dict(extra.get("template_implied", {})).items()}
        hidden = [as_path(h) for h in extra.get("template_hidden", ())]
        used = dict(self.used)
        for shown, feeds in implied.items():
            where = next((p for u, p in self.used.items() if u[:len(shown)] == shown
                          or shown[:len(u)] == u), None)
            if where is not None:
                for fed in feeds:
                    used.setdefault(fed, where)
        unused: list[Path_] = []
        self._unused(resolve_node(self.schema, self.schema), (), used, hidden, unused)
        self._literals(unused)

    def _unused(self, node: dict[str, Any], path: Path_, used: Sink, hidden: list[Path_],
                found: list[Path_]) -> None:
        for key, raw in children(self.schema, node):
            child_path = (*path, key)
            child = resolve_node(self.schema, raw)
            if any(child_path[:len(h)] == h for h in hidden):
                continue
            if any(child_path[:len(u)] == u for u in used):
                continue
            partly = any(u[:len(child_path)] == child_path for u in used)
            if partly and not is_leaf(self.schema, child):
                self._unused(child, child_path, used, hidden, found)
                continue
            leaves = [e.path for e in schema_entries(self.schema, child, child_path)
                      if e.leaf] or [child_path]
            found += leaves
            near = self._nearest(child_path, used)
            where = near.row_where if near is not None else ""
            place = near.row_location if near is not None else TemplateLocation(place="")
            shown = dotted(child_path)
            labels = schema_labels(self.schema, child_path)
            if is_leaf(self.schema, child):
                hint = ""
                if near is not None and near.cell is not None:
                    hint = f"；同组的其他字段在 {where}，是否漏了一个单元格？"
                elif near is not None:
                    hint = f"；同组的其他字段在 {where}"
                message = f"模板没有使用字段 {shown}，这项数据不会出现在生成的文档中{hint}"
            else:
                sample = "、".join(dotted(p) for p in leaves[:3])
                more = "等" if len(leaves) > 3 else ""
                message = (f"模板没有使用 {shown} 下的全部 {len(leaves)} 个字段（{sample}{more}），"
                           "这些数据不会出现在生成的文档中")
            self.add("TEMPLATE-UNUSED", message, near, None, labels=labels, location=place,
                     field=child_path, actual=shown, quote=False)

    def _nearest(self, path: Path_, used: Sink) -> Para | None:
        """Where the fields closest to `path` (its siblings, then cousins) are shown."""
        best, best_length = None, 0
        for other, para in used.items():
            length = 0
            for a, b in zip(path, other, strict=False):
                if a != b:
                    break
                length += 1
            if length > best_length and length >= max(1, len(path) - 2):
                best, best_length = para, length
        return best

    def _literals(self, unused: list[Path_]) -> None:
        """A table cell holding only a figure, in a row whose other cells are fields."""
        for part, paras in self.parts.items():
            rows: dict[tuple[int, int], dict[int, list[Para]]] = {}
            for para in paras:
                if para.cell is not None and not para.textbox:
                    rows.setdefault(para.cell[:2], {}).setdefault(para.cell[2], []).append(para)
            for cells in rows.values():
                fields = {c for c, ps in cells.items() if any(
                    t.kind == "{{" and t.state == "ok"
                    for p in ps for t in self.tags.get((part, p.index), []))}
                if len(fields) < 2:
                    continue
                for column, ps in cells.items():
                    text = "".join(p.text for p in ps).strip()
                    if column in fields or not FIGURE.match(text):
                        continue
                    parents = {path[:-1] for p in (q for c in fields for q in cells[c])
                               for path in self.printed.get((part, p.index), [])}
                    candidates = [u for u in unused if u[:-1] in parents]
                    hint = ""
                    if candidates:
                        hint = "；是否应为 " + " 或 ".join(
                            f"{{{{ {dotted(c)} }}}}" for c in candidates[:3]) + "？"
                    self.add("TEMPLATE-LITERAL",
                             f"这一格是固定的数字“{text}”，而同一行的其他格都是字段：生成的报告里"
                             f"这一格永远是 {text}{hint}", ps[0], (0, len(ps[0].text)),
                             expected=dotted(candidates[0]) if len(candidates) == 1 else None,
                             actual=text)





def _context(para: Para, span: tuple[int, int] | None) -> str | None:
    """The paragraph's text around the problem, short enough for one line."""
    text = para.text
    if len(text) > 70:
        start, end = span or (0, 0)
        left = max(0, start - 20)
        text = text[left:max(end, start) + 40]
    text = text.strip()
    return text or None
