"""Progress bars (rich) for long loops, silenced by ``--quiet`` / ``quiet=True``.

Bars are drawn on stderr when it is a terminal, and in Jupyter notebooks (rich renders them in an
output widget, which needs ipywidgets); anywhere else (pipes, files, CI logs) they are off, so no
control characters end up in logs.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_QUIET = False

__all__ = ["set_quiet", "is_quiet", "track", "progress_console", "bars_visible"]


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


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a rich progress bar on stderr (transient; hidden when quiet)."""
    if _QUIET:
        yield from items
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    console = progress_console()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, disable=not bars_visible(console)) as progress:
        yield from progress.track(items, total=total, description=description)
