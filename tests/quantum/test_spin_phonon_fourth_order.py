"""Fourth-order (two-phonon) spin-phonon rates: the fast pair sweep against the plain reference loop,
generator structure, exact detailed balance and Gibbs steady state, pure dephasing, rotational
invariance at zero field, where eta enters (only "4-resonant"), and the effect of the lineshape
truncation."""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.baths.lineshapes import lineshape
from spinbath.quantum.liouville import (
    hermiticity_preservation_error, is_completely_positive,
    trace_preservation_error,
)
from spinbath.quantum.relaxation import coherence_times, relaxation_time, steady_state
from spinbath.quantum.spin_phonon import SpinPhononRates, _fourth_order_reference
from spinbath.spins.operators import spin_matrices
from spinbath.units import KB_CM
from helpers import detailed_balance_errors, kramers_model, zeeman


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
    _, Rref = _fourth_order_reference(H, V, w, 80.0, 8.0, secular_tol=1e-6)
    _, Rref_no_ee = _fourth_order_reference(H, V, w, 80.0, 8.0, secular_tol=1e-6, processes=("AE", "AA"))
    assert rel_diff(full, Rref) < 1e-10
    assert rel_diff(full, Rref_no_ee) > 1e-3


def test_temperature_stack_cache_and_orders_are_consistent():
    H, V, w = kramers_model(seed=2, n_modes=15)
    Ts = np.array([5.0, 30.0, 120.0])
    m = SpinPhononRates(H, V, w, 5.0)
    stack = m.superoperator(Ts, 4)  # first call fills the cache (the virtual part only)
    info = m.cache_info()
    assert set(info) == {"virtual"} and info["virtual"][0] > 0 and info["virtual"][1] > 0
    for k, T in enumerate(Ts):
        assert rel_diff(m.superoperator(T, 4), stack[k]) < 1e-13  # served from the cache
    uncached = SpinPhononRates(H, V, w, 5.0, cache_bytes=0)
    assert rel_diff(uncached.superoperator(Ts, 4), stack) < 1e-13
    assert uncached.cache_info() == {}
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

    No T-matrix denominator comes within 4.8 cm^-1 of zero (no real intermediate state at widths
    below ~0.8 cm^-1; wider lines put the closest paths inside the resonance window).
    """
    H, V, _ = kramers_model(seed=2, n_modes=3, field=field)
    w = np.arange(15.0, 32.0, 0.1)
    return H, V[np.arange(w.size) % 3], w


def _balance_error_4(width, shape="gaussian", T=(20.0, 60.0)):
    """Worst |ln(up/down) + dE/kT| over the pairs of non-degenerate levels that some pair of modes
    connects, over the temperatures T, and the number of such pairs."""
    H, V, w = band_model()
    m = SpinPhononRates(H, V, w, width, shape)
    E = m.energies

    def skip(a, b, up, down):
        return E[b] - E[a] < 1.0 or down == 0.0  # degenerate partners, or a gap no pair of modes can bridge

    worst, checked = detailed_balance_errors(m.superoperator(np.array(T), 4), E, T, skip=skip)
    return worst, len(checked)


@pytest.mark.parametrize("width, shape, n_pairs", [
    (0.5, "gaussian", 8), (2.0, "gaussian", 8), (5.0, "gaussian", 12), (2.0, "lorentzian", 12),
])
def test_detailed_balance_is_exact_at_any_width(width, shape, n_pairs):
    # Bose factors at the energy-conserving shifted phonon energies (shared by a process and its
    # reverse) and T-matrix denominators that make the reverse amplitude the exact Hermitian
    # conjugate: up/down = exp(-dE/kT) to round-off at any width (measured worst ~1e-15; with the
    # Bose factors at w_a, w_b it was off by ~(width/kT)^2). n_pairs: 0,1 <-> 2,3 (absorb/emit both)
    # and 2,3 <-> 4,5; at 5 cm^-1 (Gaussian) and for the Lorentzian's long tail also 0,1 <-> 4,5.
    worst, checked = _balance_error_4(width, shape)
    assert checked == n_pairs
    assert worst < 1e-10


@pytest.mark.parametrize("field", [(0.0, 0.0, 0.0), (0.0, 0.0, 1.0)])
@pytest.mark.filterwarnings("error")  # the stationary state must be unique
def test_steady_state_is_gibbs(field):
    # Exact detailed balance makes the Gibbs state of H_s stationary, alone (order 4) and with the
    # one-phonon rates ("2+4"), at zero field too (Kramers doublets; the stationary state is still
    # unique here). Measured trace distance <= 6e-16 (it used to shrink only as width^2).
    H, V, w = band_model(field)
    T = 20.0
    cases = [(0.5, "gaussian"), (5.0, "gaussian")] + ([(2.0, "lorentzian")] if field[2] == 0.0 else [])
    for width, shape in cases:
        m = SpinPhononRates(H, V, w, width, shape)
        p = np.exp(-(m.energies - m.energies[0]) / (KB_CM * T))
        gibbs = np.diag(p / p.sum())
        for order in (4, "2+4"):
            rho = steady_state(m.superoperator(T, order))
            dist = 0.5 * np.abs(np.linalg.eigvalsh(rho - gibbs)).sum()  # trace distance
            assert dist < 1e-10, (width, shape, order, dist)


def test_eta_enters_only_the_resonant_part():
    # Orders 4 and "2+4" have no regularization: the virtual denominators are 1/x outside the
    # resonance window and 0 inside it, so eta changes them by exactly nothing.
    H, V, w = band_model()
    m0, m1, m2 = (SpinPhononRates(H, V, w, 1.0, eta=eta) for eta in (0.0, 1e-2, 1e-1))
    R4 = m0.superoperator(20.0, 4)
    assert np.array_equal(m2.superoperator(20.0, 4), R4)
    assert np.array_equal(m2.superoperator(20.0, "2+4"), m0.superoperator(20.0, "2+4"))
    # eta is the extra Lorentzian width of the intermediate state in "4-resonant" (the sequential
    # part, for inspection). This bath has no real intermediate state (every |x| >= 4.8 widths), so
    # at eta = 0 that part is only the far Gaussian wing (measured 4e-12 of order 4); for eta > 0 it
    # is the Lorentzian wing eta/x^2 of the intermediate state, so its rates grow as eta^2
    # (measured 2.4e-6 and 2.4e-4 of order 4 at eta = 0.01 and 0.1 cm^-1).
    size = [np.abs(m.superoperator(20.0, "4-resonant")).max() / np.abs(R4).max() for m in (m0, m1, m2)]
    assert size[0] < 1e-10
    assert 1e-6 < size[1] < 1e-5
    assert size[2] / size[1] == pytest.approx(100.0, rel=0.01)


def test_lineshape_truncation_effect_is_bounded():
    """The truncation level only decides which pairs of modes are kept (it sets no resonance window,
    no eta): the rates change by the line area it cuts off (``tail_weight``), not more.

    Gaussian (pair width 3 sqrt 2 cm^-1): against a 1e-12 truncation, rel. change 1.29e-6 at 1e-5
    (lost area 1.60e-6) and 7.5e-10 at the default 1e-8 (lost area 1.28e-9); for a continuum of
    pairs with flat couplings it would equal the lost area, for this 12-mode bath it is 0.6-0.8 of
    it, asserted below 2x. Lorentzian (pair HWHM 6 cm^-1): at 1e-4 the window (600 cm^-1) already
    holds every pair (largest |w_fi - Omega| ~ 330 cm^-1), so 1e-4 and 1e-7 give bitwise identical
    rates; at 1e-2 (window 60 cm^-1) the long tails matter: rel. change 0.152 for a lost area of
    0.064 (the sparse bath puts 2.4x the continuum share beyond the window), asserted below 3x.
    """
    H, V, w = kramers_model(seed=4, n_modes=12)
    E = np.linalg.eigvalsh(H)
    gauss, lor = lineshape("gaussian"), lineshape("lorentzian")

    def R(shape, cutoff):
        return SpinPhononRates(H, V, w, 3.0, shape, cutoff=cutoff).superoperator(40.0, 4)

    exact = R("gaussian", 1e-12)
    for loose in (1e-5, None):  # None: the default 1e-8
        change = rel_diff(R("gaussian", loose), exact)
        assert 0 < change < 2 * gauss.tail_weight(3.0 * np.sqrt(2.0), loose), loose

    reach = lor.cutoff_distance(6.0, 1e-4)  # pair HWHM 3 + 3 cm^-1
    largest = np.ptp(E) + 2 * w.max()  # |w_fi - Omega| of the emit-both/absorb-both pairs
    assert reach > largest
    exact = R("lorentzian", 1e-7)
    assert np.array_equal(R("lorentzian", 1e-4), exact)
    assert lor.cutoff_distance(6.0, 1e-2) < largest
    change = rel_diff(R("lorentzian", 1e-2), exact)
    assert 0.0 < change < 3 * lor.tail_weight(6.0, 1e-2)


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


@pytest.mark.parametrize("shape", ["gaussian", "lorentzian"])
@pytest.mark.parametrize("common", [True, False])
def test_compiled_window_equals_the_truncated_lineshape(shape, common):
    # The sweep's compiled window (which pairs count, and (1/2) sqrt(g) on them) against
    # Lineshape.truncated evaluated on the whole grid, for each process sign and the a = b weight.
    from spinbath.quantum.spin_phonon import _LINE_KINDS, _window_kernels

    keep_k, scaled_k = _window_kernels()
    ls = lineshape(shape)
    rng = np.random.default_rng(3)
    wa, wb = np.sort(rng.uniform(10, 90, 9)), np.sort(rng.uniform(5, 95, 40))
    freqs = np.array([-30.0, -30.0 + 1e-9, 12.5, 60.0])
    width = np.full((1, 1), 4.0) if common else rng.uniform(2.0, 6.0, (wa.size, wb.size))
    cut = np.asarray(ls.cutoff_distance(width, 1e-6))
    lo, hi = np.zeros(wa.size, np.int64), np.full(wa.size, wb.size, np.int64)
    lo[3], hi[5] = 10, 20  # partner ranges that exclude part of the grid
    diag = rng.integers(0, wb.size, wa.size)
    for sign, omega in enumerate((wa[:, None] - wb, wa[:, None] + wb, -(wa[:, None] + wb))):
        g = ls.truncated(freqs[:, None, None] - omega[None], width, 1e-6)
        g[:, ~((np.arange(wb.size) >= lo[:, None]) & (np.arange(wb.size) < hi[:, None]))] = 0.0
        keep = keep_k(wa, wb, lo, hi, sign, freqs, cut)
        assert np.array_equal(keep, np.flatnonzero(g.reshape(freqs.size, -1).any(axis=0)))
        half = np.where(np.arange(wb.size)[None, :] == diag[:, None], 0.5, 1.0)
        want = 0.5 * np.sqrt(g * half[None]).reshape(freqs.size, -1)[:, keep]
        Z = np.ones((freqs.size, wa.size * wb.size), dtype=complex)
        got = scaled_k(Z, keep, wa, wb, sign, freqs, width, cut, _LINE_KINDS.index(shape), diag,
                       np.ones(0, complex), 0, np.zeros((0, 0)))
        np.testing.assert_allclose(got.real, want, rtol=1e-13, atol=0)
        assert keep.size > 0 and not np.any(got.imag)


@pytest.mark.parametrize("process", ["AE", "AA", "EE"])
def test_fused_small_cluster_pass_equals_weights_and_products(process):
    # The compiled pass of small clusters (weights and products formed per pair, never laid out)
    # adds the same terms as the thermal weights of _pair_weights_at contracted with the products
    # (_accumulate_two), pairs with a non-positive shifted phonon energy (weight 0) included.
    from spinbath.quantum.spin_phonon import (
        SYRK_MIN_ELEMENTS, _accumulate_pairs, _accumulate_two, _Chunk, _Cluster, _pair_weights_at,
    )

    rng = np.random.default_rng(11)
    m, A, B = 4, 7, 23
    assert m < SYRK_MIN_ELEMENTS
    wa, wb = np.sort(rng.uniform(5, 95, A)), np.sort(rng.uniform(5, 95, B))
    omega = {"AE": 40.0, "AA": 20.0, "EE": -20.0}[process]
    keep = np.sort(rng.choice(A * B, size=120, replace=False))
    Z = rng.normal(size=(m, keep.size)) + 1j * rng.normal(size=(m, keep.size))
    cl = _Cluster(f=np.arange(m), i=np.arange(m)[::-1].copy(), freqs=np.full(m, omega), iu=np.triu_indices(m),
                  omega=omega)
    ch = _Chunk(0, process, Z, np.arange(A), 0, B, keep)
    T = np.array([3.0, 20.0, 77.0, 300.0])
    ia, ib = np.divmod(keep, B)
    W = _pair_weights_at(process, wa, wb, ia, ib, omega, T)
    assert (W == 0).any(axis=1).any() and (W > 0).any()  # both kinds of pairs occur
    want = np.zeros((T.size, m * (m + 1) // 2), dtype=complex)
    _accumulate_two(want, cl, ch, W)
    got = np.zeros_like(want)
    _accumulate_pairs(got, cl, ch, wa, wb, T)
    assert rel_diff(got, want) < 1e-13
