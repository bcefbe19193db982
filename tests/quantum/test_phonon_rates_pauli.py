"""Pauli rate matrix of the phonon rates: detailed balance, Gibbs steady state, relaxation models.

Checks (spinbath.quantum.pauli on rates of spinbath.quantum.phonon_rates): detailed balance is
exact and the Gibbs state is stationary; the multi-level rate equals the dense eigenvalue where
that is resolvable and stays accurate where the rates span 12+ decades; the two-state and
multi-level models agree when only the ground doublet matters and differ by the real Orbach steps
when excited levels take part; the sequential rate of a three-level scheme has its closed form.
"""

from __future__ import annotations

import numpy as np
import pytest
from systems import stiff_three_level

from spinbath.baths.spectral import DampedOscillator, Debye, SpectralBath, SpectralChannel
from spinbath.quantum.pauli import (
    detailed_balance_error,
    gibbs_populations,
    multilevel_rate,
    rate_matrix,
    relaxation_rates,
    sequential_rate,
    two_state_rate,
)
from spinbath.quantum.phonon_rates import PhononRates
from spinbath.spins.operators import spin_matrices
from spinbath.spins.stevens import stevens
from spinbath.units import KB_CM, MUB_CM


@pytest.fixture(scope="module")
def fe_like():
    """S = 2, D = -26 cm^-1: broadened modes at 22 and 43 cm^-1, a mode at 70 cm^-1 whose tail
    reaches M = +-1 (78 cm^-1) and a Debye branch; rates at 1.5 .. 60 K (all mechanisms)."""
    J = 2
    Sz = spin_matrices(J)[2]
    H = -26 * Sz @ Sz + 0.05 * stevens(J, 2, 2) + MUB_CM * 2 * 0.1 * Sz
    bath = SpectralBath((
        SpectralChannel("m0", DampedOscillator(22.0, 2.0), 0.1 * stevens(J, 2, 2) + 0.1 * stevens(J, 2, 1)),
        SpectralChannel("m1", DampedOscillator(43.0, 3.0), 0.1 * stevens(J, 2, -2) + 0.05 * stevens(J, 2, -1)),
        SpectralChannel("m2", DampedOscillator(70.0, 4.0), 0.2 * stevens(J, 2, 1) + 0.2 * stevens(J, 2, -1)),
        SpectralChannel("d0", Debye(30.0), 0.01 * stevens(J, 2, 2) + 0.01 * stevens(J, 2, 1)),
    ))
    rates = PhononRates(H, bath)
    T = np.geomspace(1.5, 60.0, 12)
    r = rates.rates(T)
    W = r["one-phonon"] + r["raman"] + r["sum"]
    return rates, T, W, r


def test_detailed_balance_is_exact_and_the_gibbs_state_is_stationary(fe_like):
    rates, T, W, _ = fe_like
    assert detailed_balance_error(W, rates.energies, T) < 1e-12
    R = rate_matrix(W)
    p = gibbs_populations(rates.energies, T)
    flow = np.einsum("tmn,tn->tm", R, p)
    scale = np.einsum("tmn,tn->tm", np.abs(R), p).max(axis=1)
    assert np.all(np.abs(flow).max(axis=1) <= 1e-12 * scale)
    assert np.allclose(R.sum(axis=1), 0.0, atol=1e-12 * np.abs(R).max())  # probability conserved


def test_multilevel_rate_is_the_slowest_eigenvalue_where_that_is_resolvable(fe_like):
    _, T, W, _ = fe_like
    lam = multilevel_rate(W)
    for t in np.flatnonzero(T > 15):
        ev = np.sort(-np.linalg.eigvals(rate_matrix(W[t])).real)
        assert lam[t] == pytest.approx(ev[1], rel=1e-8)


def test_multilevel_rate_keeps_relative_accuracy_when_rates_span_many_decades():
    # Doublet split 0.1 cm^-1, excited level at 100 cm^-1 decaying at 1e9 s^-1, T = 2 K: the
    # doublet relaxes at ~1e-6 s^-1. Dense eigenvalues of R carry an absolute error ~eps ||R||
    # ~ 1e-7 s^-1; the Schur fixed point is accurate to its own size.
    E, T, W = stiff_three_level()
    assert np.abs(rate_matrix(W)).max() / two_state_rate(W) > 1e14
    assert detailed_balance_error(W, E, T) < 1e-14
    assert multilevel_rate(W) == pytest.approx(two_state_rate(W) + sequential_rate(W), rel=1e-9)


def test_multilevel_rate_does_not_subtract_escape_rates_that_return():
    # Level c1 (30 cm^-1) exchanges population only with l, fast (0.4 s^-1 up at 2 K) and returns
    # it; the doublet relaxes only through c2 (100 cm^-1), ~1e-22 s^-1. A doublet rate formed from
    # diagonal escape rates would be round-off (~1e-17 s^-1); the fixed point keeps 1e-9 accuracy.
    E, T = np.array([0.0, 0.1, 30.0, 100.0]), 2.0
    p = gibbs_populations(E, T)[0]
    W = np.zeros((4, 4))
    W[0, 2] = 1e9
    W[0, 3], W[1, 3] = 1e9, 2e9
    for m, n in ((0, 2), (0, 3), (1, 3)):
        W[n, m] = W[m, n] * p[n] / p[m]
    expected = (W[3, 0] * W[1, 3] + W[3, 1] * W[0, 3]) / (W[0, 3] + W[1, 3])
    assert expected < 1e-20 and W[2, 0] > 0.1
    assert sequential_rate(W) == pytest.approx(expected, rel=1e-9)
    assert multilevel_rate(W) == pytest.approx(expected, rel=1e-9)


def test_two_state_and_multilevel_agree_when_only_the_doublet_matters(fe_like):
    rates, T, W, r = fe_like
    per_model = rates.model_rates(r)
    assert np.all(per_model["clipped"] == 0) and np.allclose(per_model["multi-level"], W, rtol=1e-14, atol=0)
    tau_inv = relaxation_rates(per_model)
    two, multi = tau_inv["two-state"], tau_inv["multi-level"]
    low = T < 5
    assert np.allclose(two[low], multi[low], rtol=1e-4)
    # At high T real steps through M = +-1 (78 cm^-1) are fast: the multi-level rate is larger,
    # by about the sequential (Orbach) rate the two-state model lacks.
    hot = T > 40
    assert np.all(multi[hot] > 1.5 * two[hot])
    assert np.allclose(multi[hot] - two_state_rate(W[hot]), sequential_rate(W[hot]), rtol=0.3)


def test_sequential_rate_of_a_three_level_scheme():
    # l, u (doublet) and an excited level c: eliminating c gives W_cl W_uc / (W_lc + W_uc) + (u <-> l).
    W = np.zeros((3, 3))
    W[2, 0], W[2, 1] = 2.0, 3.0  # up-rates c <- l, c <- u
    W[0, 2], W[1, 2] = 500.0, 700.0  # down-rates l <- c, u <- c
    W[1, 0], W[0, 1] = 0.1, 0.1
    expected = W[2, 0] * W[1, 2] / (W[0, 2] + W[1, 2]) + W[2, 1] * W[0, 2] / (W[0, 2] + W[1, 2])
    assert sequential_rate(W) == pytest.approx(expected, rel=1e-12)
    # The exact slowest eigenvalue differs from the eliminated rate at O(rate / 1200 s^-1).
    ev = np.sort(-np.linalg.eigvals(rate_matrix(W)).real)
    assert multilevel_rate(W) == pytest.approx(ev[1], rel=1e-10)
    assert multilevel_rate(W) == pytest.approx(0.2 + expected, rel=1e-3)


def test_detailed_balance_error_survives_underflowing_boltzmann_factors():
    # 500 cm^-1 gap at 0.4 K: exp(-Delta / k_B T) ~ 1e-782, below the smallest double. The uphill
    # rate is 0 in double precision and p_u underflows too; that is not a violation.
    E = np.array([0.0, 500.0])
    T = np.array([0.4, 300.0])
    down = 1e10
    up = down * np.exp(-E[1] / (KB_CM * T))
    W = np.zeros((2, 2, 2))
    W[:, 0, 1], W[:, 1, 0] = down, up
    assert up[0] == 0.0
    assert detailed_balance_error(W, E, T) < 1e-14
    # A real violation is still seen: at 300 K the uphill rate twice its detailed-balance value,
    # and at 0.4 K a down rate missing where the (representable) up rate asks for one.
    W_bad = W.copy()
    W_bad[1, 1, 0] *= 2
    assert detailed_balance_error(W_bad, E, T) == pytest.approx(1 / 3, rel=1e-12)
    W_gone = W.copy()
    W_gone[0, 1, 0], W_gone[0, 0, 1] = 1e-3, 0.0
    assert detailed_balance_error(W_gone, E, T) == 1.0
