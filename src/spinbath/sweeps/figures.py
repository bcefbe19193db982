"""Building blocks of the studies' own sweep figures (``Study.plot_sweep``).

A sweep adds one dimension per swept key (``mode = "product"``) or one ``task`` dimension (``zip``)
to every output. A study's sweep figure shows its physics along the *first* swept key: a family of
curves (tau(T) for each swept value, ...) or a map over (x, swept key), plus a scalar against the
swept key. Further swept keys are held at their first value, and the panel title says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from .gather import sweep_info

__all__ = ["SweepAxis", "sweep_axis", "key_text", "family", "against_key", "signed_map", "signed_map_or_family", "MAX_CURVES"]

#: A family shows at most this many swept values (evenly picked, first and last included).
MAX_CURVES = 8


@dataclass
class SweepAxis:
    """The swept dimension a figure is drawn along.

    ds: the dataset with every other swept dimension held at its first value.
    dim: the dimension's name; values: its coordinate (numbers in the working unit, or task numbers);
    label: axis label with unit; names: one short text per value (for legends);
    note: which other swept keys were held fixed ("" if none); title: the figure title.
    """

    ds: xr.Dataset
    dim: str
    values: np.ndarray
    label: str
    names: list[str]
    note: str
    title: str


def key_text(path: str) -> str:
    """A config key path as it is written in the TOML file, typeset as code ("junction.t0")."""
    # "{.}": a bare "." in mathtext is punctuation and gets a space after it.
    return r"$\mathtt{" + str(path).replace("_", r"\_").replace(".", "{.}") + "}$"


def _unit(da: xr.DataArray) -> str:
    """The unit of a coordinate as a figure shows it ("cm^-1" -> cm$^{-1}$); "" for dimensionless."""
    from ..plotting import math_text

    u = str(da.attrs.get("units", "1"))
    return "" if u in ("1", "") else math_text(u)


def sweep_axis(ds: xr.Dataset) -> SweepAxis:
    """The first swept key of a gathered sweep dataset, others held at their first value."""
    info = sweep_info(ds)
    if info is None:
        raise ValueError("not a sweep dataset (no 'sweep' attribute)")
    from ..plotting import math_text

    paths = [key_text(p["path"]) for p in info["parameters"]]
    title = f"{math_text(ds.attrs.get('title', ''))}: sweep over {', '.join(paths)}"
    if info["mode"] == "zip":
        dim = info["dims"][0]
        names = [", ".join(f"{key_text(p['path'])} = {ds[p['name']].values[i]:g}" if ds[p["name"]].dtype.kind in "fiu"
                           else f"{key_text(p['path'])} = {ds[p['name']].values[i]}" for p in info["parameters"])
                 for i in range(ds.sizes[dim])]
        first = ds[info["parameters"][0]["name"]]
        numeric = first.dtype.kind in "fiu" and first.size > 1 and (
            np.all(np.diff(first.values) > 0) or np.all(np.diff(first.values) < 0))
        values = first.values.astype(float) if numeric else np.arange(ds.sizes[dim], dtype=float)
        label = (f"{paths[0]} ({_unit(first)})" if _unit(first) else paths[0]) if numeric else "sweep task"
        return SweepAxis(ds, dim, values, label, names, "", title)
    dim, *others = info["dims"]
    held = ds.isel({d: 0 for d in others}) if others else ds
    note = ", ".join(f"{key_text(d)} = {ds[d].values[0]:g} {_unit(ds[d])}".strip() for d in others)
    coord = ds[dim]
    unit = _unit(coord)
    if coord.dtype.kind in "fiu":
        values = coord.values.astype(float)
        names = [f"{v:g} {unit}".strip() for v in coord.values]
    else:
        values = np.arange(coord.size, dtype=float)
        names = [str(v) for v in coord.values]
    label = f"{key_text(dim)} ({unit})" if unit else key_text(dim)
    return SweepAxis(held, dim, values, label, names, note, title)


def _picks(n: int) -> list[int]:
    if n <= MAX_CURVES:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, MAX_CURVES).round().astype(int).tolist()))


def family(ax, sw: SweepAxis, y: xr.DataArray, x: np.ndarray, **plot_kwargs) -> None:
    """One curve y(x) per swept value (colour from light to dark along the sweep), legend below.

    ``y`` has dims (sw.dim, <the dim of x>).
    """
    from ..plotting import legend_below, plt

    picks = _picks(sw.values.size)
    cmap = plt.get_cmap("viridis")
    styles = ["-", "--", "-.", ":"]
    for n, k in enumerate(picks):
        color = cmap(0.9 * n / max(1, len(picks) - 1))
        yk = np.asarray(y.isel({sw.dim: k}).values, float)
        # Line styles cycle too, so that equal curves (a swept key without effect) stay visible.
        ax.plot(x, yk, color=color, ls=styles[n % len(styles)], lw=1.2, marker="." if x.size < 25 else None,
                label=sw.names[k], **plot_kwargs)
    legend_below(ax, ncol=2, title=sw.label, title_fontsize=6)


def against_key(ax, sw: SweepAxis, y: xr.DataArray, label: str | None = None, **plot_kwargs) -> None:
    """A scalar per swept value against the swept key (or task number)."""
    style = {"marker": "o", "ms": 3, "lw": 1.0, **plot_kwargs}
    values = np.asarray(y.values, float)
    ax.plot(sw.values, values, label=label, **style)
    # A quantity the swept key does not change (e.g. a barrier under a uniform coupling scale) is
    # shown flat, not as rounding noise blown up under an offset label.
    ax.ticklabel_format(axis="y", useOffset=False)
    finite = values[np.isfinite(values)]
    if finite.size and np.ptp(finite) <= 1e-6 * max(np.abs(finite).max(), 1e-300):
        mid = float(np.mean(finite))
        lo, hi = ax.get_ylim()
        pad = 0.05 * abs(mid) or 1.0
        ax.set_ylim(min(lo, mid - pad), max(hi, mid + pad))
    ax.set_xlabel(sw.label)
    if sw.values.size and not np.issubdtype(np.asarray(sw.ds[sw.dim].values).dtype, np.number):
        ax.set_xticks(sw.values, sw.names, rotation=30, ha="right")


def signed_map(fig, ax, sw: SweepAxis, z: xr.DataArray, x: np.ndarray, xlabel: str, zlabel: str) -> None:
    """Map of a signed quantity z (dims (sw.dim, <dim of x>)) over (x, swept key), centred at zero."""
    from ..plotting import signed_map_style

    order = np.argsort(sw.values, kind="stable")
    values = np.asarray(z.values, float)[order]
    im = ax.pcolormesh(x, sw.values[order], values, shading="nearest", **signed_map_style(values))
    fig.colorbar(im, ax=ax, label=zlabel)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(sw.label)


def signed_map_or_family(fig, ax, sw: SweepAxis, z: xr.DataArray, x: np.ndarray, xlabel: str, zlabel: str) -> None:
    """:func:`signed_map` when both axes have more than one value, else :func:`family` (curves of z)."""
    if x.size > 1 and sw.values.size > 1:
        signed_map(fig, ax, sw, z, x, xlabel, zlabel)
    else:
        family(ax, sw, z, x)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(zlabel)
