"""Study ``dimer-llg``: bias-driven switching of a spin pinned next to a free one in a junction.

Reference: Leiva, Diaz and Nunez, Phys. Rev. B 107, 094401 (2023), doi:10.1103/PhysRevB.107.094401.

For each bias V the couplings of the junction (computed from [junction], or read from a
``junction-couplings`` results file) give the generalized stochastic LLG of the dimer
(:mod:`spinbath.junction.llg`, :mod:`spinbath.classical.llg`). In reduced time (unit hbar S / meV,
0.658 S ps):

    dm_a/dt = -m_a x (h_a + eta_a - sum_b alpha^G_ab dm_b/dt),   h_a = sum_b W_ab m_b + h0_a (meV)
    <eta_a(t) eta_b(t')> = Q_ab delta(t - t'),   Q = Delta^2 S^2 hbar C / (hbar S)

(the precession sense of a spin operator; the damping relaxes toward h). Spin 1 is pinned along
``spins.pinned``; spin 2 starts along ``spins.initial``. Two estimates of its stationary mean:

    m_langevin(V, axis)       ensemble and time average of the Langevin trajectories (1)
    m_fokker_planck(V, axis)  <m> over P(m) ∝ exp(-E(m)/k_B T_eff) by quadrature on the sphere,
                              E(m) = -m.(W_21 m_1 + h0_2) - m.W_22^sym m / 2,
                              k_B T_eff = Q^iso_22 / (2 alpha^G,iso_22)

Each spin's own terms ([spins] ``g``, ``field``, ``K_easy_axis``, ``K_easy_plane``;
:class:`spinbath.classical.OnsiteTerms`) add to E, in meV,

    g mu_B S B.m - K_ax S^2 (m.n_ax)^2 + K_pl S^2 (m.n_pl)^2      (H_Z = +g mu_B B.S: with g > 0
                                                                 the spin turns against B)

i.e. h0_a gains -g mu_B S B and W_aa gains 2 S^2 (K_ax n_ax n_ax^T - K_pl n_pl n_pl^T); the Langevin
dynamics and the Fokker-Planck energy use the same terms. In Leiva et al. they are the Zeeman and
anisotropy part of E_0 (their Eq. 7), whose values they take from their Ref. 5 without quoting them.

Temperature. T is the leads' temperature; T = 0 is allowed. The noise Q is then the current's
(shot) noise alone: Q = 0 at V = 0, where the Langevin trajectories are deterministic (all alike,
standard error 0, T_eff = 0) and the Fokker-Planck estimate is the global energy minimum, which a
trajectory held by an anisotropy barrier need not reach. Under bias Q > 0 and T_eff > 0 even at T = 0.

The Fokker-Planck estimate is the approximation of Leiva et al.: it drops the anisotropic parts of the
noise/damping ratio. The junction also gives a current-driven self torque Dloc_a (a field
S_a x t_hat on spin a, non-conservative), absent from Leiva et al.'s LLG; ``self_torque = true`` keeps
it in the Langevin dynamics (the Fokker-Planck estimate cannot), which moves <m_y> by tens of
standard errors at |V| >= 2 mV for the weak-SOC junction. Also: J, D, A, K of spin 2 in meV (times Delta^2 S^2), the ratios D/J, A/J, K/J, T_eff,
the Gilbert damping, and sample trajectories.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr
from pydantic import Field

from ..config.base import ConfigError, StrictModel
from ..config.dimer_llg import DimerBiasConfig, DimerSpinsConfig, LangevinConfig
from ..config.junction import JunctionConfig, grid_values
from ..progress import track, work
from . import Study

__all__ = ["DimerLLGConfig", "run", "plot", "plot_sweep", "summary", "STUDY"]

class DimerLLGConfig(StrictModel):
    """``study = "dimer-llg"``: junction, bias points, spins, Langevin ensemble."""

    study: Literal["dimer-llg"]
    title: str = "Voltage-driven dimer"
    junction: JunctionConfig = JunctionConfig()
    bias: DimerBiasConfig = DimerBiasConfig()
    spins: DimerSpinsConfig = DimerSpinsConfig()
    langevin: LangevinConfig = LangevinConfig()
    epsrel: float = Field(default=1e-8, gt=0, lt=1e-2, description="tolerance of the junction integrals")
    self_torque: bool = Field(
        default=False,
        description="keep the current-driven self torque Dloc_a (S_a x t_hat field) in the Langevin "
                    "dynamics; off by default, as in Leiva et al.'s LLG (fields from J, D, A, K)")


def _named_couplings(cfg: DimerLLGConfig, V: np.ndarray) -> tuple[dict, tuple]:
    """Couplings per V (arrays with a leading V axis) and the t_hat they refer to."""
    from ..junction.couplings import couplings_from_kernels
    from ..junction.kernels import spin_kernels

    socs = cfg.junction.soc_values()
    if len(socs) != 1:
        raise ConfigError("junction.t: the dimer-llg study takes one spin-orbit hopping t, got a list")
    if cfg.bias.couplings_file is None:
        model = cfg.junction.model(socs[0])
        parts = []
        # A few biases per call of the vectorized integrals, so that the bar moves.
        with work("dimer-llg couplings (Keldysh integrals)", V.size, "biases") as advance:
            for s in range(0, V.size, _V_BLOCK):
                v = V[s : s + _V_BLOCK]
                k = spin_kernels(model, v, np.full_like(v, cfg.bias.mu_F), cfg.bias.temperature, epsrel=cfg.epsrel)
                parts.append(couplings_from_kernels(k))
                advance(v.size)
        return {key: np.concatenate([p[key] for p in parts], axis=0) for key in parts[0]}, model.t_hat
    from ..io import read_results

    ds = read_results(cfg.bias.couplings_file)
    if ds.attrs.get("study") != "junction-couplings":
        raise ConfigError(f"bias.couplings_file: {cfg.bias.couplings_file!r} is not a junction-couplings "
                          f"results file (study = {ds.attrs.get('study')!r})")
    if ds.sizes.get("t_soc", 1) != 1:
        raise ConfigError("bias.couplings_file: the file holds several t; use a file with one")
    if not np.isclose(float(ds.attrs["temperature_K"]), cfg.bias.temperature):
        raise ConfigError(f"bias.temperature = {cfg.bias.temperature} K differs from the file's "
                          f"{ds.attrs['temperature_K']} K")
    named = {}
    try:
        sel = ds.isel(t_soc=0).sel(mu_F=cfg.bias.mu_F, V=V, method=None)
    except KeyError:
        raise ConfigError("bias: every V and the mu_F must be grid points of the couplings file "
                          f"(V grid {ds.V.values.min():g}..{ds.V.values.max():g} mV, {ds.sizes['V']} points)") from None
    for name in ("J", "D", "A", "K", "Dloc", "s", "T_eff"):
        var = f"{name}_per_Delta2" if name in ("J", "D", "A", "K", "Dloc") else name
        for a in (1, 2):
            named[f"{name}{a}"] = sel[var].sel(site=a).values
    for name in ("alpha_i", "alpha_an", "j_i", "j_an"):
        named[name] = sel[name].transpose("V", "site", "site_b").values
    return named, tuple(ds.attrs["t_hat"])


#: Biases per call of the vectorized Keldysh integrals (one progress step each).
_V_BLOCK = 4


def _fokker_planck_mean(field0: np.ndarray, A: np.ndarray, kT: float) -> np.ndarray:
    """<m> over P ∝ exp(-E/kT), E = -m.field0 - m.A m / 2 (A symmetric, meV), kT in meV.

    Quadrature of :func:`spinbath.classical.fokker_planck.boltzmann_quadrature`; at kT = 0 the
    distribution is the energy minimum, found from the best of a few starts.
    """
    from scipy.optimize import minimize

    from ..classical.fokker_planck import boltzmann_quadrature
    from ..classical.spin_model import ClassicalSpinModel

    if kT > 0:
        model = (ClassicalSpinModel(2).with_pinned(0, (0.0, 0.0, 1.0))
                 .with_zeeman(1, field0).with_anisotropy(1, -0.5 * A))
        return boltzmann_quadrature(model, kT, lambda m: m[..., 1, :], rtol=1e-8).value

    def energy(angles):
        th, ph = angles
        m = np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])
        return -m @ field0 - 0.5 * m @ A @ m

    best = min((minimize(energy, x0) for x0 in ((0.3, 0.1), (2.8, 0.1), (1.5, 1.5), (1.5, 4.6))),
               key=lambda r: r.fun)
    th, ph = best.x
    return np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])


def run(cfg: DimerLLGConfig) -> xr.Dataset:
    """Langevin ensembles and Fokker-Planck averages of the free spin for every bias."""
    from ..classical.llg import Heun, Midpoint, simulate
    from ..classical.spin_model import ClassicalSpinModel
    from ..junction.llg import parameters_from_couplings
    from ..units import HBAR_MEV_PS

    V = grid_values(cfg.bias.V)
    named, t_hat = _named_couplings(cfg, V)
    sp, lg = cfg.spins, cfg.langevin
    tau_ps = HBAR_MEV_PS * sp.S  # the reduced time unit
    dt = lg.dt / tau_ps
    n_steps = int(round(lg.t_end / lg.dt))
    save_every = max(1, n_steps // lg.samples)
    method = Heun() if lg.method == "heun" else Midpoint()
    m1 = np.asarray(sp.pinned)
    onsite = sp.onsite()
    out = {k: [] for k in ("m_l", "m_l_err", "m_fp", "kT", "traj", "alpha", "couplings")}
    t_saved = None
    for i, v in enumerate(track(V, f"dimer-llg Langevin ({lg.trajectories} trajectories x {n_steps} steps per bias)",
                                total=V.size, unit="biases")):
        p = parameters_from_couplings(named, i, S=sp.S, Delta=sp.Delta, t_hat=t_hat, V=v,
                                      mu_F=cfg.bias.mu_F, T=cfg.bias.temperature)
        W = p.exchange.copy()
        if not cfg.self_torque:
            for a in (0, 1):  # the antisymmetric part of an on-site block is the Dloc torque
                W[a, a] = 0.5 * (W[a, a] + W[a, a].T)
        # The spins' own Zeeman and anisotropy (symmetric on-site blocks, same on both sites) join
        # the junction's fields here, so Langevin and Fokker-Planck see the same energy.
        W[0, 0] += onsite.matrix
        W[1, 1] += onsite.matrix
        h0 = p.zeeman + onsite.bias
        model = (ClassicalSpinModel(2, damping=p.damping, precession_sign=-1)
                 .with_linear_fields(W, h0)
                 .with_pinned(0, m1))
        Q = p.noise / tau_ps  # meV^2 ps -> meV^2 x reduced time
        m0 = np.stack([m1, np.asarray(sp.initial)])
        try:
            res = simulate(model, m0, dt=dt, n_steps=n_steps, n_traj=lg.trajectories, noise=Q,
                           method=method, drift_correction=lg.drift_correction, seed=lg.seed + i,
                           save_every=save_every, record=lambda m: m[:, 1, :].copy())
        except ValueError as err:
            raise ConfigError(f"bias V = {v:g} mV: {err}") from None
        t_saved = res.t * tau_ps
        late = t_saved >= lg.average_from * lg.t_end
        per_traj = res.values[late].mean(axis=0)  # (n_traj, 3)
        out["m_l"].append(per_traj.mean(0))
        out["m_l_err"].append(per_traj.std(0, ddof=1) / np.sqrt(per_traj.shape[0]))
        out["traj"].append(res.values[:, : lg.keep_trajectories, :].transpose(1, 0, 2))
        W21, W22 = W[1, 0], W[1, 1]
        q_iso = np.trace(Q[1, 1] if Q.ndim == 4 else Q) / 3.0
        a_iso = np.trace(p.damping[1, 1]) / 3.0
        kT = q_iso / (2.0 * a_iso) if a_iso > 0 else 0.0
        out["kT"].append(kT)
        out["m_fp"].append(_fokker_planck_mean(W21 @ m1 + h0[1], 0.5 * (W22 + W22.T), kT))
        out["alpha"].append(a_iso)
    s2 = sp.Delta**2 * sp.S**2
    J, D, A, K = (s2 * np.asarray(named[f"{x}2"]) for x in ("J", "D", "A", "K"))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = {f"{x}_over_J": np.asarray(named[f"{x}2"]) / np.asarray(named["J2"]) for x in ("D", "A", "K")}
    kT = np.asarray(out["kT"])
    from ..units import KB_MEV

    data = {
        "m_langevin": (("V", "axis"), np.asarray(out["m_l"]),
                       {"units": "1", "long_name": "<m_2> of the free spin, Langevin ensemble and time average"}),
        "m_langevin_err": (("V", "axis"), np.asarray(out["m_l_err"]),
                           {"units": "1", "long_name": "standard error of m_langevin (over trajectories)"}),
        "m_fokker_planck": (("V", "axis"), np.asarray(out["m_fp"]),
                            {"units": "1", "long_name": "<m_2> over exp(-E/k_B T_eff), quadrature"}),
        "T_eff": ("V", kT / KB_MEV, {"units": "K", "long_name": "effective temperature of spin 2"}),
        "alpha_gilbert": ("V", np.asarray(out["alpha"]),
                          {"units": "1", "long_name": "isotropic Gilbert damping of spin 2"}),
        "J": ("V", J, {"units": "meV", "long_name": "exchange on spin 2 x Delta^2 S^2 (J > 0 antiparallel)"}),
        "D": ("V", D, {"units": "meV", "long_name": "DM coupling on spin 2 x Delta^2 S^2"}),
        "A": ("V", A, {"units": "meV", "long_name": "Ising exchange on spin 2 x Delta^2 S^2"}),
        "K": ("V", K, {"units": "meV", "long_name": "on-site anisotropy of spin 2 x Delta^2 S^2"}),
        "trajectory_m": (("V", "trajectory", "time", "axis"), np.asarray(out["traj"]),
                         {"units": "1", "long_name": "sample trajectories of m_2"}),
    }
    for k, v in ratios.items():
        data[k] = ("V", v, {"units": "1", "long_name": k.replace("_over_", " / ")})
    coords = {
        "V": ("V", V, {"units": "mV", "long_name": "bias"}),
        "axis": ("axis", ["x", "y", "z"], {"units": "1"}),
        "time": ("time", t_saved, {"units": "ps"}),
        "trajectory": ("trajectory", np.arange(min(lg.keep_trajectories, lg.trajectories)), {"units": "1"}),
    }
    attrs = {
        "title": cfg.title, "S": sp.S, "Delta_meV": sp.Delta, "pinned": list(sp.pinned),
        "initial": list(sp.initial), "t_hat": list(t_hat), "mu_F_meV": cfg.bias.mu_F,
        "temperature_K": cfg.bias.temperature, "trajectories": lg.trajectories, "dt_ps": lg.dt,
        "t_end_ps": lg.t_end, "average_from": lg.average_from, "method": lg.method,
        "drift_correction": int(lg.drift_correction), "seed": lg.seed,
        "reduced_time_unit_ps": tau_ps,
        "couplings_source": cfg.bias.couplings_file or "computed from [junction]",
        "self_torque": int(cfg.self_torque),
        "g": sp.g, "field_T": list(sp.field), "K_easy_axis_meV": sp.K_easy_axis,
        "easy_axis": list(sp.easy_axis), "K_easy_plane_meV": sp.K_easy_plane,
        "plane_normal": list(sp.plane_normal),
        "zeeman_energy_meV": float(np.linalg.norm(onsite.bias)),
        "larmor_angular_frequency_rad_per_ps": onsite.larmor_angular_frequency,
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _onsite_label(ds: xr.Dataset, sep: str = "; ") -> str:
    """"B = (0, 0, 1) T, g = 2; easy axis 0.1 meV along (0, 0, 1); ..." ("" when there are none)."""
    vec = lambda v: "(" + ", ".join(f"{x:g}" for x in v) + ")"  # noqa: E731
    parts = []
    if any(ds.attrs.get("field_T", [0.0])):
        parts.append(f"B = {vec(ds.attrs['field_T'])} T, g = {ds.attrs['g']:g}")
    if ds.attrs.get("K_easy_axis_meV", 0.0):
        parts.append(f"easy axis {ds.attrs['K_easy_axis_meV']:g} meV along {vec(ds.attrs['easy_axis'])}")
    if ds.attrs.get("K_easy_plane_meV", 0.0):
        parts.append(f"easy plane {ds.attrs['K_easy_plane_meV']:g} meV normal to {vec(ds.attrs['plane_normal'])}")
    return sep.join(parts)


def _turning_angle_deg(tr: np.ndarray) -> float:
    """Median angle (degrees) between successive saved unit vectors of one trajectory (time, axis)."""
    u = tr / np.linalg.norm(tr, axis=-1, keepdims=True)
    cos = np.clip(np.sum(u[1:] * u[:-1], axis=-1), -1.0, 1.0)
    return float(np.degrees(np.median(np.arccos(cos)))) if cos.size else 0.0


#: Above this median turn between saved samples a trajectory is not resolved (fewer than ~12
#: samples per precession period): its panel would show aliasing, not dynamics.
MAX_TURN_PER_SAMPLE_DEG = 30.0
TRAJECTORY_WINDOW_PS = 20.0


def plot(ds: xr.Dataset, path) -> None:
    """(a) <m> of the free spin vs V, Langevin and Fokker-Planck; (b) coupling ratios and T_eff;
    (c) m_z of one trajectory at the extreme biases and at V nearest 0 (first TRAJECTORY_WINDOW_PS).

    Ratios to J are not drawn where |J| < 10% of its largest value (shaded): they diverge where J
    changes sign. Panel c is drawn only when the saved samples resolve the precession (median
    turn between samples below MAX_TURN_PER_SAMPLE_DEG); otherwise it says how to resolve it
    (raise langevin.samples).
    """
    from ..plotting import legend_below, math_text, paper_style, plt, save_figure

    V = ds.V.values
    with paper_style():
        fig, axes = plt.subplots(1, 3, figsize=(7.2, 3.4))
        fig.get_layout_engine().set(wspace=0.12)
        ax = axes[0]
        for k, (name, color) in enumerate(zip("xyz", ("C0", "C3", "C2"))):
            ax.plot(V, ds.m_fokker_planck.isel(axis=k), "-", color=color, lw=1.0,
                    label=rf"$\langle m_{name}\rangle$ Fokker-Planck")
            ax.errorbar(V, ds.m_langevin.isel(axis=k), yerr=ds.m_langevin_err.isel(axis=k), fmt="o", ms=2.2,
                        mfc="white", mew=0.7, capsize=1.5, elinewidth=0.8, color=color, lw=0.8,
                        label=rf"$\langle m_{name}\rangle$ Langevin $\pm$ 1 s.e.")
        ax.axhline(0, color="0.6", lw=0.5)
        ax.set_xlabel("bias $V$ (mV)")
        ax.set_ylabel(r"$\langle m_2 \rangle$ of the free spin")
        onsite = _onsite_label(ds, sep="\n")
        ax.set_title(math_text(ds.attrs.get("title", "")) + (f"\n{onsite}" if onsite else ""), fontsize=7)
        legend_below(ax, ncol=2, fontsize=5.5)
        ax = axes[1]
        J = ds.J.values
        small = np.abs(J) < 0.1 * np.abs(J).max()
        for name, style, label in (("D_over_J", "C3o-", "$D/J$"), ("A_over_J", "C0s--", "$A/J$"),
                                   ("K_over_J", "C2^:", "$K/J$")):
            ax.plot(V, np.where(small, np.nan, ds[name].values), style, lw=1.0, ms=2.5, mfc="none", label=label)
        edges = np.concatenate([[V[0]], 0.5 * (V[1:] + V[:-1]), [V[-1]]])
        for k in np.nonzero(small)[0]:
            ax.axvspan(edges[k], edges[k + 1], color="0.88", lw=0, zorder=0,
                       label=r"$|J| < 0.1\,\max|J|$ (ratios not shown)" if k == np.nonzero(small)[0][0] else None)
        ax.set_xlabel("bias $V$ (mV)")
        ax.set_ylabel("coupling ratio on spin 2")
        ax2 = ax.twinx()
        ax2.plot(V, ds.T_eff, "k--", lw=1.0, label=r"$T_{\rm eff}$ (right axis)")
        ax2.set_ylabel(r"$T_{\rm eff}$ (K)")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        legend_below(ax, h1 + h2, l1 + l2, ncol=2, fontsize=5.5)
        ax = axes[2]
        picks = sorted({0, int(np.argmin(np.abs(V))), V.size - 1})
        resolved = ds.sizes["trajectory"] > 0 and ds.sizes["time"] > 2 and max(
            _turning_angle_deg(ds.trajectory_m.isel(V=j, trajectory=0).values) for j in picks
        ) <= MAX_TURN_PER_SAMPLE_DEG
        if resolved:
            # The first TRAJECTORY_WINDOW_PS: long enough for a few switches, short enough to see
            # the precession.
            shown = ds.time.values <= ds.time.values[0] + TRAJECTORY_WINDOW_PS
            for j, color in zip(picks, ("C0", "k", "C3")):
                tr = ds.trajectory_m.isel(V=j, trajectory=0)
                ax.plot(ds.time[shown], tr.sel(axis="z")[shown], "-", color=color, lw=0.8, label=f"V = {V[j]:g} mV")
            ax.set_xlabel("time $t$ (ps)")
            ax.set_ylabel("$m_z$ of the free spin, one trajectory")
            legend_below(ax, ncol=1)
        else:
            dt = float(ds.time[1] - ds.time[0]) if ds.sizes["time"] > 1 else float("nan")
            ax.axis("off")
            ax.text(0.5, 0.5, f"sample trajectories not drawn:\nsaved every {dt:.2g} ps, they do not\n"
                    "resolve the precession\n(raise langevin.samples)", ha="center", va="center",
                    transform=ax.transAxes, fontsize=7)
        save_figure(fig, path)


def plot_sweep(ds: xr.Dataset, path) -> None:
    """Sweep figure: (a) <m_z> of the free spin vs V (Langevin) for each swept value; (b) map of the
    exchange J (meV) over (V, swept key), diverging and centred at zero."""
    from ..plotting import paper_style, plt, save_figure
    from ..sweeps.figures import family, signed_map_or_family, sweep_axis

    sw = sweep_axis(ds)
    d = sw.ds
    V = d.V.values
    with paper_style():
        fig, (a, b) = plt.subplots(1, 2, figsize=(7.2, 3.4))
        family(a, sw, d.m_langevin.sel(axis="z").transpose(sw.dim, "V"), V)
        a.set_xlabel("bias $V$ (mV)")
        a.set_ylabel(r"$\langle m_z\rangle$ of the free spin (Langevin)")
        a.set_title("switching" + (f"; {sw.note}" if sw.note else ""), fontsize=7)
        signed_map_or_family(fig, b, sw, d.J.transpose(sw.dim, "V"), V, "bias $V$ (mV)", r"$J$ (meV)")
        b.set_title("exchange on spin 2", fontsize=7)
        fig.suptitle(sw.title, fontsize=8)
        save_figure(fig, path)


def summary(ds: xr.Dataset) -> list[tuple[str, str]]:
    V = ds.V.values
    mz = ds.m_langevin.sel(axis="z").values
    rows = [("biases", f"{V.size} from {V.min():g} to {V.max():g} mV, {ds.attrs['trajectories']} trajectories each")]
    flips = np.nonzero(np.diff(np.sign(ds.J.values)))[0]
    if flips.size:
        rows.append(("exchange changes sign near", ", ".join(f"{0.5 * (V[i] + V[i + 1]):+.2f} mV" for i in flips)))
    if ds.attrs.get("zeeman_energy_meV", 0.0) or ds.attrs.get("K_easy_axis_meV", 0.0) or ds.attrs.get("K_easy_plane_meV", 0.0):
        rows.append(("on-site terms of the spins", _onsite_label(ds)))
    diff = np.abs(ds.m_langevin - ds.m_fokker_planck) / np.maximum(ds.m_langevin_err, 1e-12)
    rows.append(("<m_z>: Langevin at min/max V", f"{mz[0]:+.3f} / {mz[-1]:+.3f}"))
    rows.append(("Langevin vs Fokker-Planck", f"median |diff| = {float(np.median(diff)):.2g} standard errors"))
    return rows


STUDY = Study(
    name="dimer-llg",
    description="voltage-driven dimer: generalized stochastic LLG vs Fokker-Planck over bias",
    config_model=DimerLLGConfig,
    run=run,
    plot=plot,
    plot_sweep=plot_sweep,
    summary=summary,
)
