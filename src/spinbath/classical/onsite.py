r"""On-site terms of one classical spin of length S: Zeeman energy and easy-axis / easy-plane anisotropy.

A localized spin **S** = S **m** (|**m**| = 1; S the spin length, e.g. 5/2) has the energy (meV)

    E(m) = g mu_B S B . m  -  K_ax S^2 (m . n_ax)^2  +  K_pl S^2 (m . n_pl)^2

the classical value (S -> S m) of the spin Hamiltonian H = g mu_B B.S - K_ax (S.n_ax)^2 + K_pl (S.n_pl)^2:

* Zeeman: H_Z = +g mu_B B . S, the sign of every spinbath spin Hamiltonian (the electron moment is
  mu = -g mu_B S; Conventions page). With g > 0 the energy is lowest for the spin **antiparallel** to
  B, and E(-B direction) - E(+B direction) = -2 g mu_B S |B|. B in T, mu_B = 0.057884 meV/T
  (``spinbath.units.MUB_MEV``), g dimensionless.
* Easy axis: K_ax >= 0 (meV) favours m = +-n_ax, with the barrier K_ax S^2 between them. In the
  molecular-magnet form D S_z^2 (n_ax = z) this is D = -K_ax. (The quantum barrier of -K S_z^2 is
  K (S^2 - 1/4) for half-integer S: 6 K at S = 5/2, against the classical 6.25 K.)
* Easy plane: K_pl >= 0 (meV) penalizes the component along n_pl (a hard axis) and favours the
  plane perpendicular to it: D = +K_pl in the form D S_z^2 with n_pl = z.

The field on the unit vector, what the LLG of :mod:`spinbath.classical.llg` and
:mod:`spinbath.junction.llg` integrates (meV), is linear in m:

    h(m) = -dE/dm = W m + h0,   W = 2 S^2 (K_ax n_ax n_ax^T - K_pl n_pl n_pl^T),   h0 = -g mu_B S B.

Precession. In the spin-operator sense of the junction, hbar S dm/dt = -m x h, the Zeeman term alone
gives dm/dt = (g mu_B / hbar) m x B: precession about B at the Larmor angular frequency
omega_L = g mu_B |B| / hbar (0.17588 rad/ps at g = 2 and 1 T, i.e. 27.99 GHz), clockwise seen from
the tip of B when g > 0 (the sense of an electron spin). Damping then turns m toward h, i.e. against
B (g > 0) and onto the easy axis.

Leiva, Diaz and Nunez, Phys. Rev. B 107, 094401 (2023), doi:10.1103/PhysRevB.107.094401, collect the
Zeeman and intrinsic anisotropy terms of each spin in E_0(m) (their Eqs. 4 and 7) and take their
values from their Ref. 5 without quoting them; their spin action has +m.h, so their Zeeman field on
the unit vector is h_paper = h0 = -g mu_B S B, and their intrinsic E_0 is the E above. The
junction-induced on-site anisotropy K_2 of their Eq. 7 is a different term (`spinbath.junction`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spinbath.units import HBAR_MEV_PS, MUB_MEV

__all__ = ["OnsiteTerms"]


def _unit(name: str, v) -> np.ndarray:
    a = np.asarray(v, dtype=float)
    if a.shape != (3,) or not np.all(np.isfinite(a)) or not np.linalg.norm(a) > 0:
        raise ValueError(f"{name} must be a finite non-zero 3-vector, got {v!r}")
    return a / np.linalg.norm(a)


@dataclass(frozen=True)
class OnsiteTerms:
    """Zeeman and anisotropy of one spin of length ``S`` (see the module docstring for E and h).

    S: spin length (> 0); g: g-factor (> 0, H_Z = +g mu_B B.S); B: field in T (3-vector);
    K_axis: easy-axis constant in meV (>= 0) along ``axis``; K_plane: easy-plane constant in meV
    (>= 0), the plane perpendicular to ``normal``. Axes are normalized here.
    """

    S: float
    g: float = 2.0
    B: tuple[float, float, float] = (0.0, 0.0, 0.0)
    K_axis: float = 0.0
    axis: tuple[float, float, float] = (0.0, 0.0, 1.0)
    K_plane: float = 0.0
    normal: tuple[float, float, float] = (0.0, 0.0, 1.0)

    def __post_init__(self):
        for name in ("S", "g"):
            v = float(getattr(self, name))
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a finite positive number, got {getattr(self, name)!r}")
        for name in ("K_axis", "K_plane"):
            v = float(getattr(self, name))
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite energy >= 0 meV (the sign is in the name: "
                                 f"easy axis or easy plane), got {getattr(self, name)!r}")
        B = np.asarray(self.B, dtype=float)
        if B.shape != (3,) or not np.all(np.isfinite(B)):
            raise ValueError(f"B must be a finite 3-vector in T, got {self.B!r}")
        object.__setattr__(self, "B", tuple(float(x) for x in B))
        object.__setattr__(self, "axis", tuple(float(x) for x in _unit("axis", self.axis)))
        object.__setattr__(self, "normal", tuple(float(x) for x in _unit("normal", self.normal)))

    @property
    def matrix(self) -> np.ndarray:
        """W (3 x 3, meV): the part of h linear in m, 2 S^2 (K_ax n n^T - K_pl p p^T)."""
        n, p = np.asarray(self.axis), np.asarray(self.normal)
        return 2.0 * self.S**2 * (self.K_axis * np.outer(n, n) - self.K_plane * np.outer(p, p))

    @property
    def bias(self) -> np.ndarray:
        """h0 (3-vector, meV): the Zeeman field on the unit vector, -g mu_B S B."""
        return -self.g * MUB_MEV * self.S * np.asarray(self.B)

    def field(self, m) -> np.ndarray:
        """h = -dE/dm = W m + h0 for m of shape (..., 3), meV."""
        return np.asarray(m, dtype=float) @ self.matrix.T + self.bias

    def energy(self, m) -> np.ndarray:
        """E(m) = g mu_B S B.m - K_ax S^2 (m.n_ax)^2 + K_pl S^2 (m.n_pl)^2 for m of shape (..., 3), meV."""
        m = np.asarray(m, dtype=float)
        return -0.5 * np.einsum("...i,ij,...j->...", m, self.matrix, m) - m @ self.bias

    @property
    def larmor_angular_frequency(self) -> float:
        """omega_L = g mu_B |B| / hbar in rad/ps."""
        return self.g * MUB_MEV * float(np.linalg.norm(self.B)) / HBAR_MEV_PS

    @property
    def is_zero(self) -> bool:
        """True when no term is present (B = 0, K_axis = K_plane = 0)."""
        return not (any(self.B) or self.K_axis or self.K_plane)

    def add_to(self, model, spin: int):
        """``model`` (a :class:`~spinbath.classical.ClassicalSpinModel` in meV, time unit hbar S / meV)
        with these terms on ``spin``: a Zeeman field h0 and two uniaxial terms (conservative)."""
        out = model.with_zeeman(spin, self.bias)
        if self.K_axis:
            out = out.with_uniaxial(spin, self.K_axis * self.S**2, self.axis)
        if self.K_plane:
            out = out.with_uniaxial(spin, -self.K_plane * self.S**2, self.normal)
        return out
