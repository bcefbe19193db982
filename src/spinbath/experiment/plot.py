"""Figures of AC and DC results, and measured data on the axes of a computed tau(T).

AC (``spinbath ac --plot``): (a) chi'(nu) and (b) chi''(nu), data as markers and fits as lines,
coloured from cold to warm; (c) the Cole-Cole plot chi'' against chi'; (d) tau against 1/T on a
log axis with error bars and the +-1 sigma range that alpha implies; filled markers inside the
frequency window, open ones outside it (not measurements).

Overlay (``spinbath plot RESULTS.nc --data ac.nc``): tau(T) computed (spin-phonon order 2+4, or a
relaxation-laws model) against the measured in-window taus; for spin-phonon results also the
normalized Cole-Cole plot, (chi - chi_S)/(chi_T - chi_S) measured against chi(nu)/chi_rel computed at
the nearest computed temperature.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["plot_ac", "plot_dc", "plot_overlay"]


def _colors(n: int):
    from ..plotting import plt

    cmap = plt.get_cmap("viridis")
    return [cmap(0.9 * k / max(1, n - 1)) for k in range(n)]


def _tau_panel(ax, ds: xr.Dataset, label: str = "measured") -> None:
    T = ds.temperature.values
    ok = ds.fit_ok.values.astype(bool)
    inside = ok & ds.in_window.values.astype(bool)
    outside = ok & ~inside
    tau, err = ds.tau.values, ds.tau_err.values
    if "tau_lower" in ds:
        ax.vlines(1 / T[inside], ds.tau_lower.values[inside], ds.tau_upper.values[inside], color="0.7", lw=2.5,
                  label=r"$\tau e^{\pm\sigma_{\ln\tau}(\alpha)}$")
    ax.errorbar(1 / T[inside], tau[inside], yerr=err[inside], fmt="o", ms=3.5, color="k", capsize=1.5,
                label=f"{label} (in window)")
    if outside.any():
        ax.plot(1 / T[outside], tau[outside], "o", ms=3.5, mfc="none", color="0.5", label="outside the window")
    ax.set_yscale("log")
    ax.set_xlabel(r"$1/T$ (K$^{-1}$)")
    ax.set_ylabel(r"$\tau$ (s)")


def plot_ac(ds: xr.Dataset, path) -> None:
    """The AC figure (module docstring), saved to ``path``."""
    from ..plotting import legend_below, math_text, paper_style, plt, save_figure

    u = math_text(ds.attrs.get("chi_units", ""))
    T = ds.temperature.values
    colors = _colors(T.size)
    with paper_style():
        fig, axes = plt.subplots(1, 4, figsize=(7.2, 3.0))
        a, b, c, d = axes
        for i, color in enumerate(colors):
            f = ds.frequency.isel(temperature=i).values
            ok = np.isfinite(f)
            for ax, data, fit in ((a, "chi_p", "fit_chi_p"), (b, "chi_pp", "fit_chi_pp")):
                ax.plot(f[ok], ds[data].isel(temperature=i).values[ok], "o", ms=2.5, mfc="none", color=color)
                ax.plot(f[ok], ds[fit].isel(temperature=i).values[ok], "-", lw=0.9, color=color)
            c.plot(ds.chi_p.isel(temperature=i), ds.chi_pp.isel(temperature=i), "o", ms=2.5, mfc="none", color=color)
            c.plot(ds.fit_chi_p.isel(temperature=i), ds.fit_chi_pp.isel(temperature=i), "-", lw=0.9, color=color)
        for ax, name in ((a, r"$\chi'$"), (b, r"$\chi''$")):
            ax.set_xscale("log")
            ax.set_xlabel(r"frequency $\nu$ (Hz)")
            ax.set_ylabel(f"{name} ({u})")
        a.set_title(f"{T.min():.3g}-{T.max():.3g} K, cold (violet) to warm (yellow)", fontsize=6.5)
        c.set_xlabel(rf"$\chi'$ ({u})")
        c.set_ylabel(rf"$\chi''$ ({u})")
        c.set_title("Cole-Cole", fontsize=7)
        _tau_panel(d, ds)
        d.set_title(ds.attrs.get("ac_model", ""), fontsize=7)
        legend_below(d, ncol=1)
        save_figure(fig, path)


def plot_dc(ds: xr.Dataset, path) -> None:
    """tau(T) and beta(T) of the stretched-exponential fits."""
    from ..plotting import paper_style, plt, save_figure

    with paper_style():
        fig, (a, b) = plt.subplots(1, 2, figsize=(6.0, 2.8))
        _tau_panel(a, ds)
        ok = ds.fit_ok.values.astype(bool)
        b.errorbar(ds.temperature.values[ok], ds.beta.values[ok], yerr=ds.beta_err.values[ok], fmt="o", ms=3,
                   color="k", capsize=1.5)
        b.set_xlabel("$T$ (K)")
        b.set_ylabel(r"stretching exponent $\beta$")
        save_figure(fig, path)


def _computed_tau(theory: xr.Dataset) -> tuple[np.ndarray, np.ndarray, str]:
    study = theory.attrs.get("study")
    if study == "spin-phonon":
        orders = [str(o) for o in theory.order.values]
        o = "2+4" if "2+4" in orders else orders[-1]
        return theory.temperature.values, theory.tau.sel(order=o).values, f"computed, order {o}"
    if study == "relaxation-laws":
        models = [str(m) for m in theory.model.values]
        m = "multi-level" if "multi-level" in models else models[0]
        return theory.temperature.values, theory.tau.sel(model=m).values, f"computed, {m}"
    from ..errors import ConfigError

    raise ConfigError(f"--data: the computed results must be of the spin-phonon or relaxation-laws study, "
                      f"not {study!r}")


def plot_overlay(theory: xr.Dataset, data: xr.Dataset, path) -> None:
    """Computed and measured tau(T) (and, for spin-phonon results, the normalized Cole-Cole plot)."""
    from ..plotting import legend_below, paper_style, plt, save_figure

    T, tau, label = _computed_tau(theory)
    cole = theory.attrs.get("study") == "spin-phonon" and "chi_ac_real" in theory and "chi_p" in data
    with paper_style():
        fig, axes = plt.subplots(1, 2 if cole else 1, figsize=(7.0 if cole else 3.6, 3.2), squeeze=False)
        ax = axes[0, 0]
        finite = np.isfinite(tau) & (tau > 0)
        ax.plot(1 / T[finite], tau[finite], "C3-", lw=1.2, label=label)
        _tau_panel(ax, data)
        measured = data.tau.values[data.fit_ok.values.astype(bool)]
        if measured.size:
            ax.set_ylim(np.nanmin(measured) / 100, np.nanmax(measured) * 100)
        ax.set_title(theory.attrs.get("title", ""), fontsize=7)
        legend_below(ax, ncol=1)
        if cole:
            bx = axes[0, 1]
            o = "2+4" if "2+4" in [str(x) for x in theory.order.values] else str(theory.order.values[-1])
            colors = _colors(data.sizes["temperature"])
            nearest: set[int] = set()
            for i, color in enumerate(colors):
                if not data.fit_ok.values[i]:
                    continue
                chi_S, chi_T = float(data.chi_S[i]), float(data.chi_T[i])
                x = (data.chi_p.isel(temperature=i) - chi_S) / (chi_T - chi_S)
                y = data.chi_pp.isel(temperature=i) / (chi_T - chi_S)
                bx.plot(x, y, "o", ms=2.5, mfc="none", color=color, label=f"{float(data.temperature[i]):.3g} K measured")
                nearest.add(int(np.argmin(np.abs(T - float(data.temperature[i])))))
            # One computed curve per computed temperature (several measured ones may share it).
            for j, ls in zip(sorted(nearest), ("-", "--", "-.", ":") * 8):
                bx.plot(theory.chi_ac_real.sel(order=o).isel(temperature=j),
                        theory.chi_ac_imag.sel(order=o).isel(temperature=j), ls, lw=1.0, color="C3",
                        label=f"computed at {T[j]:.3g} K")
            legend_below(bx, ncol=2)
            bx.set_xlabel(r"$(\chi' - \chi_S)/(\chi_T - \chi_S)$")
            bx.set_ylabel(r"$\chi''/(\chi_T - \chi_S)$")
            bx.set_title("normalized Cole-Cole", fontsize=7)
        save_figure(fig, path)
