"""What became of each report of a batch, kept small enough for 100,000 of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

from docgen.batch.inputs import Job, JsonLine, source_text
from docgen.errors import Issue


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


class Outcomes(Sequence[Outcome]):
    """Every report's outcome, in input order, as a read-only sequence.

    A report written as asked with no issue — most of a large batch — is kept as one byte and
    its `Outcome` made again when it is read (it follows from the job); any other outcome is
    kept as it is. So a 100,000-report batch holds kilobytes of outcomes, not tens of MB.
    """

    def __init__(self, jobs: Sequence[Job], folder: Path, suffixes: tuple[str, ...]) -> None:
        # -- each job's name and, for a file or a line, its source: not a caller's report
        # dict, which the batch lets go as soon as it is rendered --
        self._names = [job.name for job in jobs]
        self._sources = [job.source if isinstance(job.source, (Path, JsonLine)) else None
                         for job in jobs]
        self._folder = folder
        self._suffixes = suffixes
        self._plain = bytearray(len(jobs))
        self._kept: dict[int, Outcome] = {}

    def keep(self, index: int, outcome: Outcome) -> Outcome:
        """Record `outcome` as the one of job `index`; return it as it will be read back."""
        expected = self._expected(index)
        if outcome == expected:
            self._plain[index] = 1
            return expected
        self._kept[index] = outcome
        return outcome

    def notable(self) -> list[Outcome]:
        """The outcomes with issues or without every file written, in input order."""
        return [self._kept[i] for i in sorted(self._kept)]

    def _expected(self, index: int) -> Outcome:
        name, source = self._names[index], self._sources[index]
        written = tuple(self._folder / f"{name}{suffix}" for suffix in self._suffixes)
        return Outcome(name, name if source is None else source_text(source, name), written)

    def __len__(self) -> int:
        return len(self._names)

    def __eq__(self, other: object) -> bool:
        # -- equal to any list or tuple of the same outcomes, as the list it replaces was --
        if not isinstance(other, (Outcomes, list, tuple)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    @overload
    def __getitem__(self, index: int) -> Outcome: ...
    @overload
    def __getitem__(self, index: slice) -> list[Outcome]: ...

    def __getitem__(self, index: int | slice) -> Outcome | list[Outcome]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        position = range(len(self))[index]  # -- IndexError, negative indices --
        if self._plain[position]:
            return self._expected(position)
        return self._kept[position]

    def __iter__(self) -> Iterator[Outcome]:
        return (self[i] for i in range(len(self)))


@dataclass
class BatchResult:
    """Every report's outcome, in input order."""

    outcomes: Sequence[Outcome] = field(default_factory=list)
    #: Documents in the output folder that this run did not write (other runs' outputs).
    foreign: list[Path] = field(default_factory=list)

    @property
    def rendered(self) -> list[Outcome]:
        """The reports that were written."""
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome]:
        """The reports that were not written, each with its issues."""
        return [o for o in self._notable() if not o.ok]

    @property
    def warned(self) -> list[Outcome]:
        """The reports that were written with warnings."""
        return [o for o in self._notable() if o.ok and o.issues]

    @property
    def ok(self) -> bool:
        """Whether every report was written."""
        return all(o.ok for o in self._notable())

    def _notable(self) -> Sequence[Outcome]:
        # -- a plain outcome (written, no issue) is neither failed nor warned: not read --
        return self.outcomes.notable() if isinstance(self.outcomes, Outcomes) else self.outcomes


#: Called in the calling process after each report: (reports done, reports in all, outcome).
Progress = Callable[[int, int, Outcome], None]
