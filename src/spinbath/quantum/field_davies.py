r"""A Davies bath for spins 1/2 whose jump operators follow the instantaneous field.

Each spin has its own ohmic boson bath (spectral density J(omega) = kappa omega) coupled through
the spin components transverse to the field, in the Davies (weak-coupling, secular) form in the
eigenbasis of the field term H_B = B . S (S = sigma/2, hbar = gamma = 1, k_B = 1). With the Bohr
frequency omega = |B| and the unit vector b = B/|B|:

    D_B[rho] = gamma_down D[L_-] rho + gamma_up D[L_+] rho + (gamma_phi / 2) D[sigma_b] rho,
    L_- = |down_b><up_b|,  L_+ = L_-^+,   sigma_b = b . sigma,   D[A] rho = A rho A^+ - {A^+ A, rho}/2,
    gamma_down = kappa omega (n(omega) + 1),   gamma_up = kappa omega n(omega),   n = 1/(e^{omega/T} - 1),

where |up_b> (|down_b>) is the eigenstate of sigma_b with eigenvalue +1 (-1), energy +omega/2
(-omega/2). Detailed balance gamma_up/gamma_down = exp(-omega/T), so the single-spin generator
-i[H_B, .] + D_B has the Gibbs state exp(-H_B/T)/Z as its steady state at every field
(tests/quantum/test_field_davies.py checks this on the generator, and its KMS symmetry). Limits:
omega -> 0 gives gamma_down = gamma_up = kappa T (finite, and the generator is continuous where a
sweep along b passes through B = 0, since D[L_-] + D[L_+] is symmetric under b -> -b); T = 0 gives
gamma_down = kappa omega, gamma_up = 0.

The phase of |up_b>, |down_b> is arbitrary and drops out of D[L_-] (D[e^{i phi} L] = D[L]); L_- is
built as P_- (sigma . e1) P_+ with P_+- = (1 +- sigma_b)/2 and any unit e1 perpendicular to b (the
result does not depend on e1; tested).

For a Bloch vector M = <sigma> the generator gives the Bloch equations

    dM/dt = -M x B - Gamma_1 (M . b - m_eq) b - Gamma_2 (M - (M . b) b),
    Gamma_1 = gamma_down + gamma_up = kappa omega coth(omega / 2T),
    Gamma_2 = Gamma_1 / 2 + gamma_phi,      m_eq = -tanh(omega / 2T)

(the spin relaxes antiparallel to B, the low-energy direction of H_B = +B . S); :meth:`FieldDaviesBath.bloch_rates`
returns (Gamma_1, Gamma_2, m_eq, b). Reference for the Davies form: H.-P. Breuer and F. Petruccione,
The Theory of Open Quantum Systems (Oxford 2002), Sec. 3.3.1 and 3.4.

How this differs from the common bath of :mod:`spinbath.quantum.chain_model`: there the jump
operators S_{a,+-} are fixed along the crystal axes whatever the field; here they rotate with B.
The bath acts on each site alone and knows nothing of the exchange (a local master equation), so a
chain's steady state is the Gibbs state of the field term only where the exchange vanishes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .liouville import hamiltonian_superoperator, lindblad_dissipator

__all__ = ["FieldDaviesBath"]

_SIGMA = (np.array([[0, 1], [1, 0]], dtype=complex), np.array([[0, -1j], [1j, 0]], dtype=complex),
          np.array([[1, 0], [0, -1]], dtype=complex))


def _dot_sigma(v) -> np.ndarray:
    return sum(float(c) * s for c, s in zip(v, _SIGMA))


def _unit(B, axis_at_zero) -> tuple[float, np.ndarray]:
    B = np.asarray(B, dtype=float).reshape(3)
    w = float(np.linalg.norm(B))
    if w > 0:
        return w, B / w
    a = np.asarray(axis_at_zero, dtype=float).reshape(3)
    return 0.0, a / np.linalg.norm(a)


@dataclass(frozen=True)
class FieldDaviesBath:
    """Ohmic Davies bath per spin, jump operators in the eigenbasis of B . S (module docstring).

    Parameters (dimensionless, hbar = gamma = k_B = 1): ``kappa`` the ohmic coupling (rates are
    kappa times an energy), ``temperature`` T in field units (>= 0), ``dephasing`` the pure
    dephasing rate gamma_phi (>= 0, units of gamma).
    """

    kappa: float
    temperature: float
    dephasing: float = 0.0

    def __post_init__(self):
        for name in ("kappa", "temperature", "dephasing"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"{name} = {v!r} must be finite and >= 0")

    def rates(self, omega: float) -> tuple[float, float]:
        """(gamma_down, gamma_up) = kappa omega (n + 1), kappa omega n at Bohr frequency omega >= 0."""
        omega, T = abs(float(omega)), self.temperature
        if T == 0:
            return self.kappa * omega, 0.0
        x = omega / T
        # kappa omega (n + 1) = kappa T x / (1 - e^-x), -> kappa T as x -> 0
        down = self.kappa * T * (x / -math.expm1(-x) if x > 0 else 1.0)
        return down, down * math.exp(-x)

    def bloch_rates(self, B, axis_at_zero=(0.0, 0.0, 1.0)) -> tuple[float, float, float, np.ndarray]:
        """(Gamma_1, Gamma_2, m_eq, b): longitudinal and transverse rates (units gamma), the
        equilibrium projection m_eq = -tanh(|B|/2T) of <sigma> on b, and the axis b."""
        w, b = _unit(B, axis_at_zero)
        down, up = self.rates(w)
        g1 = down + up
        T = self.temperature
        m_eq = -np.tanh(w / (2 * T)) if T > 0 else (-1.0 if w > 0 else 0.0)   # = -(down - up)/(down + up)
        return g1, 0.5 * g1 + self.dephasing, m_eq, b

    def jump_operators(self, B, axis_at_zero=(0.0, 0.0, 1.0)) -> list[tuple[float, np.ndarray]]:
        """[(rate, L)]: (gamma_down, L_-), (gamma_up, L_+), (gamma_phi/2, sigma_b); 2x2 complex."""
        w, b = _unit(B, axis_at_zero)
        a = np.array([1.0, 0.0, 0.0]) if abs(b[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        e1 = np.cross(b, a)
        e1 /= np.linalg.norm(e1)
        sb = _dot_sigma(b)
        Pp, Pm = 0.5 * (np.eye(2) + sb), 0.5 * (np.eye(2) - sb)
        Lm = Pm @ _dot_sigma(e1) @ Pp
        down, up = self.rates(w)
        return [(down, Lm), (up, Lm.conj().T), (0.5 * self.dephasing, sb)]

    def site_generator(self, B, axis_at_zero=(0.0, 0.0, 1.0)) -> np.ndarray:
        """-i[B . S, .] + D_B as a (4, 4) superoperator (column stacking, spinbath.quantum.liouville)."""
        S = 0.5 * _dot_sigma(B)
        out = hamiltonian_superoperator(S)
        for rate, L in self.jump_operators(B, axis_at_zero):
            if rate != 0:
                out = out + lindblad_dissipator(L, rate)
        return out

    def pauli_generator(self, B, axis_at_zero=(0.0, 0.0, 1.0)) -> np.ndarray:
        """The same generator on Pauli coordinates (1, M_x, M_y, M_z) of rho = (1 + M . sigma)/2:
        G = [[0, 0], [Gamma_1 m_eq b, [B x] - Gamma_1 b b^T - Gamma_2 (1 - b b^T)]], (4, 4) real, so that
        d(1, M)/dt = G (1, M): the Bloch equations of the module docstring (tested against
        :meth:`site_generator`). Written with scalars: it is called at every step of a sweep."""
        bx, by, bz = (float(c) for c in B)
        w = math.sqrt(bx * bx + by * by + bz * bz)
        if w > 0:
            ux, uy, uz = bx / w, by / w, bz / w
        else:
            a = [float(c) for c in axis_at_zero]
            na = math.sqrt(a[0] ** 2 + a[1] ** 2 + a[2] ** 2)
            ux, uy, uz = a[0] / na, a[1] / na, a[2] / na
        down, up = self.rates(w)
        g1 = down + up
        g2 = 0.5 * g1 + self.dephasing
        T = self.temperature
        m_eq = -math.tanh(w / (2 * T)) if T > 0 else (-1.0 if w > 0 else 0.0)
        d = g2 - g1   # -Gamma_1 b b^T - Gamma_2 (1 - b b^T) = -Gamma_2 + (Gamma_2 - Gamma_1) b b^T
        return np.array([
            [0.0, 0.0, 0.0, 0.0],
            [g1 * m_eq * ux, -g2 + d * ux * ux, -bz + d * ux * uy, by + d * ux * uz],
            [g1 * m_eq * uy, bz + d * uy * ux, -g2 + d * uy * uy, -bx + d * uy * uz],
            [g1 * m_eq * uz, -by + d * uz * ux, bx + d * uz * uy, -g2 + d * uz * uz],
        ])

    def gibbs_state(self, B, axis_at_zero=(0.0, 0.0, 1.0)) -> np.ndarray:
        """exp(-B . S / T)/Z = (1 + m_eq sigma_b)/2 (the ground state |down_b><down_b| at T = 0)."""
        _, _, m_eq, b = self.bloch_rates(B, axis_at_zero)
        return 0.5 * (np.eye(2) + m_eq * _dot_sigma(b))
