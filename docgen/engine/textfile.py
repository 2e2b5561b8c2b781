"""What is wrong with a data file that is not UTF-8 JSON, said so a clerk can fix it.

Two jobs: name the file a clerk gave by mistake (a Word document, a spreadsheet, a PDF, a web
page, a text saved as GBK or UTF-16) with the way to re-save it; and turn a JSON syntax error
into Chinese with the line, a caret under the place and a hint for the two mistakes a Chinese
input method makes: full-width punctuation (``，：“”``) and a comma after the last item.

GBK/GB18030 and UTF-16 files are refused, not read: JSON is UTF-8 by its standard (RFC 8259),
so a file docgen reads is one every other tool reads the same way; guessing an encoding could
silently read the wrong characters.
"""

from __future__ import annotations

import json
import unicodedata

from docgen.engine.messages import language

#: How to re-save a text file as UTF-8, in the programs clerks use.
RESAVE = ("请用记事本打开，选“文件 › 另存为”，“编码”选“UTF-8”后保存"
          "（WPS、VS Code 等编辑器同理：以 UTF-8 编码保存）")

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF 文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Word 或 Excel 文件（.doc/.xls）"),
    (b"{\\rtf", "RTF 格式的 Word 文档"),
    (b"\x1f\x8b", "gzip 压缩文件"),
    (b"Rar!", "RAR 压缩文件"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩文件"),
)

#: Full-width punctuation a Chinese input method types → the JSON character meant.
FULL_WIDTH = {"，": ",", "：": ":", "“": '"', "”": '"', "‘": '"', "’": '"', "｛": "{",
              "｝": "}", "［": "[", "］": "]", "【": "[", "】": "]", "　": " ", "；": ","}

_JSON_REASONS = {
    "Expecting ',' delimiter": "此处应为逗号“,”（两项之间）或结束的括号",
    "Expecting ':' delimiter": "此处应为冒号“:”（字段名之后）",
    "Expecting property name enclosed in double quotes": "此处应为用英文双引号括起的字段名"
                                                         "（如 \"agency\"）",
    "Expecting value": "此处应为一个值（数字、\"文字\"、true、false、null、{…} 或 […]）",
    "Unterminated string starting at": "文字缺少结尾的英文双引号 \"",
    "Invalid control character at": "文字中有控制字符（如直接换行或制表符）；换行请写作 \\n",
    "Invalid \\escape": "无效的转义（反斜杠 \\ 后只能是 \" \\ / b f n r t u）；"
                        "文字中的反斜杠请写作 \\\\",
    "Invalid \\uXXXX escape": "无效的 \\u 转义（\\u 后应为 4 位十六进制数）",
    "Extra data": "数据已结束，其后还有多余的内容（整个文件只能有一个 {…}）",
}


def not_text(raw: bytes) -> str | None:
    """What `raw` is when it is plainly not a text data file (a Word document…), else None.

    >>> not_text(b"%PDF-1.7 ...")
    'PDF 文件'
    >>> not_text(b'{"year": 2025}') is None
    True
    """
    if raw.startswith(b"PK\x03\x04"):
        head = raw[:4096]
        if b"word/" in head:
            return "Word 文档（.docx）"
        if b"xl/" in head:
            return "Excel 工作簿（.xlsx）"
        return "ZIP 压缩文件（Word、Excel 文档也是这种格式）"
    for signature, name in _SIGNATURES:
        if raw.startswith(signature):
            return name
    head = raw[:1024].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "网页（HTML）"
    return None


def instead_of(what: str) -> str:
    """What to do with the file `not_text` named `what`, given where a data file belongs.

    >>> instead_of("PDF 文件").startswith("已发布的报告可用 docgen import")
    True
    """
    if what.startswith("Excel"):
        return "docgen 的 Excel 工作簿请以 .xlsx 为扩展名，docgen 会按工作簿读取"
    published = "已发布的报告可用 docgen import 读成数据文件；" \
        if what.startswith(("Word", "PDF", "网页", "RTF", "旧版")) else ""
    return (f"{published}数据文件是 JSON 或 YAML 文本，或 docgen 的 Excel 工作簿"
            "（docgen init 可生成一份待填写的 .json 或 .xlsx）")


def encoding_problem(raw: bytes, start: int | None = None) -> str:
    """Why `raw` is not UTF-8 (it fails at byte `start`), naming GBK or UTF-16 when it is."""
    if start is None:
        try:
            raw.decode("utf-8-sig")
            start = 0
        except UnicodeDecodeError as exc:
            start = exc.start
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(raw):
        return f"是 UTF-16 编码的文本（记事本中叫“Unicode”），docgen 只读 UTF-8；{RESAVE}"
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return (f"是 GBK/GB18030 编码的文本（中文 Windows 记事本的“ANSI”），docgen 只读 UTF-8；"
                f"{RESAVE}")
    line = raw.count(b"\n", 0, start) + 1
    byte = f" 0x{raw[start]:02X}" if start < len(raw) else ""
    return f"第 {line} 行：不是 UTF-8 编码的文本（第 {start + 1} 个字节{byte}）；{RESAVE}"


def _looks_utf16(raw: bytes) -> bool:
    # -- UTF-16 without a byte-order mark: ASCII characters leave every other byte zero --
    sample = raw[:200]
    return len(sample) >= 4 and (sample[1::2].count(0) > len(sample) // 4
                                 or sample[0::2].count(0) > len(sample) // 4)


def json_syntax_message(exc: json.JSONDecodeError, name: str, first_line: int = 1) -> str:
    """A JSON syntax error as people read it: where, what, the line with a caret, a hint."""
    line = exc.lineno + first_line - 1
    reason = _reason(exc.msg)
    if not exc.doc[exc.pos:].strip():
        reason = "文件在此意外结束：缺少结尾的 } 或 ]，或者最后一项没有写完"
    if language() == "en":
        head = f"{name} line {line} column {exc.colno}: invalid JSON ({exc.msg})"
    else:
        head = f"{name} 第 {line} 行第 {exc.colno} 列：JSON 格式错误：{reason}"
    lines = [head, *_excerpt(exc.doc, exc.pos)]
    hint = _hint(exc.doc, exc.pos, line, exc.colno)
    if hint:
        lines.append(hint)
    return "\n".join(lines)


def _reason(message: str) -> str:
    for english, chinese in _JSON_REASONS.items():
        if message.startswith(english):
            return chinese
    return message


def _excerpt(doc: str, pos: int, width: int = 60) -> list[str]:
    """The line holding `pos` (at most `width` characters around it) and a caret under it."""
    start = doc.rfind("\n", 0, pos) + 1
    end = doc.find("\n", pos)
    text = doc[start:len(doc) if end < 0 else end].rstrip("\r")
    column = pos - start
    left = max(0, column - width // 2)
    shown = text[left:left + width]
    prefix = "…" if left else ""
    before = prefix + shown[:column - left]
    pad = "".join("\t" if ch == "\t" else " " * _width(ch) for ch in before)
    return [f"    {prefix}{shown}{'…' if left + width < len(text) else ''}", f"    {pad}^"]


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _hint(doc: str, pos: int, line: int, column: int) -> str | None:
    """A hint for full-width punctuation at (or just before) `pos`, or a trailing comma."""
    here = doc[pos:pos + 1]
    back = pos - 1
    while back >= 0 and doc[back] in " \t\r\n":
        back -= 1
    before = doc[back] if back >= 0 else ""
    for found in (here, before):
        if found in FULL_WIDTH:
            if language() == "en":
                return (f"hint: '{found}' is full-width punctuation (typed by a Chinese input "
                        f"method); JSON needs the half-width '{FULL_WIDTH[found]}'")
            return (f"提示：{found} 是中文输入法打出的全角标点，JSON 的标点必须是半角：请改为 "
                    f"{FULL_WIDTH[found]} （切换到英文输入法再输入）")
    if here in "}]" and here and before == ",":
        where_line = line - doc.count("\n", back, pos)
        where_col = back - doc.rfind("\n", 0, back)
        if language() == "en":
            return (f"hint: a comma after the last item is not allowed in JSON; delete the ',' "
                    f"at line {where_line} column {where_col}")
        return (f"提示：最后一项后面不能有逗号：请删去第 {where_line} 行第 {where_col} 列的“,”")
    return None
