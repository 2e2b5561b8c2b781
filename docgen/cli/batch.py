"""``docgen batch``: many reports, a progress line, a summary of what failed."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from docgen.batch import Inputs, Outcome, render_many, scan_inputs
from docgen.cli.common import kind_option, print_issues
from docgen.cli.lang import t
from docgen.cli.safety import visible
from docgen.errors import UsageError


class ProgressLine:
    """Show progress on `stream`: a redrawn bar on a terminal, one plain line per report
    otherwise (logs and pipes)."""

    WIDTH = 30

    def __init__(self, stream: TextIO, *, terminal: bool | None = None) -> None:
        self.stream = stream
        self.terminal = stream.isatty() if terminal is None else terminal

    def __call__(self, done: int, total: int, outcome: Outcome) -> None:
        if self.terminal:
            filled = self.WIDTH * done // total
            bar = "#" * filled + " " * (self.WIDTH - filled)
            end = "\n" if done == total else ""
            self.stream.write(f"\r[{bar}] {done}/{total}{end}")
        else:
            written = t("、", ", ").join(map(str, outcome.written))
            state = (t(f"：已生成 {written}", f": written {written}") if outcome.ok
                     else t("：失败", ": failed"))
            self.stream.write(visible(f"[{done}/{total}] {outcome.source}{state}") + "\n")
        self.stream.flush()


def _handed_over(items: list[Any]) -> Iterator[Any]:
    """Yield `items` in order, emptying the list as it goes (a 100,000-line JSON Lines batch
    keeps no second copy of its inputs here)."""
    items.reverse()
    while items:
        yield items.pop()


def cmd_batch(args: Any) -> int:
    """``docgen batch INPUT… -o OUTDIR``: render every report, then summarise; 1 if any failed.

    The summary names every file left in OUTDIR that this run did not write and every input
    passed over, so the folder never holds a wrong report unmentioned.
    """
    found = scan_inputs(args.inputs, recursive=getattr(args, "recursive", False))
    if not found.reports:
        _print_skipped(found)
        raise UsageError(t("输入中没有找到数据文件"
                           "（文件夹中应有 .json/.yaml/.yml/.xlsx 文件，或给出 .jsonl 文件）",
                           "no data files in the inputs (a folder's .json/.yaml/.yml/.xlsx "
                           "files, or .jsonl files given)"))
    kind = kind_option(args)
    template = None if getattr(args, "schema", None) else getattr(args, "template", None)
    count = len(found.reports)
    result = render_many(_handed_over(found.reports), Path(args.output), jobs=args.jobs,
                         pdf=args.pdf, kind=kind, template=template,
                         progress=ProgressLine(sys.stderr),
                         html=getattr(args, "html", False),
                         html_template=getattr(args, "html_template", None),
                         fragment=getattr(args, "fragment", False),
                         allow_external=getattr(args, "allow_external", False),
                         allow_errors=getattr(args, "allow_errors", False))
    failed = result.failed
    for outcome in failed:
        print("\n" + visible(t(f"{outcome.source} 未生成：", f"{outcome.source} not written:")),
              file=sys.stderr)
        print_issues(outcome.issues, stream=sys.stderr)
        if outcome.removed:
            print(t("已删除上次生成的同名旧文件（它已不代表这份数据）：",
                    "deleted the older output of the same name (it no longer shows this data): ")
                  + _listed(outcome.removed), file=sys.stderr)
    _print_skipped(found)
    if result.foreign:
        print(t(f"注意：输出文件夹中另有 {len(result.foreign)} 个文件不是本次生成的：",
                f"note: {len(result.foreign)} file(s) in the output folder are not from this "
                "run: ") + _listed(p.name for p in result.foreign), file=sys.stderr)
    rendered = count - len(failed)  # -- counted, not listed: 100,000 outcomes stay unmade --
    if args.pdf and rendered:
        from docgen.cli.fonts import warn_substitutions

        warn_substitutions()  # -- as render --pdf does: once, for every PDF of the run --
    warned = len(result.warned)
    note = t(f"（其中 {warned} 份有警告，可用 docgen check 查看）",
             f" ({warned} with warnings: see docgen check)") if warned else ""
    print(t(f"已生成 {rendered} 份{note}，失败 {len(failed)} 份；输出文件夹：{args.output}",
            f"{rendered} written{note}, {len(failed)} failed; output folder: {args.output}"))
    return 1 if failed else 0


def _listed(items: Any) -> str:
    return t("、", ", ").join(map(str, items))


def _print_skipped(found: Inputs) -> None:
    files, folders = len(found.skipped_files), len(found.skipped_folders)
    if files:
        print(t(f"已跳过 {files} 个不是数据文件的文件：",
                f"passed over {files} file(s) that are no data files: ")
              + _listed(found.skipped_files), file=sys.stderr)
    if folders:
        print(t(f"已跳过 {folders} 个子文件夹（加 --recursive 可一并读取）：",
                f"passed over {folders} subfolder(s) (--recursive reads them too): ")
              + _listed(found.skipped_folders), file=sys.stderr)
