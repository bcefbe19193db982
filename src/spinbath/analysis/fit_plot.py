"""Figure of a tau(T) fit: (a) Arrhenius plot, (b) rates vs T, (c) local barrier, and the fitted
parameters with their standard errors and units beside the panels.

(a) tau (log scale) against 1/T: data (with error bars when given), the fitted total and each term
    alone (tau_k = 1/rate_k, dashed);
(b) rate = 1/tau against T, both logarithmic: power laws are straight lines here;
(c) U_eff(T) = k_B d ln tau / d(1/T) in cm^-1 from the data and from the fit, with the fitted Orbach
    barrier (or the vibronic mode energy) as a horizontal line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..units import KB_CM
from .arrhenius import local_barrier
from .fit import FitResult

__all__ = ["plot_fit"]

#: How the fitted parameters are written on the figure (names as in the JSON file otherwise).
_SYMBOLS = {"tau0": r"$\tau_0$", "U_eff": r"$U_\mathrm{eff}$", "U_eff_cm": r"$U_\mathrm{eff}$",
            "tau_QTM": r"$\tau_\mathrm{QTM}$", "w": r"$\hbar\omega$", "w_K": r"$\hbar\omega/k_B$",
            "tau0_vib": r"$\tau_{0,\mathrm{vib}}$"}

_TERM_COLORS = {"orbach": "C3", "raman": "C0", "qtm": "C2", "direct": "C4", "direct_h": "C4", "vibronic": "C1"}


def plot_fit(result: FitResult, path: str | Path) -> Path:
    """Draw the fit figure and save it atomically to ``path`` (png, svg or pdf)."""
    from ..plotting import legend_below, log_ticks, math_text, paper_style, plt, save_figure, value_with_error

    data = result.data
    T = np.geomspace(data.T.min(), data.T.max(), 300)
    # One field value per curve: the fit lines are drawn at the median field of the data.
    H = None if data.field is None else float(np.median(data.field))
    with paper_style():
        fig, (a, b, c, p) = plt.subplots(1, 4, figsize=(7.2, 3.2), width_ratios=(1, 1, 1, 0.8))
        yerr = None if data.err is None else data.err
        a.errorbar(1.0 / data.T, data.tau, yerr=yerr, fmt="o", ms=3, mfc="none", color="k", lw=0.8, label="data")
        b.errorbar(data.T, data.rate, yerr=None if yerr is None else yerr / data.tau**2, fmt="o", ms=3, mfc="none",
                   color="k", lw=0.8, label="data")
        a.plot(1.0 / T, result.tau(T, H), color="k", lw=1.4, label="fit")
        b.plot(T, result.rate(T, H), color="k", lw=1.4, label="fit")
        for term in result.model.terms:
            r = result.rate(T, H, term=term.name)
            # A term can underflow to 0 far from its region; its tau is then off the axes anyway.
            r = np.where(r > 1e-300, r, np.nan)
            color = _TERM_COLORS.get(term.name, "0.5")
            a.plot(1.0 / T, 1.0 / r, ls="--", lw=1.0, color=color, label=term.name)
            b.plot(T, r, ls="--", lw=1.0, color=color, label=term.name)
        # Terms run off by many decades outside their region: keep the axes on the data.
        lo, hi = data.tau.min(), data.tau.max()
        a.set_ylim(lo / 10, hi * 10)
        b.set_ylim(1 / hi / 10, 1 / lo * 10)
        a.set_yscale("log")
        a.set_xlabel(r"$1/T$ (K$^{-1}$)")
        a.set_ylabel(r"$\tau$ (s)")
        legend_below(a, ncol=2)
        a.set_title(f"model {result.model.name}", fontsize=7)
        b.set_xscale("log")
        b.set_yscale("log")
        b.set_xlabel("$T$ (K)")
        b.set_ylabel(r"$\tau^{-1}$ (s$^{-1}$)")
        b.set_title(rf"$\chi^2$ = {result.chi2:.3g}, N = {data.size}", fontsize=7)
        if data.size >= 3 and np.all(np.diff(data.T) > 0):
            lb = local_barrier(data.T, data.tau)
            c.plot(lb.T, lb.U_cm, "o", ms=3, mfc="none", color="k", label="data")
        lbf = local_barrier(T, result.tau(T, H))
        c.plot(lbf.T, lbf.U_cm, color="k", lw=1.2, label="fit")
        values = result.values
        if "U_eff" in values:
            c.axhline(values["U_eff"] * KB_CM, color=_TERM_COLORS["orbach"], lw=0.8, ls=":", label=r"$U_{\rm eff}$")
        if "w" in values:
            c.axhline(values["w"], color=_TERM_COLORS["vibronic"], lw=0.8, ls=":", label=r"$\omega$")
        c.set_xscale("log")
        c.set_xlabel("$T$ (K)")
        c.set_ylabel(r"$k_B\,d\ln\tau/d(1/T)$ (cm$^{-1}$)")
        legend_below(c, ncol=2)
        for axis in (b.xaxis, b.yaxis, c.xaxis):
            log_ticks(axis)
        # The fitted parameters, as the JSON file gives them.
        lines = [f"{_SYMBOLS.get(name, math_text(name))} = {value_with_error(e.value, e.stderr)}"
                 f" {math_text(e.unit) if e.unit != '1' else ''}".rstrip()
                 for name, e in {**result.parameters, **result.derived}.items()]
        p.axis("off")
        p.text(0.0, 1.0, "fitted parameters\n(± 1 standard error)\n\n" + "\n".join(lines),
               transform=p.transAxes, va="top", ha="left", fontsize=6.5)
        return save_figure(fig, path)
