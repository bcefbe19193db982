"""Study ``spin-phonon``: tau(T), T1, T2 and T2* from second- and fourth-order master equations.

The spin Hamiltonian ([spin], [field]) and a phonon bath ([bath]) give rate superoperators R^(2)
(one phonon: direct and Orbach), R^(4) (two phonons: Raman) or their sum, in Lindblad form and
secular approximation (:mod:`spinbath.quantum.spin_phonon`), at every temperature. From each R:

    tau    magnetization relaxation time: tau^-1 = -Re of the eigenvalue of R whose eigenmode carries
           the decay of a magnetized ground doublet (:func:`spinbath.quantum.relaxation.relaxation_time`)
    T1     population lifetime of the pair (a, b): 1/T1 = Gamma_a + Gamma_b (escape rates)
    T2     coherence time of the pair: 1/T2 = -Re R_ab,ab = 1/(2 T1) + 1/T2*
    T2*    pure-dephasing time (infinite at second order for a Kramers doublet)

At zero field every Kramers doublet is degenerate: its basis is fixed by diagonalizing the moment
along [field].direction inside it (states of definite moment; R is covariant under the choice,
so tau does not depend on it and T1, T2, T2* refer to the |+>, |-> pair of that axis). The rates are
exactly time-reversal invariant, so zero field needs no probe field. Zero field means the limit of a
vanishing field along [field].direction (``method.zero_field = "limit"``, default), continuous with
any finite field; ``"exact"`` keeps the coupling of each doublet's coherence to its populations
that only exactly zero field has (docs/theory/spin-phonon.md, "Degenerate levels").

Order 4 is the virtual (Raman) two-phonon part. The sequential part of the two-phonon amplitude
(two real one-phonon steps through an excited level: the Orbach process of order 2) is left out of
4 and "2+4"; ``tau_resonant`` is tau from it alone, for inspection.

Output variables (xarray.Dataset):
    tau, T1, T2, T2_star (order, temperature)        s
    slowest_rates(order, temperature, slowest)       s^-1, the slowest decay rates -Re(lambda) of R
                                                     (relaxation_rate before the names table)
    tau_weight(order, temperature)                   share of M(t) carried by the tau mode
    chi_ac_real, chi_ac_imag (order, temperature, frequency)   1: chi'(nu) and chi''(nu) over chi_rel,
                                                     the linear response of the master equation
                                                     (frequency in Hz, AC_FREQUENCIES)
    tau_resonant(temperature)                        s, tau from the sequential part of the two-phonon
                                                     amplitude alone (not in any order; when 4 is computed)
    U_eff(order)                                     cm^-1, k_B d ln(tau)/d(1/T) for T >= max(T)/2
    energy(level), moment(level)                     cm^-1 above the ground state; <m . n> in mu_B
    mode_energy(mode), coupling_norm(mode)           cm^-1; ||V^a||_F of each mode, cm^-1

Attributes include ``bath_source`` (where the modes come from), ``bath_n_modes`` (number of modes
kept) and ``bath_qmesh`` ([n1, n2, n3] of the phonopy route, [1, 1, 1] at Gamma; "none" otherwise).
"""

from __future__ import annotations

from typing import Literal, Union

import numpy as np
import xarray as xr
from pydantic import ByteSize, Field, ValidationInfo, field_validator, model_validator

from ..analysis.arrhenius import arrhenius_fit
from ..config.base import EnergyCm, StrictModel, TaskBackendConfig
from ..config.bath import PhononBathConfig
from ..config.grids import TemperatureSpec, temperature_values
from ..config.spin import SpinConfig, StaticFieldConfig
from ..progress import work
from ..quantum.orders import ORDERS, study_orders
from ..quantum.spin_phonon import RESONANCE_WINDOW
from ..units import KB_CM
from . import Study, tau_range_row

__all__ = ["SpinPhononConfig", "MethodConfig", "PairSumConfig", "run", "plot", "plot_sweep", "summary", "STUDY"]

#: Number of slowest decay rates of R stored per (order, temperature).
N_SLOWEST = 6
#: Frequencies (Hz) of the AC susceptibility in the results: 1 mHz to 1 MHz, 5 per decade (a SQUID
#: magnetometer measures 0.1 Hz to 10 kHz; spinbath.quantum.ac_response).
AC_FREQUENCIES = np.logspace(-3, 6, 46)
#: The effective-barrier fit uses the temperatures T >= ARRHENIUS_FRACTION * max(T) (at least 3 points).
ARRHENIUS_FRACTION = 0.5

#: Study orders read from the registry (quantum/orders.py): 2 and 4 also as numbers.
Order = Union[Literal[tuple(int(n) for n in study_orders() if n.isdigit())], Literal[study_orders()]]


class PairSumConfig(TaskBackendConfig):
    """[method.pair_sum]: where the fourth-order sum over mode pairs runs (docs/how-to/fourth-order-cluster.md).

    backend: "process" (this process, default) or "dask": the sum in chunks as Dask tasks
    (:mod:`spinbath.sweeps.pair_sum`) on a local cluster, or on ``scheduler``; the command-line options
    --workers N and --scheduler ADDRESS select "dask" too, and take precedence over ``workers`` and
    ``scheduler`` here (``SPINBATH_SCHEDULER`` comes after both). workers: local cluster size (default:
    one per core). task_memory: bound on the arrays of one chunk ("2 GiB", "512 MB" or bytes; default
    ``$SPINBATH_TASK_MEMORY``, else 1 GiB). run_dir: folder of the resumable run folders (default
    ``<results stem>.pairsum/`` beside the results file; relative paths from the config's folder).
    """

    task_memory: ByteSize | None = None
    run_dir: str | None = None

    @field_validator("task_memory")
    @classmethod
    def _positive(cls, v):
        if v is not None and int(v) <= 0:
            raise ValueError(f"task_memory must be a memory size > 0 (e.g. '2 GiB'), got {int(v)} bytes")
        return v

    @field_validator("run_dir")
    @classmethod
    def _resolve(cls, v, info: ValidationInfo):
        if v is None:
            return v
        from pathlib import Path

        p = Path(v).expanduser()
        base = (info.context or {}).get("base_dir") if info is not None else None
        return str(p if p.is_absolute() else Path(base or ".") / p)


class MethodConfig(StrictModel):
    """[method]: which orders, lineshape and regularizations (energies in cm^-1).

    orders: any of 2, 4, "2+4" (default all three). lineshape: "gaussian" (width = standard
    deviation) or "lorentzian" (width = HWHM); per-mode linewidths of the bath take precedence over
    ``width``. resonance_window: half width, in line widths, of the window around an on-shell
    intermediate state inside which a two-phonon path is sequential (order 2), not virtual (order 4).
    eta: extra width of the intermediate states in the sequential part (``tau_resonant`` only; no
    order depends on it). resonant_part: compute ``tau_resonant``. zero_field: "limit" (B -> 0+
    along [field].direction) or "exact" (B = 0; see the study docstring). secular_tol: Bohr
    frequencies closer than this are treated as equal. pair_sum: where the fourth-order pair sum
    runs (:class:`PairSumConfig`).
    """

    orders: list[Order] = Field(default_factory=lambda: [2, 4, "2+4"], min_length=1)
    lineshape: Literal["gaussian", "lorentzian"] = "gaussian"
    width: EnergyCm = Field(default=10.0, gt=0)
    eta: EnergyCm = Field(default=0.0, ge=0)
    resonance_window: float = Field(default=RESONANCE_WINDOW, ge=0)
    resonant_part: bool = True
    zero_field: Literal["limit", "exact"] = "limit"
    secular_tol: EnergyCm = Field(default=1e-4, ge=0)
    pair_sum: PairSumConfig = PairSumConfig()

    @field_validator("orders")
    @classmethod
    def _unique(cls, v):
        names = [str(o) for o in v]
        if len(set(names)) != len(names):
            raise ValueError(f"orders contains duplicates: {names}")
        return v

    def order_names(self) -> list[str]:
        return [str(o) for o in self.orders]


class SpinPhononConfig(StrictModel):
    """``study = "spin-phonon"``: [spin], [field], [bath], [method], temperatures and the T2 pair."""

    study: Literal["spin-phonon"]
    title: str = "Spin-phonon relaxation"
    spin: SpinConfig
    field: StaticFieldConfig = StaticFieldConfig()
    bath: PhononBathConfig
    method: MethodConfig = MethodConfig()
    temperatures: TemperatureSpec
    pair: list[int] = Field(default=[0, 1], min_length=2, max_length=2,
                            description="eigenstates (0 = ground, ascending energy) for T1, T2, T2*")

    @model_validator(mode="after")
    def _check(self):
        d = int(round(2 * self.spin.J)) + 1
        a, b = self.pair
        if a == b or min(a, b) < 0 or max(a, b) >= d:
            raise ValueError(f"pair must name two different eigenstates in 0..{d - 1}, got {self.pair}")
        temperature_values(self.temperatures)
        return self


def _moment_axis_operator(ham, n: np.ndarray) -> np.ndarray:
    """g J . n (moment along n in units of -mu_B), in the |J, M> basis."""
    return np.einsum("a,aij->ij", n, ham.magnetic_moment)


def _slowest_rates(eigenvalues: np.ndarray, n: int) -> np.ndarray:
    """The n smallest non-zero decay rates -Re(lambda) (s^-1), NaN-padded."""
    rates = np.sort(-np.real(eigenvalues))
    scale = max(np.abs(rates).max(), 1e-300)
    rates = rates[rates > 1e-10 * scale]
    out = np.full(n, np.nan)
    out[: min(n, rates.size)] = rates[:n]
    return out


def effective_barrier(temperature: np.ndarray, tau: np.ndarray, fraction: float = ARRHENIUS_FRACTION) -> float:
    """U_eff (cm^-1) = k_B d ln(tau) / d(1/T), least squares over T >= fraction * max(T).

    Orbach law tau = tau_0 exp(U_eff / k_B T) fitted by :func:`spinbath.analysis.arrhenius.arrhenius_fit`
    (Gu & Wu, Phys. Rev. Lett. 125, 117203 (2020), doi:10.1103/PhysRevLett.125.117203).

    At least the 3 hottest finite points are used; NaN if fewer than 3 exist.
    """
    ok = np.isfinite(tau) & (tau > 0)
    T, t = temperature[ok], tau[ok]
    if T.size < 3:
        return float("nan")
    sel = T >= fraction * T.max()
    if sel.sum() < 3:
        sel = np.zeros(T.size, bool)
        sel[np.argsort(T)[-3:]] = True
    return float(arrhenius_fit(T[sel], t[sel]).U_K * KB_CM)


def _crossover(T: np.ndarray, orders: list[str], tau: np.ndarray) -> float:
    """Temperature (K) where tau of order 2 and of order 4 cross (log-interpolated); NaN if they do not
    or if either order is missing. Below it the two-phonon (Raman) process dominates."""
    if "2" not in orders or "4" not in orders:
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log(tau[orders.index("2")]) - np.log(tau[orders.index("4")])
    ok = np.isfinite(r)
    Tk, r = T[ok], r[ok]
    s = np.flatnonzero(np.sign(r[:-1]) != np.sign(r[1:]))
    if not s.size:
        return float("nan")
    k = s[0]
    x = np.log(Tk[k]) + (np.log(Tk[k + 1]) - np.log(Tk[k])) * r[k] / (r[k] - r[k + 1])
    return float(np.exp(x))


def _pair_sums_on_dask(ps: PairSumConfig, rates, T: np.ndarray, orders: list[str]) -> dict:
    """{part: FourthOrderSums} of the fourth-order parts ``orders`` need, on Dask, when [method.pair_sum]
    or the command line (--workers, --scheduler) asks for it; {} otherwise (swept in this process)."""
    from ..sweeps.execute import task_backend

    parts = sorted({ORDERS[o].fourth for o in orders if ORDERS[o].fourth is not None})
    backend = task_backend(ps) if parts else None
    if backend is None:
        return {}
    from ..sweeps.pair_sum import fourth_order_sums

    task_memory = None if ps.task_memory is None else int(ps.task_memory)
    return {part: fourth_order_sums(rates, T, part, backend=backend, run_dir=ps.run_dir, task_memory=task_memory,
                                    description=f"fourth-order pair sum, {part} part ({rates.n_modes} modes, "
                                                f"{T.size} temperatures)").sums
            for part in parts}


def run(cfg: SpinPhononConfig) -> xr.Dataset:
    """Build H and the bath once; for each order, R at all temperatures; tau, T1, T2, T2*.

    BLAS runs on one thread: the work is many small (d^2 x d^2, d = 2J + 1) products and solves,
    where BLAS threads cost more in synchronization than they gain (the DyCp tutorial took 80 s with
    threaded BLAS and 10 s without on a busy 2-core machine).
    """
    from ..quantum.blas import single_threaded_blas

    with single_threaded_blas():
        return _run(cfg)


def _run(cfg: SpinPhononConfig) -> xr.Dataset:
    from ..quantum.ac_response import ac_susceptibility
    from ..quantum.relaxation import coherence_times, relaxation_time, relaxation_time_details
    from ..quantum.spin_phonon import SpinPhononRates

    ham = cfg.spin.hamiltonian()
    n = np.asarray(cfg.field.direction)
    B = cfg.field.field_vector()
    H = ham.matrix(B)
    moment_n = _moment_axis_operator(ham, n)
    bath = cfg.bath.build(cfg.spin.J, B)
    rates = SpinPhononRates.from_bath(
        H, bath, width=cfg.method.width, lineshape=cfg.method.lineshape,
        secular_tol=cfg.method.secular_tol, eta=cfg.method.eta,
        resonance_window=cfg.method.resonance_window, basis_operator=moment_n,
        vanishing_field=cfg.field.value == 0 and cfg.method.zero_field == "limit",
    )
    E, U = rates.energies, rates.eigenvectors
    gJn = U.conj().T @ moment_n @ U
    T = temperature_values(cfg.temperatures)
    orders = cfg.method.order_names()
    shape = (len(orders), T.size)
    tau, T1, T2, T2s, weight = (np.full(shape, np.nan) for _ in range(5))
    slowest = np.full(shape + (N_SLOWEST,), np.nan)
    chi_ac = np.full(shape + (AC_FREQUENCIES.size,), np.nan, dtype=complex)
    # R is linear in the jump processes: when the parts of an order (registry: "2+4" = "2" + "4") are
    # all asked for, it is their sum, not another sweep over the mode pairs.
    swept: dict[str, np.ndarray] = {}

    def covered(order: str) -> bool:
        parts = ORDERS[order].parts
        return bool(parts) and all(p in orders for p in parts)

    def rate_stack(order: str, advance) -> np.ndarray:
        if covered(order):
            parts = ORDERS[order].parts
            total = rate_stack(parts[0], advance)
            for p in parts[1:]:
                total = total + rate_stack(p, advance)
            return total
        if order not in swept:
            swept[order] = rates.superoperator(T, order, progress=advance, fourth=fourth.get(ORDERS[order].fourth))
        return swept[order]

    steps = orders + (["4-resonant"] if "4" in orders and cfg.method.resonant_part else [])
    fourth = _pair_sums_on_dask(cfg.method.pair_sum, rates, T, [o for o in steps if not covered(o)])
    tau_res = np.full(T.size, np.nan)
    # The rates of all temperatures come from one sweep over the transition groups per order; the
    # bar counts those groups (a sum of orders already computed costs nothing).
    units = sum(rates.work_units(o) for o in steps if not covered(o))
    with work(f"spin-phonon rates (orders {', '.join(steps)}; {bath.n_modes} modes, {T.size} temperatures)",
              units, "transition groups") as advance:
        for i, order in enumerate(steps):
            if order == "4-resonant":
                R_res = rates.superoperator(T, "4-resonant", progress=advance, fourth=fourth.get("resonant"))
                tau_res[:] = [relaxation_time(R_res[j], E, gJn) for j in range(T.size)]
                continue
            R_all = rate_stack(order, advance)
            for j in range(T.size):
                R = R_all[j]
                found = relaxation_time_details(R, E, gJn)
                tau[i, j], weight[i, j] = found.tau, found.weight
                slowest[i, j] = _slowest_rates(found.eigenvalues, N_SLOWEST)
                if T[j] > 0:
                    chi_ac[i, j] = ac_susceptibility(R, E, gJn, float(T[j]), AC_FREQUENCIES)
                T1[i, j], T2[i, j], T2s[i, j] = coherence_times(R, cfg.pair)

    levels = np.arange(E.size)
    ds = xr.Dataset(
        {
            "tau": (("order", "temperature"), tau, {"units": "s", "long_name": "magnetization relaxation time"}),
            "T1": (("order", "temperature"), T1, {"units": "s", "long_name": "population lifetime of the pair"}),
            "T2": (("order", "temperature"), T2, {"units": "s", "long_name": "coherence time of the pair"}),
            "T2_star": (("order", "temperature"), T2s, {"units": "s", "long_name": "pure-dephasing time of the pair"}),
            "tau_weight": (("order", "temperature"), weight, {"units": "1", "long_name": "share of M(t) in the tau mode"}),
            "tau_resonant": ("temperature", tau_res,
                             {"units": "s", "long_name": "tau from the sequential part of the two-phonon amplitude alone",
                              "note": "repeats the Orbach process of order 2; for inspection, not included in 4 or 2+4"}),
            "chi_ac_real": (("order", "temperature", "frequency"), chi_ac.real,
                            {"units": "1", "long_name": "chi'(nu) / chi_rel, in-phase AC susceptibility"}),
            "chi_ac_imag": (("order", "temperature", "frequency"), -chi_ac.imag,
                            {"units": "1", "long_name": "chi''(nu) / chi_rel, out-of-phase AC susceptibility (> 0)"}),
            "slowest_rates": (("order", "temperature", "slowest"), slowest,
                                {"units": "s^-1", "long_name": "slowest decay rates -Re(lambda) of R"}),
            "U_eff": ("order", [effective_barrier(T, tau[i]) for i in range(len(orders))],
                      {"units": "cm^-1", "long_name": "effective barrier k_B dln(tau)/d(1/T) for T >= max(T)/2"}),
            "energy": ("level", E - E[0], {"units": "cm^-1", "long_name": "level energy above the ground state"}),
            "moment": ("level", -np.real(np.diag(gJn)), {"units": "mu_B", "long_name": "<m . n> of each level"}),
            "mode_energy": ("mode", np.sort(bath.energies_cm), {"units": "cm^-1", "long_name": "phonon energy"}),
            "coupling_norm": ("mode", np.linalg.norm(rates.couplings_eigenbasis, axis=(1, 2)),
                              {"units": "cm^-1", "long_name": "Frobenius norm of dH/dQ"}),
        },
        coords={
            "order": ("order", orders, {"units": "1", "long_name": "perturbation order of the master equation"}),
            "temperature": ("temperature", T, {"units": "K"}),
            "slowest": ("slowest", np.arange(N_SLOWEST), {"units": "1"}),
            "frequency": ("frequency", AC_FREQUENCIES, {"units": "Hz", "long_name": "AC field frequency"}),
            "level": ("level", levels, {"units": "1"}),
            "mode": ("mode", np.arange(bath.n_modes), {"units": "1"}),
        },
        attrs={
            "title": cfg.title, "J": cfg.spin.J, "pair": list(cfg.pair),
            "field_T": list(B), "field_direction": list(n),
            "lineshape": cfg.method.lineshape,
            "width_cm": cfg.method.width if bath.linewidths_cm is None else "per-mode linewidths",
            "eta_cm": cfg.method.eta, "secular_tol_cm": cfg.method.secular_tol,
            "resonance_window_widths": cfg.method.resonance_window,
            "zero_field": cfg.method.zero_field if cfg.field.value == 0 else "not zero",
            "crossover_temperature_K": _crossover(T, orders, tau),
            "bath_source": bath.source or "(not given)",
            "bath_n_modes": bath.n_modes,
            # phonopy route: the q-mesh of the phonons (Gamma route = [1, 1, 1]); other sources: none
            "bath_qmesh": (list(cfg.bath.mesh or [1, 1, 1]) if cfg.bath.phonopy is not None else "none"),
        },
    )
    return ds


def _order_style(name: str) -> tuple[str, str, str]:
    """(color, label, marker) of an order from the registry; defaults for a name not in it."""
    o = ORDERS.get(name)
    return (o.color, o.label or name, o.marker) if o is not None else ("C2", name, "o")


def plot(ds: xr.Dataset, path) -> None:
    """(a) tau and T2 vs T (log scale) per order; (b) T1 vs T2 with T2 = 2 T1; (c) coupling spectrum."""
    from ..plotting import log_ticks, math_text, paper_style, plt, save_figure

    with paper_style():
        fig, (a, b, c) = plt.subplots(1, 3, figsize=(7.2, 2.9), layout="constrained")
        T = ds.temperature.values
        t2_dashes = ["--", "-.", ":", (0, (5, 1, 1, 1))]
        for k, o in enumerate(ds.order.values):
            color, label, mk = _order_style(str(o))
            # Markers keep a curve visible where another lies on it (order 4 under 2+4 at low T).
            a.plot(T, ds.tau.sel(order=o), color=color, lw=1.2, marker=mk, ms=2.5, mfc="none", mew=0.6,
                   label=rf"$\tau$ {label}")
            # Each order its own dash: T2 of order 4 and of 2 + 4 coincide wherever order 4 dominates.
            a.plot(T, ds.T2.sel(order=o), color=color, lw=0.9, ls=t2_dashes[k % len(t2_dashes)],
                   label=rf"$T_2$ {label}")
            b.plot(ds.T2.sel(order=o), ds.T1.sel(order=o), mk + "-", ms=3.0,
                   lw=0.8, color=color, mfc="none", label=label)
        Tx = float(ds.attrs.get("crossover_temperature_K", np.nan))
        if np.isfinite(Tx):
            # Shade the side where order 4 (two-phonon Raman) is the faster process: below the
            # crossover for DyCp, above it for a molecule whose Orbach steps are cheap.
            orders = [str(o) for o in ds.order.values]
            t2, t4 = ds.tau.sel(order="2").values, ds.tau.sel(order="4").values
            below = T < Tx
            raman_below = bool(np.nanmedian(np.where(below, np.log(t4) - np.log(t2), np.nan)) < 0) \
                if below.any() and "2" in orders and "4" in orders else True
            lo, hi = (T.min(), Tx) if raman_below else (Tx, T.max())
            a.axvspan(lo, hi, color="C3", alpha=0.07, lw=0)
            a.axvline(Tx, color="0.5", lw=0.6, ls=":")
            a.set_title(f"{math_text(ds.attrs.get('title', ''))}\nshaded: Raman (order 4) faster, "
                        f"{'below' if raman_below else 'above'} {Tx:.0f} K", fontsize=6.5)
        a.set_yscale("log")
        # Keep the axis on measurable times: a pure second-order tau at low T can reach 1e20 s.
        fastest = np.nanmin(np.where(np.isfinite(ds.tau.values), ds.tau.values, np.nan), axis=0)
        if np.any(np.isfinite(fastest)):
            finite = np.concatenate([ds[v].values[np.isfinite(ds[v].values)] for v in ("tau", "T2")])
            a.set_ylim(max(finite.min(), 1e-300) / 3, min(finite.max(), 1e3 * np.nanmax(fastest)) * 3)
        if T.size > 1 and T.max() / T.min() >= 5:
            a.set_xscale("log")
            log_ticks(a.xaxis)
        a.set_xlabel("temperature (K)")
        a.set_ylabel("time (s)")
        if not np.isfinite(Tx):
            a.set_title(math_text(ds.attrs.get("title", "")), fontsize=7)
        t2 = ds.T2.values[np.isfinite(ds.T2.values) & (ds.T2.values > 0)]
        if t2.size:
            lim = np.array([t2.min(), t2.max()])
            b.plot(lim, lim / 2, color="0.6", lw=0.8, ls=":", label=r"$T_2 = 2T_1$")
        b.set_xscale("log")
        b.set_yscale("log")
        b.set_xlabel(r"$T_2$ (s)")
        b.set_ylabel(r"$T_1$ (s)")
        # One legend for panels a and b, below the figure, off the data.
        handles, labels = a.get_legend_handles_labels()
        hb, lb = b.get_legend_handles_labels()
        handles += [h for h, lab in zip(hb, lb) if lab.startswith("$T_2 =")]
        labels += [lab for lab in lb if lab.startswith("$T_2 =")]
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 7), fontsize=6, frameon=False)
        b.set_title(f"pair {tuple(int(x) for x in np.atleast_1d(ds.attrs.get('pair', (0, 1))))}", fontsize=7)
        c.vlines(ds.mode_energy, 0, ds.coupling_norm, color="0.3", lw=0.5)
        for e in np.unique(np.round(ds.energy.values, 3)):
            c.axvline(e, color="C1", lw=0.6, alpha=0.6)
        c.set_xlabel(r"mode energy (cm$^{-1}$)")
        c.set_ylabel(r"$\|\partial H/\partial Q\|_F$ (cm$^{-1}$)")
        c.set_title("couplings; levels in orange", fontsize=7)
        save_figure(fig, path)


def _fmt(x: float) -> str:
    return "inf" if not np.isfinite(x) else f"{x:.3g}"


def plot_sweep(ds: xr.Dataset, path) -> None:
    """Sweep figure: (a) tau(T) for each swept value (order 2+4 if computed, else the highest);
    (b) the fitted barrier U_eff (cm^-1) of each order against the swept key."""
    from ..plotting import paper_style, plt, save_figure
    from ..sweeps.figures import against_key, family, sweep_axis

    sw = sweep_axis(ds)
    d = sw.ds
    orders = [str(o) for o in d.order.values]
    shown = "2+4" if "2+4" in orders else orders[-1]
    with paper_style():
        fig, (a, b) = plt.subplots(1, 2, figsize=(7.2, 3.4))
        T = d.temperature.values
        family(a, sw, d.tau.sel(order=shown).transpose(sw.dim, "temperature"), T)
        a.set_yscale("log")
        if T.size > 1 and T.max() / T.min() >= 5:
            a.set_xscale("log")
        a.set_xlabel("temperature $T$ (K)")
        a.set_ylabel(r"$\tau$ (s)")
        a.set_title(rf"$\tau(T)$, order {shown}" + (f"; {sw.note}" if sw.note else ""), fontsize=7)
        for o, marker in zip(orders, "osd^v"):
            color, label, _ = _order_style(o)
            against_key(b, sw, d.U_eff.sel(order=o), label=label, color=color, marker=marker, mfc="none")
        b.set_ylabel(r"$U_\mathrm{eff}$ (cm$^{-1}$)")
        b.set_title(rf"barrier fitted for $T \geq$ {ARRHENIUS_FRACTION:g} max $T$", fontsize=7)
        b.legend(fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        fig.suptitle(sw.title, fontsize=8)
        save_figure(fig, path)


def summary(ds: xr.Dataset) -> list[tuple[str, str]]:
    T = ds.temperature.values
    rows = [("levels (cm^-1)", ", ".join(f"{e:.1f}" for e in np.unique(np.round(ds.energy.values, 1)))),
            ("modes", f"{ds.sizes['mode']} ({float(ds.mode_energy.min()):.0f}-{float(ds.mode_energy.max()):.0f} cm^-1)"),
            ("temperatures (K)", f"{T.min():g} .. {T.max():g} ({T.size})")]
    for o in ds.order.values:
        label = _order_style(str(o))[1]
        tau = ds.tau.sel(order=o).values
        rows.append(tau_range_row(label, T, tau))
        rows.append((f"T2 {label} (s)", f"{_fmt(float(ds.T2.sel(order=o)[0]))} at {T[0]:g} K"))
        u = float(ds.U_eff.sel(order=o))
        if np.isfinite(u):
            rows.append((f"U_eff {label} (cm^-1)", f"{u:.0f}"))
    return rows


STUDY = Study(
    name="spin-phonon",
    description="tau(T), T1, T2, T2* from 2nd/4th-order spin-phonon master equations",
    config_model=SpinPhononConfig,
    run=run,
    plot=plot,
    summary=summary,
    plot_sweep=plot_sweep,
)
