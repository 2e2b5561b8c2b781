"""Template tags as docxtpl sees them: scanned from a paragraph's text, runs joined."""

from __future__ import annotations

import re
from dataclasses import dataclass

from docgen.engine import fill
from docgen.toolkit.ooxml import Para

# ============================================================================================
# Tags as docxtpl sees them
# ============================================================================================

_OPEN = re.compile(r"\{([{%#])")
_CLOSERS = {"{": "}}", "%": "%}", "#": "#}"}
_PREFIX = re.compile(r"(tr|tc|p|r) ")
QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
#: Braces a Chinese input method types, or a space inside a brace pair: never a tag.
BRACES = re.compile(r"[{｛]\s*[{｛%％]|[%％}｝]\s*[}｝]")
_FULLWIDTH_CHARS = re.compile(r"[\uff01-\uff5e\u2013\u2014\u2212\u2026]")
_LOOKALIKES = {"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "..."}

#: Block tags and their end tags.
BLOCKS = {"if": "endif", "for": "endfor", "macro": "endmacro", "call": "endcall",
           "filter": "endfilter", "with": "endwith", "autoescape": "endautoescape",
           "block": "endblock", "raw": "endraw", "set": "endset"}
ENDS = {end: start for start, end in BLOCKS.items()}
MIDDLE = {"elif": ("if",), "else": ("if", "for")}
#: Stand-ins with the same block structure for a tag whose inside is broken.
DUMMIES = {"if": "{% if true %}", "for": "{% for _x in () %}", "macro": "{% macro _m() %}",
            "call": "{% call range(1) %}", "filter": "{% filter string %}", "with": "{% with %}",
            "autoescape": "{% autoescape true %}", "block": "{% block _b %}",
            "raw": "{% raw %}", "set": "{% set _x %}", "elif": "{% elif true %}",
            "else": "{% else %}"}
UNSUPPORTED = {"include", "import", "from", "extends"}
KNOWN_TAGS = sorted({*BLOCKS, *ENDS, *MIDDLE, *UNSUPPORTED})


@dataclass
class Tag:
    """One Jinja tag in a paragraph (as docxtpl will read it)."""

    para: Para
    start: int
    end: int
    kind: str
    prefix: str
    source: str
    name: str = ""
    #: ok | dropped (docxtpl deletes it) | broken (its inside is wrong) | removed (stray)
    state: str = "ok"

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end

    @property
    def shown(self) -> str:
        """The tag as the maintainer typed it (quotes straightened)."""
        return self.para.text[self.start:self.end].translate(QUOTES)

    def is_block_set(self) -> bool:
        body = self.source[2:-2]
        return self.name == "set" and not re.search(r"(?<![=!<>])=(?!=)", body)


def scan(para: Para) -> tuple[list[Tag], list[tuple[int, str]]]:
    """Return the tags of a paragraph and the openers that are never closed in it."""
    text = para.text.translate(QUOTES)
    tags: list[Tag] = []
    unclosed: list[tuple[int, str]] = []
    i = 0
    while (m := _OPEN.search(text, i)) is not None:
        kind = m.group(1)
        closer = _CLOSERS[kind]
        j, quote, end = m.end(), "", -1
        while j < len(text):
            ch = text[j]
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "\"'" and kind != "#":
                quote = ch
            elif text.startswith(closer, j):
                end = j + 2
                break
            j += 1
        if end < 0:
            unclosed.append((m.start(), "{" + kind))
            i = m.end()
            continue
        raw = text[m.start():end]
        inner = raw[2:]
        prefix = ""
        found = _PREFIX.match(inner)
        if found and (kind != "#" or found.group(1) != "r"):
            prefix = found.group(1)
            inner = inner[found.end():]
        source = raw[:2] + " " + inner if prefix else raw
        name = ""
        if kind == "%":
            word = re.match(r"[-+\u2013\u2014\u2212]?\s*([A-Za-z_]\w*)", source[2:])
            name = word.group(1) if word else ""
        tags.append(Tag(para, m.start(), end, "{" + kind, prefix, source, name))
        i = end
    return tags, unclosed


def fullwidth(source: str) -> list[str]:
    """The full-width look-alikes of ASCII in a tag, outside its string literals."""
    code = re.sub(r"\"[^\"]*\"|'[^']*'", "", source)
    return list(dict.fromkeys(_FULLWIDTH_CHARS.findall(code)))


def halfwidth(char: str) -> str:
    if "\uff01" <= char <= "\uff5e":
        return chr(ord(char) - 0xFEE0)
    return _LOOKALIKES.get(char, char)


def jinja_message(exc: Exception) -> str:
    """A Chinese explanation of a Jinja syntax error, the original in brackets."""
    message = str(getattr(exc, "message", None) or exc)
    patterns = [
        (r"unexpected char '(.+?)' at \d+", "无法识别的字符 “{0}”"),
        (r"expected token 'end of print statement', got '(.+?)'",
         "“{0}” 前缺少运算符或过滤器（是否漏了 | 或 .，或多写了空格？）"),
        (r"expected token 'end of statement block', got '(.+?)'",
         "“{0}” 处不应有内容（标签写法有误）"),
        (r"Expected an expression, got '(.+?)'", "缺少表达式（是否漏写了字段名或条件？）"),
        (r"unexpected '(.+?)'", "多余的 “{0}”"),
        (r"expected token '(.+?)', got '(.+?)'", "此处应为 “{0}”，实为 “{1}”"),
        (r"unexpected end of template", "标签不完整"),
    ]
    for pattern, chinese in patterns:
        found = re.search(pattern, message)
        if found:
            return chinese.format(*found.groups()) + f"（Jinja：{message}）"
    return f"标签写法有误（Jinja：{message}）"


def parse_error(source: str) -> Exception | None:
    """The syntax error Jinja finds in `source`, or None."""
    try:
        fill.ENVIRONMENT.parse(source)
    except Exception as exc:  # -- jinja2.TemplateSyntaxError; jinja2 is fill.py's alone --
        if hasattr(exc, "lineno"):
            return exc
        raise
    return None
