"""The small spin-phonon models of tests/helpers.py are what they claim: Kramers doublets, Hermitian
and time-even couplings."""

from __future__ import annotations

import numpy as np

from helpers import kramers_model, time_even_couplings
from spinbath.spins.operators import spin_matrices


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
