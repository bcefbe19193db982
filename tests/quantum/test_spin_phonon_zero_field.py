"""Zero field for the DyCp model bath: tau is continuous with small fields along the easy axis, the
limit B -> 0+ differs from exactly B = 0 only by the (time-reversal-allowed) coupling of a doublet's
coherence to its populations, and no order depends on the regularization eta."""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.baths.model_baths import dycp_model_bath
from spinbath.config.spin import builtin_crystal_field
from spinbath.quantum.relaxation import effective_generator, relaxation_time
from spinbath.quantum.spin_phonon import SpinPhononRates
from spinbath.spins.hamiltonian import SpinHamiltonian

TEMPERATURES = np.array([10.0, 20.0, 40.0, 77.0])
#: Cell size of the reduced model bath used by the default suite (about 180 modes instead of 825:
#: the same recipe, a few seconds per model); the slow set uses the full 276-atom cell.
SMALL_CELL = 60


def dycp():
    cf = builtin_crystal_field("dycp")
    return SpinHamiltonian.single_ion(cf["J"], cf["B"], g=cf["gJ"])


def taus(ham, bath, Bz, **kw):
    M = ham.magnetic_moment[2]  # moment along the easy axis z
    m = SpinPhononRates.from_bath(ham.matrix(np.array([0.0, 0.0, Bz])), bath, width=10.0, basis_operator=M, **kw)
    Me = m.eigenvectors.conj().T @ M @ m.eigenvectors
    R2, R4 = m.superoperator(TEMPERATURES, 2), m.superoperator(TEMPERATURES, 4)
    out = {}
    for order, R in (("4", R4), ("2+4", R2 + R4)):
        out[order] = np.array([relaxation_time(r, m.energies, Me) for r in R])
    return out, m, R4, Me


def check_continuity(seed, n_atoms=SMALL_CELL):
    ham, bath = dycp(), dycp_model_bath(seed, n_atoms=n_atoms)
    zero = taus(ham, bath, 0.0, vanishing_field=True)[0]
    for Bz in (1e-4, 1e-3):
        small = taus(ham, bath, Bz)[0]
        for order in ("4", "2+4"):
            assert np.all(np.isfinite(zero[order]))
            assert np.abs(zero[order] / small[order] - 1).max() < 0.02, (seed, Bz, order)


@pytest.mark.parametrize("seed", [0, 3])
def test_zero_field_tau_is_continuous_with_small_fields_along_the_easy_axis(seed):
    check_continuity(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10))
def test_zero_field_continuity_of_the_full_model_for_seeds_0_to_9(seed):
    check_continuity(seed, n_atoms=276)


def test_exact_zero_field_differs_from_the_limit_only_by_the_population_coherence_coupling():
    # At exactly B = 0 the doublet coherence keeps a symmetric (time-reversal-allowed) coupling to
    # the populations; eliminating the coherences of the exact generator's doublet block reproduces
    # the B -> 0+ value. The Bloch generator G of the ground doublet (4x4 Schur complement of R)
    # has tau_limit = -1/G_zz and tau_exact = 1/(its slow eigenvalue).
    ham, bath = dycp(), dycp_model_bath(0, n_atoms=SMALL_CELL)
    exact, m, R4, Me = taus(ham, bath, 0.0)
    limit = taus(ham, bath, 0.0, vanishing_field=True)[0]
    k = 1  # 20 K
    L = effective_generator(R4[k], [0, 1], -1 / exact["4"][k])
    pauli = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1.0, -1.0])]
    vecs = np.array([p.ravel(order="F") for p in pauli]).T
    G = (vecs.conj().T @ L @ vecs).real / 2
    assert np.abs(G[1:, 1:] - G[1:, 1:].T).max() < 1e-8 * np.abs(G).max()  # no precession
    assert -1 / G[3, 3] == pytest.approx(limit["4"][k], rel=1e-3)
    assert abs(exact["4"][k] / limit["4"][k] - 1) > 0.01  # the two definitions really differ here


def test_no_order_depends_on_eta_and_the_resonant_part_does():
    ham, bath = dycp(), dycp_model_bath(n_atoms=SMALL_CELL)
    M = ham.magnetic_moment[2]
    T = np.array([20.0, 77.0, 150.0])
    R = {}
    for eta in (0.1, 1.0, 10.0):
        m = SpinPhononRates.from_bath(ham.matrix(np.zeros(3)), bath, width=10.0, eta=eta, basis_operator=M,
                                      vanishing_field=True)
        Me = m.eigenvectors.conj().T @ M @ m.eigenvectors
        R[eta] = (m.superoperator(T, 4), m.superoperator(T, "4-resonant"))
        tau = [relaxation_time(r, m.energies, Me) for r in R[eta][0]]
        assert np.all(np.isfinite(tau))
    assert np.array_equal(R[0.1][0], R[10.0][0])
    assert np.abs(R[0.1][1] - R[10.0][1]).max() > 1e-3 * np.abs(R[1.0][1]).max()
