"""Progress bars (rich) for long loops, silenced by ``--quiet`` / ``quiet=True``.

Bars count the unit of the work ("41 bias points", "24 temperatures", "40 trajectories x 6000
steps") and are drawn on stderr when it is a terminal, and in Jupyter notebooks (rich renders them
in an output widget, which needs ipywidgets). Anywhere else (pipes, files, CI logs) no bar is drawn
and no control characters reach the log; instead :func:`work` prints one line with the size of the
run before it starts and, once the first part is done, one line with the time it will take when
that is more than :data:`ESTIMATE_AFTER_S`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_QUIET = False

__all__ = ["set_quiet", "is_quiet", "track", "work", "progress_console", "bars_visible", "ESTIMATE_AFTER_S"]

#: The clock of the estimates (a module attribute, so that tests can give it a fake one).
_clock = time.perf_counter

#: Without a terminal, the time estimate is printed when the run will take longer than this (s).
ESTIMATE_AFTER_S = 10.0


def set_quiet(quiet: bool) -> None:
    """Switch progress bars off (``True``) or back on for this process."""
    global _QUIET
    _QUIET = bool(quiet)


def is_quiet() -> bool:
    """Whether progress bars are switched off (:func:`set_quiet`)."""
    return _QUIET


def progress_console():
    """The rich Console progress bars are drawn on (stderr)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def bars_visible(console, quiet: bool | None = None) -> bool:
    """Whether bars should be drawn on ``console``: not quiet, and a terminal or a Jupyter notebook."""
    if _QUIET if quiet is None else quiet:
        return False
    if console.is_jupyter:
        return importlib.util.find_spec("ipywidgets") is not None
    return console.is_terminal


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 600:
        return f"{seconds / 60:.1f} min"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@contextlib.contextmanager
def work(description: str, total: int, unit: str,
         total_weight: float | None = None) -> Iterator[Callable[..., None]]:
    """A progress bar over ``total`` units of work named ``unit`` ("bias points"); yields
    ``advance(n=1, weight=None)``.

    On a terminal or in Jupyter: a transient rich bar "description  [bar]  12/41 bias points  0:00:03
    0:00:07". Elsewhere (not quiet): "description: 41 bias points" on stderr before the work, and
    "description: about 2 min in total" after the first unit when the run will take longer than
    ESTIMATE_AFTER_S (an extrapolation from the first units, printed once).

    Units of unequal cost (chunks of a pair sum): give ``total_weight`` (their summed cost, any unit)
    and ``advance(n, weight=...)`` the cost of the units just finished; the estimate then extrapolates
    the fraction of the cost done, not of the units (on a terminal the bar runs on the cost and its
    text counts the units). Units advanced with weight 0 (reused from an earlier run) count in the
    text but not in the estimate.
    """
    if _QUIET:
        yield lambda n=1, weight=None: None
        return
    console = progress_console()
    total = max(int(total), 0)
    if bars_visible(console):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        # The bar (and rich's remaining-time column) runs on the weights when given, the text on the units.
        columns = (TextColumn("{task.description}"), BarColumn(),
                   TextColumn("{task.fields[units]}/" + str(total) + " " + unit.replace("[", r"\[")),
                   TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            weighted = total_weight is not None
            task = progress.add_task(description, total=float(total_weight) if weighted else total, units=0)
            count = [0]

            def advance_bar(n: int = 1, weight: float | None = None) -> None:
                count[0] += n
                step = (n if weight is None else float(weight)) if weighted else n
                progress.update(task, advance=step, units=count[0])

            yield advance_bar
        return
    print(f"{description}: {total} {unit}", file=sys.stderr, flush=True)
    start, done, done_weight, timed, told = _clock(), 0, 0.0, 0, False

    def advance(n: int = 1, weight: float | None = None) -> None:
        nonlocal done, done_weight, timed, told
        done += n
        timed += n if weight is None or weight > 0 else 0  # units that took time (not reused ones)
        done_weight += n if weight is None else float(weight)
        if told or done <= 0 or done >= total:
            return
        fraction = done / total if total_weight is None else done_weight / max(float(total_weight), 1e-300)
        if fraction <= 0:
            return
        elapsed = _clock() - start
        estimate = elapsed / fraction
        if elapsed >= 0.5 or fraction >= 0.1:  # enough of the run seen to extrapolate
            told = True
            if estimate > ESTIMATE_AFTER_S:
                print(f"{description}: about {_duration(estimate)} in total "
                      f"({timed} of {total} {unit} took {_duration(elapsed)})", file=sys.stderr, flush=True)

    yield advance


def track(items: Iterable[T], description: str, total: int | None = None, unit: str = "steps") -> Iterator[T]:
    """Iterate over ``items`` with :func:`work` counting one ``unit`` per item."""
    if total is None:
        items = list(items)
        total = len(items)
    with work(description, total, unit) as advance:
        for item in items:
            yield item
            advance(1)
