"""Progress of a pipeline run, for people: the assets report steps here, `bpo run` / `bpo demo` show them.

The assets call `current()`, which is a silent reporter unless a command installed one with
`reporting(...)` (Dagster's own runs, `dg dev`, show nothing extra). `RunProgress` draws rich progress
bars on a terminal and writes plain lines otherwise (CI logs, pipes): one when a step starts and
one when it ends, never a redrawn bar.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class Reporter:
    """What the pipeline reports; this base class ignores it all."""

    def step(self, key: str, description: str, total: int | None = None) -> None:
        """A step starts (total: how many units it has, when known)."""

    def advance(self, key: str, completed: int | None = None, description: str | None = None) -> None:
        """A unit of the step is done (or `completed` units in all); the description may change."""

    def finish(self, key: str, summary: str | None = None) -> None:
        """The step ended; `summary` replaces its description."""

    def note(self, line: str) -> None:
        """A line to show as is (e.g. why nothing was built)."""


_silent = Reporter()
_installed: list[Reporter] = []


def current() -> Reporter:
    return _installed[-1] if _installed else _silent


@contextlib.contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    """Install `reporter` for the steps run inside (one process-wide slot: steps run on several threads)."""
    _installed.append(reporter)
    try:
        yield reporter
    finally:
        _installed.remove(reporter)


class RunProgress(Reporter):
    """Bars on a terminal (rich), plain lines elsewhere. Use as a context manager."""

    def __init__(self, console: Console):
        self.console = console
        self.live = console.is_terminal and not console.is_dumb_terminal
        # the bars stay (transient=False): they are the record of the run's steps on screen
        self.progress = Progress(SpinnerColumn(finished_text="[green]✓[/]"), TextColumn("{task.description}"),
                                 BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                                 redirect_stdout=False, redirect_stderr=False) if self.live else None
        self.tasks: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.totals: dict[str, int | None] = {}

    def __enter__(self) -> RunProgress:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def step(self, key: str, description: str, total: int | None = None) -> None:
        self.started[key] = time.monotonic()
        self.totals[key] = total
        if self.progress is None:
            self.console.print(f"{description} ...", highlight=False, soft_wrap=True)
            return
        if key in self.tasks:
            self.progress.reset(self.tasks[key], total=total, description=description)
        else:
            self.tasks[key] = self.progress.add_task(description, total=total)

    def advance(self, key: str, completed: int | None = None, description: str | None = None) -> None:
        if self.progress is None or key not in self.tasks:
            return
        fields = {"description": description} if description else {}
        if completed is None:
            self.progress.update(self.tasks[key], advance=1, **fields)
        else:
            self.progress.update(self.tasks[key], completed=completed, **fields)

    def finish(self, key: str, summary: str | None = None) -> None:
        seconds = time.monotonic() - self.started.get(key, time.monotonic())
        if self.progress is None:
            if summary:
                self.console.print(f"{summary} ({seconds:.1f} s)", highlight=False, soft_wrap=True)
            return
        if key in self.tasks:
            task = self.tasks[key]
            total = self.progress.tasks[task].total
            if total is None:  # a step without units: show it as one, done
                self.progress.update(task, total=1, completed=1)
            else:
                self.progress.update(task, completed=total)
            if summary:
                self.progress.update(task, description=summary)

    def note(self, line: str) -> None:
        self.console.print(line, highlight=False, soft_wrap=True)
