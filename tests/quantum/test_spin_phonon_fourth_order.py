"""Fourth-order (two-phonon) spin-phonon rates: the fast pair sweep against the plain reference loop,
generator structure, detailed balance and Gibbs limit, pure dephasing, rotational invariance at zero
field, and the effect of the regularization eta and of the lineshape truncation."""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.quantum.liouville import (
    hermiticity_preservation_error, is_completely_positive, superoperator_to_tensor,
    trace_preservation_error,
)
from spinbath.quantum.relaxation import coherence_times, relaxation_time, steady_state
from spinbath.quantum.spin_phonon import SpinPhononRates, _fourth_order_reference
from spinbath.spins.operators import spin_matrices
from spinbath.units import KB_CM
from test_spin_phonon_models import kramers_model, zeeman


def rel_diff(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


# ----------------------------------------------------------------------------- fast == reference
@pytest.mark.parametrize("J, n_modes", [(1.5, 20), (2.5, 12)])
@pytest.mark.parametrize("shape", ["gaussian", "lorentzian"])
@pytest.mark.parametrize("per_mode", [False, True])
@pytest.mark.parametrize("field", [(0.0, 0.0, 0.0), (0.1, 0.0, 0.3)])
def test_fast_sweep_equals_reference_loop(J, n_modes, shape, per_mode, field):
    seed = int(10 * J) + n_modes
    H, V, w = kramers_model(seed=seed, n_modes=n_modes, J=J, field=field)
    rng = np.random.default_rng(seed)
    width = 6.0 if shape == "gaussian" else 2.0
    lw = rng.uniform(0.5, 1.5, n_modes) * width if per_mode else None
    T = 45.0
    # A small block size makes the sweep cut the modes into several blocks.
    fast = SpinPhononRates(H, V, w, None if per_mode else width, shape, linewidths=lw,
                           secular_tol=1e-6, block_size=3)
    R = fast.superoperator(T, 4)
    E, Rref = _fourth_order_reference(H, V, w, T, width, shape, linewidths=lw, secular_tol=1e-6)
    assert np.array_equal(E, fast.energies)
    assert rel_diff(R, Rref) < 1e-10


def test_reference_differs_when_a_process_is_dropped():
    # Sanity check of the comparison itself: drop the emit-both process and the check fails.
    H, V, w = kramers_model(seed=1, n_modes=10, w_range=(20.0, 60.0))
    m = SpinPhononRates(H, V, w, 8.0, secular_tol=1e-6)
    full = m.superoperator(80.0, 4)
    m._cache4 = [c for c in m._fourth_order_chunks() if c.process != "EE"]
    _, Rref = _fourth_order_reference(H, V, w, 80.0, 8.0, secular_tol=1e-6)
    assert rel_diff(full, Rref) < 1e-10
    assert rel_diff(m.superoperator(80.0, 4), Rref) > 1e-3


def test_temperature_stack_cache_and_orders_are_consistent():
    H, V, w = kramers_model(seed=2, n_modes=15)
    Ts = np.array([5.0, 30.0, 120.0])
    m = SpinPhononRates(H, V, w, 5.0)
    stack = m.superoperator(Ts, 4)  # first call fills the cache
    assert m._cache4 is not None
    for k, T in enumerate(Ts):
        assert rel_diff(m.superoperator(T, 4), stack[k]) < 1e-13  # served from the cache
    uncached = SpinPhononRates(H, V, w, 5.0, cache_bytes=0)
    assert rel_diff(uncached.superoperator(Ts, 4), stack) < 1e-13
    assert uncached._cache4 is None
    both = m.superoperator(Ts, "2+4")
    assert rel_diff(both, m.superoperator(Ts, 2) + stack) < 1e-13


def test_bad_arguments_are_reported():
    H, V, w = kramers_model(seed=2, n_modes=3)
    with pytest.raises(ValueError, match="order"):
        SpinPhononRates(H, V, w, 5.0).superoperator(10.0, 3)
    with pytest.raises(ValueError, match="width"):
        SpinPhononRates(H, V, w, None)
    with pytest.raises(ValueError, match="eta"):
        SpinPhononRates(H, V, w, 5.0, eta=-1.0)
    with pytest.raises(ValueError, match="temperatures"):
        SpinPhononRates(H, V, w, 5.0).superoperator(-1.0, 4)
    with pytest.raises(ValueError, match="shape mismatch"):
        SpinPhononRates(H[:4, :4], V, w, 5.0)
    with pytest.raises(ValueError, match="not Hermitian"):
        SpinPhononRates(H + 1j * np.triu(np.ones_like(H), 1), V, w, 5.0)
    with pytest.raises(ValueError, match="lineshape"):
        SpinPhononRates(H, V, w, 5.0, "voigt")


# ----------------------------------------------------------------------------- structure
@pytest.mark.parametrize("order", [4, "2+4"])
@pytest.mark.parametrize("shape", ["gaussian", "lorentzian"])
@pytest.mark.parametrize("field", [(0.0, 0.0, 0.0), (0.0, 0.2, 0.1)])
def test_generator_is_trace_and_hermiticity_preserving_and_cp(order, shape, field):
    H, V, w = kramers_model(seed=3, n_modes=14, field=field)
    R = SpinPhononRates(H, V, w, 4.0, shape).superoperator(60.0, order)
    assert trace_preservation_error(R) < 1e-13
    assert hermiticity_preservation_error(R) < 1e-15
    assert is_completely_positive(R)


# ----------------------------------------------------------------------------- thermal limit
def band_model(field=(0.0, 0.0, 0.0)):
    """J = 5/2 (doublets at 0, 55, 92 cm^-1) with a quasi-continuum of modes in 15-32 cm^-1.

    No T-matrix denominator comes within ~5 cm^-1 of zero (no real intermediate state), the regime
    where a two-phonon rate obeys detailed balance up to the lineshape width.
    """
    H, V, _ = kramers_model(seed=2, n_modes=3, field=field)
    w = np.arange(15.0, 32.0, 0.1)
    return H, V[np.arange(w.size) % 3], w


def _balance_error_4(width, T=20.0):
    H, V, w = band_model()
    # eta -> 0: the reverse process sees the conjugate prescription 1/(x + i eta), which breaks
    # detailed balance at O(eta / x) for complex couplings; that is not what this test is about.
    m = SpinPhononRates(H, V, w, width, eta=1e-3)
    Rt = superoperator_to_tensor(m.superoperator(T, 4))
    E = m.energies
    worst, checked = 0.0, 0
    for a in range(6):
        for b in range(a + 1, 6):
            up, down = Rt[b, b, a, a].real, Rt[a, a, b, b].real
            if E[b] - E[a] < 1.0 or down == 0.0:
                continue  # degenerate partners, or a gap no pair of modes can bridge
            worst = max(worst, abs(np.log(up / down) + (E[b] - E[a]) / (KB_CM * T)))
            checked += 1
    assert checked == 8  # 0,1 <-> 2,3 (absorb/emit both) and 2,3 <-> 4,5
    return worst


def test_detailed_balance_error_shrinks_with_width():
    e2, e1, e05 = (_balance_error_4(s) for s in (2.0, 1.0, 0.5))
    assert 3.0 < e2 / e1 < 5.0 and 3.0 < e1 / e05 < 5.0  # ~ (width)^2
    assert e05 < 0.02


@pytest.mark.parametrize("order", [4, "2+4"])
def test_steady_state_approaches_gibbs(order):
    H, V, w = band_model(field=(0.0, 0.0, 1.0))
    T = 20.0
    dist = []
    for width in (2.0, 0.5):
        R = SpinPhononRates(H, V, w, width, eta=1e-3).superoperator(T, order)
        rho = steady_state(R)
        E = np.linalg.eigvalsh(H)
        p = np.exp(-(E - E[0]) / (KB_CM * T))
        dist.append(0.5 * np.abs(np.linalg.eigvalsh(rho - np.diag(p / p.sum()))).sum())
    assert dist[1] < 0.2 * dist[0]
    assert dist[1] < 5e-3


def test_eta_does_not_matter_without_real_intermediate_states():
    H, V, w = band_model()
    R = [SpinPhononRates(H, V, w, 1.0, eta=eta).superoperator(20.0, 4) for eta in (1e-2, 1e-3, 1e-4)]
    # Far from resonance (|x| >= ~5 cm^-1) eta only enters at O(eta / x): R converges linearly.
    assert rel_diff(R[0], R[2]) < 5e-3
    assert rel_diff(R[1], R[2]) < 0.2 * rel_diff(R[0], R[2])


def test_lineshape_truncation_effect_is_bounded():
    H, V, w = kramers_model(seed=4, n_modes=12)
    for shape, loose, tight, bound in [("gaussian", 1e-5, 1e-10, 1e-4), ("lorentzian", 1e-4, 1e-7, 0.05)]:
        Ra = SpinPhononRates(H, V, w, 3.0, shape, cutoff=loose).superoperator(40.0, 4)
        Rb = SpinPhononRates(H, V, w, 3.0, shape, cutoff=tight).superoperator(40.0, 4)
        assert 0 < rel_diff(Ra, Rb) < bound


# ----------------------------------------------------------------------------- coherence
def test_fourth_order_dephases_the_ground_doublet():
    H, V, w = kramers_model(seed=6, n_modes=15, field=(0.0, 0.0, 0.05))  # field fixes the basis
    m = SpinPhononRates(H, V, w, 6.0)
    T1, T2, T2s_2 = coherence_times(m.superoperator(30.0, 2), (0, 1))
    assert T2 == pytest.approx(2 * T1, rel=1e-6)  # second order: no pure dephasing
    T1, T2, T2s_4 = coherence_times(m.superoperator(30.0, 4), (0, 1))
    assert np.isfinite(T2s_4)
    assert T2 < 0.9 * 2 * T1
    assert 1 / T2 == pytest.approx(1 / (2 * T1) + 1 / T2s_4, rel=1e-12)
    # Jump operators of the two orders are distinct, so pure-dephasing rates add.
    _, _, T2s_24 = coherence_times(m.superoperator(30.0, "2+4"), (0, 1))
    assert 1 / T2s_24 == pytest.approx(1 / T2s_4 + 1 / T2s_2, rel=1e-9)


# ----------------------------------------------------------------------------- rotational invariance
def _tau_with_probe(direction, secular_tol):
    J = 2.5
    H, V, w = kramers_model(seed=6, n_modes=15)
    if direction is not None:
        H = H + zeeman(J, 1e-7 * np.asarray(direction) / np.linalg.norm(direction))
    m = SpinPhononRates(H, V, w, 6.0, secular_tol=secular_tol)
    U = m.eigenvectors
    Jz = U.conj().T @ spin_matrices(J)[2] @ U
    return relaxation_time(m.superoperator(30.0, 4), m.energies, Jz)


def test_tau_does_not_depend_on_the_direction_of_a_vanishing_probe_field():
    directions = [None, (0, 0, 1), (1, 0, 0), (1, 1, 1)]
    taus = [_tau_with_probe(d, secular_tol=1e-3) for d in directions]  # tol >> probe splitting
    assert np.ptp(taus) < 1e-6 * np.mean(taus)


def test_tau_does_depend_on_the_probe_when_the_secular_tolerance_resolves_it():
    # Negative control: with a tolerance below the probe splitting (~1e-7 cm^-1) the secular
    # approximation drops the doublet coherences and the result depends on the probe direction.
    taus = [_tau_with_probe(d, secular_tol=1e-12) for d in [(0, 0, 1), (1, 0, 0)]]
    assert abs(taus[0] - taus[1]) > 0.1 * taus[0]
