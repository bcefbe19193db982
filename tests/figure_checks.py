"""What a reader of a journal checks on a figure, checked programmatically on a matplotlib Figure.

``figure_problems(fig)`` renders the figure (Agg) and returns one plain sentence per problem:

- tick labels of one axis that overlap each other, and labels of one panel that overprint another's;
- an axes (or colour bar) with data but no axis label, or a quantity label without units;
- raw plain-text math in any text ("cm^-1", "t0", "mu_F" outside $...$);
- a legend that leaves the figure, covers data points of its axes, or has an entry whose artist is
  invisible;
- two curves of one axes drawn on top of each other (same path within a pixel) with nothing to tell
  them apart (same line style and no distinct markers): the lower one is hidden;
- a signed map (values of both signs) without a diverging colormap centred at zero.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import QuadMesh
from matplotlib.colors import TwoSlopeNorm
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D

DIVERGING = {"RdBu", "RdBu_r", "coolwarm", "coolwarm_r", "bwr", "bwr_r", "seismic", "seismic_r", "PuOr",
             "PuOr_r", "BrBG", "BrBG_r", "PiYG", "PiYG_r", "PRGn", "PRGn_r", "RdYlBu", "RdYlBu_r", "vanimo",
             "berlin", "managua"}

# Plain-text math a reader should never see: outside $...$ these are typos for rendered math.
_RAW_MATH = [re.compile(p) for p in (r"cm\^-1", r"\^-\d", r"\bt0\b", r"\bmu_F\b", r"\bDelta\^2\b")]


def _outside_math(text: str) -> str:
    return re.sub(r"\$[^$]*\$", "", text)


def _drawn_ticklabels(axis) -> list:
    """Tick labels matplotlib actually draws (inside the view limits, switched on)."""
    out = []
    for tick in axis._update_ticks():  # the ticks inside the view interval, as draw() uses them
        for label in (tick.label1, tick.label2):
            if label.get_visible() and label.get_text().strip():
                out.append(label)
    return out


def _tick_overlaps(ax, which: str, renderer) -> list[str]:
    axis = ax.xaxis if which == "x" else ax.yaxis
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in _drawn_ticklabels(axis)]
    out = []
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        # 0.5 px of slack: neighbouring labels may touch, not overprint.
        if a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5:
            out.append(f"{which} tick labels {ta!r} and {tb!r} overlap")
    return out


def _axes_texts(ax, renderer) -> list[tuple[str, object]]:
    texts = [ax.title, ax._left_title, ax._right_title]
    if ax.axison:  # axis("off") hides labels and ticks
        texts += [ax.xaxis.label, ax.yaxis.label] + _drawn_ticklabels(ax.xaxis) + _drawn_ticklabels(ax.yaxis)
    return [(t.get_text(), t.get_window_extent(renderer)) for t in texts
            if t.get_visible() and t.get_text().strip()]


def _cross_axes_overlaps(fig, renderer) -> list[str]:
    """Labels, titles and tick labels of one axes overprinting those of another (e.g. a twin axis label
    running into the next panel's label)."""
    per_axes = [(ax, _axes_texts(ax, renderer)) for ax in fig.axes if ax.get_visible()]
    out = []
    for (a, ta), (b, tb) in itertools.combinations(per_axes, 2):
        for (sa, ba), (sb, bb) in itertools.product(ta, tb):
            if ba.x0 < bb.x1 - 0.5 and bb.x0 < ba.x1 - 0.5 and ba.y0 < bb.y1 - 0.5 and bb.y0 < ba.y1 - 0.5:
                if sa == sb and ba.bounds == bb.bounds:
                    continue  # one shared label drawn twice (twin axes)
                out.append(f"text {sa!r} overprints {sb!r} of another panel")
    return out


def _has_data(ax) -> bool:
    return bool(ax.lines or ax.collections or ax.images or ax.patches and len(ax.patches) > 1)


def _label_problems(ax, name: str) -> list[str]:
    out = []
    if not _has_data(ax):
        return out
    for which, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())):
        axis = ax.xaxis if which == "x" else ax.yaxis
        shared = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
        siblings = [s for s in shared.get_siblings(ax) if s is not ax]
        # A twin axes shares its other axis with the main one, which carries that label.
        if any((s.get_xlabel() if which == "x" else s.get_ylabel()).strip() for s in siblings):
            continue
        shown = bool(_drawn_ticklabels(axis))
        if shown and not label.strip():
            out.append(f"{name}: {which} axis has tick labels but no label")
    return out


def _colorbar_problems(fig) -> list[str]:
    out = []
    for ax in fig.axes:
        cb = getattr(ax, "_colorbar", None)
        if cb is None:
            continue
        label = (ax.get_ylabel() or ax.get_xlabel()).strip()
        if not label:
            out.append("a colour bar has no label")
    return out


def _text_problems(fig) -> list[str]:
    out = []
    for t in fig.findobj(lambda a: hasattr(a, "get_text") and callable(a.get_text)):
        if not getattr(t, "get_visible", lambda: True)():
            continue
        text = t.get_text()
        if not isinstance(text, str) or not text:
            continue
        plain = _outside_math(text)
        for pat in _RAW_MATH:
            if pat.search(plain):
                out.append(f"raw plain-text math {pat.pattern!r} in {text!r}")
    return out


def _display_vertices(ax) -> np.ndarray:
    pts = []
    for line in ax.lines:
        if not line.get_visible():
            continue
        xy = np.column_stack([np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)])
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if xy.size:
            pts.append(line.get_transform().transform(xy))
    for coll in ax.collections:
        offs = np.asarray(coll.get_offsets(), float)
        if offs.ndim == 2 and offs.shape[0] > 1 and coll.get_visible():
            offs = offs[np.all(np.isfinite(offs), axis=1)]
            if offs.size:
                pts.append(coll.get_offset_transform().transform(offs))
    return np.concatenate(pts) if pts else np.empty((0, 2))


def _legend_problems(fig, renderer) -> list[str]:
    out = []
    fbox = fig.bbox
    legends = [(ax, ax.get_legend()) for ax in fig.axes if ax.get_legend() is not None]
    legends += [(None, lg) for lg in fig.legends]
    for ax, lg in legends:
        if not lg.get_visible():
            continue
        box = lg.get_window_extent(renderer)
        if box.x0 < fbox.x0 - 1 or box.y0 < fbox.y0 - 1 or box.x1 > fbox.x1 + 1 or box.y1 > fbox.y1 + 1:
            out.append("a legend reaches outside the figure")
        for text, handle in zip(lg.get_texts(), lg.legend_handles):
            if not text.get_text().strip():
                out.append("a legend entry has no label")
            if handle is not None and (not handle.get_visible() or (handle.get_alpha() is not None
                                                                     and handle.get_alpha() == 0)):
                out.append(f"legend entry {text.get_text()!r} is invisible")
        # Data of every axes the legend sits on (an axes' legend can also sit on a twin axes).
        for other in fig.axes:
            if not other.bbox.overlaps(box):
                continue
            pts = _display_vertices(other)
            if pts.size:
                inside = ((pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1)
                          & (pts[:, 0] >= other.bbox.x0) & (pts[:, 0] <= other.bbox.x1)
                          & (pts[:, 1] >= other.bbox.y0) & (pts[:, 1] <= other.bbox.y1))
                if inside.any():
                    labels = [t.get_text() for t in lg.get_texts()][:3]
                    out.append(f"legend {labels}... covers {int(inside.sum())} data points")
                    break
    return out


def _distinct(a: Line2D, b: Line2D) -> bool:
    """Can a reader see both curves where they coincide? (different dash patterns or distinct markers)."""
    if a.get_linestyle() != b.get_linestyle():
        return True
    ma, mb = a.get_marker(), b.get_marker()
    has_a, has_b = ma not in ("None", None, "", " "), mb not in ("None", None, "", " ")
    if has_a and has_b and (ma != mb or a.get_markersize() != b.get_markersize()):
        return True
    return False


def _hidden_curves(ax, name: str) -> list[str]:
    out = []
    # Error-bar caps (markers only, "_" or "|") of a tiny error sit on each other by nature.
    lines = [ln for ln in ax.lines if ln.get_visible() and len(np.atleast_1d(ln.get_xdata())) > 1
             and not (ln.get_linestyle() in ("None", "") and ln.get_marker() in ("_", "|", 2, 3))]
    paths = []
    for ln in lines:
        xy = np.column_stack([np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float)])
        paths.append(ln.get_transform().transform(xy))
    for (i, a), (j, b) in itertools.combinations(enumerate(lines), 2):
        pa, pb = paths[i], paths[j]
        if pa.shape != pb.shape:
            continue
        ok = np.all(np.isfinite(pa), axis=1) & np.all(np.isfinite(pb), axis=1)
        if ok.sum() < 2:
            continue
        if np.max(np.abs(pa[ok] - pb[ok])) < 1.0 and not _distinct(a, b):
            out.append(f"{name}: curves {a.get_label()!r} and {b.get_label()!r} lie on top of each other")
    return out


def _map_problems(ax, name: str) -> list[str]:
    out = []
    for art in [*ax.images, *[c for c in ax.collections if isinstance(c, QuadMesh)]]:
        if not isinstance(art, (AxesImage, QuadMesh)):
            continue
        data = np.ma.masked_invalid(np.asarray(art.get_array(), float))
        if data.count() == 0 or not (data.min() < 0 < data.max()):
            continue
        cmap = art.get_cmap().name
        norm = art.norm
        centred = isinstance(norm, TwoSlopeNorm) and norm.vcenter == 0 or (
            norm.vmin is not None and norm.vmax is not None and np.isclose(norm.vmin, -norm.vmax))
        if cmap not in DIVERGING:
            out.append(f"{name}: signed map with the sequential colormap {cmap!r}")
        if not centred:
            out.append(f"{name}: signed map whose colour scale is not centred at zero "
                       f"({norm.vmin:g} to {norm.vmax:g})")
    return out


def figure_problems(fig) -> list[str]:
    """Every problem found on ``fig`` (an empty list for a figure a reader can trust)."""
    if not hasattr(fig.canvas, "get_renderer"):  # a figure detached from pyplot: give it an Agg canvas
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    problems: list[str] = []
    colorbar_axes = {id(ax) for ax in fig.axes if getattr(ax, "_colorbar", None) is not None}
    for k, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison or id(ax) in colorbar_axes:
            continue
        name = f"panel {k} ({ax.get_title() or ax.get_ylabel() or 'untitled'})"
        for which in "xy":
            problems += [f"{name}: {p}" for p in _tick_overlaps(ax, which, renderer)]
        problems += _label_problems(ax, name)
        problems += _hidden_curves(ax, name)
        problems += _map_problems(ax, name)
    problems += _cross_axes_overlaps(fig, renderer)
    problems += _colorbar_problems(fig)
    problems += _text_problems(fig)
    problems += _legend_problems(fig, renderer)
    return problems
