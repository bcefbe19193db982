"""Study ``junction-couplings``: bias-dependent couplings of two spins in a molecular junction.

For each spin-orbit hopping t of the config, maps over bias V (mV) and Fermi energy mu_F (meV) of
the couplings of :func:`spinbath.junction.couplings` (Keldysh Green's functions at second order in
the s-d exchange Delta; every value is per Delta^2):

    J_per_Delta2, D_per_Delta2, A_per_Delta2,        meV^-1   exchange, DM, Ising, anisotropy, self torque
      K_per_Delta2, Dloc_per_Delta2 (t_soc, site, V, mu_F)      (J, D, A, K ... per Delta^2; files before
                                                              the names table called them J, D, ...)
    D_over_J (t_soc, site, V, mu_F)                  1        D_a / J_a
    s (t_soc, site, V, mu_F)                         1        electron spin along t_hat (Pauli)
    T_eff (t_soc, site, V, mu_F)                     K        j^(i)_aa / (2 alpha^(i)_aa) / k_B
    alpha_i, alpha_an, alpha_dm (t_soc, site, site_b, V, mu_F)   meV^-2 (hbar = 1)  damping
    j_i, j_an (t_soc, site, site_b, V, mu_F)         meV^-1 (hbar = 1)  noise

Field on spin a (meV): B_a = Delta^2 [-J_a S_b - D_a (S_b x t_hat) - A_a t_hat (t_hat.S_b)
- 2 K_a t_hat (t_hat.S_a) - Dloc_a (S_a x t_hat)] - Delta <s_a>; an energy J S_1.S_2 (J > 0
antiferromagnetic) + D t_hat.(S_1 x S_2) gives J_1 = J_2 = J, D_1 = -D_2 = D.

The figure has one row per t: maps of J_1 and D_1 over (V, mu_F), and line cuts vs V at
mu_F = cut_mu_F of the exchange couplings, of damping and noise, and of the effective temperature.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr
from pydantic import Field

from ..config.base import StrictModel
from ..config.junction import BiasConfig, JunctionConfig, grid_values
from ..progress import work
from . import Study

__all__ = ["JunctionCouplingsConfig", "run", "plot", "plot_sweep", "summary", "STUDY"]

_SCALARS = {
    "J": ("meV^-1", "isotropic exchange J_a per Delta^2 (E = J S1.S2, J > 0 antiferromagnetic)"),
    "D": ("meV^-1", "Dzyaloshinskii-Moriya D_a per Delta^2 (field -D_a S_b x t_hat on spin a)"),
    "A": ("meV^-1", "anisotropic (Ising) exchange A_a per Delta^2 along t_hat"),
    "K": ("meV^-1", "on-site anisotropy K_a per Delta^2 (energy K_a (t_hat.S_a)^2)"),
    "Dloc": ("meV^-1", "current-driven self torque per Delta^2 (field -Dloc_a S_a x t_hat)"),
    "s": ("1", "electron spin <s_a.t_hat> on site a (Pauli normalization)"),
    "T_eff": ("K", "effective temperature j^(i)_aa / (2 alpha^(i)_aa k_B)"),
}
_MATRICES = {
    "alpha_i": ("meV^-2", "isotropic Gilbert damping alpha^(i)_ab per Delta^2 (hbar = 1)"),
    "alpha_an": ("meV^-2", "anisotropic damping alpha^(an)_ab (t_hat t_hat part) per Delta^2 (hbar = 1)"),
    "alpha_dm": ("meV^-2", "reactive antisymmetric part of the kernel slope per Delta^2 (hbar = 1)"),
    "j_i": ("meV^-1", "isotropic noise correlation j^(i)_ab per Delta^2 (hbar = 1)"),
    "j_an": ("meV^-1", "anisotropic noise correlation j^(an)_ab per Delta^2 (hbar = 1)"),
}
def _result_name(name: str) -> str:
    """Name in the results file: couplings per Delta^2 carry the suffix (plain J, D, A, K are energies,
    as in dimer-llg; spinbath.names)."""
    return f"{name}_per_Delta2" if name in ("J", "D", "A", "K", "Dloc") else name


#: Points per call of the vectorized integrator (one progress step each).
_CHUNK = 400


class JunctionCouplingsConfig(StrictModel):
    """``study = "junction-couplings"``: a junction, a (V, mu_F) grid and a temperature."""

    study: Literal["junction-couplings"]
    title: str = "Junction couplings"
    junction: JunctionConfig = JunctionConfig()
    bias: BiasConfig = BiasConfig()
    epsrel: float = Field(default=1e-8, gt=0, lt=1e-2,
                          description="relative tolerance of the adaptive energy integrals")


def run(cfg: JunctionCouplingsConfig) -> xr.Dataset:
    """All couplings on the (V, mu_F) grid for every t of the config."""
    from ..junction.couplings import couplings_from_kernels
    from ..junction.kernels import spin_kernels

    V = grid_values(cfg.bias.V)
    mu = grid_values(cfg.bias.mu_F)
    socs = cfg.junction.soc_values()
    VV, MM = (a.ravel() for a in np.meshgrid(V, mu, indexing="ij"))
    chunks = [slice(i, min(i + _CHUNK, VV.size)) for i in range(0, VV.size, _CHUNK)]
    tasks = [(k, c) for k in range(len(socs)) for c in chunks]
    parts: dict[int, list[dict]] = {k: [] for k in range(len(socs))}
    with work(f"junction couplings ({V.size} V x {mu.size} mu_F x {len(socs)} t)", len(socs) * VV.size,
              "(V, mu_F, t) points") as advance:
        for k, c in tasks:
            kern = spin_kernels(cfg.junction.model(socs[k]), VV[c], MM[c], cfg.bias.temperature,
                                epsrel=cfg.epsrel)
            parts[k].append(couplings_from_kernels(kern))
            advance(c.stop - c.start)
    grid = (V.size, mu.size)
    data = {}
    for name, (unit, long_name) in _SCALARS.items():
        arr = np.stack([
            np.stack([np.concatenate([p[f"{name}{a}"] for p in parts[k]]).reshape(grid) for a in (1, 2)])
            for k in range(len(socs))
        ])
        data[_result_name(name)] = (("t_soc", "site", "V", "mu_F"), arr, {"units": unit, "long_name": long_name})
    with np.errstate(divide="ignore", invalid="ignore"):
        data["D_over_J"] = (("t_soc", "site", "V", "mu_F"), data["D_per_Delta2"][1] / data["J_per_Delta2"][1],
                            {"units": "1", "long_name": "D_a / J_a"})
    for name, (unit, long_name) in _MATRICES.items():
        arr = np.stack([
            np.concatenate([p[name] for p in parts[k]]).reshape(grid + (2, 2)).transpose(2, 3, 0, 1)
            for k in range(len(socs))
        ])
        data[name] = (("t_soc", "site", "site_b", "V", "mu_F"), arr, {"units": unit, "long_name": long_name})
    coords = {
        "t_soc": ("t_soc", np.asarray(socs, float), {"units": "meV", "long_name": "spin-orbit hopping t"}),
        "site": ("site", [1, 2], {"units": "1"}),
        "site_b": ("site_b", [1, 2], {"units": "1"}),
        "V": ("V", V, {"units": "mV", "long_name": "bias (mu_L - mu_R = eV)"}),
        "mu_F": ("mu_F", mu, {"units": "meV", "long_name": "Fermi energy"}),
    }
    j = cfg.junction
    attrs = {
        "title": cfg.title, "t_e_meV": j.t_e, "t_L_meV": j.t_L, "t_R_meV": j.t_R, "t0_meV": j.t0,
        "eps0_meV": j.eps0, "t_hat": list(j.t_hat), "temperature_K": cfg.bias.temperature,
        "cut_mu_F_meV": cfg.bias.cut_mu_F,
        "conventions": ("per Delta^2; H_sd = Delta sum_a S_a.s_a with Pauli s_a; field on spin a "
                        "B_a = Delta^2[-J_a S_b - D_a S_b x t_hat - A_a t_hat(t_hat.S_b) - 2K_a t_hat(t_hat.S_a)"
                        " - Dloc_a S_a x t_hat] - Delta<s_a>; FDT at V = 0: j = 2 k_B T alpha"),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _cut(ds: xr.Dataset):
    cut = ds.sel(mu_F=ds.attrs.get("cut_mu_F_meV", 0.0), method="nearest")
    return cut, float(cut.mu_F)


def plot(ds: xr.Dataset, path) -> None:
    """Per spin-orbit t, two rows: maps of J_1 and D_1 over (V, mu_F) and the cut at mu_F = cut_mu_F
    of J, D, A, K; then damping, noise and T_eff along the same cut.

    Both maps are signed (J changes sign with V and mu_F, D is odd in V): a diverging colormap centred
    at zero, so white is zero and red/blue are the two signs. All couplings are per Delta^2 (the
    s-d coupling squared), in meV^-1; damping per Delta^2 in meV^-2.
    """
    from ..plotting import legend_below, paper_style, plt, save_figure, signed_map_style

    cut, mu_cut = _cut(ds)
    n_t = ds.sizes["t_soc"]
    with paper_style():
        fig, axes = plt.subplots(2 * n_t, 3, figsize=(7.2, 4.9 * n_t), squeeze=False)
        for r, t in enumerate(ds.t_soc.values):
            top, bottom = axes[2 * r], axes[2 * r + 1]
            d = ds.sel(t_soc=t, site=1)
            c = cut.sel(t_soc=t)
            V, mu = ds.V.values, ds.mu_F.values
            tag = f"$t$ = {t:g} meV"
            for ax, name, what in ((top[0], "J", "exchange"), (top[1], "D", "Dzyaloshinskii-Moriya")):
                if V.size > 1 and mu.size > 1:
                    values = d[f"{name}_per_Delta2"].T.values
                    im = ax.pcolormesh(V, mu, values, shading="nearest", **signed_map_style(values))
                    fig.colorbar(im, ax=ax, label=rf"${name}_1/\Delta^2$ (meV$^{{-1}}$)", shrink=0.9)
                    ax.set_xlabel("bias $V$ (mV)")
                    ax.set_ylabel(r"$\mu_F$ (meV)")
                    ax.axhline(mu_cut, color="k", lw=0.6, ls=":")
                else:
                    ax.axis("off")
                    ax.text(0.5, 0.5, r"a map needs more than one $V$ and one $\mu_F$", ha="center",
                            va="center", transform=ax.transAxes, fontsize=7)
                ax.set_title(f"{tag}: {what}", fontsize=7)
            ax = top[2]
            ax.plot(V, c.J_per_Delta2.sel(site=1), "k-", lw=1.2, label="$J_1$")
            ax.plot(V, c.D_per_Delta2.sel(site=1), "C3-", lw=1.2, label="$D_1$")
            ax.plot(V, c.D_per_Delta2.sel(site=2), "C3--", lw=1.0, label="$D_2$")
            ax2 = ax.twinx()
            ax2.plot(V, c.A_per_Delta2.sel(site=1), "C0-.", lw=1.0, label="$A_1$ (right axis)")
            ax2.plot(V, c.K_per_Delta2.sel(site=1), "C2:", lw=1.2, label="$K_1$ (right axis)")
            ax.set_xlabel("bias $V$ (mV)")
            ax.set_ylabel(r"$J, D$ per $\Delta^2$ (meV$^{-1}$)")
            ax2.set_ylabel(r"$A, K$ per $\Delta^2$ (meV$^{-1}$)")
            h1, l1 = ax.get_legend_handles_labels()
            h2, l2 = ax2.get_legend_handles_labels()
            legend_below(ax, h1 + h2, l1 + l2, ncol=2)
            ax.set_title(rf"{tag}, cut at $\mu_F$ = {mu_cut:g} meV", fontsize=7)
            panels = (
                (bottom[0], "damping", r"damping per $\Delta^2$ (meV$^{-2}$)", (
                    (c.alpha_i.sel(site=1, site_b=1), "k-", 1.2, r"$\alpha^{(i)}_{11}$"),
                    (c.alpha_i.sel(site=1, site_b=2), "k--", 1.0, r"$\alpha^{(i)}_{12}$"),
                    (c.alpha_an.sel(site=1, site_b=1), "C0-.", 1.0, r"$\alpha^{(an)}_{11}$"))),
                (bottom[1], "noise", r"noise per $\Delta^2$ (meV$^{-1}$)", (
                    (c.j_i.sel(site=1, site_b=1), "C3-", 1.2, r"$j^{(i)}_{11}$"),
                    (c.j_i.sel(site=1, site_b=2), "C3--", 1.0, r"$j^{(i)}_{12}$"))),
            )
            for ax, what, ylabel, curves in panels:
                for y, style, lw, label in curves:
                    ax.plot(V, y, style, lw=lw, label=label)
                ax.set_xlabel("bias $V$ (mV)")
                ax.set_ylabel(ylabel)
                ax.set_title(f"{tag}: {what}", fontsize=7)
                legend_below(ax, ncol=len(curves))
            ax = bottom[2]
            ax.plot(V, c.T_eff.sel(site=1), "k-", lw=1.2, label="site 1")
            ax.plot(V, c.T_eff.sel(site=2), "C3--", lw=1.0, label="site 2")
            ax.axhline(ds.attrs.get("temperature_K", 0.0), color="0.5", lw=0.6, ls=":", label="bath $T$")
            ax.set_xlabel("bias $V$ (mV)")
            ax.set_ylabel(r"$T_{\rm eff}$ (K)")
            ax.set_title(f"{tag}: effective temperature", fontsize=7)
            legend_below(ax, ncol=3)
        save_figure(fig, path)


def plot_sweep(ds: xr.Dataset, path) -> None:
    """Sweep figure: maps over (V, swept key) of J_1 and D_1 per Delta^2 at mu_F = cut_mu_F for the
    first t, on a diverging scale centred at zero, and T_eff of site 1 for each swept value."""
    from ..plotting import paper_style, plt, save_figure
    from ..sweeps.figures import family, signed_map_or_family, sweep_axis

    sw = sweep_axis(ds)
    d = sw.ds.isel(t_soc=0).sel(site=1)
    d = d.sel(mu_F=ds.attrs.get("cut_mu_F_meV", 0.0), method="nearest")
    V = d.V.values
    where = rf"$t$ = {float(d.t_soc):g} meV, $\mu_F$ = {float(d.mu_F):g} meV" + (f"; {sw.note}" if sw.note else "")
    with paper_style():
        fig, axes = plt.subplots(1, 3, figsize=(7.2, 3.4))
        fig.get_layout_engine().set(wspace=0.1)
        for ax, name, what in ((axes[0], "J", "exchange"), (axes[1], "D", "Dzyaloshinskii-Moriya")):
            signed_map_or_family(fig, ax, sw, d[f"{name}_per_Delta2"].transpose(sw.dim, "V"), V, "bias $V$ (mV)",
                                 rf"${name}_1/\Delta^2$ (meV$^{{-1}}$)")
            ax.set_title(what, fontsize=7)
        family(axes[2], sw, d.T_eff.transpose(sw.dim, "V"), V)
        axes[2].set_xlabel("bias $V$ (mV)")
        axes[2].set_ylabel(r"$T_{\rm eff}$ of site 1 (K)")
        axes[2].set_title("effective temperature", fontsize=7)
        fig.suptitle(f"{sw.title}\n{where}", fontsize=8)
        save_figure(fig, path)


def summary(ds: xr.Dataset) -> list[tuple[str, str]]:
    cut, mu_cut = _cut(ds)
    rows = [("grid", f"{ds.sizes['V']} V x {ds.sizes['mu_F']} mu_F, T = {ds.attrs['temperature_K']:g} K")]
    for t in ds.t_soc.values:
        c = cut.sel(t_soc=t, site=1)
        v0 = c.sel(V=0.0, method="nearest")
        rows.append((f"t = {t:g} meV, mu_F = {mu_cut:g} meV",
                     f"J1(V={float(v0.V):g}) = {float(v0.J_per_Delta2):.4g} meV^-1, "
                     f"at V = {float(c.V[-1]):g} mV: D1 = {float(c.D_per_Delta2[-1]):.3g} meV^-1, "
                     f"D1/J1 = {float(c.D_over_J[-1]):.3g}, T_eff1 = {float(c.T_eff[-1]):.3g} K"))
    return rows


STUDY = Study(
    name="junction-couplings",
    description="voltage-controlled dimer: J, D, A, K, damping and noise vs (V, mu_F) from Keldysh GFs",
    config_model=JunctionCouplingsConfig,
    run=run,
    plot=plot,
    plot_sweep=plot_sweep,
    summary=summary,
)
