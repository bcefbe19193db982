"""Study ``open-chain``: N spins 1/2 with anisotropic exchange and a common boson bath.

Exact Lindblad dynamics (:mod:`spinbath.quantum.open_chain`) against the mean-field generalized
Landau-Lifshitz equation (:mod:`spinbath.classical.mean_field_chain`); hysteresis of the steady state
against a field sweep (mean field, exact, and a Stoner-Wohlfarth loop for comparison); correlations
and concurrence where mean field fails. Dimensionless units, hbar = gamma = 1 (times in 1/gamma,
fields and couplings in the same energy unit).

Magnetization units: M_j = <sigma^(j)> = 2 <S^(j)>, the Bloch vector of site j (|M_j| <= 1).

Output variables (xarray.Dataset):
    M_exact, M_mf (time, site, axis)     Bloch vectors, exact and mean field
    mismatch(site)                       (1/T) int |M_mf - M_exact|^2 dt
    concurrence(time, bond)              Wootters concurrence of neighbours (j, j+1), exact
    correlation(site_i, site_j, axis_a, axis_b)   <S^i_a S^j_b> - <S^i_a><S^j_b> at the last time (S = sigma/2)
    correlation_sigma(...)                        the same with Pauli matrices, 4 x correlation: the
                                                  normalization of the open-Heisenberg paper's Eq. 21
    M_steady(site, axis), relaxation_gap the exact steady state and -Re of the slowest decay (N <= 6)
    m_mf_loop, m_exact_loop (branch, h, axis)  site-averaged <sigma> in a field loop (up/down)
    sw_m(branch, h_sw)                   Stoner-Wohlfarth loop (reduced field h/H_K) at angle psi
    mismatch_vs_shift(shift)             site-averaged mismatch with V_x shifted (anisotropy scan)
    mismatch_eq_t, steady_mismatch_eq, steady_mismatch_term   the paper's Eqs. 12-14 against the
                                         consistent mean field ([mean_field_comparison];
                                         spinbath.studies.open_chain_equations)
    m_dyn, m_dyn_quasistatic, loop_area, loop_closure   dynamic loops at finite sweep rates, exact
                                         and mean field in a field-following Davies bath
                                         ([dynamic_hysteresis]; spinbath.studies.open_chain_dynamic)

``mean_field = "paper"`` makes every mean-field output use the paper's Eqs. 12-14 as printed
(:class:`~spinbath.classical.paper_mean_field.PaperMeanFieldChain`) instead of the consistent first
moments; the attribute ``mean_field_equations`` and the M_mf long_name say which.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr
from pydantic import Field, field_validator, model_validator

from ..config.base import StrictModel
from ..config.spin import Direction
from ..progress import track
from ..quantum.chain_model import ChainModel, normalize_rates, thermal_rates
from ..quantum.open_chain import product_state
from . import Study
from .open_chain_dynamic import DIRECT_STEADY_MAX_SITES, DYNAMIC_MAX_SITES, DynamicHysteresisConfig
from .open_chain_equations import MeanFieldComparisonConfig

__all__ = ["OpenChainConfig", "run", "plot", "plot_sweep", "summary", "STUDY"]

#: Largest chain for which the exact (4^N Liouville space) parts are run by default.
EXACT_MAX_SITES = 10

#: Largest chain for which the Liouvillian gap (slowest eigenvalues) is computed.
GAP_MAX_SITES = 6

_RATE_KEYS = tuple(f"{a}{s}" for a in "xyz" for s in "+-")


class ChainBathConfig(StrictModel):
    """[bath]: the common boson reservoir. Either thermal (damping Gamma, mean boson number n_b,
    neighbour/on-site ratio) giving gamma_{z,+} = g0 n_b, gamma_{z,-} = g0 (n_b + 1),
    g0 = Gamma/(2 n_b + 1), g = ratio * gamma; or explicit rate tables
    ``onsite = {"z+" = 0.007, "z-" = 0.086}``, ``neighbour = {...}`` (keys axis x/y/z + sign)."""

    damping: float | None = Field(default=None, ge=0)
    n_b: float | None = Field(default=None, ge=0)
    ratio: float = Field(default=0.1, ge=0)
    onsite: dict[str, float] | None = None
    neighbour: dict[str, float] | None = None

    @field_validator("onsite", "neighbour")
    @classmethod
    def _keys(cls, d):
        if d is None:
            return d
        for k, v in d.items():
            try:
                normalize_rates({k: v})
            except ValueError:
                raise ValueError(f"rate key {k!r} is not one of {', '.join(_RATE_KEYS)}") from None
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"rate {k} = {v!r} must be finite and >= 0")
        return d

    @model_validator(mode="after")
    def _one_form(self):
        thermal = self.damping is not None or self.n_b is not None
        explicit = self.onsite is not None or self.neighbour is not None
        if thermal and explicit:
            raise ValueError("give either damping/n_b/ratio or onsite/neighbour rate tables, not both")
        if thermal and (self.damping is None or self.n_b is None):
            raise ValueError("a thermal bath needs both damping and n_b")
        return self

    def rates(self) -> tuple[dict, dict]:
        """(onsite, neighbour) rate tables {(axis, sign): rate} (dimensionless)."""
        if self.damping is not None:
            return thermal_rates(self.damping, self.n_b, self.ratio)
        return normalize_rates(self.onsite, "onsite"), normalize_rates(self.neighbour, "neighbour")


class EvolutionConfig(StrictModel):
    """[evolution]: from all spins along ``initial`` (pure product state) to t_end (1/gamma)."""

    t_end: float = Field(default=100.0, gt=0)
    num: int = Field(default=201, ge=2, le=100000)
    exact: bool = True


class HysteresisConfig(StrictModel):
    """[hysteresis]: B(h) = field + h * direction, h from start to stop and back (num points).

    ``exact``: also the exact steady state at each field (unique for a finite chain, so it has no
    loop). ``psi_deg``: angle (degrees) between the sweep and the easy axis for the
    Stoner-Wohlfarth comparison loop (reduced field h/H_K).
    """

    direction: Direction = [0.0, 0.0, 1.0]
    start: float = -1.0
    stop: float = 1.0
    num: int = Field(default=41, ge=3, le=2001)
    exact: bool = True
    uniform: bool = Field(default=False, description="mean field with one Bloch vector (bulk of a long chain)")
    psi_deg: float = 10.0


class LLHysteresisConfig(StrictModel):
    """[ll_hysteresis]: the open-Heisenberg paper's mean-field loops (its Fig. 2): Gamma = 0, damping
    D = alpha B_eff, one Bloch vector (bulk chain), anisotropy V_z, field B = b_perp (1, 1, 0)/sqrt(2)
    + h z^ swept quasi-statically over h = -h_max..h_max (num points), for every V_z and b_perp;
    Stoner-Wohlfarth loops of E = -B . M - (V_z/2) M_z^2 (H_K = V_z) on the same axes
    (spinbath.classical.ll_hysteresis). Fields in units of gamma, like [field]."""

    alpha: float = Field(default=0.5, gt=0, description="Landau-Lifshitz damping (D = alpha B_eff)")
    Vz: list[float] = Field(default=[0.5, 1.0, 1.5, 2.0], min_length=1)
    b_perp: list[float] = Field(default=[0.0, 1.4142135623730951], min_length=1,
                                description="transverse field magnitudes along (1, 1, 0)/sqrt(2)")
    h_max: float = Field(default=3.0, gt=0)
    num: int = Field(default=121, ge=5, le=2001)


class OpenChainConfig(StrictModel):
    """``study = "open-chain"``: chain, couplings, field, bath, initial state, what to compute."""

    study: Literal["open-chain"]
    title: str = "Open spin chain"
    n: int = Field(ge=1, le=64)
    boundary: Literal["open", "periodic"] = "open"
    field: list[float] = Field(min_length=3, max_length=3)
    coupling: list[float] = Field(min_length=3, max_length=3)
    initial: Direction = Field(default=[1.0, 0.0, 0.0], description="direction of every spin at t = 0")
    bath: ChainBathConfig = ChainBathConfig(damping=0.1, n_b=0.08)
    evolution: EvolutionConfig | None = EvolutionConfig()
    steady_state: bool = True
    hysteresis: HysteresisConfig | None = None
    ll_hysteresis: LLHysteresisConfig | None = None
    size_scaling: list[int] = Field(
        default=[], description="chain lengths N for the mean-field mismatch against N, open and periodic "
                                "(time-averaged over [evolution] and in the steady state)")
    anisotropy_shifts: list[float] = Field(
        default=[], description="V_x -> V_x + shift: time-averaged mean-field mismatch for each (exact evolution)")
    mean_field: Literal["consistent", "paper"] = Field(
        default="consistent", description="mean-field equations: the consistent first moments, or the "
                                          "paper's Eqs. 12-14 as printed")
    mean_field_comparison: MeanFieldComparisonConfig | None = None
    dynamic_hysteresis: DynamicHysteresisConfig | None = None

    @field_validator("evolution", mode="before")
    @classmethod
    def _no_evolution(cls, v):
        return None if v is False else v  # evolution = false: no time evolution (e.g. loops only)

    @field_validator("field", "coupling")
    @classmethod
    def _finite(cls, v):
        if not np.all(np.isfinite(v)):
            raise ValueError("must be three finite numbers")
        return v

    @model_validator(mode="after")
    def _size(self):
        exact = (self.evolution is not None and self.evolution.exact) or self.steady_state or (
            self.hysteresis is not None and self.hysteresis.exact) or bool(self.anisotropy_shifts)
        if self.anisotropy_shifts and self.evolution is None:
            raise ValueError("anisotropy_shifts needs an [evolution] section (the time window)")
        if self.size_scaling and self.evolution is None:
            raise ValueError("size_scaling needs an [evolution] section (the time window)")
        if self.size_scaling and (min(self.size_scaling) < 2 or max(self.size_scaling) > EXACT_MAX_SITES):
            raise ValueError(f"size_scaling: chain lengths from 2 to {EXACT_MAX_SITES} (exact parts need 4^N memory)")
        if self.mean_field == "paper" and self.bath.onsite is not None:
            bad = [k for k, v in self.bath.onsite.items() if k[0] in "xy" and v != 0]
            if bad:
                raise ValueError(f"mean_field = 'paper': the paper's Eqs. 12-14 assume on-site rates along z "
                                 f"only, but bath.onsite has {bad[0]!r}")
        dyn = self.dynamic_hysteresis
        if dyn is not None and dyn.exact and self.n > DYNAMIC_MAX_SITES:
            raise ValueError(f"n = {self.n}: the exact dynamic loops need 4^n memory and a time integration; "
                             f"use n <= {DYNAMIC_MAX_SITES} or set dynamic_hysteresis.exact = false")
        if dyn is not None and dyn.exact and dyn.quasi_static and self.n > DIRECT_STEADY_MAX_SITES:
            raise ValueError(f"n = {self.n}: dynamic_hysteresis.quasi_static (an exact steady state at every field) "
                             f"is practical for n <= {DIRECT_STEADY_MAX_SITES}; set dynamic_hysteresis.quasi_static = false")
        if dyn is not None and self.mean_field == "paper":
            raise ValueError("mean_field = 'paper' is the paper's common-bath equations; [dynamic_hysteresis] "
                             "uses a field-following Davies bath the paper does not have (its mean field is "
                             "always the consistent one): remove one of the two")
        if self.mean_field_comparison is not None:
            if self.evolution is None:
                raise ValueError("mean_field_comparison needs an [evolution] section (the time window)")
            if self.bath.damping is None:
                raise ValueError("mean_field_comparison needs a thermal [bath] (damping, n_b, ratio): "
                                 "its dampings replace Gamma")
            exact = True
        if exact and self.n > EXACT_MAX_SITES:
            raise ValueError(f"n = {self.n}: the exact parts need 4^n memory; use n <= {EXACT_MAX_SITES} "
                             "or set evolution.exact = false, steady_state = false, hysteresis.exact = false")
        return self


def _model(cfg: OpenChainConfig, field=None, coupling=None) -> ChainModel:
    """The chain of the config (field and coupling replaced where given): one description for the
    exact and the mean-field chain."""
    onsite, neighbour = cfg.bath.rates()
    return ChainModel(cfg.n, tuple(cfg.field if field is None else field),
                      tuple(cfg.coupling if coupling is None else coupling), onsite, neighbour, cfg.boundary)


def _mean_field(cfg: OpenChainConfig, model: ChainModel, uniform: bool = False):
    """The mean-field chain of ``cfg.mean_field`` ("consistent" or "paper") for ``model``."""
    from ..classical.paper_mean_field import mean_field_chain

    if uniform:
        from ..classical.mean_field_chain import MeanFieldChain
        from ..classical.paper_mean_field import PaperMeanFieldChain

        return (PaperMeanFieldChain if cfg.mean_field == "paper" else MeanFieldChain).uniform(model)
    return mean_field_chain(model, cfg.mean_field)


#: How the results name each mean-field variant.
MF_NAMES = {"consistent": "mean field (consistent first moments)", "paper": "mean field (paper's Eqs. 12-14)"}


def _exact_liouvillian(model: ChainModel):
    """The matrix-free generator (the solvers' fast path; no 4^n x 4^n sparse matrix is assembled)."""
    from ..quantum.open_chain import OpenChainLiouvillian

    return OpenChainLiouvillian(model)


def run(cfg: OpenChainConfig) -> xr.Dataset:
    """Evolution (exact + mean field), steady state, and field loops, as configured."""
    from ..quantum import measures

    model = _model(cfg)
    mf = _mean_field(cfg, model)
    n = cfg.n
    data: dict = {}
    coords: dict = {"site": ("site", np.arange(n), {"units": "1"}),
                    "axis": ("axis", ["x", "y", "z"], {"units": "1"})}
    attrs = {"title": cfg.title, "n": n, "boundary": cfg.boundary, "field": list(cfg.field),
             "coupling": list(cfg.coupling), "units_note": "hbar = gamma = 1; M_i = <sigma_i> of site i (Pauli units)",
             "mean_field_equations": MF_NAMES[cfg.mean_field]}
    steps = ["mean-field evolution"] if cfg.evolution else []
    if cfg.evolution and cfg.evolution.exact:
        steps.append("exact evolution")
    if cfg.steady_state:
        steps.append("exact steady state")
    if cfg.hysteresis:
        steps.append("field loop")
    if cfg.ll_hysteresis:
        steps.append("paper mean-field loops")
    if cfg.size_scaling:
        steps.append("size scaling")
    if cfg.anisotropy_shifts:
        steps.append("anisotropy scan")
    if cfg.mean_field_comparison:
        steps.append("paper's equations")
    if cfg.dynamic_hysteresis:
        steps.append("dynamic loops")
    bar = iter(track(steps, f"open chain N = {n} ({', '.join(steps)})", total=len(steps), unit="stages"))

    L = None
    if cfg.evolution:
        ev = cfg.evolution
        t = np.linspace(0.0, ev.t_end, ev.num)
        next(bar, None)
        M_mf = mf.evolve(np.asarray(cfg.initial), t).M
        coords["time"] = ("time", t, {"units": "1/gamma"})
        data["M_mf"] = (("time", "site", "axis"), M_mf, {"units": "1", "long_name": f"{MF_NAMES[cfg.mean_field]} <sigma>"})
        if ev.exact:
            from ..quantum import evolve

            next(bar, None)
            L = _exact_liouvillian(model)
            rhos = evolve(L, product_state(n, np.asarray(cfg.initial)), t).states
            M_ex = 2.0 * measures.site_magnetization(rhos, n)
            data["M_exact"] = (("time", "site", "axis"), M_ex, {"units": "1", "long_name": "exact <sigma>"})
            data["mismatch"] = ("site", measures.time_averaged_mismatch(t, M_mf, M_ex),
                                {"units": "1", "long_name": "(1/T) int |M_mf - M_exact|^2 dt"})
            if n >= 2:
                bonds = [(j, j + 1) for j in range(n - 1)]
                conc = np.array([measures.pairwise_concurrence(rhos, i, j, n) for i, j in bonds]).T
                data["concurrence"] = (("time", "bond"), conc, {"units": "1", "long_name": "concurrence of (j, j+1)"})
                coords["bond"] = ("bond", np.arange(len(bonds)), {"units": "1", "long_name": "bond j-(j+1)"})
                C = measures.two_point_correlations(rhos[-1], n)
                data["correlation"] = (("site_i", "site_j", "axis_a", "axis_b"), C,
                                       {"units": "1", "long_name": "<S^i_a S^j_b> - <S^i_a><S^j_b> at t_end"})
                # The paper's Eq. 21 is written with Pauli matrices: sigma = 2 S, a factor 4.
                data["correlation_sigma"] = (("site_i", "site_j", "axis_a", "axis_b"), 4.0 * C,
                                             {"units": "1", "long_name": "<sigma^i_a sigma^j_b> - <sigma^i_a><sigma^j_b> "
                                              "at t_end (= 4 x correlation; the open-Heisenberg paper's Eq. 21)"})
                coords.update({"site_i": ("site_i", np.arange(n), {"units": "1"}),
                               "site_j": ("site_j", np.arange(n), {"units": "1"}),
                               "axis_a": ("axis_a", ["x", "y", "z"], {"units": "1"}),
                               "axis_b": ("axis_b", ["x", "y", "z"], {"units": "1"})})
    if cfg.steady_state:
        from ..quantum import steady_state

        next(bar, None)
        L = _exact_liouvillian(model) if L is None else L
        rho_ss = steady_state(L)
        data["M_steady"] = (("site", "axis"), 2.0 * measures.site_magnetization(rho_ss, n),
                            {"units": "1", "long_name": "exact steady-state <sigma>"})
        if n <= GAP_MAX_SITES:
            from ..quantum import relaxation_gap

            data["relaxation_gap"] = ((), relaxation_gap(L),
                                      {"units": "gamma", "long_name": "slowest decay rate -Re(lambda) of L"})
        ss_mf = mf.steady_state(np.tile(cfg.initial, (n, 1)))
        data["M_steady_mf"] = (("site", "axis"), ss_mf.M,
                               {"units": "1", "long_name": "mean-field steady state reached from the initial state"})
    if cfg.hysteresis:
        next(bar, None)
        _field_loop(cfg, data, coords, attrs)
    if cfg.ll_hysteresis:
        next(bar, None)
        _ll_loops(cfg.ll_hysteresis, data, coords)
    if cfg.size_scaling:
        next(bar, None)
        _size_scaling(cfg, data, coords)
    if cfg.anisotropy_shifts:
        next(bar, None)
        shifts = np.asarray(cfg.anisotropy_shifts, dtype=float)
        coords["shift"] = ("shift", shifts, {"units": "1", "long_name": "V_x - V_x(config)"})
        data["mismatch_vs_shift"] = ("shift", [_mismatch(cfg, s) for s in shifts],
                                     {"units": "1", "long_name": "site-averaged time-averaged |M_mf - M_exact|^2"})
    if cfg.mean_field_comparison:
        from .open_chain_equations import compare_equations

        next(bar, None)
        compare_equations(cfg, data, coords)
    if cfg.dynamic_hysteresis:
        from .open_chain_dynamic import dynamic_loops

        next(bar, None)
        dynamic_loops(cfg, data, coords, attrs)
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _mismatch(cfg: OpenChainConfig, shift: float) -> float:
    """Site-averaged (1/T) int |M_mf - M_exact|^2 dt with V_x shifted by ``shift``."""
    from ..quantum import evolve, measures

    V = np.asarray(cfg.coupling, dtype=float) + np.array([shift, 0.0, 0.0])
    model = _model(cfg, coupling=V)
    t = np.linspace(0.0, cfg.evolution.t_end, cfg.evolution.num)
    M_mf = _mean_field(cfg, model).evolve(np.asarray(cfg.initial), t).M
    rhos = evolve(_exact_liouvillian(model), product_state(cfg.n, np.asarray(cfg.initial)), t).states
    M_ex = 2.0 * measures.site_magnetization(rhos, cfg.n)
    return float(np.mean(measures.time_averaged_mismatch(t, M_mf, M_ex)))


def _size_scaling(cfg: OpenChainConfig, data: dict, coords: dict) -> None:
    """Mean-field mismatch against the chain length, open and periodic: time-averaged (1/T) int
    |M_mf - M_exact|^2 dt and steady |M_mf,ss - M_exact,ss|^2, both averaged over the sites."""
    from ..quantum import evolve, measures, steady_state

    sizes = sorted(set(cfg.size_scaling))
    bounds = ["open", "periodic"]
    t = np.linspace(0.0, cfg.evolution.t_end, cfg.evolution.num)
    timed = np.full((2, len(sizes)), np.nan)
    steady = np.full((2, len(sizes)), np.nan)
    onsite, neighbour = cfg.bath.rates()
    work_items = [(b, k) for b in range(2) for k in range(len(sizes))]
    for b, k in track(work_items, "mean-field mismatch against N", total=len(work_items), unit="chains"):
        n = sizes[k]
        if bounds[b] == "periodic" and n < 3:
            continue  # a periodic chain of 2 counts its one bond twice: not a ring
        model = ChainModel(n, tuple(cfg.field), tuple(cfg.coupling), onsite, neighbour, bounds[b])
        mf = _mean_field(cfg, model)
        M_mf = mf.evolve(np.asarray(cfg.initial), t).M
        L = _exact_liouvillian(model)
        rhos = evolve(L, product_state(n, np.asarray(cfg.initial)), t).states
        M_ex = 2.0 * measures.site_magnetization(rhos, n)
        timed[b, k] = float(np.mean(measures.time_averaged_mismatch(t, M_mf, M_ex)))
        ss_ex = 2.0 * measures.site_magnetization(steady_state(L)[None], n)[0]
        ss_mf = mf.steady_state(np.tile(cfg.initial, (n, 1))).M
        steady[b, k] = float(np.mean(np.sum((ss_mf - ss_ex) ** 2, axis=-1)))
    coords["n_sites"] = ("n_sites", np.asarray(sizes), {"units": "1", "long_name": "chain length N"})
    coords["chain_boundary"] = ("chain_boundary", bounds, {"units": "1"})
    data["mismatch_vs_n"] = (("chain_boundary", "n_sites"), timed,
                             {"units": "1", "long_name": "site-averaged (1/T) int |M_mf - M_exact|^2 dt"})
    data["steady_mismatch_vs_n"] = (("chain_boundary", "n_sites"), steady,
                                    {"units": "1", "long_name": "site-averaged |M_mf - M_exact|^2 in the steady state"})


def _field_loop(cfg: OpenChainConfig, data: dict, coords: dict, attrs: dict) -> None:
    from ..classical.stoner_wohlfarth import hysteresis_loop
    from ..quantum import measures, steady_state

    hy = cfg.hysteresis
    model = _model(cfg)
    d = np.asarray(hy.direction)
    base = np.asarray(cfg.field) - np.dot(cfg.field, d) * d  # the swept component replaces B . d
    h = np.linspace(hy.start, hy.stop, hy.num)
    chain = _mean_field(cfg, model, uniform=hy.uniform)
    loop = chain.hysteresis(h, d, base_field=base)
    coords["branch"] = ("branch", ["up", "down"], {"units": "1"})
    coords["h"] = ("h", h, {"units": "1", "long_name": "swept field component along the sweep direction"})
    m_mf = np.stack([loop.states_up.mean(axis=1), loop.states_down[::-1].mean(axis=1)])  # (branch, h, axis)
    data["m_mf_loop"] = (("branch", "h", "axis"), m_mf, {"units": "1", "long_name": "mean-field site average (1/N) sum_i <sigma_i>"})
    data["mf_converged"] = (("branch", "h"), np.stack([loop.converged_up, loop.converged_down[::-1]]).astype(int),
                            {"units": "1", "long_name": "1 where a stable mean-field steady state was found"})
    if hy.exact:
        m_ex = np.empty((h.size, 3))
        for k, hk in enumerate(track(h, f"exact steady states along the loop (N = {cfg.n})", total=h.size,
                                     unit="field points")):
            rho = steady_state(_exact_liouvillian(model.with_field(base + hk * d)))
            m_ex[k] = 2.0 * measures.total_magnetization(rho, cfg.n) / cfg.n
        data["m_exact_loop"] = (("branch", "h", "axis"), np.stack([m_ex, m_ex]),
                                {"units": "1", "long_name": "exact steady-state site average (1/N) sum_i <sigma_i> (unique: no loop)"})
    sw = hysteresis_loop(np.deg2rad(hy.psi_deg), h_max=2.0, n_points=201)
    coords["h_sw"] = ("h_sw", sw.h_up, {"units": "1", "long_name": "reduced field H/H_K"})
    data["sw_m"] = (("branch", "h_sw"), np.stack([sw.m_up, sw.m_down[::-1]]),
                    {"units": "1", "long_name": f"Stoner-Wohlfarth m at psi = {hy.psi_deg:g} deg"})
    gap = np.abs(m_mf[0] - m_mf[1]).max(axis=0)  # per component
    attrs.update({"sweep_direction": list(d), "loop_area_mf": float(loop.area()),
                  "loop_open_mf": int(gap.max() > 1e-6), "loop_axis": "xyz"[int(np.argmax(gap))],
                  "loop_gap_mf": float(gap.max())})


def _ll_loops(c: LLHysteresisConfig, data: dict, coords: dict) -> None:
    """The paper's quasi-static LL loops and the Stoner-Wohlfarth loops over (Vz, b_perp)."""
    from ..classical.ll_hysteresis import ll_loop

    shape = (len(c.Vz), len(c.b_perp), 2, c.num, 3)
    m_ll, m_sw = np.empty(shape), np.empty(shape)
    hc_ll, hc_sw = np.empty(shape[:2]), np.empty(shape[:2])
    for i, vz in enumerate(c.Vz):
        for j, bp in enumerate(c.b_perp):
            for arr, hc, method in ((m_ll, hc_ll, "ll"), (m_sw, hc_sw, "sw")):
                loop = ll_loop(c.h_max, c.num, vz, bp, alpha=c.alpha, method=method)
                arr[i, j, 0], arr[i, j, 1] = loop.up, loop.down
                hc[i, j] = loop.coercive_field
    coords["Vz"] = ("Vz", np.asarray(c.Vz, float), {"units": "gamma", "long_name": "anisotropy V_z"})
    coords["b_perp"] = ("b_perp", np.asarray(c.b_perp, float),
                        {"units": "gamma", "long_name": "transverse field along (1, 1, 0)/sqrt(2)"})
    coords["ll_branch"] = ("ll_branch", ["up", "down"], {"units": "1"})
    coords["h_ll"] = ("h_ll", np.linspace(-c.h_max, c.h_max, c.num),
                      {"units": "gamma", "long_name": "swept field B_z"})
    dims = ("Vz", "b_perp", "ll_branch", "h_ll", "axis")
    data["ll_m"] = (dims, m_ll, {"units": "1", "long_name": f"mean-field LL Bloch vector (Gamma = 0, D = {c.alpha:g} B_eff)"})
    data["ll_m_sw"] = (dims, m_sw, {"units": "1", "long_name": "Stoner-Wohlfarth minimum of E = -B.M - (V_z/2) M_z^2"})
    data["coercive_field"] = (("Vz", "b_perp"), hc_ll,
                              {"units": "gamma", "long_name": "coercive field of the LL loop (switching fields bisected)"})
    data["coercive_field_sw"] = (("Vz", "b_perp"), hc_sw,
                                 {"units": "gamma", "long_name": "coercive field of the Stoner-Wohlfarth loop"})


def plot(ds: xr.Dataset, path) -> None:
    """(a) M(t) exact vs mean field, (b) concurrence, (c) field loop (mean field, exact, SW).

    Panel a shows the site average (1/N) sum_i <sigma_i>(t) (Pauli units, -1..1) with the range over
    the sites shaded, so differences between sites stay visible. Concurrences equal by the chain's
    mirror symmetry are drawn once with all their labels.
    """
    from ..plotting import equal_groups, legend_beside, math_text, paper_style, plt, save_figure

    panels = [p for p, ok in (("evolution", "M_mf" in ds), ("concurrence", "concurrence" in ds),
                               ("loop", "m_mf_loop" in ds), ("sw", "sw_m" in ds),
                               ("shift", "mismatch_vs_shift" in ds)) if ok]
    if "mismatch_vs_n" in ds:
        panels.append("size")
    if "ll_m" in ds:
        panels += [("ll", j) for j in range(ds.sizes["b_perp"])] + ["coercive"]
    if "mismatch_eq_t" in ds:
        panels += ["eq_time", "eq_terms"]
    if "m_dyn" in ds:
        panels += ["dyn_loops", "dyn_area"]
    panels = panels or ["steady"]
    with paper_style():
        fig, axes = plt.subplots(1, len(panels), figsize=(2.9 * len(panels) + 0.6, 2.6), squeeze=False)
        for ax, p in zip(axes[0], panels):
            if p == "evolution":
                t = ds.time.values
                for k, (ax_name, color) in enumerate(zip("xyz", ("C0", "C3", "C2"))):
                    mf_name = "paper MF" if "paper" in ds.attrs.get("mean_field_equations", "") else "mean field"
                    for var, ls, lw, what in (("M_mf", "--", 1.0, mf_name), ("M_exact", "-", 1.2, "exact")):
                        if var not in ds:
                            continue
                        m = ds[var].isel(axis=k)
                        ax.plot(t, m.mean("site"), color=color, ls=ls, lw=lw,
                                label=rf"$\sigma_{ax_name}$ {what}")
                        if ds.sizes["site"] > 1 and var == ("M_exact" if "M_exact" in ds else "M_mf"):
                            ax.fill_between(t, m.min("site"), m.max("site"), color=color, alpha=0.18, lw=0)
                ax.set_xlabel(r"time $t$ ($1/\gamma$)")
                ax.set_ylabel(r"site average $\frac{1}{N}\sum_i\langle\sigma_i\rangle$")
                legend_beside(ax, ncol=1, title="shaded: range over sites", title_fontsize=6)
                ax.set_title(f"{math_text(ds.attrs.get('title', ''))}, N = {ds.attrs.get('n')}", fontsize=7)
            elif p == "concurrence":
                bonds = list(ds.bond.values)
                curves = [ds.concurrence.sel(bond=b).values for b in bonds]
                for g in equal_groups(curves, rtol=1e-6):
                    label = " = ".join(f"C({bonds[k]},{bonds[k] + 1})" for k in g)
                    ax.plot(ds.time, curves[g[0]], lw=1.0, label=label)
                ax.set_xlabel(r"time $t$ ($1/\gamma$)")
                ax.set_ylabel("concurrence of neighbours")
                legend_beside(ax)
            elif p == "loop":
                h, comp = ds.h.values, ds.attrs.get("loop_axis", "z")
                ax.plot(h, ds.m_mf_loop.sel(branch="up", axis=comp), "C0-", lw=1.2, label="mean field, up")
                ax.plot(h, ds.m_mf_loop.sel(branch="down", axis=comp), "C3--", lw=1.2, label="mean field, down")
                if "m_exact_loop" in ds:
                    ax.plot(h, ds.m_exact_loop.sel(branch="up", axis=comp), "ko", ms=2.5, label="exact steady state")
                ax.set_xlabel(r"swept field $h$ ($\gamma$)")
                ax.set_ylabel(rf"site average $\langle\sigma_{comp}\rangle$")
                legend_beside(ax)
            elif p == "sw":
                ax.plot(ds.h_sw, ds.sw_m.sel(branch="up"), "C0-", lw=1.2, label="up")
                ax.plot(ds.h_sw, ds.sw_m.sel(branch="down"), "C3--", lw=1.2, label="down")
                ax.set_xlabel(r"$H/H_K$")
                ax.set_ylabel(r"$m$ along the field")
                ax.set_title("Stoner-Wohlfarth", fontsize=7)
                legend_beside(ax)
            elif p == "shift":
                ax.plot(ds["shift"], ds["mismatch_vs_shift"], "ko-", ms=3, lw=1.0)
                ax.set_xlabel(r"anisotropy shift of $V_x$ ($\gamma$)")
                ax.set_ylabel(r"$\overline{|M_{mf} - M_{exact}|^2}$ per site")
            elif isinstance(p, tuple) and p[0] == "ll":
                bp = float(ds.b_perp[p[1]])
                h = ds.h_ll.values
                every = max(1, h.size // 24)
                for k, vz in enumerate(ds.Vz.values):
                    color = f"C{k}"
                    for br, ls, mk in (("up", "-", "o"), ("down", "--", "s")):
                        ax.plot(h, ds.ll_m.sel(b_perp=bp, Vz=vz, ll_branch=br, axis="z"), color=color, ls=ls, lw=1.1,
                                label=f"$V_z$ = {vz:g}" if br == "up" else None)
                        # Open circles up, squares down: a closed loop shows both.
                        ax.plot(h[::every], ds.ll_m_sw.sel(b_perp=bp, Vz=vz, ll_branch=br, axis="z")[::every], mk,
                                ms=2.5 if mk == "o" else 3.5, mfc="none", color=color, mew=0.6)
                ax.plot([], [], "ko", ms=2.5, mfc="none", mew=0.6, label="Stoner-Wohlfarth, up")
                ax.plot([], [], "ks", ms=3.5, mfc="none", mew=0.6, label="Stoner-Wohlfarth, down")
                ax.set_xlabel(r"$B_z$ ($\gamma$)")
                ax.set_ylabel(r"$M_z$ (mean field, $\Gamma = 0$)")
                ax.set_title(rf"paper's loops, $B_\perp$ = {bp:.3g} along (1, 1, 0)", fontsize=7)
                legend_beside(ax)
            elif p == "size":
                for b, (bname, color) in enumerate(zip(ds.chain_boundary.values, ("C0", "C3"))):
                    ax.plot(ds.n_sites, ds.mismatch_vs_n.isel(chain_boundary=b), "o-", color=color, ms=3,
                            mfc="none", label=f"{bname}, time average")
                    ax.plot(ds.n_sites, ds.steady_mismatch_vs_n.isel(chain_boundary=b), "s--", color=color, ms=3,
                            label=f"{bname}, steady state")
                ax.set_yscale("log")
                ax.set_xlabel("chain length $N$")
                ax.set_ylabel(r"$|M_{mf} - M_{exact}|^2$ per site")
                ax.set_title("mean field against exact, by size", fontsize=7)
                legend_beside(ax)
            elif p == "dyn_loops":
                from .open_chain_dynamic import plot_loops

                plot_loops(ax, ds)
            elif p == "dyn_area":
                from .open_chain_dynamic import plot_areas

                plot_areas(ax, ds)
            elif p == "eq_time":
                from .open_chain_equations import plot_mismatch_in_time

                plot_mismatch_in_time(ax, ds)
            elif p == "eq_terms":
                from .open_chain_equations import plot_terms

                plot_terms(ax, ds)
            elif p == "coercive":
                for j, (bp, marker) in enumerate(zip(ds.b_perp.values, "os^v")):
                    ax.plot(ds.Vz, ds.coercive_field.isel(b_perp=j), marker + "-", ms=3, mfc="none",
                            label=rf"$B_\perp$ = {bp:.3g}")
                ax.plot(ds.Vz, ds.Vz, ":", color="0.5", lw=0.8, label="$H_c = V_z$")
                ax.set_xlabel(r"$V_z$ ($\gamma$)")
                ax.set_ylabel(r"coercive field $H_c$ ($\gamma$)")
                legend_beside(ax)
            else:
                ax.bar(np.arange(ds.sizes["site"]), ds.M_steady.sel(axis="z"))
                ax.set_xlabel("site")
                ax.set_ylabel(r"steady $\langle\sigma_z\rangle$")
        save_figure(fig, path)


def plot_sweep(ds: xr.Dataset, path) -> None:
    """Sweep figure: (a) site-averaged <sigma_z>(t) for each swept value (exact if computed, else
    mean field); (b) the time-averaged mean-field error (site average) or the Liouvillian gap
    against the swept key."""
    from ..plotting import paper_style, plt, save_figure
    from ..sweeps.figures import against_key, family, sweep_axis

    sw = sweep_axis(ds)
    d = sw.ds
    with paper_style():
        fig, (a, b) = plt.subplots(1, 2, figsize=(7.2, 3.4))
        var = "M_exact" if "M_exact" in d else "M_mf" if "M_mf" in d else None
        if var is not None:
            m = d[var].sel(axis="z").mean("site").transpose(sw.dim, "time")
            family(a, sw, m, d.time.values)
            a.set_xlabel(r"time $t$ ($1/\gamma$)")
            a.set_ylabel(r"site average $\langle\sigma_z\rangle$" + (" (exact)" if var == "M_exact" else " (mean field)"))
        elif "M_steady" in d:
            against_key(a, sw, d.M_steady.sel(axis="z").mean("site"))
            a.set_ylabel(r"steady site average $\langle\sigma_z\rangle$")
        a.set_title("magnetization" + (f"; {sw.note}" if sw.note else ""), fontsize=7)
        if "mismatch" in d:
            against_key(b, sw, d.mismatch.mean("site"), color="k")
            b.set_ylabel(r"$\overline{|M_{mf} - M_{exact}|^2}$, site average")
            b.set_title("mean field against exact", fontsize=7)
        elif "relaxation_gap" in d:
            against_key(b, sw, d.relaxation_gap, color="k")
            b.set_ylabel(r"Liouvillian gap ($\gamma$)")
            b.set_title("slowest relaxation rate", fontsize=7)
        else:
            b.axis("off")
        fig.suptitle(sw.title, fontsize=8)
        save_figure(fig, path)


def summary(ds: xr.Dataset) -> list[tuple[str, str]]:
    rows = [("sites", f"{ds.attrs['n']} ({ds.attrs['boundary']})"),
            ("field, coupling", f"{ds.attrs['field']}, {ds.attrs['coupling']}")]
    if "mismatch" in ds:
        rows.append(("time-averaged |M_mf - M_exact|^2 (per site)", ", ".join(f"{x:.3g}" for x in ds.mismatch.values)))
    if "concurrence" in ds:
        rows.append(("max concurrence (neighbours)", f"{float(ds.concurrence.max()):.3f}"))
    if "relaxation_gap" in ds:
        rows.append(("Liouvillian gap (gamma)", f"{float(ds.relaxation_gap):.4g}"))
    if "M_steady" in ds:
        rows.append(("exact steady <sigma> (x, y, z), site average",
                     ", ".join(f"{x:+.3f}" for x in ds.M_steady.mean("site").values)))
        for name in "xyz":
            rows.append((f"exact steady <sigma_{name}> by site",
                         ", ".join(f"{x:+.3f}" for x in ds.M_steady.sel(axis=name).values)))
    if "coercive_field" in ds:
        for bp in ds.b_perp.values:
            hc = ds.coercive_field.sel(b_perp=bp).values
            rows.append((f"paper loops, B_perp = {bp:.3g}: coercive field",
                         ", ".join(f"{x:.3g} (V_z = {v:g})" for x, v in zip(hc, ds.Vz.values))))
    if "steady_mismatch_eq" in ds:
        for eq in ds.mf_equations.values:
            rows.append((f"steady |M_mf - M_exact|^2 per site, {eq} mean field",
                         ", ".join(f"{x:.3g} (Gamma = {g:g})" for x, g in
                                   zip(ds.steady_mismatch_eq.sel(mf_equations=eq).values, ds.damping.values))))
    if "loop_area" in ds:
        for model in ds.dyn_model.values:
            rows.append((f"dynamic loop area ({model})", ", ".join(
                f"{a:.3g} (rate {r:g})" for a, r in zip(ds.loop_area.sel(dyn_model=model).values, ds.sweep_rate.values))))
    if "m_mf_loop" in ds:
        rows.append(("mean-field loop", ("open" if ds.attrs["loop_open_mf"] else "closed")
                     + f", largest branch gap {ds.attrs['loop_gap_mf']:.3g} in sigma_{ds.attrs['loop_axis']}"))
    return rows


STUDY = Study(
    name="open-chain",
    description="open spin-1/2 chain: exact Lindblad vs mean-field LL, loops, concurrence",
    config_model=OpenChainConfig,
    run=run,
    plot=plot,
    plot_sweep=plot_sweep,
    summary=summary,
)
