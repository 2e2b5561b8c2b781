"""Render many reports at once: one compiled template per kind, parallel workers, no early stop.

A city or province renders the reports of hundreds of agencies in one run. Every worker
process compiles the templates its reports use once (`docgen.engine.fill.compile_template`,
from the user's cache when it was compiled before) and then only fills in values; a report
that fails keeps its issues and the others go on. A JSON Lines file is never held in memory:
each line is found by its byte offset and read where it is rendered.

Outputs are written without an fsync each; one sync of the output file system when the batch
ends makes them all durable at once (see docs/performance.md for what a crash leaves).

>>> safe_name('金东区/经济:商务局?')
'金东区_经济_商务局_'
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen.errors import DataFileError, DocgenError, Issue, UsageError
from docgen.kinds import ReportKind

__all__ = [
    "BatchResult",
    "JsonLine",
    "Outcome",
    "collect_inputs",
    "render_many",
    "safe_name",
]

#: File name suffixes a folder is searched for (one report per file).
REPORT_SUFFIXES = (".json", ".yaml", ".yml")
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

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def text(self) -> str:
        """The line's text, read from the file."""
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
class Outcome:
    """What became of one report: the files written, or the issues that stopped it."""

    #: The output file stem (``outdir/<name>.docx``).
    name: str
    #: Where the report came from, for people: a path, ``file.jsonl:3``, or the name.
    source: str
    #: The files written (the .docx, and the .pdf with ``pdf=True``); empty on failure.
    written: tuple[Path, ...] = ()
    #: Every issue: the errors that stopped it, or the warnings of a rendered report.
    issues: tuple[Issue, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the report was rendered."""
        return bool(self.written)


@dataclass
class BatchResult:
    """Every report's outcome, in input order."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def rendered(self) -> list[Outcome]:
        """The reports that were written."""
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome]:
        """The reports that were not written, each with its issues."""
        return [o for o in self.outcomes if not o.ok]

    @property
    def ok(self) -> bool:
        """Whether every report was written."""
        return all(o.ok for o in self.outcomes)


#: Called in the calling process after each report: (reports done, reports in all, outcome).
Progress = Callable[[int, int, Outcome], None]


@dataclass(frozen=True)
class _Config:
    """What every worker needs besides the report itself (sent once per worker)."""

    outdir: Path
    pdf: bool
    kind: ReportKind | str | None
    template: Path | None


@dataclass(frozen=True, slots=True)
class _Job:
    index: int
    name: str
    source: Source


#: What a finished job is replaced by in the parent's list (its source is let go).
_DONE = _Job(-1, "", {})


def render_many(reports: Iterable[tuple[str, Source]], outdir: str | Path, *, jobs: int = 0,
                pdf: bool = False, kind: ReportKind | str | None = None,
                template: str | Path | None = None,
                progress: Progress | None = None) -> BatchResult:
    """Render every report in `reports` into `outdir`; return each one's outcome.

    `reports` are ``(name, source)`` pairs: the output goes to ``outdir/<name>.docx`` (the
    name made safe as a file name, and unique: a repeated name gets ``-2``, ``-3``…); the
    source is a report dict, a JSON/YAML file or a `JsonLine`. `jobs` worker processes
    render in parallel (0: one per CPU; 1: in this process). A report with problems does not
    stop the others: its outcome keeps every issue. With `pdf` a PDF is written next to each
    .docx. `kind` and `template` apply to every report (default: chosen per report).
    A template that cannot be used raises `TemplateProblemError`, and `pdf` without LibreOffice
    `LibreOfficeMissingError`, before any report is rendered.
    """
    folder = Path(outdir)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"输出位置 {folder} 不是文件夹")
    if pdf:
        from docgen.engine.pdf import require_libreoffice

        require_libreoffice()  # -- say it once, not once per report --
    work = [_Job(i, n, s) for i, (n, s) in enumerate(_unique(reports))]
    del reports  # -- the jobs hold what is needed; each is let go once its report is done --
    config = _Config(folder, pdf, kind, Path(template) if template is not None else None)
    result = BatchResult()
    if not work:
        return result
    folder.mkdir(parents=True, exist_ok=True)
    workers = min(_cpu_count() if jobs <= 0 else jobs, len(work))
    _warm(config)
    outcomes: list[Outcome | None] = [None] * len(work)
    try:
        for done, outcome in enumerate(_run(config, work, workers), start=1):
            index, found = outcome
            outcomes[index] = found = _compact(found, work[index].name, folder)
            work[index] = _DONE  # -- already handed to a worker: free its source --
            if progress is not None:
                progress(done, len(work), found)
    finally:
        from docgen.engine.files import sync_folder

        sync_folder(folder)  # -- one sync for every file written (each skipped its fsync) --
    result.outcomes = [o for o in outcomes if o is not None]
    return result


#: Most reports one worker task carries: fewer tasks cost the parent less, smaller ones keep
#: the workers evenly busy to the end and the progress display moving.
MAX_CHUNK = 16


def _run(config: _Config, work: Sequence[_Job], workers: int) -> Iterator[tuple[int, Outcome]]:
    """Yield (index, outcome) for each job as it finishes."""
    if workers <= 1:
        for job in work:
            yield job.index, _render_one(config, job)
        return
    size = max(1, min(MAX_CHUNK, len(work) // (workers * 8)))
    chunks = (work[i:i + size] for i in range(0, len(work), size))
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(config,),
                             mp_context=_pool_context(config, len(work))) as pool:
        # -- a bounded number of tasks in flight (not one per chunk up front): the parent's
        # memory stays the same for 1,000 reports or 100,000 --
        pending = {pool.submit(_worker, c): c for c in itertools.islice(chunks, workers * 4)}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    chunk = pending.pop(future)
                    for more in itertools.islice(chunks, 1):
                        pending[pool.submit(_worker, more)] = more
                    yield from zip((job.index for job in chunk), _collect(future, chunk),
                                   strict=True)
        finally:
            for future in pending:
                future.cancel()


#: From this many reports on, workers start from a fresh process (forkserver) instead of a
#: fork of the parent, which by then holds every input's job: a forked worker would carry
#: (and, as its collector walks them, copy) tens of MB of it. Below it, a fork's faster start
#: wins.
LARGE_BATCH = 20_000


def _pool_context(config: _Config, count: int) -> Any:
    """The multiprocessing context for the workers: None (the default, fork on Linux), or
    forkserver for a large batch of shipped kinds (a custom `ReportKind`'s Python rules may
    not be importable in a fresh process, so it always forks)."""
    import multiprocessing

    if count < LARGE_BATCH or isinstance(config.kind, ReportKind) or \
            "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["docgen.batch", "docgen.api", "docgen.engine.fill"])
    return context


def _collect(future: Future[list[Outcome]], chunk: Sequence[_Job]) -> list[Outcome]:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        return [_failed(job, "BATCH-WORKER", f"工作进程意外退出，本报告未生成（{exc}）")
                for job in chunk]


# -- in each worker --------------------------------------------------------------------------

_WORKER_CONFIG: _Config | None = None


def _init_worker(config: _Config) -> None:
    """Keep the configuration and compile the templates (a no-op if inherited by fork)."""
    global _WORKER_CONFIG
    _WORKER_CONFIG = config


def _worker(chunk: Sequence[_Job]) -> list[Outcome]:
    config = _WORKER_CONFIG
    assert config is not None, "worker not initialised"
    return [_render_one(config, job) for job in chunk]


def _warm(config: _Config) -> None:
    """Compile a template given for every report, so a broken one raises
    `TemplateProblemError` here, before any report.

    Shipped kinds are not compiled up front: each process compiles (or loads from the cache)
    only the templates its reports use, on first use.
    """
    from docgen.engine.fill import compile_template

    if config.template is not None:
        compile_template(config.template)
    elif isinstance(config.kind, ReportKind) and config.kind.template_path is not None:
        compile_template(config.kind.template_path)


def _render_one(config: _Config, job: _Job) -> Outcome:
    """Check, fill and write one report; every problem goes into the outcome, none escapes."""
    from docgen.api import prepare
    from docgen.engine.files import write_atomic
    from docgen.errors import InvalidReportError, TemplateProblemError

    source = str(job.source) if isinstance(job.source, (Path, JsonLine)) else job.name
    target = config.outdir / f"{job.name}.docx"
    try:
        data = job.source.load() if isinstance(job.source, JsonLine) else job.source
        prepared = prepare(data, kind=config.kind)
        written = prepared.render(target, template=config.template, durable=False).path
        issues = prepared.issues
        files = [written]
        if config.pdf:
            from docgen.engine.pdf import docx_to_pdf

            pdf = written.with_suffix(".pdf")
            write_atomic(pdf, docx_to_pdf(written.read_bytes()), durable=False)
            files.append(pdf)
        return Outcome(job.name, source, tuple(files), tuple(issues))
    except (InvalidReportError, TemplateProblemError) as exc:
        return Outcome(job.name, source, (), exc.issues)
    except DocgenError as exc:
        return _failed(job, _code(exc), str(exc), source)
    except Exception as exc:  # -- a bug; keep it to this report and say what it was --
        return _failed(job, "BATCH-INTERNAL", f"内部错误（{type(exc).__name__}: {exc}）", source)


def _compact(outcome: Outcome, name: str, folder: Path) -> Outcome:
    """`outcome` as the parent keeps it: the job's own name string, and output paths made
    from the output folder (a path unpickled from a worker is twice the memory; a 100,000-line
    batch keeps 100,000 outcomes)."""
    written = tuple(folder / path.name if path.parent == folder else path
                    for path in outcome.written)
    return Outcome(name, outcome.source, written, outcome.issues)


def _code(exc: DocgenError) -> str:
    """A stable code for an error that carries no issues."""
    name = type(exc).__name__.removesuffix("Error")
    return "BATCH-" + re.sub(r"(?<!^)(?=[A-Z])", "-", name).upper()


def _failed(job: _Job, code: str, message: str, source: str | None = None) -> Outcome:
    where = source or (str(job.source) if isinstance(job.source, (Path, JsonLine)) else job.name)
    return Outcome(job.name, where, (), (Issue(code=code, path="", message=message),))


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # -- not on Linux --
        return os.cpu_count() or 1


# -- names and inputs ------------------------------------------------------------------------


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


def _unique(reports: Iterable[tuple[str, Source]]) -> Iterator[tuple[str, Source]]:
    """Make each name safe and unique (case-insensitively), in input order."""
    used: set[str] = set()
    for name, source in reports:
        base = safe_name(name)
        candidate, number = base, 1
        while candidate.casefold() in used:
            number += 1
            candidate = f"{base}-{number}"
        key = candidate.casefold()
        used.add(candidate if key == candidate else key)  # -- one string, not two, if it can --
        yield candidate, source


def collect_inputs(inputs: Iterable[str | Path]) -> list[tuple[str, Source]]:
    """Return the ``(name, source)`` pairs the command-line inputs hold, in order.

    A folder gives its ``*.json``, ``*.yaml`` and ``*.yml`` files sorted by name; a ``.jsonl``
    file one report per non-blank line, named ``<stem>-<line number>``; any other file one
    report named by its stem. A missing input raises `UsageError`.
    """
    found: list[tuple[str, Source]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.iterdir()
                           if p.suffix.lower() in REPORT_SUFFIXES and p.is_file()
                           and not p.name.startswith("."))
            found += [(p.stem, p) for p in files]
        elif path.suffix.lower() == JSON_LINES_SUFFIX and path.is_file():
            found += _json_lines(path)
        elif path.is_file():
            found.append((path.stem, path))
        else:
            raise UsageError(f"找不到输入：{path}")
    return found


def _json_lines(path: Path) -> list[tuple[str, Source]]:
    """One (name, `JsonLine`) per non-blank line; each line is read, checked to be UTF-8 and
    dropped (only its offset and size are kept)."""
    found: list[tuple[str, Source]] = []
    try:
        with path.open("rb") as handle:
            offset = 3 if handle.read(3) == b"\xef\xbb\xbf" else 0  # -- a BOM --
            handle.seek(offset)
            for number, raw in enumerate(handle, start=1):
                if raw.decode("utf-8").strip():
                    found.append((f"{path.stem}-{number}", JsonLine(path, number, offset,
                                                                      len(raw))))
                offset += len(raw)
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}：不是 UTF-8 编码的文本") from exc
    except OSError as exc:
        raise UsageError(f"无法读取 {path}：{exc}") from exc
    return found


# -- the command -----------------------------------------------------------------------------
