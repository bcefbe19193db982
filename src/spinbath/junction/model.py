"""The two-site molecular junction: device Hamiltonian, leads and bias (energies in meV).

Reference: Leiva, Diaz and Nunez, Phys. Rev. B 107, 094401 (2023), doi:10.1103/PhysRevB.107.094401.

Device (sites 1, 2, spin 1/2 each; basis |site> x |spin>, site-major):

    H_D = eps0 (n_1 + n_2) + sum_{ss'} [ c_{1s}^+ T_{ss'} c_{2s'} + h.c. ],   T = t0 1 + t (t_hat . sigma)

T is Hermitian (real t0, t), so spin along t_hat is conserved: the hopping is t0 + t for spin up
along t_hat and t0 - t for spin down. This spin-dependent hopping breaks time reversal (it is odd
under it), which is what lets a bias current generate a Dzyaloshinskii-Moriya coupling that is
absent in equilibrium for the symmetric junction.

Leads: semi-infinite chains (hopping t_e) attached by t_L to site 1 and by t_R to site 2, with
chemical potentials mu_L = mu_F + eV/2 and mu_R = mu_F - eV/2 (e V in meV for V in mV). Their bands
do not move with the bias (only the occupations do), so the retarded functions are bias
independent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spinbath.baths.leads import chain_self_energy

__all__ = ["JunctionModel", "PAULI"]

PAULI = np.array(
    [[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex
)


@dataclass(frozen=True)
class JunctionModel:
    """Parameters of the junction, meV (defaults: the weak-SOC junction, t = 0.05 t0).

    t_e: lead hopping; t_L, t_R: lead-device hoppings (sites 1 and 2); t0: spin-independent
    inter-site hopping; t: spin-dependent (spin-orbit-like) hopping along the unit vector t_hat;
    eps0: on-site energy of both device sites.
    """

    t_e: float = 100.0
    t_L: float = 10.0
    t_R: float = 10.0
    t0: float = 2.0
    t: float = 0.1
    t_hat: tuple[float, float, float] = field(default=(1.0, 0.0, 0.0))
    eps0: float = 0.0

    def __post_init__(self):
        for name in ("t_e", "t_L", "t_R", "t0", "t", "eps0"):
            value = getattr(self, name)
            if not np.isfinite(value):
                raise ValueError(f"{name} must be a finite number in meV (got {value!r})")
        if self.t_e <= 0:
            raise ValueError(f"t_e must be positive (got {self.t_e} meV): it sets the lead band")
        for name in ("t_L", "t_R"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0 meV (got {getattr(self, name)})")
        n = np.asarray(self.t_hat, dtype=float)
        if n.shape != (3,) or not np.all(np.isfinite(n)):
            raise ValueError(f"t_hat must be three finite numbers (got {self.t_hat!r})")
        norm = float(np.linalg.norm(n))
        if norm == 0.0:
            raise ValueError("t_hat must not be the zero vector: it is the spin-orbit axis")
        object.__setattr__(self, "t_hat", tuple(float(x) for x in n / norm))

    @property
    def axis(self) -> np.ndarray:
        """Unit vector t_hat (numpy array)."""
        return np.asarray(self.t_hat)

    def spin_hoppings(self) -> tuple[float, float]:
        """Hoppings (t0 + t, t0 - t) of the spin-up and spin-down channels along t_hat, meV."""
        return self.t0 + self.t, self.t0 - self.t

    def hopping_matrix(self) -> np.ndarray:
        """T = t0 1 + t (t_hat . sigma), 2 x 2 in spin space, meV."""
        return self.t0 * np.eye(2) + self.t * np.einsum("i,ijk->jk", self.axis, PAULI)

    def device_hamiltonian(self) -> np.ndarray:
        """H_D as a 4 x 4 matrix in the basis (1 up, 1 down, 2 up, 2 down) along z, meV."""
        T = self.hopping_matrix()
        H = np.zeros((4, 4), dtype=complex)
        H[:2, :2] = H[2:, 2:] = self.eps0 * np.eye(2)
        H[:2, 2:] = T
        H[2:, :2] = T.conj().T
        return H

    def self_energies(self, E) -> tuple[np.ndarray, np.ndarray]:
        """Retarded lead self-energies (Sigma_L on site 1, Sigma_R on site 2) at E (meV), meV."""
        return (chain_self_energy(E, self.t_e, self.t_L), chain_self_energy(E, self.t_e, self.t_R))

    def band_edges(self) -> tuple[float, float]:
        return -2.0 * self.t_e, 2.0 * self.t_e

    def device_levels(self) -> np.ndarray:
        """Isolated-device levels eps0 +- (t0 +- t), meV (sorted): where resonances sit."""
        up, down = self.spin_hoppings()
        return np.sort(self.eps0 + np.array([-abs(up), abs(up), -abs(down), abs(down)]))


def chemical_potentials(V, mu_F) -> tuple[np.ndarray, np.ndarray]:
    """mu_L = mu_F + eV/2 and mu_R = mu_F - eV/2 in meV, for V in mV and mu_F in meV."""
    V = np.asarray(V, dtype=float)
    mu_F = np.asarray(mu_F, dtype=float)
    return mu_F + 0.5 * V, mu_F - 0.5 * V
