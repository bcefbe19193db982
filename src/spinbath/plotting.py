"""Figure style and saving shared by the studies (matplotlib; no display needed).

Outside IPython/Jupyter the Agg backend is selected, so the command line never needs a display. In
IPython the user's backend is left alone (the inline backend of a notebook shows the figures that
:func:`spinbath.plot` returns).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np

if "IPython" not in sys.modules:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["FIGURE_FORMATS", "paper_style", "save_figure", "capture_figure", "plt", "math_text", "legend_beside",
           "legend_below", "equal_groups", "signed_map_style", "log_ticks", "value_with_error"]

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


# Plain-text math as users type it in titles ("cm^-1", "t0", "mu_F") and its mathtext form.
_MATH_SPELLINGS = [
    (re.compile(r"\^\s*(-?[0-9A-Za-z]+)"), r"$^{\1}$"),
    (re.compile(r"\b([A-Za-z])(\d)\b"), r"$\1_\2$"),
    (re.compile(r"\bmu_([A-Za-z])\b"), r"$\\mu_\1$"),
    (re.compile(r"\bDelta\b"), r"$\\Delta$"),
]


def math_text(text: str) -> str:
    """``text`` with plain-text math rendered: "cm^-1" -> cm$^{-1}$, "t0" -> $t_0$, "mu_F" -> $\\mu_F$.

    Parts already inside $...$ are left alone. Used on titles that come from a user's config.
    """
    parts = re.split(r"(\$[^$]*\$)", str(text))
    for k in range(0, len(parts), 2):
        for pattern, repl in _MATH_SPELLINGS:
            parts[k] = pattern.sub(repl, parts[k])
    return "".join(parts).replace("$$", "")


def legend_beside(ax, handles=None, labels=None, **kwargs):
    """A legend to the right of ``ax``, off its data (constrained layout makes room for it)."""
    kwargs.setdefault("fontsize", 6.5)
    kwargs.setdefault("frameon", False)
    args = () if handles is None else (handles, labels)
    return ax.legend(*args, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)


def legend_below(ax, handles=None, labels=None, ncol: int = 2, **kwargs):
    """A legend under ``ax`` (below its x label), off its data."""
    kwargs.setdefault("fontsize", 6)
    kwargs.setdefault("frameon", False)
    args = () if handles is None else (handles, labels)
    return ax.legend(*args, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=ncol, borderaxespad=0.0,
                     **kwargs)


def log_ticks(axis) -> None:
    """Readable labels on a logarithmic axis: 1-2-5 labels when it spans under two decades (a single
    label otherwise), powers of ten beyond; minor ticks unlabelled so that no labels overprint."""
    from matplotlib.ticker import LogFormatterSciNotation, LogLocator, NullFormatter, ScalarFormatter

    lo, hi = sorted(axis.get_view_interval())
    if lo > 0 and hi / lo < 100:
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        formatter = ScalarFormatter()
        formatter.set_scientific(not (1e-3 <= lo and hi <= 1e4))
        axis.set_major_formatter(formatter)
    else:
        axis.set_major_locator(LogLocator())
        axis.set_major_formatter(LogFormatterSciNotation())
    axis.set_minor_formatter(NullFormatter())


def value_with_error(value: float, stderr: float) -> str:
    """``value ± stderr`` with the error to two significant digits and the value to the same place."""
    if not np.isfinite(stderr) or stderr <= 0:
        return f"{value:.4g} (not determined)" if not np.isfinite(stderr) else f"{value:.4g}"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        exp = int(np.floor(np.log10(abs(value))))
        m, e = value / 10**exp, stderr / 10**exp
        places = max(0, 1 - int(np.floor(np.log10(e)))) if e > 0 else 2
        return rf"$({m:.{places}f} \pm {e:.{places}f}) \times 10^{{{exp}}}$"
    places = max(0, 1 - int(np.floor(np.log10(stderr))))
    return rf"${value:.{places}f} \pm {stderr:.{places}f}$"


def equal_groups(curves, rtol: float = 1e-6) -> list[list[int]]:
    """Indices of ``curves`` (a sequence of equal-length arrays) grouped where they are equal.

    Two curves are equal when max|a - b| <= rtol * max|all curves| (e.g. concurrences of bonds
    related by the chain's mirror symmetry, degenerate levels). Drawn once, with every label, so no
    curve hides another.
    """
    arrays = [np.asarray(c, float) for c in curves]
    scale = max((np.nanmax(np.abs(a)) for a in arrays if a.size), default=0.0) or 1.0
    groups: list[list[int]] = []
    for k, a in enumerate(arrays):
        for g in groups:
            b = arrays[g[0]]
            if a.shape == b.shape and np.nanmax(np.abs(a - b), initial=0.0) <= rtol * scale:
                g.append(k)
                break
        else:
            groups.append([k])
    return groups


def signed_map_style(values) -> dict:
    """pcolormesh/imshow keywords for a signed quantity: a diverging colormap centred at zero."""
    vmax = float(np.nanmax(np.abs(values))) or 1.0
    return {"cmap": "RdBu_r", "vmin": -vmax, "vmax": vmax}


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
