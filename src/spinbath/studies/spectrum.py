"""Study ``spectrum``: crystal-field levels, <J_z>, Kramers-doublet g tensors, optionally vs field.

Output variables (xarray.Dataset):
    energy(field, level)        cm^-1, relative to the ground level at each field
    Jz(field, level)            <J_z> of each eigenstate (dimensionless, hbar = 1)
    J_field(field, level)       <J . n> along the field direction n
    doublet_energy(doublet)     zero-field doublet energies (cm^-1), Kramers ions only
    g_principal(doublet, axis)  principal g values of each doublet (pseudo-spin 1/2), ascending
    magnetization(temperature, field)  thermal moment along the field, mu_B per ion (if temperatures)
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr

from ..config.base import StrictModel, TemperatureK
from ..config.spin import FieldConfig, SpinConfig
from ..progress import track
from ..spins.hamiltonian import g_tensor_of_doublet
from . import Study

__all__ = ["SpectrumConfig", "run", "plot", "plot_sweep", "STUDY"]


class SpectrumConfig(StrictModel):
    """``study = "spectrum"``: [spin] (J, g, crystal_field) and an optional [field] sweep."""

    study: Literal["spectrum"]
    title: str = "Crystal-field spectrum"
    spin: SpinConfig
    field: FieldConfig = FieldConfig()
    temperatures: list[TemperatureK] = []


def _kramers_doublets(energies: np.ndarray, J: float) -> list[tuple[int, int]]:
    if abs(2 * J) % 2 != 1:
        return []
    return [(2 * i, 2 * i + 1) for i in range(len(energies) // 2)]


def run(cfg: SpectrumConfig) -> xr.Dataset:
    """Diagonalize H(B) on the field grid; compute <J_z>, and g tensors of zero-field doublets."""
    ham = cfg.spin.hamiltonian()
    n = np.asarray(cfg.field.direction)
    fields = cfg.field.magnitudes()
    jx, jy, jz = ham.spin_operators[0]
    j_along = n[0] * jx + n[1] * jy + n[2] * jz
    energy = np.empty((fields.size, ham.dim))
    jz_exp = np.empty_like(energy)
    jn_exp = np.empty_like(energy)
    for i, b in enumerate(track(fields, "spectrum", total=fields.size, unit="fields")):
        e, v = ham.eigh(b * n)
        energy[i] = e - e[0]
        jz_exp[i] = np.real(np.einsum("ip,ij,jp->p", v.conj(), jz, v))
        jn_exp[i] = np.real(np.einsum("ip,ij,jp->p", v.conj(), j_along, v))

    ds = xr.Dataset(
        {
            "energy": (("field", "level"), energy, {"units": "cm^-1", "long_name": "level energy above the ground state"}),
            "Jz": (("field", "level"), jz_exp, {"units": "1", "long_name": "<J_z>"}),
            "J_field": (("field", "level"), jn_exp, {"units": "1", "long_name": "<J.n> along the field direction"}),
        },
        coords={
            "field": ("field", fields, {"units": "T", "long_name": "field magnitude along direction"}),
            "level": ("level", np.arange(ham.dim), {"units": "1"}),
        },
        attrs={"title": cfg.title, "field_direction": n, "J": cfg.spin.J},
    )
    if cfg.temperatures:
        ds["magnetization"] = (("temperature", "field"), _thermal_moment(ham, n, fields, cfg.temperatures),
                               {"units": "mu_B", "long_name": "thermal magnetic moment along the field"})
        ds = ds.assign_coords(temperature=("temperature", np.asarray(cfg.temperatures), {"units": "K"}))
    e0, v0 = ham.eigh((0.0, 0.0, 0.0))
    doublets = _kramers_doublets(e0, cfg.spin.J)
    if doublets:
        g = np.array([g_tensor_of_doublet(ham.magnetic_moment, v0[:, list(p)])[0] for p in doublets])
        ds["doublet_energy"] = ("doublet", [e0[p[0]] - e0[0] for p in doublets], {"units": "cm^-1"})
        ds["g_principal"] = (("doublet", "axis"), g, {"units": "1", "long_name": "principal g values (ascending)"})
        ds = ds.assign_coords(doublet=("doublet", np.arange(len(doublets)), {"units": "1"}),
                              axis=("axis", np.arange(3), {"units": "1"}))
    return ds


def _thermal_moment(ham, n, fields, temperatures) -> np.ndarray:
    """<m.n> = -Tr(rho_T g J.n) in mu_B, rho_T = exp(-H/k_B T)/Z (H_Z = +mu_B B.g.J: m = -mu_B g J)."""
    from ..units import KB_CM

    mn = np.einsum("a,aij->ij", n, ham.magnetic_moment)
    out = np.empty((len(temperatures), fields.size))
    for j, b in enumerate(fields):
        e, v = ham.eigh(b * n)
        m_levels = -np.real(np.einsum("ip,ij,jp->p", v.conj(), mn, v))
        for i, t in enumerate(temperatures):
            w = np.exp(-(e - e[0]) / (KB_CM * t))
            out[i, j] = np.dot(w, m_levels) / w.sum()
    return out


def plot(ds: xr.Dataset, path) -> None:
    """Panel a: levels vs <J.n> (zero or first field). Panel b: Zeeman diagram if several fields.

    Energies are E_i(B) - E_0(B) (cm^-1), above the ground level at each field, as stored. Even and
    odd levels are drawn solid and dashed, so the two members of a doublet that splits by less than
    a line width (small g along the field) do not hide each other.
    """
    from ..plotting import math_text, paper_style, plt, save_figure

    with paper_style():
        sweep = ds.sizes["field"] > 1
        fig, axes = plt.subplots(1, 2 if sweep else 1, figsize=(6.8 if sweep else 3.4, 3.0), squeeze=False)
        ax = axes[0, 0]
        e, m = ds["energy"].isel(field=0).values, ds["J_field"].isel(field=0).values
        for ei, mi in zip(e, m):
            ax.plot([mi - 0.35, mi + 0.35], [ei, ei], color="k", lw=1.6)
        ax.set_xlabel(r"$\langle J_n \rangle$ (along the field direction)")
        ax.set_ylabel(r"$E - E_0$ (cm$^{-1}$)")
        ax.set_title(f"{math_text(ds.attrs.get('title', ''))}\nB = {float(ds.field[0]):g} T", fontsize=8)
        if "g_principal" in ds:
            g = ds["g_principal"].values
            ax.text(0.5, 0.04, "ground doublet g = " + ", ".join(f"{x:.2f}" for x in g[0]),
                    transform=ax.transAxes, ha="center", va="bottom", fontsize=7)
        if sweep:
            bx = axes[0, 1]
            B, E = ds["field"].values, ds["energy"].values
            # Alternate solid/dashed by level index: the members of a doublet split less than a
            # line width stay visible where they overlap.
            for k in range(E.shape[1]):
                bx.plot(B, E[:, k], color="C0", lw=1.0, ls="-" if k % 2 == 0 else (0, (3, 2)))
            bx.set_xlabel("field $B$ (T)")
            bx.set_ylabel(r"$E(B) - E_0(B)$ (cm$^{-1}$)")
            bx.set_title("Zeeman diagram (above the ground level)\nlevels 0, 2, 4, ... solid; 1, 3, 5, ... dashed",
                         fontsize=7)
        save_figure(fig, path)


def plot_sweep(ds: xr.Dataset, path) -> None:
    """Sweep figure: level energies above the ground level (at the first field) against the swept key,
    and the ground-doublet g values when the spectrum has Kramers doublets."""
    from ..plotting import paper_style, plt, save_figure
    from ..sweeps.figures import against_key, sweep_axis

    sw = sweep_axis(ds)
    d = sw.ds.isel(field=0)
    with paper_style():
        has_g = "g_principal" in d
        fig, axes = plt.subplots(1, 2 if has_g else 1, figsize=(7.2 if has_g else 3.6, 3.2), squeeze=False)
        a = axes[0, 0]
        E = d.energy.transpose(sw.dim, "level")
        for k in range(E.sizes["level"]):
            # Alternating styles keep the two members of a doublet visible (spectrum.plot).
            against_key(a, sw, E.isel(level=k), color="C0", ls="-" if k % 2 == 0 else "--", marker="")
        a.set_ylabel(r"$E - E_0$ (cm$^{-1}$)")
        a.set_title(f"levels at B = {float(d.field):g} T" + (f"; {sw.note}" if sw.note else ""), fontsize=7)
        if has_g:
            b = axes[0, 1]
            g = d.g_principal.isel(doublet=0).transpose(sw.dim, "axis")
            for k, (ls, marker) in enumerate(zip(("-", "--", ":"), "os^")):
                against_key(b, sw, g.isel(axis=k), label=f"$g_{k + 1}$", ls=ls, marker=marker, mfc="none")
            b.set_ylabel("ground-doublet principal $g$")
            b.legend(fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        fig.suptitle(sw.title, fontsize=8)
        save_figure(fig, path)


def summary(ds: xr.Dataset) -> list[tuple[str, str]]:
    rows = [("levels", str(ds.sizes["level"])), ("fields (T)", f"{float(ds.field.min()):g} .. {float(ds.field.max()):g}")]
    if "doublet_energy" in ds:
        rows.append(("Kramers doublets (cm^-1)", ", ".join(f"{x:.1f}" for x in ds["doublet_energy"].values)))
        rows.append(("ground-doublet g", ", ".join(f"{x:.2f}" for x in ds["g_principal"].values[0])))
        rows.append(("ground-doublet |<Jz>|", f"{abs(float(ds['Jz'].isel(field=0, level=0))):.3f}"))
    return rows


STUDY = Study(
    name="spectrum",
    description="crystal-field levels, <J_z> and Kramers-doublet g tensors, optionally vs field",
    config_model=SpectrumConfig,
    run=run,
    plot=plot,
    plot_sweep=plot_sweep,
    summary=summary,
)
