r"""Study ``hysteresis``: M(H) loops, ZFC/FC curves and blocking temperatures from the master equation.

For a spin Hamiltonian ([spin]) and a phonon bath ([bath]), the field is swept along [loop].direction
from +max to -max and back at [loop].rate, at each of ``temperatures``. The density matrix is carried
through the sweep by :mod:`spinbath.quantum.field_sweep`:

    d rho/dt = -i/hbar [H(B(t)), rho] + R(B(t), T) rho,      B(t) = max - v t (then back up)

in the instantaneous eigenbasis, with the exact overlap of neighbouring eigenbases as the basis
change (crossings and avoided crossings pass population correctly). R(B, T) is the spin-phonon rate
superoperator of [method].order (2, 4, "2+4"; :mod:`spinbath.quantum.spin_phonon`) computed at every
field node for all loop temperatures at once, the bath built once
(:class:`spinbath.quantum.field_rates.PhononFieldRates`). The loop starts in equilibrium at +max.

ZFC/FC at [zfc_fc].field: ZFC starts from the zero-field equilibrium at the lowest temperature
(cooling in zero field creates no moment; the state is the thermal state of H(0), which does not
depend on the basis chosen inside the degenerate doublets), the field is switched on suddenly, and
M is recorded while warming at [zfc_fc].rate; FC starts in equilibrium in the field at the highest
temperature, is cooled at the same rate and recorded while warming again (FC warming). Blocking
temperatures by the three usual definitions (:mod:`spinbath.analysis.blocking`): tau(T_B) =
[blocking].tau from the zero-field tau(T) (:func:`spinbath.quantum.relaxation.relaxation_time`); the ZFC
maximum; the loop-closing temperature.

Output variables (xarray.Dataset):
    magnetization(temperature, loop_point)            mu_B per molecule, <m . n> (m = -g mu_B J)
    equilibrium_magnetization(temperature, loop_point) mu_B, the thermal value at each field
    field(loop_point), branch(loop_point)             T; "down" (from +max) or "up"
    coercive_field(temperature)                       T, |B| where M = 0, mean of both branches; NaN where
                                                      a branch does not reverse within +-field max
    remanence(temperature)                            mu_B, |M| at B = 0, mean of both branches
    loop_opening(temperature)                         1, max_B |M_up - M_down| / saturation
    M_zfc, M_fc, M_eq_zfc(zfc_temperature)            mu_B, ZFC, FC (warming) and equilibrium in the field
    tau_zero_field(zfc_temperature)                   s, magnetization relaxation time at zero field
    energy(level)                                     cm^-1, zero-field levels above the ground state
attrs: T_B_tau_K, T_B_zfc_K, T_B_loop_K (+ the bracketing loop temperatures), sweep rate (T/s),
saturation (mu_B), number of field nodes, the criterion for populations alone (populations_suffice),
where the rates ran (rates_backend: "this process" or "Dask tasks: <backend>"; rates_tasks).

Where the rates run ([method.field_nodes], :class:`~spinbath.config.hysteresis.FieldNodesConfig`):
in this process by default; with ``backend = "dask"`` (or --workers / --scheduler on the command
line) the field nodes, the ZFC/FC model and the zero-field stack are Dask tasks on the sweeps'
backends (:mod:`spinbath.sweeps.field_nodes`), with the same results.
"""

from __future__ import annotations

import functools
import time

import numpy as np
import xarray as xr

from ..analysis.blocking import (
    branch_zero, loop_closing_temperature, loop_opening, tau_blocking_temperature, zfc_peak_temperature,
)
from ..config.grids import temperature_values
from ..config.hysteresis import HysteresisConfig
from ..progress import work
from . import Study, tau_range_row

__all__ = ["run", "plot", "summary", "STUDY"]


def _bath_in_field(bath_cfg, J: float, B: np.ndarray):
    """The bath at the field B (T, 3-vector): couplings with the g-tensor derivatives."""
    return bath_cfg.build(J, B)


def _bath_source(cfg: HysteresisConfig, direction: np.ndarray):
    """The bath once, or a callable B -> bath when its couplings depend on the field (g derivatives);
    both pickle (a Dask task receives them)."""
    bath0 = cfg.bath.build(cfg.spin.J)
    probe = cfg.bath.build(cfg.spin.J, cfg.loop.max * direction)
    if np.allclose(probe.couplings_cm, bath0.couplings_cm, rtol=0, atol=1e-14 * max(np.abs(bath0.couplings_cm).max(), 1e-300)):
        return bath0
    return functools.partial(_bath_in_field, cfg.bath, cfg.spin.J)


def _tunnel_term(ham, n: np.ndarray, delta: float) -> np.ndarray | None:
    """Delta/2 (|+><-| + |-><+|) between the two zero-field ground states of definite moment along n."""
    if delta == 0:
        return None
    from ..quantum.spin_phonon import diagonalize

    mu = np.einsum("a,aij->ij", n, ham.magnetic_moment)
    _, U = diagonalize(ham.matrix(np.zeros(3)), mu)
    a, b = U[:, 0], U[:, 1]
    return 0.5 * delta * (np.outer(a, b.conj()) + np.outer(b, a.conj()))


def run(cfg: HysteresisConfig) -> xr.Dataset:
    """Loops at every temperature, ZFC/FC, tau(T) at zero field, blocking temperatures."""
    from ..quantum.field_rates import PhononFieldRates
    from ..quantum.field_sweep import equilibrium_moment, populations_suffice, propagate, refine_nodes, thermal_state
    from ..quantum.relaxation import relaxation_time
    from ..sweeps.execute import task_backend

    t_start = time.perf_counter()
    ham = cfg.spin.hamiltonian()
    n = np.asarray(cfg.loop.direction, float)
    T = temperature_values(cfg.temperatures)
    TZ = temperature_values(cfg.zfc_fc.temperatures)
    extra = _tunnel_term(ham, n, cfg.loop.tunnel_splitting)
    provider = PhononFieldRates(
        ham, _bath_source(cfg, n), n, T, str(cfg.method.order),
        transverse=cfg.loop.transverse * np.asarray(cfg.loop.transverse_direction), extra=extra,
        width=cfg.method.width, lineshape=cfg.method.lineshape, secular_tol=cfg.method.secular_tol,
        resonance_window=cfg.method.resonance_window)
    moment = -provider.moment_axis  # m . n in mu_B (m = -g mu_B J)
    saturation = float(np.max(np.abs(np.linalg.eigvalsh(provider.moment_axis))))

    down = refine_nodes(cfg.loop.branch(), provider.basis, max_rotation=cfg.method.max_rotation)
    path = np.concatenate([down, down[::-1][1:]])
    branch = np.array(["down"] * down.size + ["up"] * (down.size - 1))
    times = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(path)) / cfg.loop.rate)])
    n_modes = provider.bath_at(0.0).n_modes
    backend = task_backend(cfg.method.field_nodes)
    with work(f"hysteresis rates (order {cfg.method.order}; {n_modes} modes, {T.size} temperatures)",
              down.size + 2, "field nodes") as advance:
        if backend is None:
            nodes = []
            for b in down:
                nodes.append(provider.node(b))
                advance(1)
            zfc_nodes = provider.temperature_nodes(cfg.zfc_fc.field, TZ)
            advance(1)
            E0, U0, R0 = provider.zero_field_stack(TZ)
            advance(1)
            rates_backend, rate_tasks = "this process", 0
        else:
            from ..sweeps.field_nodes import field_rates

            done = field_rates(provider, down, backend=backend, zfc=(cfg.zfc_fc.field, TZ),
                               zero_field_temperatures=TZ, progress=advance)
            nodes, zfc_nodes, (E0, U0, R0) = done.nodes, done.zfc_nodes, done.zero_field
            rates_backend, rate_tasks = f"Dask tasks: {done.backend}", done.tasks
        t_rates = time.perf_counter()
    path_nodes = nodes + nodes[::-1][1:]

    # Loops: all temperatures at once, from equilibrium at +max.
    first = path_nodes[0]
    rho0 = np.stack([np.diag(p) for p in thermal_state(first.energies, T)]).astype(complex)
    _, M = propagate(path_nodes, times, rho0, observable=moment)
    M = M.T  # (temperature, loop_point)
    M_eq = np.stack([equilibrium_moment(nd.energies, nd.basis, moment, T) for nd in path_nodes], axis=1)

    nd = down.size
    hc, mr, opening = (np.full(T.size, np.nan) for _ in range(3))
    for j in range(T.size):
        up_f, up_m = path[nd - 1:], M[j, nd - 1:]
        hc[j] = 0.5 * (abs(branch_zero(down, M[j, :nd])) + abs(branch_zero(up_f, up_m)))
        mr[j] = 0.5 * (abs(np.interp(0.0, down[::-1], M[j, :nd][::-1])) + abs(np.interp(0.0, up_f, up_m)))
        opening[j] = loop_opening(down, M[j, :nd], up_f, up_m) / saturation

    # ZFC / FC at the measuring field: one node per temperature, one basis.
    Ez = zfc_nodes[0].energies
    Uz = zfc_nodes[0].basis
    p0 = thermal_state(E0, TZ[0])[0]
    rho_lab = (U0 * p0) @ U0.conj().T  # zero-field equilibrium at T_min (basis independent)
    rho_zfc = Uz.conj().T @ rho_lab @ Uz
    t_warm = (TZ - TZ[0]) / cfg.zfc_fc.rate
    _, m_zfc = propagate(zfc_nodes, t_warm, rho_zfc, observable=moment)
    rho_hot = np.diag(thermal_state(Ez, TZ[-1])[0]).astype(complex)
    rho_cold, _ = propagate(zfc_nodes[::-1], t_warm[-1] - t_warm[::-1], rho_hot)
    _, m_fc = propagate(zfc_nodes, t_warm, rho_cold, observable=moment)
    m_eq_z = np.array([equilibrium_moment(Ez, Uz, moment, t)[0] for t in TZ])

    gJn0 = U0.conj().T @ provider.moment_axis @ U0
    tau0 = np.array([relaxation_time(R0[j], E0, gJn0) for j in range(TZ.size)])

    T_tau = tau_blocking_temperature(TZ, tau0, cfg.blocking.tau)
    T_zfc = zfc_peak_temperature(TZ, m_zfc[:, 0])
    T_loop, T_open, T_closed = loop_closing_temperature(T, opening, cfg.blocking.closed_below)
    t_end = time.perf_counter()

    mu = {"units": "mu_B"}
    ds = xr.Dataset(
        {
            "magnetization": (("temperature", "loop_point"), M,
                              {**mu, "long_name": "magnetization <m . n> per molecule along the sweep"}),
            "equilibrium_magnetization": (("temperature", "loop_point"), M_eq,
                                          {**mu, "long_name": "thermal-equilibrium <m . n> at each field"}),
            "coercive_field": ("temperature", hc, {"units": "T", "long_name": "coercive field |B| at M = 0 (mean of both branches); "
                                                      "NaN: a branch does not reverse within +-field_max_T"}),
            "remanence": ("temperature", mr, {**mu, "long_name": "remanent |M| at B = 0 (mean of both branches)"}),
            "loop_opening": ("temperature", opening, {"units": "1", "long_name": "max_B |M_up - M_down| / saturation"}),
            "M_zfc": ("zfc_temperature", m_zfc[:, 0], {**mu, "long_name": "zero-field-cooled M, on warming"}),
            "M_fc": ("zfc_temperature", m_fc[:, 0], {**mu, "long_name": "field-cooled M, on warming after cooling in the field"}),
            "M_eq_zfc": ("zfc_temperature", m_eq_z, {**mu, "long_name": "equilibrium M in the ZFC/FC field"}),
            "tau_zero_field": ("zfc_temperature", tau0, {"units": "s", "long_name": "magnetization relaxation time at zero field"}),
            "energy": ("level", E0 - E0[0], {"units": "cm^-1", "long_name": "zero-field level energy above the ground state"}),
        },
        coords={
            "temperature": ("temperature", T, {"units": "K", "long_name": "loop temperature"}),
            "loop_point": ("loop_point", np.arange(path.size), {"units": "1"}),
            "field": ("loop_point", path, {"units": "T", "long_name": "field along the sweep direction"}),
            "time": ("loop_point", times, {"units": "s", "long_name": "time since the start of the loop"}),
            "branch": ("loop_point", branch, {"units": "1", "long_name": "down (from +max) or up"}),
            "zfc_temperature": ("zfc_temperature", TZ, {"units": "K"}),
            "level": ("level", np.arange(E0.size), {"units": "1"}),
        },
        attrs={
            "title": cfg.title, "J": cfg.spin.J, "order": str(cfg.method.order),
            "field_direction": list(n), "sweep_rate_T_per_s": cfg.loop.rate, "field_max_T": cfg.loop.max,
            "transverse_field_T": cfg.loop.transverse, "tunnel_splitting_cm": cfg.loop.tunnel_splitting,
            "zfc_field_T": cfg.zfc_fc.field, "zfc_rate_K_per_s": cfg.zfc_fc.rate,
            "saturation_mu_B": saturation, "field_nodes": int(down.size),
            "refined_nodes": int(down.size - cfg.loop.points),
            "populations_suffice": int(populations_suffice(nodes, degenerate_cm=cfg.method.secular_tol)),
            "tau_block_s": cfg.blocking.tau, "closed_below": cfg.blocking.closed_below,
            "T_B_tau_K": T_tau, "T_B_zfc_K": T_zfc, "T_B_loop_K": T_loop,
            "T_B_loop_bracket_K": [T_open, T_closed],
            "reference_T_B_K": cfg.blocking.reference if cfg.blocking.reference is not None else float("nan"),
            "reference_label": cfg.blocking.reference_label,
            "wall_rates_s": t_rates - t_start, "wall_total_s": t_end - t_start,
            "rates_backend": rates_backend, "rates_tasks": rate_tasks,
            "bath_source": getattr(provider.bath_at(0.0), "source", "") or "(not given)",
        },
    )
    return ds


def plot(ds: xr.Dataset, path) -> None:
    """(a) loops at several temperatures; (b) coercive field and loop opening against T; (c) ZFC/FC with
    the blocking temperatures; (d) tau(T) at zero field with tau_B."""
    from ..plotting import legend_beside, math_text, paper_style, plt, save_figure

    T = ds.temperature.values
    with paper_style():
        fig, axes = plt.subplots(2, 2, figsize=(7.2, 5.8), layout="constrained")
        a, b, c, d = axes.ravel()
        # up to five loops, evenly spread in temperature (not in index: grids are often denser at low T)
        n_shown = min(T.size, 5)
        shown = list(dict.fromkeys(int(np.argmin(np.abs(T - t))) for t in np.linspace(T[0], T[-1], n_shown)))
        shown = sorted(shown + [j for j in range(T.size) if j not in shown][: n_shown - len(shown)])
        cmap = plt.get_cmap("viridis")
        for k, j in enumerate(shown):
            color = cmap(k / max(len(shown) - 1, 1))
            a.plot(ds.field, ds.magnetization[j], color=color, lw=1.0, label=f"{T[j]:g} K")
        a.plot(ds.field, ds.equilibrium_magnetization[shown[-1]], color="0.5", lw=0.7, ls=":",
               label=f"equilibrium {T[shown[-1]]:g} K")
        a.set_xlabel("field $B$ (T)")
        a.set_ylabel(r"$M$ ($\mu_B$ per molecule)")
        rate = float(ds.attrs["sweep_rate_T_per_s"])
        a.set_title(f"{math_text(ds.attrs.get('title', ''))}: loops at {rate * 1e4:.3g} Oe/s", fontsize=7)
        legend_beside(a, fontsize=6)

        hc = ds.coercive_field.values
        b.plot(T, hc, "o-", color="C0", ms=3, lw=1.0, label="coercive field")
        beyond = ~np.isfinite(hc)
        if beyond.any():  # open loops that never reverse: B_c is beyond the sweep, not missing
            top = float(ds.attrs["field_max_T"])
            b.plot(T[beyond], np.full(beyond.sum(), top), "^", color="C0", ms=4, mfc="none", clip_on=False,
                   label=rf"$B_c$ > {top:g} T (no reversal)")
            b.legend(loc="upper right", fontsize=5.5, frameon=False)
        b.set_xlabel("temperature (K)")
        b.set_ylabel(r"coercive field $B_c$ (T)", color="C0")
        b2 = b.twinx()
        b2.plot(T, ds.loop_opening, "s--", color="C3", ms=3, lw=0.8, mfc="none", label="opening")
        b2.axhline(float(ds.attrs["closed_below"]), color="C3", lw=0.5, ls=":")
        b2.set_ylabel(r"loop opening / $M_\mathrm{sat}$ (2: fully open)", color="C3")
        b2.set_ylim(0, 2.1)
        b.set_title("closed when the opening is below the dotted line", fontsize=7)

        TZ = ds.zfc_temperature.values
        c.plot(TZ, ds.M_fc, color="C1", lw=1.1, label="FC")
        c.plot(TZ, ds.M_zfc, color="C0", lw=1.1, label="ZFC")
        c.plot(TZ, ds.M_eq_zfc, color="0.5", lw=0.7, ls=":", label="equilibrium")
        c.set_xlabel("temperature (K)")
        c.set_ylabel(r"$M$ ($\mu_B$ per molecule)")
        c.set_title(f"ZFC/FC at {float(ds.attrs['zfc_field_T']):g} T, "
                    f"{float(ds.attrs['zfc_rate_K_per_s']) * 60:.3g} K/min", fontsize=7)
        marks = [("T_B_tau_K", rf"$T_B$: $\tau$ = {float(ds.attrs['tau_block_s']):g} s", "C2", "--"),
                 ("T_B_zfc_K", r"$T_B$: ZFC maximum", "C0", "-."),
                 ("T_B_loop_K", r"$T_B$: loop closes", "C4", ":"),
                 ("reference_T_B_K", f"{ds.attrs.get('reference_label', 'measured')}", "k", "-")]
        for key, label, color, ls in marks:
            x = float(ds.attrs.get(key, np.nan))
            if np.isfinite(x):
                c.axvline(x, color=color, ls=ls, lw=0.8, label=f"{label}: {x:.0f} K")
        legend_beside(c, fontsize=5.5)

        d.semilogy(TZ, ds.tau_zero_field, color="k", lw=1.1, label=r"$\tau$, zero field")
        d.axhline(float(ds.attrs["tau_block_s"]), color="C2", lw=0.8, ls="--", label=r"$\tau_B$")
        field_span = 2 * float(ds.attrs["field_max_T"])
        d.axhline(field_span / rate / 2, color="C4", lw=0.8, ls=":", label="half-loop time")
        d.set_xlabel("temperature (K)")
        d.set_ylabel(r"$\tau$ (s)")
        d.set_title("relaxation time at zero field", fontsize=7)
        legend_beside(d, fontsize=6)
        if "MODEL" in str(ds.attrs.get("bath_source", "")):  # say it on the figure, not only in the docs
            fig.suptitle("model phonon bath, not ab initio: the method demonstrated, not a prediction for this molecule",
                         fontsize=7, color="0.35")
        save_figure(fig, path)


def summary(ds: xr.Dataset) -> list[tuple[str, str]]:
    T = ds.temperature.values

    def k(x):
        x = float(x)
        return f"{x:.1f} K" if np.isfinite(x) else "not found"

    def coercive(x):
        x = float(x)
        return f"{x:.3g}" if np.isfinite(x) else f"> {float(ds.attrs['field_max_T']):g} (no reversal)"

    lo, hi = ds.attrs.get("T_B_loop_bracket_K", [np.nan, np.nan])
    rows = [("loop temperatures (K)", ", ".join(f"{t:g}" for t in T)),
            ("sweep", f"{float(ds.attrs['sweep_rate_T_per_s']):.3g} T/s, {int(ds.attrs['field_nodes'])} field nodes per branch"),
            ("coercive field (T)", f"{coercive(ds.coercive_field[0])} at {T[0]:g} K .. "
                                   f"{coercive(ds.coercive_field[-1])} at {T[-1]:g} K"),
            tau_range_row("zero field", ds.zfc_temperature.values, ds.tau_zero_field.values),
            (f"T_B (tau = {float(ds.attrs['tau_block_s']):g} s)", k(ds.attrs["T_B_tau_K"])),
            ("T_B (ZFC maximum)", k(ds.attrs["T_B_zfc_K"])),
            ("T_B (loop closes)", k(ds.attrs["T_B_loop_K"]) + f" (between {float(lo):g} and {float(hi):g} K)")]
    return rows


STUDY = Study(
    name="hysteresis",
    description="M(H) loops, ZFC/FC and blocking temperatures from the field-swept spin-phonon master equation",
    config_model=HysteresisConfig,
    run=run,
    plot=plot,
    summary=summary,
)
