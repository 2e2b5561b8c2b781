"""What a batch reads: its inputs (files, folders, JSON Lines) and the names of its outputs.

>>> safe_name('金东区/经济:商务局?')
'金东区_经济_商务局_'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen.errors import DataFileError, UsageError

#: File name suffixes a folder is searched for (one report per file).
REPORT_SUFFIXES = (".json", ".yaml", ".yml", ".xlsx")
#: A file with this suffix holds one report per line.
JSON_LINES_SUFFIX = ".jsonl"
#: Longest output file stem (file systems allow 255 bytes; a CJK character is 3 in UTF-8).
MAX_NAME_CHARS = 80

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class JsonLine:
    """One line of a JSON Lines file: one report, read and parsed where it is rendered.

    `offset` and `size` say where its bytes are in the file (the text is not kept: a batch of
    100,000 lines holds a few small numbers per line).
    """

    path: Path
    line: int
    offset: int
    size: int
    #: Why the line cannot be read (not UTF-8), said with its line number; None if it can.
    invalid: str | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def text(self) -> str:
        """The line's text, read from the file."""
        if self.invalid is not None:
            raise DataFileError(self.invalid)
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                return handle.read(self.size).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataFileError(f"{self}：不是 UTF-8 编码的文本") from exc
        except OSError as exc:
            raise DataFileError(f"无法读取 {self}：{exc}") from exc

    def load(self) -> dict[str, Any]:
        """Return the report on this line, exact decimals kept (as `docgen.load` does)."""
        from docgen.engine.loading import load_json_text

        return load_json_text(self.text, str(self.path), self.line)


#: What one report comes from: data in memory, a JSON/YAML file, or a JSON Lines line.
Source = Mapping[str, Any] | Path | JsonLine



@dataclass(frozen=True, slots=True)
class Job:
    """One report of a batch: its place in the input order, output name and source."""

    index: int
    name: str
    source: Source


def source_text(source: Source, name: str) -> str:
    """Where a report came from, for people: its file, ``file.jsonl:3``, or its name."""
    return str(source) if isinstance(source, (Path, JsonLine)) else name


def safe_name(name: str) -> str:
    """Return `name` as a file name stem that is safe on every common file system.

    Path separators, characters Windows forbids and control characters become ``_``; leading
    and trailing dots and spaces go; a reserved device name (``CON``) gets a ``_``; the result
    is at most `MAX_NAME_CHARS` characters and never empty.
    """
    text = _UNSAFE.sub("_", name).strip(" .")[:MAX_NAME_CHARS].strip(" .")
    if not text:
        return "report"
    return text + "_" if _WINDOWS_RESERVED.match(text) else text


def make_jobs(reports: Iterable[tuple[str, Source]]) -> tuple[list[Job], set[str]]:
    """The jobs of `reports`, each name made safe and unique (case-insensitively), in input
    order; and the names used, case-folded. `reports` is read once, as it comes."""
    used: set[str] = set()
    jobs = []
    for index, (name, source) in enumerate(reports):
        base = safe_name(name)
        candidate, number = base, 1
        while candidate.casefold() in used:
            number += 1
            candidate = f"{base}-{number}"
        folded = candidate.casefold()
        used.add(candidate if folded == candidate else folded)  # -- one string, not two --
        jobs.append(Job(index, candidate, source))
    return jobs, used


@dataclass
class Inputs:
    """What the command-line inputs hold: the reports, and what was passed over."""

    reports: list[tuple[str, Source]] = field(default_factory=list)
    #: Files in the input folders that are no report (wrong suffix, hidden).
    skipped_files: list[Path] = field(default_factory=list)
    #: Subfolders not searched (without `recursive`).
    skipped_folders: list[Path] = field(default_factory=list)


def collect_inputs(inputs: Iterable[str | Path]) -> list[tuple[str, Source]]:
    """Return the ``(name, source)`` pairs the command-line inputs hold, in order.

    A folder gives its ``*.json``, ``*.yaml``, ``*.yml`` and ``*.xlsx`` files sorted by name
    (not hidden files, nor the ``~$…`` lock files Excel and WPS leave beside an open workbook);
    a ``.jsonl`` file one report per non-blank line, named ``<stem>-<line number>``; any other
    file one report named by its stem. A missing input raises `UsageError`.
    """
    return scan_inputs(inputs).reports


def scan_inputs(inputs: Iterable[str | Path], *, recursive: bool = False) -> Inputs:
    """As `collect_inputs`, and say what was passed over; `recursive` searches subfolders
    too (a report in ``folder/sub/a.json`` is named ``sub_a``)."""
    found = Inputs()
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            _scan_folder(path, path, recursive, found)
        elif path.suffix.lower() == JSON_LINES_SUFFIX and path.is_file():
            found.reports += _json_lines(path)
        elif path.is_file():
            found.reports.append((path.stem, path))
        else:
            raise UsageError(f"找不到输入：{path}")
    return found


def _scan_folder(root: Path, folder: Path, recursive: bool, found: Inputs) -> None:
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            if recursive and not entry.name.startswith("."):
                _scan_folder(root, entry, recursive, found)
            else:
                found.skipped_folders.append(entry)
        elif entry.suffix.lower() in REPORT_SUFFIXES and entry.is_file() \
                and not entry.name.startswith((".", "~$")):
            name = "_".join(entry.relative_to(root).with_suffix("").parts)
            found.reports.append((name, entry))
        else:  # -- a .jsonl in a folder too: JSON Lines files are read when named --
            found.skipped_files.append(entry)


def _json_lines(path: Path) -> list[tuple[str, Source]]:
    """One report per non-blank line, read one line at a time and let go (only its offset and
    size are kept); a line that is not UTF-8 fails alone, with its number."""
    found: list[tuple[str, Source]] = []
    readable = 0
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
            offset = 3 if head.startswith(b"\xef\xbb\xbf") else 0  # -- a BOM --
            handle.seek(offset)
            for number, raw in enumerate(handle, start=1):
                try:
                    blank = not raw.decode("utf-8").strip()
                    invalid = None
                except UnicodeDecodeError as exc:
                    blank = not raw.strip()
                    invalid = (f"{path} 第 {number} 行：不是 UTF-8 编码的文本（第 {exc.start + 1} "
                               f"个字节 0x{raw[exc.start]:02X}）；请以 UTF-8 编码保存")
                if not blank:
                    readable += invalid is None
                    found.append((f"{path.stem}-{number}",
                                  JsonLine(path, number, offset, len(raw), invalid)))
                offset += len(raw)
    except OSError as exc:
        raise UsageError(f"无法读取 {path}：{exc}") from exc
    if found and not readable:
        # -- the whole file in another encoding (GBK, UTF-16): one message naming it --
        from docgen.engine.textfile import encoding_problem

        raise DataFileError(f"{path}：{encoding_problem(head)}")
    return found


# -- the command -----------------------------------------------------------------------------
