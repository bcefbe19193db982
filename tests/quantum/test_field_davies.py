"""The field-following Davies bath (spinbath.quantum.field_davies): detailed balance on the generator.

References built here independently: jump operators from numpy's eigenvectors of B . sigma (with
their arbitrary phases), the Gibbs state from scipy's expm of -B . S / T.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm, sqrtm

from spinbath.quantum.field_davies import FieldDaviesBath
from spinbath.quantum.liouville import hamiltonian_superoperator, lindblad_dissipator, vec

PAULI = (np.array([[0, 1], [1, 0]], dtype=complex), np.array([[0, -1j], [1j, 0]], dtype=complex),
         np.array([[1, 0], [0, -1]], dtype=complex))
BATHS = [FieldDaviesBath(0.1, 0.5), FieldDaviesBath(0.3, 2.0, 0.05), FieldDaviesBath(0.05, 0.0, 0.02)]
FIELDS = [(0.0, 0.0, 1.3), (0.0, 0.0, -0.4), (0.25, 0.25, -0.5), (1e-9, 0.0, 0.0), (-0.7, 2.0, 0.1)]


def dot_sigma(v):
    return sum(c * s for c, s in zip(v, PAULI))


def gibbs(B, T):
    H = 0.5 * dot_sigma(B)
    if T == 0:
        w, U = np.linalg.eigh(H)
        return np.outer(U[:, 0], U[:, 0].conj())
    rho = expm(-H / T)
    return rho / np.trace(rho)


@pytest.mark.parametrize("bath", BATHS)
@pytest.mark.parametrize("B", FIELDS)
def test_gibbs_state_of_the_field_term_is_the_steady_state_of_the_generator(bath, B):
    L = bath.site_generator(B)
    rho = gibbs(B, bath.temperature)
    assert np.max(np.abs(L @ vec(rho))) < 1e-14
    np.testing.assert_allclose(bath.gibbs_state(B), rho, atol=1e-14)
    # trace preservation: vec(1)^T L = 0
    assert np.max(np.abs(vec(np.eye(2)) @ L)) < 1e-15
    # unique: one zero eigenvalue (a second would mean a second steady state)
    assert np.sum(np.abs(np.linalg.eigvals(L)) < 1e-12) == 1


@pytest.mark.parametrize("bath", BATHS[:2])
@pytest.mark.parametrize("B", FIELDS)
def test_dissipator_obeys_quantum_detailed_balance(bath, B):
    """GNS detailed balance of the dissipative part D (Heisenberg picture D^+): Tr(rho A^+ D^+(X)) is
    symmetric, i.e. spost(rho) D^+ is Hermitian; with it the KMS form, Gamma D^+ Hermitian for
    Gamma(X) = rho^1/2 X rho^1/2."""
    D = bath.site_generator(B) - hamiltonian_superoperator(0.5 * dot_sigma(B))
    Dh = D.conj().T
    rho = gibbs(B, bath.temperature)
    gns = np.kron(rho.T, np.eye(2)) @ Dh
    assert np.max(np.abs(gns - gns.conj().T)) < 1e-14
    r = sqrtm(rho)
    kms = np.kron(r.T, r) @ Dh
    assert np.max(np.abs(kms - kms.conj().T)) < 1e-13


@pytest.mark.parametrize("bath", BATHS)
@pytest.mark.parametrize("B", FIELDS)
def test_generator_does_not_depend_on_the_eigenvector_phases(bath, B):
    """Jump operators |down><up| from numpy's eigenvectors (arbitrary phases) give the same generator."""
    w, U = np.linalg.eigh(dot_sigma(B))     # ascending: U[:, 0] = down, U[:, 1] = up
    Lm = np.outer(U[:, 0], U[:, 1].conj()) * np.exp(0.7j)
    down, up = bath.rates(np.linalg.norm(B))
    b = np.asarray(B) / np.linalg.norm(B)
    ref = (hamiltonian_superoperator(0.5 * dot_sigma(B)) + lindblad_dissipator(Lm, down)
           + lindblad_dissipator(Lm.conj().T, up) + lindblad_dissipator(dot_sigma(b), bath.dephasing / 2))
    np.testing.assert_allclose(bath.site_generator(B), ref, atol=1e-15)


@pytest.mark.parametrize("bath", BATHS)
@pytest.mark.parametrize("B", FIELDS + [(0.0, 0.0, 0.0)])
def test_pauli_form_is_the_same_generator(bath, B):
    """G on (1, M) against the superoperator: d<sigma_a>/dt = Tr(sigma_a L rho) for rho = (1 + M.sigma)/2."""
    rng = np.random.default_rng(0)
    G = bath.pauli_generator(B)
    L = bath.site_generator(B)
    for _ in range(3):
        M = rng.uniform(-0.5, 0.5, 3)
        drho = (L @ vec(0.5 * (np.eye(2) + dot_sigma(M)))).reshape(2, 2).T
        dM = np.real([np.trace(s @ drho) for s in PAULI])
        np.testing.assert_allclose(dM, (G @ np.r_[1.0, M])[1:], atol=1e-15)
        assert abs(np.trace(drho)) < 1e-15


def test_rates_detailed_balance_and_limits():
    bath = FieldDaviesBath(0.2, 0.7)
    for w in (1e-6, 0.1, 1.0, 5.0):
        down, up = bath.rates(w)
        assert up / down == pytest.approx(np.exp(-w / 0.7), rel=1e-12)
        assert down - up == pytest.approx(0.2 * w, rel=1e-12)     # ohmic: J(omega) = kappa omega
    assert bath.rates(0.0) == (pytest.approx(0.2 * 0.7), pytest.approx(0.2 * 0.7))   # omega -> 0: kappa T
    assert FieldDaviesBath(0.2, 0.0).rates(2.0) == (pytest.approx(0.4), 0.0)
    with pytest.raises(ValueError, match="temperature"):
        FieldDaviesBath(0.1, -1.0)
