"""What an output file's name asks for: the one table from file suffix to output format.

``-o``'s suffix decides what is written (``report.docx`` → Word, ``report.pdf`` → PDF,
``report.html`` → the portal's web page). A new
output format is one more row in `OUTPUT_SUFFIXES` (and a writer where the command renders).

>>> output_format(Path("out/report.PDF"))
'pdf'
"""

from __future__ import annotations

from pathlib import Path

from docgen.errors import UsageError

#: File suffix → output format. The first row is the default output.
OUTPUT_SUFFIXES: dict[str, str] = {
    ".docx": "docx",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
}

#: Suffixes people type that name something docgen does not write, and what to write instead.
_NEAR_MISSES = {
    ".doc": ".docx",
    ".wps": ".docx",
    ".rtf": ".docx",
    ".odt": ".docx",
    ".docm": ".docx",
    ".shtml": ".html",
    ".xhtml": ".html",
}


def output_format(target: Path) -> str:
    """The output format `target`'s suffix asks for; `UsageError` saying what to type otherwise."""
    suffix = target.suffix.lower()
    found = OUTPUT_SUFFIXES.get(suffix)
    if found is not None:
        return found
    choices = " 或 ".join(f"-o {target.with_suffix(s)}" for s in OUTPUT_SUFFIXES)
    if suffix in _NEAR_MISSES:
        right = target.with_suffix(_NEAR_MISSES[suffix])
        why = "（Word、WPS 都能打开 .docx）" if right.suffix == ".docx" else ""
        raise UsageError(f"无法生成 {suffix} 文件；请写 -o {right}{why}")
    if not suffix:
        raise UsageError(f"输出文件 {target} 没有扩展名，docgen 不知道要生成哪种文件；"
                         f"请写 {choices}")
    raise UsageError(f"无法生成 {suffix} 文件；请写 {choices}")
