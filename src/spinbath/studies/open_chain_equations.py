"""Part of study ``open-chain``: the paper's mean-field equations against the consistent ones.

``[mean_field_comparison]`` runs the paper's Fig. 5a both ways: for each on-site damping Gamma of
``dampings`` (thermal bath with the config's n_b and ratio), the exact Lindblad evolution over the
``[evolution]`` window and the mean field from the consistent first moments and from the paper's
Eqs. 12-14 (:mod:`spinbath.classical.paper_mean_field`), and which of the paper's three terms
(R0, damping, exchange) makes the steady mismatch. Dimensionless, hbar = gamma = 1; M = <sigma>.

Output variables:
    mismatch_eq_t(mf_equations, damping, time)   site average of |M_mf - M_exact|^2 (t)
    steady_mismatch_eq(mf_equations, damping)    site average of |M_mf - M_exact|^2 in the steady state
    steady_mismatch_term(paper_term, damping)    the same with one of the paper's terms only
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator

from ..config.base import StrictModel, finite_positive
from ..progress import track

__all__ = ["MeanFieldComparisonConfig", "compare_equations", "plot_mismatch_in_time", "plot_terms"]


class MeanFieldComparisonConfig(StrictModel):
    """[mean_field_comparison]: |M_mf - M_exact|^2 (t) with the consistent mean field and the
    paper's Eqs. 12-14 for each on-site damping Gamma in ``dampings`` (the paper's Fig. 5a), and the
    steady mismatch with each of the paper's three terms alone. Needs a thermal [bath] (its n_b and
    ratio are kept) and an [evolution] window."""

    dampings: list[float] = Field(min_length=1, description="on-site damping Gamma values (units of gamma)")

    @field_validator("dampings")
    @classmethod
    def _positive(cls, v):
        return finite_positive(v, "damping Gamma")


def compare_equations(cfg, data: dict, coords: dict) -> None:
    """Fill ``data``/``coords`` with the comparison of ``cfg.mean_field_comparison`` (module docstring)."""
    from ..classical.paper_mean_field import PAPER_TERMS, PaperMeanFieldChain
    from ..quantum import evolve, measures, steady_state
    from ..quantum.chain_model import ChainModel, thermal_rates
    from ..quantum.open_chain import OpenChainLiouvillian, product_state

    c = cfg.mean_field_comparison
    n, init = cfg.n, np.asarray(cfg.initial, dtype=float)
    t = np.linspace(0.0, cfg.evolution.t_end, cfg.evolution.num)
    G = np.asarray(c.dampings, dtype=float)
    timed = np.empty((2, G.size, t.size))
    steady = np.empty((2, G.size))
    terms = np.empty((len(PAPER_TERMS), G.size))
    for k, gamma in enumerate(track(G, "paper's equations against consistent", total=G.size, unit="dampings")):
        onsite, neighbour = thermal_rates(gamma, cfg.bath.n_b, cfg.bath.ratio)
        model = ChainModel(n, tuple(cfg.field), tuple(cfg.coupling), onsite, neighbour, cfg.boundary)
        L = OpenChainLiouvillian(model)
        M_ex = 2.0 * measures.site_magnetization(evolve(L, product_state(n, init), t).states, n)
        ss_ex = 2.0 * measures.site_magnetization(steady_state(L)[None], n)[0]
        for e, chain in enumerate((PaperMeanFieldChain(model, terms=()), PaperMeanFieldChain(model))):
            M_mf = chain.evolve(init, t).M
            timed[e, k] = np.mean(np.sum((M_mf - M_ex) ** 2, axis=-1), axis=-1)
            steady[e, k] = np.mean(np.sum((chain.steady_state(np.tile(init, (n, 1))).M - ss_ex) ** 2, axis=-1))
        for j, term in enumerate(PAPER_TERMS):
            ss = PaperMeanFieldChain(model, terms=(term,)).steady_state(np.tile(init, (n, 1))).M
            terms[j, k] = np.mean(np.sum((ss - ss_ex) ** 2, axis=-1))
    coords.setdefault("time", ("time", t, {"units": "1/gamma"}))
    coords["mf_equations"] = ("mf_equations", ["consistent", "paper"], {
        "units": "1", "long_name": "mean-field equations: consistent first moments, or the paper's Eqs. 12-14"})
    coords["damping"] = ("damping", G, {"units": "gamma", "long_name": "on-site damping Gamma"})
    coords["paper_term"] = ("paper_term", list(PAPER_TERMS), {
        "units": "1", "long_name": "the one term taken in the paper's form (the others consistent)"})
    data["mismatch_eq_t"] = (("mf_equations", "damping", "time"), timed, {
        "units": "1", "long_name": "site average of |M_mf - M_exact|^2 (the paper's Fig. 5a)"})
    data["steady_mismatch_eq"] = (("mf_equations", "damping"), steady, {
        "units": "1", "long_name": "site average of |M_mf - M_exact|^2 in the steady state"})
    data["steady_mismatch_term"] = (("paper_term", "damping"), terms, {
        "units": "1", "long_name": "steady site-averaged |M_mf - M_exact|^2 with one paper term only"})


def plot_mismatch_in_time(ax, ds) -> None:
    """|M_mf - M_exact|^2 (t): paper's equations solid, consistent dashed, one colour per Gamma."""
    from ..plotting import legend_beside

    t = ds.time.values
    for k, g in enumerate(ds.damping.values):
        for eq, ls in (("paper", "-"), ("consistent", "--")):
            y = ds.mismatch_eq_t.sel(mf_equations=eq, damping=g).values
            ax.plot(t[1:], np.clip(y[1:], 1e-14, None), ls, color=f"C{k}", lw=1.1,
                    label=rf"$\Gamma$ = {g:g}, {'paper Eqs. 12-14' if eq == 'paper' else 'consistent'}")
    ax.set_yscale("log")
    ax.set_xlabel(r"time $t$ ($1/\gamma$)")
    ax.set_ylabel(r"$|M_{mf} - M_{exact}|^2$ per site")
    ax.set_title("Fig. 5a both ways", fontsize=7)
    legend_beside(ax)


def plot_terms(ax, ds) -> None:
    """Steady mismatch against Gamma: all paper terms, none, and each alone."""
    from ..plotting import legend_beside

    G = ds.damping.values
    ax.plot(G, ds.steady_mismatch_eq.sel(mf_equations="paper"), "ko-", ms=3, label="paper (all three)")
    ax.plot(G, np.clip(ds.steady_mismatch_eq.sel(mf_equations="consistent"), 1e-14, None), "k^--", ms=3,
            mfc="none", label="consistent (none)")
    for j, (term, mk) in enumerate(zip(ds.paper_term.values, "sdv")):
        ax.plot(G, np.clip(ds.steady_mismatch_term.sel(paper_term=term), 1e-14, None), mk + ":", ms=3,
                color=f"C{j + 3}", label=f"only {term}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    # Gamma spans less than a decade: label the computed values only (older matplotlib labels
    # the minor ticks of such an axis too, and they overlap).
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    ax.xaxis.set_major_locator(FixedLocator(G))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticklabels([f"{g:g}" for g in G])
    ax.set_xlabel(r"on-site damping $\Gamma$ ($\gamma$)")
    ax.set_ylabel(r"steady $|M_{mf} - M_{exact}|^2$ per site")
    ax.set_title("where the mismatch comes from", fontsize=7)
    legend_beside(ax)
