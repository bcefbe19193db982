"""Part of study ``open-chain``: dynamic hysteresis, M(B(t)) under a field swept at finite rates.

``[dynamic_hysteresis]`` sweeps B(t) = base + h(t) d (base = the config's ``field`` without its
component along d) as a triangle wave h = -h_max -> h_max -> -h_max at each rate in ``rates``, with
every spin in a field-following Davies bath (:class:`~spinbath.quantum.field_davies.FieldDaviesBath`:
ohmic coupling ``kappa``, ``temperature``, ``dephasing``), and records the last of ``cycles``
periods for two models:

    "exact"       exact Lindblad dynamics of the N-spin chain (N <= 8), spinbath.quantum.swept_chain
    "mean field"  product-state (mean-field) Bloch vectors, same Davies bath and exchange,
                  spinbath.classical.swept_mean_field

The config's [bath] (the common bath of the paper) is not used by these loops. Dimensionless,
hbar = gamma = k_B = 1; m = (1/N) sum_j <sigma^(j)> . d.

Output variables:
    m_dyn(dyn_model, sweep_rate, dyn_branch, h_dyn)   m on the up/down branch of the last cycle
    m_dyn_quasistatic(h_dyn)                          exact steady state at each field (unique)
    loop_area(dyn_model, sweep_rate)                  oint m dh (units gamma); the work per spin and
                                                      cycle is loop_area/2
    loop_closure(dyn_model, sweep_rate)               |m(end of last cycle) - m(its start)|
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator

from ..config.base import StrictModel, finite_positive
from ..config.spin import Direction
from ..progress import track

__all__ = ["DynamicHysteresisConfig", "dynamic_loops", "plot_loops", "plot_areas", "MODEL_LABELS"]

#: Largest chain for the exact dynamic loops (spinbath.quantum.swept_chain.SWEPT_MAX_SITES).
DYNAMIC_MAX_SITES = 8

#: Largest chain for the quasi-static curve (sparse LU per field; spinbath.quantum.swept_chain.DIRECT_MAX_SITES).
DIRECT_STEADY_MAX_SITES = 6

#: The legend of each model.
MODEL_LABELS = {"exact": "exact Lindblad", "mean field": "mean field"}


class DynamicHysteresisConfig(StrictModel):
    """[dynamic_hysteresis]: field loops at finite sweep rates, exact (N <= 8) and mean field, in a
    Davies bath whose jump operators follow the instantaneous field (module docstring)."""

    direction: Direction = [0.0, 0.0, 1.0]
    h_max: float = Field(default=1.5, gt=0, description="sweep amplitude (units gamma)")
    rates: list[float] = Field(min_length=1, description="sweep rates |dh/dt| (units gamma^2)")
    num: int = Field(default=61, ge=5, le=2001, description="fields per branch in the results")
    cycles: int = Field(default=2, ge=1, le=20, description="periods swept; the last one is recorded")
    kappa: float = Field(default=0.05, gt=0, description="ohmic bath coupling (dimensionless)")
    temperature: float = Field(default=0.5, ge=0, description="k_B T (units gamma)")
    dephasing: float = Field(default=0.0, ge=0, description="pure dephasing rate (units gamma)")
    exact: bool = True
    mean_field: bool = True
    quasi_static: bool = Field(default=True, description="the exact steady state at each field (n <= 6)")

    @field_validator("rates")
    @classmethod
    def _positive(cls, v):
        finite_positive(v, "sweep rate")
        if len(set(v)) != len(v):
            raise ValueError("sweep rates must be distinct")
        return sorted(v, reverse=True)


def dynamic_loops(cfg, data: dict, coords: dict, attrs: dict) -> None:
    """Fill ``data``/``coords``/``attrs`` with the loops of ``cfg.dynamic_hysteresis``."""
    from ..classical.swept_mean_field import SweptMeanFieldChain
    from ..quantum.chain_model import ChainModel
    from ..quantum.field_davies import FieldDaviesBath
    from ..quantum.triangle_sweep import TriangleSweep
    from ..quantum.swept_chain import SweptChain

    c = cfg.dynamic_hysteresis
    d = np.asarray(c.direction, dtype=float)
    base = np.asarray(cfg.field, dtype=float) - np.dot(cfg.field, d) * d
    model = ChainModel(cfg.n, (0.0, 0.0, 0.0), tuple(cfg.coupling), boundary=cfg.boundary)
    bath = FieldDaviesBath(c.kappa, c.temperature, c.dephasing)
    models = [m for m, on in (("exact", c.exact), ("mean field", c.mean_field)) if on]
    chains = {"exact": SweptChain(model, bath) if c.exact else None,
              "mean field": SweptMeanFieldChain(model, bath) if c.mean_field else None}
    rates = np.asarray(c.rates, dtype=float)
    h = np.linspace(-c.h_max, c.h_max, c.num)
    m = np.full((len(models), rates.size, 2, c.num), np.nan)
    area = np.full((len(models), rates.size), np.nan)
    closure = np.full_like(area, np.nan)
    trace_err, min_eig, names = 0.0, np.inf, {}
    jobs = [(i, k) for i in range(len(models)) for k in range(rates.size)]
    for i, k in track(jobs, f"dynamic loops N = {cfg.n} ({', '.join(models)})", total=len(jobs), unit="loops"):
        sweep = TriangleSweep(c.h_max, float(rates[k]), tuple(d), tuple(base))
        loop = chains[models[i]].loop(sweep, num=c.num, cycles=c.cycles)
        m[i, k, 0], m[i, k, 1] = loop.m_up, loop.m_down
        area[i, k], closure[i, k] = loop.area, loop.closure
        names[models[i]] = loop.model
        if models[i] == "exact":
            trace_err = max(trace_err, loop.info["trace_error"])
            min_eig = min(min_eig, loop.info["min_eigenvalue"])
    coords["dyn_model"] = ("dyn_model", models, {"units": "1", "long_name": "; ".join(
        f"{k}: {v}" for k, v in names.items())})
    coords["sweep_rate"] = ("sweep_rate", rates, {"units": "gamma^2", "long_name": "sweep rate |dh/dt|"})
    coords["dyn_branch"] = ("dyn_branch", ["up", "down"], {"units": "1"})
    coords["h_dyn"] = ("h_dyn", h, {"units": "gamma", "long_name": "swept field component h along the sweep direction"})
    data["m_dyn"] = (("dyn_model", "sweep_rate", "dyn_branch", "h_dyn"), m, {
        "units": "1", "long_name": "site average (1/N) sum_j <sigma_j> . d on the last cycle's branches"})
    data["loop_area"] = (("dyn_model", "sweep_rate"), area, {
        "units": "gamma", "long_name": "loop area oint m dh (work per spin and cycle = area/2)"})
    data["loop_closure"] = (("dyn_model", "sweep_rate"), closure, {
        "units": "1", "long_name": "|m(end of the last cycle) - m(its start)| (0: periodic)"})
    if c.exact and c.quasi_static:
        qs = chains["exact"].quasi_static(h, d, base)
        data["m_dyn_quasistatic"] = ("h_dyn", qs, {
            "units": "1", "long_name": "exact steady state at each field (unique: the quasi-static limit)"})
    attrs.update({
        "dyn_models": "; ".join(f"{k}: {v}" for k, v in names.items()),
        "dyn_bath": (f"field-following Davies bath per spin: kappa = {c.kappa:g}, T = {c.temperature:g}, "
                     f"dephasing = {c.dephasing:g} (the config's [bath] is not used by the loops)"),
        "dyn_sweep": (f"B(t) = {[float(x) for x in np.round(base, 12)]} + h(t) {[float(x) for x in np.round(d, 12)]}, "
                      f"h in [-{c.h_max:g}, {c.h_max:g}]"),
    })
    if c.exact:
        attrs.update({"dyn_exact_trace_error": trace_err, "dyn_exact_min_eigenvalue": min_eig})


def plot_loops(ax, ds) -> None:
    """m(h) at every rate: exact solid, mean field dashed, the quasi-static exact curve dotted."""
    from ..plotting import legend_beside

    h = ds.h_dyn.values
    for k, r in enumerate(ds.sweep_rate.values):
        for model in ds.dyn_model.values:
            ls = "-" if model == "exact" else "--"
            for br in ("up", "down"):
                ax.plot(h, ds.m_dyn.sel(dyn_model=model, sweep_rate=r, dyn_branch=br), ls, color=f"C{k}", lw=1.0,
                        label=f"{MODEL_LABELS[str(model)]}, rate {r:g}" if br == "up" else None)
    if "m_dyn_quasistatic" in ds:
        ax.plot(h, ds.m_dyn_quasistatic, "k:", lw=1.2, label="exact steady state (quasi-static)")
    ax.set_xlabel(r"swept field $h$ ($\gamma$)")
    ax.set_ylabel(r"site average $\langle\sigma\rangle\cdot\hat d$")
    ax.set_title(f"dynamic loops, N = {ds.attrs.get('n')}", fontsize=7)
    legend_beside(ax)


def plot_areas(ax, ds) -> None:
    """Loop area against the sweep rate (log-log), one curve per model, with a slope-1 guide."""
    from ..plotting import legend_beside

    r = ds.sweep_rate.values
    for model, mk in zip(ds.dyn_model.values, "os"):
        a = ds.loop_area.sel(dyn_model=model).values
        ax.plot(r, np.clip(a, 1e-12, None), mk + ("-" if model == "exact" else "--"), ms=3, mfc="none",
                label=MODEL_LABELS[str(model)])
    if "exact" in ds.dyn_model.values:
        a = ds.loop_area.sel(dyn_model="exact").values
        k = int(np.argmin(r))
        ax.plot(r, a[k] * r / r[k], ":", color="0.5", lw=0.8, label=r"area $\propto$ rate")
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):     # minor labels crowd a range under a decade
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(r"sweep rate $|dh/dt|$ ($\gamma^2$)")
    ax.set_ylabel(r"loop area $\oint m\,dh$ ($\gamma$)")
    legend_beside(ax)
