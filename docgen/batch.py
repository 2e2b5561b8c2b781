"""Render many reports at once: one compiled template per kind, parallel workers, no early stop.

A city or province renders the reports of hundreds of agencies in one run. Every worker
process compiles each template once (`docgen.fill.compile_template` caches it per path and
modification time) and then only fills in values; a report that fails keeps its issues and
the others go on.

>>> safe_name('金东区/经济:商务局?')
'金东区_经济_商务局_'
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from docgen.engine import limits
from docgen.engine.files import Terminated
from docgen.errors import DataFileError, DocgenError, Issue, UsageError
from docgen.kinds import FORMAT_VERSIONS, ReportKind, get_kind

__all__ = [
    "BatchResult",
    "Inputs",
    "JsonLine",
    "Outcome",
    "collect_inputs",
    "render_many",
    "safe_name",
    "scan_inputs",
]

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
class Outcome:
    """What became of one report: the files written, or the issues that stopped it."""

    #: The output file stem (``outdir/<name>.docx``).
    name: str
    #: Where the report came from, for people: a path, ``file.jsonl:3``, or the name.
    source: str
    #: The files written (the .docx, the .pdf with ``pdf=True``, the .html with ``html=True``);
    #: empty on failure.
    written: tuple[Path, ...] = ()
    #: Every issue: the errors that stopped it, or the warnings of a rendered report.
    issues: tuple[Issue, ...] = ()
    #: Older outputs of this name removed because this report failed (they were not its own).
    removed: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the report was rendered."""
        return bool(self.written)


@dataclass
class BatchResult:
    """Every report's outcome, in input order."""

    outcomes: list[Outcome] = field(default_factory=list)
    #: Documents in the output folder that this run did not write (other runs' outputs).
    foreign: list[Path] = field(default_factory=list)

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
    allow_external: bool = False
    html: bool = False
    allow_errors: bool = False


@dataclass(frozen=True, slots=True)
class _Job:
    index: int
    name: str
    source: Source


def render_many(reports: Iterable[tuple[str, Source]], outdir: str | Path, *, jobs: int = 0,
                pdf: bool = False, kind: ReportKind | str | None = None,
                template: str | Path | None = None,
                progress: Progress | None = None, html: bool = False,
                allow_external: bool = False, allow_errors: bool = False) -> BatchResult:
    """Render every report in `reports` into `outdir`; return each one's outcome.

    `reports` are ``(name, source)`` pairs: the output goes to ``outdir/<name>.docx`` (the
    name made safe as a file name, and unique: a repeated name gets ``-2``, ``-3``…); the
    source is a report dict, a JSON/YAML file or a `JsonLine`. `jobs` worker processes
    render in parallel (0: one per CPU; 1: in this process). A report with problems does not
    stop the others: its outcome keeps every issue. With `pdf` a PDF is written next to each
    .docx, and with `html` the web page (``<name>.html``, the kind's HTML template). `kind`
    and `template` apply to every report (default: chosen per report); `allow_external` lets
    the Word template refer to external content and `allow_errors` renders reports whose only
    errors are consistency errors (see `docgen.render`). A template that cannot
    be used raises `TemplateProblemError`, `pdf` without LibreOffice
    `LibreOfficeMissingError`, and `html` for a kind without an HTML template `UsageError`,
    before any report is rendered. When a report fails, the outputs an earlier run wrote under
    its name are removed (its `Outcome.removed`); the result's `foreign` lists the other
    documents in `outdir` this run did not write. A worker process that dies (killed, out of
    memory) fails only the report it was rendering; the others go on in a fresh worker. Every
    output of a report is made before any is written: a failed PDF leaves no .docx behind.
    """
    folder = Path(outdir)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"输出位置 {folder} 不是文件夹")
    if pdf:
        from docgen.engine.pdf import require_libreoffice

        require_libreoffice()  # -- say it once, not once per report --
    work = [_Job(i, n, s) for i, (n, s) in enumerate(_unique(reports))]
    del reports  # -- the jobs hold what is needed (a caller's list of 100,000 goes now) --
    config = _Config(folder, pdf, kind, Path(template) if template is not None else None,
                     allow_external, html, allow_errors)
    result = BatchResult()
    if not work:
        return result
    folder.mkdir(parents=True, exist_ok=True)
    workers = min(_cpu_count() if jobs <= 0 else jobs, len(work))
    _warm(config, every_kind=False)
    outcomes: list[Outcome | None] = [None] * len(work)
    try:
        for done, outcome in enumerate(_run(config, work, workers), start=1):
            index, found = outcome
            if not found.ok:
                found = replace(found, removed=_remove_stale(folder, found.name))
            outcomes[index] = found = _compact(found, work[index].name, folder)
            if progress is not None:
                progress(done, len(work), found)
    finally:
        from docgen.engine.files import sync_folder

        sync_folder(folder)  # -- one sync for every file written (each skipped its fsync) --
    result.outcomes = [o for o in outcomes if o is not None]
    result.foreign = _foreign(folder, {job.name.casefold() for job in work})
    return result


#: The suffixes of the documents a run writes (a failed report's old ones are removed).
OUTPUT_SUFFIXES = (".docx", ".pdf", ".html")


def _remove_stale(folder: Path, name: str) -> tuple[Path, ...]:
    """Remove the outputs an earlier run wrote for `name`: this run's report failed, so they
    no longer show what its input holds. Return what was removed."""
    removed = []
    for suffix in OUTPUT_SUFFIXES:
        old = folder / f"{name}{suffix}"
        try:
            if old.is_file() and not old.is_symlink():
                old.unlink()
                removed.append(old)
        except OSError:  # -- cannot remove: it stays, and the summary lists it as foreign --
            continue
    return tuple(removed)


def _foreign(folder: Path, names: set[str]) -> list[Path]:
    """The documents in `folder` whose names belong to none of this run's reports."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [p for p in entries if p.suffix.lower() in OUTPUT_SUFFIXES and p.is_file()
            and p.stem.casefold() not in names and not p.name.startswith(".")]


#: Most reports one worker task carries: fewer tasks cost the parent less, smaller ones keep
#: the workers evenly busy to the end and the progress display moving.
MAX_CHUNK = 16


def _run(config: _Config, work: Sequence[_Job], workers: int) -> Iterator[tuple[int, Outcome]]:
    """Yield (index, outcome) for each job as it finishes.

    A worker that dies breaks its pool: the job it was rendering (known from the marker each
    worker keeps while it renders) is tried once more alone, in a fresh single worker, and
    fails if that dies too; every other unfinished job goes on in a fresh pool.
    """
    if workers <= 1:
        for job in work:
            yield job.index, _render_one(config, job)
        return
    pending = list(work)
    with tempfile.TemporaryDirectory(prefix="docgen-batch-") as markers:
        while pending:
            size = max(1, min(MAX_CHUNK, len(pending) // (workers * 8)))
            unfinished = yield from _pool(config, pending, workers, size, Path(markers),
                                          len(work))
            suspects = [job for job in unfinished if (Path(markers) / str(job.index)).exists()]
            for job in suspects:
                (Path(markers) / str(job.index)).unlink(missing_ok=True)
                lost = yield from _pool(config, [job], 1, 1, Path(markers), len(work))
                for dead in lost:
                    yield dead.index, _failed(dead, "BATCH-WORKER",
                                              "工作进程意外退出（可能被终止或内存不足），本报告未生成")
            pending = [job for job in unfinished if job not in suspects]


def _pool(config: _Config, work: Sequence[_Job], workers: int, size: int, markers: Path,
          count: int) -> Generator[tuple[int, Outcome], None, list[_Job]]:
    """Render `work` in a pool of `workers`; yield outcomes; return the jobs a broken pool
    left unfinished. `count`: the batch's size (a large one's workers start fresh)."""
    chunks = (work[i:i + size] for i in range(0, len(work), size))
    unfinished: list[_Job] = []
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                               initargs=(config, markers),
                               mp_context=_pool_context(config, count))
    try:
        # -- a bounded number of tasks in flight (not one per chunk up front): the parent's
        # memory stays the same for 1,000 reports or 100,000 --
        pending = {pool.submit(_worker, c): c for c in itertools.islice(chunks, workers * 4)}
        broken = False
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = pending.pop(future)
                try:
                    outcomes = future.result()
                except BrokenProcessPool:
                    unfinished += chunk
                    broken = True
                    continue
                if not broken:
                    for more in itertools.islice(chunks, 1):
                        pending[pool.submit(_worker, more)] = more
                yield from zip((job.index for job in chunk), outcomes, strict=True)
        for rest in chunks:  # -- never handed out: the pool broke first --
            unfinished += rest
    except BaseException:
        _stop(pool)  # -- Ctrl-C, SIGTERM: no worker left running --
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return sorted(unfinished, key=lambda job: job.index)


#: From this many reports on, workers start fresh (forkserver), not as forks of the parent
#: holding every input's job (tens of MB each would copy); below it, a fork starts faster.
LARGE_BATCH = 20_000


def _pool_context(config: _Config, count: int) -> Any:
    """None (fork), or forkserver for a large batch of shipped kinds (a custom `ReportKind`'s
    Python rules may not be importable in a fresh process: it always forks)."""
    import multiprocessing

    if count < LARGE_BATCH or isinstance(config.kind, ReportKind) or \
            "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["docgen.batch", "docgen.api", "docgen.engine.fill"])
    return context


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop every worker of `pool` now (they remove their temporary files as they go)."""
    processes = dict(getattr(pool, "_processes", None) or {})
    for process in processes.values():
        with contextlib.suppress(OSError, AttributeError, ValueError):
            process.terminate()
    for process in processes.values():
        with contextlib.suppress(OSError, AttributeError, ValueError, AssertionError):
            process.join(5)
            if process.is_alive():
                process.kill()


# -- in each worker --------------------------------------------------------------------------

_WORKER_CONFIG: _Config | None = None
_WORKER_MARKERS: Path | None = None


def _init_worker(config: _Config, markers: Path | None = None) -> None:
    """Keep the configuration and compile the templates (a no-op if inherited by fork); cap
    the memory; leave Ctrl-C to the parent, which stops the workers; SIGTERM unwinds."""
    global _WORKER_CONFIG, _WORKER_MARKERS
    _WORKER_CONFIG = config
    _WORKER_MARKERS = markers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), _worker_signal)
    _die_with_parent()
    limits.apply_memory_limit()
    _warm(config, every_kind=False)  # -- shipped kinds: compiled (or read from the disk
    # -- cache) on first use, only the ones this worker's reports need --


_IN_JOB = False


def _worker_signal(signum: int, frame: Any) -> None:
    # -- in a job: unwind (temporary files removed), then exit; idle: exit at once, quietly --
    if _IN_JOB:
        raise Terminated(signum)
    os._exit(128 + signum)


def _die_with_parent() -> None:
    # -- Linux: a worker gets SIGTERM when the batch process dies (even by kill -9) --
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # -- PR_SET_PDEATHSIG --


def _worker(chunk: Sequence[_Job]) -> list[Outcome]:
    global _IN_JOB
    config = _WORKER_CONFIG
    assert config is not None, "worker not initialised"
    outcomes = []
    _IN_JOB = True
    try:
        for job in chunk:
            marker = None if _WORKER_MARKERS is None else _WORKER_MARKERS / str(job.index)
            if marker is not None:
                marker.touch()
            outcomes.append(_render_one(config, job))
            if marker is not None:
                marker.unlink(missing_ok=True)
    except Terminated as exc:  # -- stopped by the parent: temporary files are gone; exit --
        os._exit(128 + exc.signum)
    finally:
        _IN_JOB = False
    return outcomes


def _warm(config: _Config, *, every_kind: bool) -> None:
    """Compile the templates (and load the schemas) the reports will most likely use.

    A broken custom template raises `TemplateProblemError` here, before any report. Shipped
    kinds are compiled (or read from the disk cache) on first use: only the templates the
    inputs use.
    """
    from docgen.engine.fill import compile_template
    from docgen.engine.html import compile_html
    from docgen.engine.schema import load_schema

    if isinstance(config.kind, ReportKind):
        kinds = [config.kind]
    elif isinstance(config.kind, str):
        kinds = [get_kind(config.kind)]
    else:
        kinds = [get_kind(v) for v in FORMAT_VERSIONS] if every_kind else []
    for found in kinds:
        load_schema(found.schema_path)
        if config.template is None:
            if found.template_path == Path():
                raise UsageError(f"报告类型 {found.name} 没有 Word 模板；batch 为每份报告生成 "
                                 "Word 文档，请用 --template 指定一个 .docx 模板")
            compile_template(found.template_path)
        if config.html:
            if found.html_template_path is None:
                raise UsageError(f"报告类型 {found.name} 没有 HTML 模板，无法输出网页")
            compile_html(found.html_template_path)
    if config.template is not None:
        compile_template(config.template)


def _render_one(config: _Config, job: _Job) -> Outcome:
    """Check, fill and write one report; every problem goes into the outcome, none escapes."""
    from docgen.api import prepare
    from docgen.engine.files import refuse_overwriting, write_atomic
    from docgen.errors import InvalidReportError, TemplateProblemError

    source = str(job.source) if isinstance(job.source, (Path, JsonLine)) else job.name
    target = config.outdir / f"{job.name}.docx"
    try:
        data = job.source.load() if isinstance(job.source, JsonLine) else job.source
        prepared = prepare(data, kind=config.kind)
        inputs = [config.template, job.source if isinstance(job.source, Path) else None]
        refuse_overwriting(target, inputs)
        docx = prepared.render(template=config.template, allow_external=config.allow_external,
                               allow_errors=config.allow_errors)
        pdf = None
        if config.pdf:
            from docgen.engine.pdf import docx_to_pdf

            pdf = docx_to_pdf(docx)  # -- before anything is written: a failure leaves nothing --
        page = prepared.render_html(allow_errors=config.allow_errors).encode("utf-8") \
            if config.html else None
        write_atomic(target, docx, durable=False)
        files = [target]
        for suffix, made in ((".pdf", pdf), (".html", page)):
            if made is not None:
                refuse_overwriting(target.with_suffix(suffix), inputs)
                write_atomic(target.with_suffix(suffix), made, durable=False)
                files.append(target.with_suffix(suffix))
        return Outcome(job.name, source, tuple(files), tuple(prepared.issues))
    except (InvalidReportError, TemplateProblemError) as exc:
        return Outcome(job.name, source, (), exc.issues)
    except DocgenError as exc:
        return _failed(job, _code(exc), str(exc), source)
    except MemoryError:
        return _failed(job, "BATCH-MEMORY", f"内存不足（上限 {limits.current().memory_mb} MB，"
                       "memory_mb），本报告未生成", source)
    except Exception as exc:  # -- a bug; keep it to this report and say what it was --
        return _failed(job, "BATCH-INTERNAL", f"内部错误（{type(exc).__name__}: {exc}）", source)


def _compact(outcome: Outcome, name: str, folder: Path) -> Outcome:
    """`outcome` as the parent keeps it: the job's own name string, and output paths made
    from the output folder (a path unpickled from a worker is twice the memory; a 100,000-line
    batch keeps 100,000 outcomes)."""
    written = tuple(folder / path.name if path.parent == folder else path
                    for path in outcome.written)
    return replace(outcome, name=name, written=written)


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
        used.add(candidate.casefold())
        yield candidate, source


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
