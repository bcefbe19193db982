"""Bias-dependent couplings of two localized spins in the junction, at second order in Delta.

Reference: Leiva, Diaz and Nunez, Phys. Rev. B 107, 094401 (2023), doi:10.1103/PhysRevB.107.094401.

Two classical spins S_1, S_2 (on sites 1, 2) couple to the electron spin density by the s-d
exchange H_sd = Delta sum_a S_a . s_a (s_a with Pauli matrices). Integrating the electrons out at
second order in Delta and to first order in the slow time derivatives (adiabatic expansion of the
retarded kernel, white-noise limit of the Keldysh kernel), the field on spin a, B_a = -dH/dS_a in
meV, is

    B_a = -Delta <s_a>_0 + Delta^2 sum_b [ chi_ab(0) S_b - chi'_ab dS_b/dt ] + xi_a,
    <xi_a^i(t) xi_b^j(t')> = Delta^2 C_ab^ij delta(t - t')          (hbar = 1)

with the kernels of :mod:`spinbath.junction.kernels`. Every 3 x 3 tensor has the form
iso delta + an t_hat t_hat + dm eps.t_hat. Reading B_a as the field of an energy

    E = J S_1.S_2 + D t_hat.(S_1 x S_2) + A (t_hat.S_1)(t_hat.S_2) + sum_a K_a (t_hat.S_a)^2

(J > 0 antiferromagnetic), generalized per site because under bias the two fields need not
derive from one energy, gives (b the other site; all values per Delta^2, in meV^-1)

    B_a = -J_a S_b - D_a (S_b x t_hat) - A_a t_hat (t_hat.S_b) - 2 K_a t_hat (t_hat.S_a) - Dloc_a (S_a x t_hat)
    J_a = -chi_ab^iso,  D_a = -chi_ab^dm,  A_a = -chi_ab^an,  K_a = -chi_aa^an / 2,  Dloc_a = -chi_aa^dm.

An energy D t_hat.(S_1 x S_2) gives D_1 = D and D_2 = -D. Dloc_a (a field S_a x t_hat on spin a
itself, a current-driven torque) vanishes in equilibrium. The isolated half-filled dimer gives
J = 1/(2|t0|), i.e. J Delta^2 = Delta^2/(2|t0|).

Damping and noise (per Delta^2): alpha_ab = chi'_ab (iso, an parts; meV^-2 with hbar = 1) and
j_ab = C_ab (iso, an; meV^-1 with hbar = 1). In this normalization the fluctuation-dissipation
relation at V = 0 reads j_ab = 2 k_B T alpha_ab for every a, b and both parts, and the effective
temperature under bias is k_B T_eff,a = j^(i)_aa / (2 alpha^(i)_aa). Leiva et al. write this as
j^(i)/(2 S^2 hbar alpha^(i)) because its noise is that of the field on the unit vector m = S/|S|,
S^2 Delta^2 C; both are the same number. The dm part of chi' is reactive (it renormalizes the
precession, not the damping) and is reported as alpha_dm.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from spinbath.junction.kernels import SpinKernels, spin_kernels
from spinbath.junction.model import JunctionModel
from spinbath.units import KB_MEV

__all__ = ["couplings", "couplings_from_kernels", "SCALAR_COUPLINGS", "MATRIX_COUPLINGS"]

#: Scalar couplings per site, with their units (all per Delta^2 except s and T_eff).
SCALAR_COUPLINGS = {
    "J": "meV^-1", "D": "meV^-1", "A": "meV^-1", "K": "meV^-1", "Dloc": "meV^-1",
    "s": "1", "T_eff": "K",
}
#: 2 x 2 (site a, site b) couplings, with their units (per Delta^2, hbar = 1).
MATRIX_COUPLINGS = {
    "alpha_i": "meV^-2", "alpha_an": "meV^-2", "alpha_dm": "meV^-2",
    "j_i": "meV^-1", "j_an": "meV^-1",
}


def couplings_from_kernels(k: SpinKernels) -> dict[str, np.ndarray]:
    """Map kernels (n points) to the named couplings, each an array with leading axis n.

    Scalars per site come as "J1", "J2", ... (shape (n,)); matrices as "alpha_i" etc. (n, 2, 2).
    """
    out: dict[str, np.ndarray] = {}
    iso, an, dm = 0, 1, 2
    for a, b in ((0, 1), (1, 0)):
        tag = str(a + 1)
        out["J" + tag] = -k.static[:, a, b, iso]
        out["D" + tag] = -k.static[:, a, b, dm]
        out["A" + tag] = -k.static[:, a, b, an]
        out["K" + tag] = -0.5 * k.static[:, a, a, an]
        out["Dloc" + tag] = -k.static[:, a, a, dm]
        out["s" + tag] = k.spin[:, a]
    out["alpha_i"] = k.slope[..., iso]
    out["alpha_an"] = k.slope[..., an]
    out["alpha_dm"] = k.slope[..., dm]
    out["j_i"] = k.noise[..., iso]
    out["j_an"] = k.noise[..., an]
    for a in (0, 1):
        alpha, j = k.slope[:, a, a, iso], k.noise[:, a, a, iso]
        with np.errstate(divide="ignore", invalid="ignore"):
            t_eff = np.where(alpha > 0, j / (2.0 * alpha), np.nan) / KB_MEV
        out[f"T_eff{a + 1}"] = t_eff
    return out


def couplings(V: float, mu_F: float, T: float = 0.0, *, t_e: float = 100.0, t_L: float = 10.0,
              t_R: float = 10.0, t0: float = 2.0, t: float = 0.1,
              t_hat=(1.0, 0.0, 0.0), eps0: float = 0.0) -> Mapping[str, object]:
    """All couplings of the dimer at bias V (mV), Fermi energy mu_F (meV) and temperature T (K).

    Junction parameters in meV (module :mod:`spinbath.junction.model`). Returns a dict with floats
    "J1", "J2", "D1", "D2", "A1", "A2", "K1", "K2", "Dloc1", "Dloc2" (meV^-1, per Delta^2),
    "s1", "s2" (electron spin along t_hat), "T_eff1", "T_eff2" (K) and 2 x 2 arrays "alpha_i",
    "alpha_an", "alpha_dm" (meV^-2), "j_i", "j_an" (meV^-1), indices a, b = sites 1, 2.

    >>> c = couplings(0.0, 0.0, t_L=0.3, t_R=0.3, t=0.0)   # nearly isolated dimer
    >>> round(c["J1"], 3)                                   # 1 / (2 t0)
    0.25
    """
    if np.ndim(V) != 0 or np.ndim(mu_F) != 0:
        raise ValueError("couplings() takes one (V, mu_F) point; use spin_kernels for arrays")
    model = JunctionModel(t_e=t_e, t_L=t_L, t_R=t_R, t0=t0, t=t, t_hat=tuple(t_hat), eps0=eps0)
    named = couplings_from_kernels(spin_kernels(model, V, mu_F, T))
    return {
        key: (value[0].copy() if value.ndim > 1 else float(value[0])) for key, value in named.items()
    }
