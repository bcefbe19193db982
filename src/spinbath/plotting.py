"""Figure style and saving shared by the studies (matplotlib, Agg backend, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["FIGURE_FORMATS", "paper_style", "save_figure", "plt"]

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


def save_figure(fig, path: str | Path) -> Path:
    """Save ``fig`` atomically; the format follows the suffix (.png, .svg, .pdf)."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"figure format {fmt!r} not supported; use one of {FIGURE_FORMATS}")
    from .io import atomic_write

    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt), suffix=f".{fmt}")
    finally:
        plt.close(fig)
