r"""Study ``relaxation-laws``: tau(T) from one- and two-phonon rates with broadened modes and Debye phonons.

A spin ([spin]: S with D, E and any crystal field; [field]) coupled to broadened vibrational modes
and a Debye acoustic continuum ([bath], :mod:`spinbath.baths.spectral`) relaxes through

    direct          one phonon inside the ground (pseudo) doublet          (Debye: tau ~ T^-1)
    raman           two phonons, absorb w1 / emit w1 + splitting, through virtual excited levels and
                    quadratic couplings (Debye: T^-9 Kramers, T^-7 non-Kramers; a broadened mode w_a:
                    exp(-w_a / k_B T), the "Orbach-like" law whose barrier is a vibrational energy)
    resonant        the part of the two-phonon T-matrix where an intermediate level is real,
                    broadened by eta (Orbach as seen by a two-state T-matrix theory; ~ 1/eta)
    two-phonon-sum  two phonons emitted / absorbed together (w1 + w2 = splitting; tiny in a doublet)
    orbach          real excursions through excited levels, from the one-phonon rates (sequential)

(rates from :class:`spinbath.quantum.phonon_rates.PhononRates`; each entry of ``rate`` is the
ground-doublet rate W_{u<-l} + W_{l<-u} of that mechanism, s^-1). Relaxation models
(:mod:`spinbath.quantum.pauli`), each counting every process once:
    "two-state"    tau^-1 = direct + raman + resonant + two-phonon-sum   (the papers' reduction)
    "multi-level"  slowest relaxation rate of the Pauli matrix of all levels: one-phonon rates
                   between all levels (real Orbach steps) + virtual two-phonon rates inside
                   quasi-doublets; at low T it is two-state - resonant + orbach.
The ones computed are listed in the ``model`` coordinate and in ``attrs["relaxation_model"]``.

At zero field a degenerate doublet is quantized by a vanishing probe field along
[field].direction (``method.probe_field``, 1e-7 T), as in the spin-phonon study.

Output variables (xarray.Dataset):
    tau(model, temperature)                      s      relaxation time
    relaxation_rate(model, temperature)          s^-1   1/tau
    rate(mechanism, temperature)                 s^-1   each mechanism's share of the doublet rate
    U_local(model, temperature), U_local_K(...)  cm^-1, K   local barrier k_B d ln tau / d(1/T) (U_eff, U_eff_K
                                                            before the names table; U_eff is a fitted barrier)
    exponent(model, temperature)                 1      local power -d ln tau / d ln T
    energy(level), cluster(level)                cm^-1 above the ground state; quasi-doublet label
    channel_energy, channel_width, coupling_norm(channel)   cm^-1 (w_a or w_D; Gamma, NaN for Debye; ||V||_F)
    channel_kind(channel)                        "mode" or "debye"
    detailed_balance_error                       1      max relative violation of W_mn p_n = W_nm p_m
    clipped_rates(temperature)                   1      negative virtual two-phonon rates the
                                                        multi-level model set to 0 (next to resonances)
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..analysis.arrhenius import log_slopes
from ..config.grids import temperature_values
from ..config.relaxation_laws import RelaxationLawsConfig
from ..units import KB_CM
from ..progress import work
from . import Study, tau_range_row

__all__ = ["RelaxationLawsConfig", "run", "plot", "plot_sweep", "summary", "STUDY", "MECHANISMS", "local_slopes"]

MECHANISMS = ("direct", "raman", "resonant", "two-phonon-sum", "orbach")
_MECH_LONG = {
    "direct": "one phonon inside the ground doublet",
    "raman": "two phonons, absorb w1 and emit w1 + splitting (virtual)",
    "resonant": "eta-broadened real intermediate levels of the two-phonon T-matrix",
    "two-phonon-sum": "two phonons emitted or absorbed together (virtual)",
    "orbach": "real excursions through excited levels (sequential one-phonon steps)",
}


def local_slopes(temperature: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(U_eff in cm^-1, exponent): k_B d ln tau / d(1/T) and -d ln tau / d ln T (second-order
    finite differences on the grid; NaN where tau is not finite and positive or with < 2 points).

    Computed by :func:`spinbath.analysis.arrhenius.log_slopes`; Orbach: U_eff = U, Raman tau ~ T^-n:
    exponent n (Gu & Wu, Phys. Rev. Lett. 125, 117203 (2020), doi:10.1103/PhysRevLett.125.117203)."""
    U, n = log_slopes(temperature, tau)
    return U * KB_CM, n


#: Temperatures per call of the vectorized rates (one progress step each).
_T_BLOCK = 8


def run(cfg: RelaxationLawsConfig) -> xr.Dataset:
    """Build H and the bath once; one- and two-phonon rates at all temperatures; tau per model."""
    from ..baths.spectral import Debye
    from ..quantum.pauli import detailed_balance_error, multilevel_rate, sequential_rate, two_state_rate
    from ..quantum.phonon_rates import PhononRates

    ham = cfg.spin.hamiltonian()
    n = np.asarray(cfg.field.direction)
    B = cfg.field.field_vector()
    H = ham.matrix(B if cfg.field.value > 0 else cfg.method.probe_field * n)
    bath = cfg.bath.build(cfg.spin.J)
    m = cfg.method
    rates = PhononRates(H, bath, eta=m.eta, doublet_ratio=m.doublet_ratio,
                        two_phonon_max_gap=m.two_phonon_max_gap, epsrel=m.epsrel)
    T = temperature_values(cfg.temperatures)
    # In blocks of temperatures, so that the bar moves on long grids (the rates are vectorized in T).
    blocks = [slice(s, s + _T_BLOCK) for s in range(0, T.size, _T_BLOCK)]
    parts = []
    with work(f"relaxation-laws rates ({len(bath.channels)} bath channels)", T.size, "temperatures") as advance:
        for b in blocks:
            parts.append(rates.rates(T[b]))
            advance(T[b].size)
    r = {key: np.concatenate([p[key] for p in parts], axis=0) for key in parts[0]}
    per_model = rates.model_rates(r)
    W = per_model["multi-level"]  # one-phonon everywhere (real steps) + virtual two-phonon
    resonant = r["raman-resonant"] + r["sum-resonant"]
    mech = np.array([
        two_state_rate(r["one-phonon"]), two_state_rate(r["raman"]), two_state_rate(resonant),
        two_state_rate(r["sum"]), sequential_rate(W),
    ])
    models = m.models()
    inv = {"two-state": lambda: two_state_rate(per_model["two-state"]), "multi-level": lambda: multilevel_rate(W)}
    rate_model = np.array([inv[k]() for k in models])
    with np.errstate(divide="ignore"):
        tau = np.where(rate_model > 0, 1.0 / rate_model, np.inf)
    U = np.empty_like(tau)
    expo = np.empty_like(tau)
    for i in range(len(models)):
        U[i], expo[i] = local_slopes(T, tau[i])

    E = rates.energies
    ch = bath.channels
    kinds = ["debye" if isinstance(c.spectrum, Debye) else "mode" for c in ch]
    widths = [np.nan if k == "debye" else c.spectrum.width for c, k in zip(ch, kinds)]
    pairs = ", ".join(f"({a},{b})" for a, b in rates.two_phonon_pairs)
    mt = ("model", "temperature")
    ds = xr.Dataset(
        {
            "tau": (mt, tau, {"units": "s", "long_name": "relaxation time"}),
            "relaxation_rate": (mt, rate_model, {"units": "s^-1", "long_name": "1/tau"}),
            "rate": (("mechanism", "temperature"), mech,
                     {"units": "s^-1", "long_name": "ground-doublet rate W_ul + W_lu of each mechanism"}),
            "U_local": (mt, U, {"units": "cm^-1", "long_name": "local barrier k_B dln(tau)/d(1/T)"}),
            "U_local_K": (mt, U / KB_CM, {"units": "K", "long_name": "local barrier dln(tau)/d(1/T)"}),
            "exponent": (mt, expo, {"units": "1", "long_name": "local power -dln(tau)/dln(T)"}),
            "energy": ("level", E - E[0], {"units": "cm^-1", "long_name": "level energy above the ground state"}),
            "cluster": ("level", rates.clusters, {"units": "1", "long_name": "quasi-doublet label"}),
            "channel_energy": ("channel", [c.spectrum.energy for c in ch],
                               {"units": "cm^-1", "long_name": "mode peak w_a or Debye energy w_D"}),
            "channel_width": ("channel", widths, {"units": "cm^-1", "long_name": "mode half width (NaN: Debye)"}),
            "channel_kind": ("channel", kinds, {"units": "1", "long_name": "mode or debye"}),
            "coupling_norm": ("channel", np.linalg.norm(bath.operators, axis=(1, 2)),
                              {"units": "cm^-1", "long_name": "Frobenius norm of dH/dq"}),
            "detailed_balance_error": ((), detailed_balance_error(W, E, T),
                                       {"units": "1", "long_name": "max relative violation of detailed balance"}),
            "clipped_rates": ("temperature", per_model["clipped"],
                              {"units": "1", "long_name": "negative virtual two-phonon rates set to 0 (multi-level)"}),
        },
        coords={
            "model": ("model", models, {"units": "1", "long_name": "relaxation model"}),
            "temperature": ("temperature", T, {"units": "K"}),
            "mechanism": ("mechanism", list(MECHANISMS), {"units": "1", "long_name": "; ".join(
                f"{k}: {v}" for k, v in _MECH_LONG.items())}),
            "level": ("level", np.arange(E.size), {"units": "1"}),
            "channel": ("channel", bath.names, {"units": "1"}),
        },
        attrs={
            "title": cfg.title, "J": cfg.spin.J, "D_cm": cfg.spin.D, "E_cm": cfg.spin.E,
            "relaxation_model": m.relaxation_model,
            "field_T": list(B), "field_direction": list(n),
            "eta_cm": m.eta, "epsrel": m.epsrel,
            "two_phonon_pairs": pairs,
            "ground_doublet_splitting_cm": float(E[1] - E[0]),
        },
    )
    return ds


_MODEL_STYLE = {"two-state": ("C0", "-"), "multi-level": ("k", "--")}
_MECH_STYLE = {"direct": "C2", "raman": "C3", "resonant": "C8", "two-phonon-sum": "C4", "orbach": "C1"}


def plot(ds: xr.Dataset, path) -> None:
    """(a) tau vs 1/T (log) per model with 1/rate of each mechanism; (b) local barrier U_eff(T) with
    the mode energies; (c) local exponent -dln tau/dln T."""
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    from ..plotting import legend_below, math_text, paper_style, plt, save_figure

    with paper_style():
        fig, (a, b, c) = plt.subplots(1, 3, figsize=(7.2, 3.3))
        T = ds.temperature.values
        x = 1.0 / T
        taus = ds.tau.values[np.isfinite(ds.tau.values) & (ds.tau.values > 0)]
        for mname in ds.model.values:
            color, ls = _MODEL_STYLE.get(str(mname), ("C5", "-"))
            a.plot(x, ds.tau.sel(model=mname), color=color, ls=ls, lw=1.4, label=rf"$\tau$ {mname}")
            b.plot(T, ds.U_local.sel(model=mname), color=color, ls=ls, lw=1.2, label=str(mname))
            c.plot(T, ds.exponent.sel(model=mname), color=color, ls=ls, lw=1.2, label=str(mname))
        for mech in ds.mechanism.values:
            r = ds.rate.sel(mechanism=mech).values
            ok = r > 0
            if ok.any():
                a.plot(x[ok], 1.0 / r[ok], color=_MECH_STYLE.get(str(mech), "0.5"), lw=0.8, ls=":",
                       label=f"1/{mech}")
        a.set_yscale("log")
        if taus.size:
            a.set_ylim(taus.min() / 10, taus.max() * 10)
        a.set_xlabel(r"$1/T$ (K$^{-1}$)")
        a.set_ylabel(r"$\tau$ (s)")
        legend_below(a, ncol=2)
        a.set_title(math_text(ds.attrs.get("title", "")), fontsize=7)
        modes = ds.channel_energy.values[ds.channel_kind.values == "mode"]
        for e in np.unique(np.round(modes, 2))[:12]:
            b.axhline(e, color="0.7", lw=0.5, ls=":")
        U = ds.U_local.values[np.isfinite(ds.U_local.values)]
        top = max(float(np.percentile(U, 95)) if U.size else 1.0, float(modes.max()) if modes.size else 0.0)
        top = 1.2 * top + 1.0
        b.set_ylim(min(0.0, float(U.min())) if U.size else 0.0, top)
        excited = ds.energy.values[ds.cluster.values != ds.cluster.values[0]]
        if excited.size:
            e_exc = float(excited.min())
            if e_exc < top:
                b.axhline(e_exc, color="C1", lw=0.7, ls="--", label="first excited level")
            else:
                b.text(0.03, 0.96, f"first excited level: {e_exc:.0f} cm$^{{-1}}$ (off scale)",
                       transform=b.transAxes, fontsize=5.5, va="top", color="C1")
        b.set_xlabel("temperature (K)")
        b.set_ylabel(r"$U_\mathrm{local} = k_B\,d\ln\tau/d(1/T)$ (cm$^{-1}$)")
        legend_below(b, ncol=1)
        b.set_title("local barrier; dotted: mode energies", fontsize=7)
        c.set_xscale("log")
        # 1-2-5 labels: a decade or less of temperature would otherwise show a single label.
        c.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        c.xaxis.set_major_formatter(ScalarFormatter())
        c.xaxis.set_minor_formatter(NullFormatter())
        c.axhline(1.0, color="0.7", lw=0.5, ls=":")
        c.set_xlabel("temperature (K)")
        c.set_ylabel(r"$-d\ln\tau/d\ln T$")
        c.set_title("local power law", fontsize=7)
        save_figure(fig, path)


def plot_sweep(ds: xr.Dataset, path) -> None:
    """Sweep figure: (a) tau(T) for each swept value (multi-level model if computed); (b) the Orbach
    barrier U_eff (cm^-1) fitted to tau(T) for T >= half the largest T, against the swept key."""
    from ..plotting import paper_style, plt, save_figure
    from ..sweeps.figures import against_key, family, sweep_axis
    from .spin_phonon import ARRHENIUS_FRACTION, effective_barrier

    sw = sweep_axis(ds)
    d = sw.ds
    models = [str(m) for m in d.model.values]
    with paper_style():
        fig, (a, b) = plt.subplots(1, 2, figsize=(7.2, 3.4))
        T = d.temperature.values
        shown = "multi-level" if "multi-level" in models else models[0]
        family(a, sw, d.tau.sel(model=shown).transpose(sw.dim, "temperature"), 1.0 / T)
        a.set_yscale("log")
        a.set_xlabel(r"$1/T$ (K$^{-1}$)")
        a.set_ylabel(r"$\tau$ (s)")
        a.set_title(rf"$\tau(T)$, {shown} model" + (f"; {sw.note}" if sw.note else ""), fontsize=7)
        for m in models:
            color, ls = _MODEL_STYLE.get(m, ("C5", "-"))
            tau = d.tau.sel(model=m).transpose(sw.dim, "temperature").values
            U = xr.DataArray([effective_barrier(T, row) for row in tau], dims=[sw.dim])
            against_key(b, sw, U, label=m, color=color, ls=ls, mfc="none")
        b.set_ylabel(r"fitted $U_\mathrm{eff}$ (cm$^{-1}$)")
        b.set_title(rf"Orbach barrier fitted for $T \geq$ {ARRHENIUS_FRACTION:g} max $T$", fontsize=7)
        b.legend(fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        fig.suptitle(sw.title, fontsize=8)
        save_figure(fig, path)


def summary(ds: xr.Dataset) -> list[tuple[str, str]]:
    T = ds.temperature.values
    E = np.unique(np.round(ds.energy.values, 2))
    rows = [("levels (cm^-1)", ", ".join(f"{e:g}" for e in E[:8]) + (" ..." if E.size > 8 else "")),
            ("ground splitting (cm^-1)", f"{ds.attrs['ground_doublet_splitting_cm']:.3g}"),
            ("channels", f"{int((ds.channel_kind == 'mode').sum())} modes, "
                         f"{int((ds.channel_kind == 'debye').sum())} Debye branches"),
            ("temperatures (K)", f"{T.min():g} .. {T.max():g} ({T.size})"),
            ("relaxation model", str(ds.attrs["relaxation_model"]))]
    for mname in ds.model.values:
        tau = ds.tau.sel(model=mname).values
        rows.append(tau_range_row(mname, T, tau))
        u = ds.U_local.sel(model=mname).values
        if np.isfinite(u[-1]):
            rows.append((f"local barrier U_local {mname} at {T[-1]:g} K", f"{u[-1]:.1f} cm^-1 = {u[-1] / KB_CM:.1f} K"))
    return rows


STUDY = Study(
    name="relaxation-laws",
    description="tau(T): direct, Raman (broadened modes, Debye) and Orbach; two-state and multi-level",
    config_model=RelaxationLawsConfig,
    run=run,
    plot=plot,
    plot_sweep=plot_sweep,
    summary=summary,
)
