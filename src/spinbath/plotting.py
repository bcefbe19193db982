"""Figure style and saving shared by the studies (matplotlib; no display needed).

Outside IPython/Jupyter the Agg backend is selected, so the command line never needs a display. In
IPython the user's backend is left alone (the inline backend of a notebook shows the figures that
:func:`spinbath.plot` returns).
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib

if "IPython" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["FIGURE_FORMATS", "paper_style", "save_figure", "capture_figure", "plt"]

FIGURE_FORMATS = ("png", "svg", "pdf")

#: A compact, journal-friendly style: serif-free, 8-9 pt fonts, inward ticks, 300 dpi PNG.
PAPER_RC = {
    "font.size": 9,
    "axes.labelsize": 9,
    "axes.titlesize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.4,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "figure.constrained_layout.use": True,
}


def paper_style():
    """Context manager applying :data:`PAPER_RC`."""
    return matplotlib.rc_context(PAPER_RC)


def figure_format(path: str | Path, format: str | None = None) -> str:
    """The format of a figure file: ``format`` if given, else the suffix of ``path``; ValueError if unsupported."""
    fmt = (format or Path(path).suffix.lstrip(".")).lower()
    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"figure format {fmt!r} not supported; use one of {FIGURE_FORMATS}")
    return fmt


@dataclass
class FigureCapture:
    """What :func:`capture_figure` saw: the figure passed to :func:`save_figure` and the file written."""

    path: Path | None
    format: str | None
    figure: object = None
    saved: Path | None = None


_CAPTURE: contextvars.ContextVar[FigureCapture | None] = contextvars.ContextVar("spinbath_figure_capture",
                                                                                 default=None)


@contextlib.contextmanager
def capture_figure(path: str | Path | None = None, format: str | None = None):
    """While active, :func:`save_figure` keeps the figure open and records it instead of closing it.

    It saves the figure to ``path`` (format ``format`` or the suffix) instead of the path it was
    given, or saves nothing when ``path`` is None. Yields a :class:`FigureCapture`.
    """
    capture = FigureCapture(None if path is None else Path(path), format)
    token = _CAPTURE.set(capture)
    try:
        yield capture
    finally:
        _CAPTURE.reset(token)


def _save(fig, path: Path, fmt: str) -> Path:
    from .io import atomic_write

    return atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt), suffix=f".{fmt}")


def save_figure(fig, path: str | Path) -> Path | None:
    """Save ``fig`` atomically and close it; the format follows the suffix (.png, .svg, .pdf).

    Inside :func:`capture_figure`, see there.
    """
    capture = _CAPTURE.get()
    if capture is not None:
        capture.figure = fig
        if capture.path is not None:
            capture.saved = _save(fig, capture.path, figure_format(capture.path, capture.format))
        return capture.saved
    path = Path(path)
    try:
        return _save(fig, path, figure_format(path))
    finally:
        plt.close(fig)
