"""Small spin-phonon models shared by the spin-phonon tests (and checks that they are what they claim).

Crystal fields are built directly from Jz polynomials and J+- (independent of spins/stevens.py):
O_2^0 = 3Jz^2 - X, O_4^0 = 35Jz^4 - (30X - 25)Jz^2 + 3X^2 - 6X (X = J(J+1)), O_2^2 = (J+^2 + J-^2)/2.
Couplings dH/dQ are time-even Hermitian operators (symmetrized products of two or four spin matrices),
as derivatives of a crystal field are, so Kramers' theorem applies to them.
"""

from __future__ import annotations

import numpy as np

from spinbath.spins.operators import spin_matrices
from spinbath.units import MUB_CM

G_J = 4.0 / 3.0  # Lande factor of Dy3+ 6H15/2, used for the Zeeman term


def crystal_field(J: float, B20: float, B40: float = 0.0, B22: float = 0.0) -> np.ndarray:
    """B20 O_2^0 + B40 O_4^0 + B22 O_2^2 in the |J, M> basis, cm^-1."""
    Jx, Jy, Jz = spin_matrices(J)
    X = J * (J + 1)
    eye = np.eye(Jz.shape[0])
    Jp, Jm = Jx + 1j * Jy, Jx - 1j * Jy
    Jz2 = Jz @ Jz
    O20 = 3 * Jz2 - X * eye
    O40 = 35 * Jz2 @ Jz2 - (30 * X - 25) * Jz2 + (3 * X * X - 6 * X) * eye
    O22 = (Jp @ Jp + Jm @ Jm) / 2
    return B20 * O20 + B40 * O40 + B22 * O22


def zeeman(J: float, field_T) -> np.ndarray:
    """g_J mu_B B . J in cm^-1 (field in tesla)."""
    return MUB_CM * G_J * sum(b * s for b, s in zip(field_T, spin_matrices(J)))


def quadrupoles(J: float) -> list[np.ndarray]:
    """(J_i J_j + J_j J_i)/2 for i <= j: six time-even Hermitian operators."""
    S = spin_matrices(J)
    return [(S[i] @ S[j] + S[j] @ S[i]) / 2 for i in range(3) for j in range(i, 3)]


def time_even_couplings(J: float, n: int, scale: float, rng: np.random.Generator) -> np.ndarray:
    """n random time-even Hermitian couplings (rank 2 plus a rank-4 part), max |element| = scale."""
    ops = quadrupoles(J)
    V = []
    for _ in range(n):
        v = sum(c * o for c, o in zip(rng.normal(size=len(ops)), ops))
        k, l = rng.integers(len(ops), size=2)
        q = ops[k] @ ops[l]
        V.append(v + 0.05 * rng.normal() * (q + q.conj().T) / 2)
    V = np.array(V)
    return scale * V / np.abs(V).max()


def kramers_model(seed: int = 0, n_modes: int = 12, J: float = 2.5, field=(0.0, 0.0, 0.0),
                  scale: float = 2.0, w_range=(10.0, 120.0)):
    """J = 5/2 with an axial + rhombic crystal field (three Kramers doublets at 0, ~55, ~92 cm^-1)."""
    rng = np.random.default_rng(seed)
    H = crystal_field(J, -5.0, 0.02, 0.8) + zeeman(J, field)
    w = rng.uniform(*w_range, n_modes)
    V = time_even_couplings(J, n_modes, scale, rng)
    return H, V, w


def test_kramers_model_has_doublets():
    H, V, w = kramers_model()
    E = np.linalg.eigvalsh(H)
    assert np.allclose(E[0::2], E[1::2], atol=1e-10)  # Kramers degeneracy at zero field
    assert np.all(np.diff(E[0::2]) > 30)
    assert np.allclose(V, V.conj().transpose(0, 2, 1))


def test_couplings_are_time_even():
    # Time reversal in the |J, M> basis: Theta = exp(-i pi Jy) K; time-even V obeys
    # exp(-i pi Jy) conj(V) exp(i pi Jy) = V.
    J = 2.5
    _, Jy, _ = spin_matrices(J)
    ev, U = np.linalg.eigh(Jy)
    Ry = U @ np.diag(np.exp(-1j * np.pi * ev)) @ U.conj().T
    V = time_even_couplings(J, 3, 1.0, np.random.default_rng(3))
    for v in V:
        assert np.allclose(Ry @ v.conj() @ Ry.conj().T, v, atol=1e-12)
