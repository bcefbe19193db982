"""The figure of a sweep: the study's own ``plot_sweep(ds, path)`` if it has one, else a generic one.

Every shipped study has its own (tau(T) per swept value and the fitted barrier, maps of J and D over
bias and the swept key, ...; built from :mod:`spinbath.sweeps.figures`). The generic figure is for
studies added without one; it leaves out outputs that do not change along the sweep.

Generic figure, one panel per output (at most :data:`MAX_PANELS`): numeric variables whose
non-sweep part has at most :data:`MAX_LINES` entries (per-task scalars first, then small arrays
such as level energies, one line per entry), plotted against the swept values:

* one parameter, or ``zip`` mode: lines vs the parameter (vs the task number for a zip whose first
  parameter is not a monotonic number);
* two numeric parameters (product): a colour map over the two for each per-task scalar (the first
  entry for small arrays);
* more parameters: lines vs the first, one line per value of the others (at most
  :data:`MAX_LINES`), for per-task scalars.

Entries of failed tasks are NaN and leave gaps.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import xarray as xr

from .gather import sweep_info

__all__ = ["plot_sweep", "plot_generic", "MAX_PANELS", "MAX_LINES"]

MAX_PANELS = 6
MAX_LINES = 12


def plot_sweep(study, ds: xr.Dataset, path) -> None:
    """Draw the figure of a gathered sweep to ``path`` (format from the suffix)."""
    custom = getattr(study, "plot_sweep", None)
    if callable(custom):
        custom(ds, path)
    else:
        plot_generic(ds, path)


def _label(ds: xr.Dataset, name: str) -> str:
    da = ds[name]
    unit = da.attrs.get("units", "1")
    path = da.attrs.get("sweep_path", name)
    return f"{path} ({unit})" if unit not in ("1", "") else path


def _title(ds: xr.Dataset, name: str, note: str = "") -> str:
    """The variable's name, with its long_name when that is short enough for a panel title."""
    long = str(ds[name].attrs.get("long_name", ""))
    base = f"{name}: {long}" if long and len(long) <= 36 else name
    return f"{base}\n{note}" if note else base


def _panels(ds: xr.Dataset, dims: list[str]) -> list[str]:
    scalars, arrays = [], []
    for name, da in ds.data_vars.items():
        if name == "failed" or da.dtype.kind not in "fiu":
            continue
        extra = [d for d in da.dims if d not in dims]
        size = math.prod(da.sizes[d] for d in extra)
        if _constant_along_sweep(da, dims):
            continue  # an input echoed per task, or a quantity the sweep does not change: nothing to see
        if size == 1:
            scalars.append(name)
        elif size <= MAX_LINES:
            arrays.append(name)
    return (scalars + arrays)[:MAX_PANELS]


def _constant_along_sweep(da: xr.DataArray, dims: list[str]) -> bool:
    swept = [d for d in dims if d in da.dims]
    if not swept:
        return True
    v = np.asarray(da.transpose(*swept, ...).values, float).reshape(math.prod(da.sizes[d] for d in swept), -1)
    v = v[np.all(np.isfinite(v), axis=1)]
    return v.shape[0] < 2 or bool(np.all(v == v[0]))


def _is_numeric(coord: xr.DataArray) -> bool:
    return coord.dtype.kind in "fiu"


def _xaxis(ds: xr.Dataset, info: dict) -> tuple[np.ndarray, str, list[str] | None]:
    """x values, label and tick labels (None for numeric axes) of the line plots."""
    dim = info["dims"][0]
    if info["mode"] == "zip":
        first = ds[info["parameters"][0]["name"]]
        v = first.values
        if _is_numeric(first) and v.size > 1 and (np.all(np.diff(v) > 0) or np.all(np.diff(v) < 0)):
            return v, _label(ds, first.name), None
        ticks = [", ".join(str(ds[p["name"]].values[i]) for p in info["parameters"]) for i in range(v.size)]
        return np.arange(v.size), "task", ticks
    coord = ds[dim]
    if _is_numeric(coord):
        return coord.values, _label(ds, dim), None
    return np.arange(coord.size), _label(ds, dim), [str(x) for x in coord.values]


def _line_panel(ax, ds, name, info, x, ticks) -> None:
    da = ds[name]
    dims = info["dims"]
    first = dims[0]
    others = [d for d in dims[1:]]
    extra = [d for d in da.dims if d not in dims]
    fixed = ""
    if extra and others:
        da = da.isel({d: 0 for d in others})
        fixed = ", ".join(f"{ds[d].attrs.get('sweep_path', d)} = {ds[d].values[0]}" for d in others)
        others = []
    if extra:
        flat = da.transpose(first, *extra).values.reshape(da.sizes[first], -1)
        ax.plot(x, flat, lw=1.0, color="C0", marker="." if x.size < 30 else None)
    else:
        combos = list(itertools.product(*(range(ds.sizes[d]) for d in others)))[:MAX_LINES]
        for combo in combos:
            sel = da.isel(dict(zip(others, combo))) if others else da
            label = ", ".join(f"{ds[d].attrs.get('sweep_path', d)} = {ds[d].values[i]}" for d, i in zip(others, combo))
            ax.plot(x, sel.transpose(first).values, lw=1.2, marker="." if x.size < 30 else None,
                    label=label or None)
        if others and len(combos) > 1:
            ax.legend(fontsize=5.5, frameon=False)
    if ticks is not None:
        ax.set_xticks(x)
        ax.set_xticklabels(ticks, rotation=45, ha="right", fontsize=6)
    unit = ds[name].attrs.get("units", "1")
    ax.set_ylabel(name if unit in ("1", "") else f"{name} ({unit})")
    note = "; ".join(x for x in (f"all {', '.join(extra)}" if extra else "", fixed) if x)
    ax.set_title(_title(ds, name, note), fontsize=7)


def _map_panel(fig, ax, ds, name, dims) -> None:
    da = ds[name]
    extra = [d for d in da.dims if d not in dims]
    if extra:
        da = da.isel({d: 0 for d in extra})
    x, y = ds[dims[0]].values, ds[dims[1]].values
    im = ax.pcolormesh(x, y, da.transpose(dims[1], dims[0]).values, shading="nearest", cmap="viridis")
    unit = ds[name].attrs.get("units", "1")
    fig.colorbar(im, ax=ax, label=name if unit in ("1", "") else f"{name} ({unit})")
    ax.set_xlabel(_label(ds, dims[0]))
    ax.set_ylabel(_label(ds, dims[1]))
    note = ", ".join(f"{d} = {ds[d].values[0]}" for d in extra if d in ds.coords)
    ax.set_title(_title(ds, name, note), fontsize=7)


def plot_generic(ds: xr.Dataset, path) -> None:
    """The generic sweep figure (module docstring)."""
    from ..plotting import paper_style, plt, save_figure

    info = sweep_info(ds)
    if info is None:
        raise ValueError("not a sweep dataset (no 'sweep' attribute)")
    dims = info["dims"]
    names = _panels(ds, dims)
    as_map = (info["mode"] == "product" and len(dims) == 2
              and all(_is_numeric(ds[d]) and ds.sizes[d] > 1 for d in dims))
    n = max(1, len(names))
    cols = min(3, n)
    rows = math.ceil(n / cols)
    with paper_style():
        fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.6 * rows), squeeze=False)
        flat = list(axes.ravel())
        if not names:
            flat[0].text(0.5, 0.5, "no numeric output small enough to plot per task\nchanges along the sweep",
                         ha="center", va="center", transform=flat[0].transAxes, fontsize=7)
        x, xlabel, ticks = _xaxis(ds, info)
        for ax, name in zip(flat, names):
            if as_map:
                _map_panel(fig, ax, ds, name, dims)
            else:
                _line_panel(ax, ds, name, info, x, ticks)
                ax.set_xlabel(xlabel)
        for ax in flat[len(names) or 1:]:
            ax.set_visible(False)
        title = ds.attrs.get("title", "")
        fig.suptitle(f"{title}: sweep over {', '.join(p['path'] for p in info['parameters'])}", fontsize=8)
        save_figure(fig, path)
