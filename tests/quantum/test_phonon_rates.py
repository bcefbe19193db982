"""One- and two-phonon rates with spectral channels: closed forms and the textbook power laws.

Every test checks a law or a number: the golden rule, the Lorentzian-overlap Raman formula behind
Gu and Wu's eq. (4), tau ~ T^-1 (direct, Debye), Raman T^-9 (Kramers) and T^-7 (non-Kramers),
two-phonon emission at T = 0, invariance under the identity part of a coupling, and the split of
resonant (real) and virtual intermediate states. Units: cm^-1, K, s^-1.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from spinbath.baths.spectral import (
    DampedOscillator,
    Debye,
    SpectralBath,
    SpectralChannel,
    coupling_operator,
    damped_oscillator_norm,
    named_operator,
)
from spinbath.quantum.phonon_rates import RATE_PREFACTOR, PhononRates, quasi_degenerate_clusters
from spinbath.spins.operators import spin_matrices
from spinbath.spins.stevens import stevens
from spinbath.units import HBAR_CM_S, KB_CM, MUB_CM, bose_einstein

SX = np.array([[0, 1], [1, 0]], dtype=complex)


def two_level(splitting: float) -> np.ndarray:
    """Upper state first in the basis; eigenstate 0 is the lower, 1 the upper (cm^-1)."""
    return np.diag([splitting / 2, -splitting / 2]).astype(complex)


def loglog_slope(T, y) -> float:
    return float(np.polyfit(np.log(T), np.log(y), 1)[0])


def doublet_rate(W) -> np.ndarray:
    return W[:, 0, 1] + W[:, 1, 0]


# ---------------------------------------------------------------------- spectral functions
@pytest.mark.parametrize("wa, gamma", [(20.0, 3.0), (100.0, 0.5), (10.0, 10.0), (10.0, 20.0)])
def test_damped_oscillator_weight_has_the_closed_form(wa, gamma):
    # Underdamped, critical and overdamped branches of the closed form against direct quadrature.
    numeric = quad(DampedOscillator(wa, gamma), 0, np.inf, limit=500, epsrel=1e-11)[0]
    assert damped_oscillator_norm(wa, gamma) == pytest.approx(numeric, rel=1e-8)


def test_damped_oscillator_is_a_unit_lorentzian_at_the_peak_and_ohmic_at_low_frequency():
    wa, g = 100.0, 1.0
    B = DampedOscillator(wa, g)
    x = np.linspace(-3 * g, 3 * g, 13)
    lorentz = (g / np.pi) / (x**2 + g**2)
    assert np.max(np.abs(B(wa + x) / lorentz - 1)) < 2e-2  # O(x / w_a) shape corrections
    w = np.array([1e-4, 1e-3])
    assert np.allclose(B(w) / w, 4 * g / (np.pi * wa**3), rtol=1e-6)  # linear, not a constant
    assert B(-1.0) == 0.0 and B(0.0) == 0.0
    assert 1 - damped_oscillator_norm(wa, g) == pytest.approx(2 * g / (np.pi * wa), rel=0.05)


def test_debye_branch_is_normalized_and_cut_at_the_debye_energy():
    D = Debye(40.0)
    assert quad(D, 0, 40.0)[0] == pytest.approx(1.0, rel=1e-12)
    assert D(40.5) == 0.0 and D(20.0) == pytest.approx(4 * 20.0**3 / 40.0**4)


def test_named_operators_and_stevens_terms_build_the_expected_matrices():
    Sx, Sy, Sz = spin_matrices(2)
    assert np.allclose(named_operator(2, "SxSz"), (Sx @ Sz + Sz @ Sx) / 2)
    assert np.allclose(named_operator(2, "Sz^2"), Sz @ Sz)
    V = coupling_operator(2, {(2, 2): 0.5}, {"Sx": 0.2})
    assert np.allclose(V, 0.5 * (Sx @ Sx - Sy @ Sy) + 0.2 * Sx)
    with pytest.raises(ValueError, match="unknown operator name 'Sq'"):
        named_operator(2, "Sq")


# ---------------------------------------------------------------------- one phonon
def test_one_phonon_rates_are_the_golden_rule_with_exact_detailed_balance():
    delta, v, wd = 0.8, 0.3, 40.0
    bath = SpectralBath((SpectralChannel("d", Debye(wd), v * SX),))
    T = np.array([0.5, 2.0, 10.0])
    W = PhononRates(two_level(delta), bath).one_phonon(T)
    n = bose_einstein(delta, T)
    B = 4 * delta**3 / wd**4
    assert np.allclose(W[:, 0, 1], 2 * np.pi / HBAR_CM_S * v**2 * B * (n + 1), rtol=1e-12)  # emission
    assert np.allclose(W[:, 1, 0] / W[:, 0, 1], np.exp(-delta / (KB_CM * T)), rtol=1e-12)
    assert RATE_PREFACTOR == pytest.approx(2 * np.pi / HBAR_CM_S)


def test_direct_process_with_debye_phonons_gives_tau_proportional_to_inverse_T():
    # Splitting 0.5 cm^-1 << k_B T = 3.5 .. 35 cm^-1: W_up + W_down = 2 pi |V|^2 B(Delta) coth / hbar.
    bath = SpectralBath((SpectralChannel("d", Debye(50.0), 0.1 * SX),))
    T = np.geomspace(5.0, 50.0, 10)
    rate = doublet_rate(PhononRates(two_level(0.5), bath).one_phonon(T))
    assert abs(loglog_slope(T, 1.0 / rate) + 1.0) < 0.05


# ---------------------------------------------------------------------- Raman through one broadened mode
def _quadratic_only_bath(wa, gamma, a):
    """One broadened mode, no linear coupling, quadratic coupling W = d^2H/dq^2 = a sigma_x."""
    return SpectralBath((SpectralChannel("m", DampedOscillator(wa, gamma), np.zeros((2, 2))),),
                        {("m", "m"): a * SX})


def test_raman_through_one_broadened_mode_matches_the_vibronic_barrier_law():
    # Gu-Wu eq. (4) in spinbath's convention (a = <l|d2H/dq2|u>, q = b + b^+, Delta << Gamma):
    #   W = (2 pi/hbar) |a|^2 n(n+1) int B(w) B(w + Delta) dw = 4 Gamma |a|^2 n(n+1) / (Delta^2 + 4 Gamma^2) / hbar
    # with n = n(w_a); n(n+1) -> exp(-w_a / k_B T). Window 0.07 < k_B T / w_a < 0.21: below, the
    # ohmic tails of B (B ~ w at w -> 0) give a T^3 law that wins (next test); above, k_B T ~ w_a.
    wa, g, delta, a = 100.0, 0.5, 0.1, 0.3
    rates = PhononRates(two_level(delta), _quadratic_only_bath(wa, g, a))
    T = np.array([10.0, 14.0, 20.0, 30.0])
    W = rates.two_phonon(T)["raman"][:, 0, 1]  # downhill u -> l
    n = bose_einstein(wa, T)
    closed = 4 * g * a**2 / (delta**2 + 4 * g**2) * n * (n + 1) / HBAR_CM_S
    assert np.all(np.abs(W / closed - 1) < 0.02)


def test_raman_lorentzian_overlap_sets_the_splitting_dependence():
    # Delta = 2 Gamma: the overlap (2 Gamma / pi) / (Delta^2 + 4 Gamma^2) halves the rate; Bose
    # factors at the centre of the overlap, n(w_a - Delta/2) (n(w_a + Delta/2) + 1).
    wa, g, a = 100.0, 0.5, 0.3
    T = np.array([12.0, 20.0, 30.0])
    for delta in (1.0, 2.0):
        W = PhononRates(two_level(delta), _quadratic_only_bath(wa, g, a)).two_phonon(T)["raman"][:, 0, 1]
        n1, n2 = bose_einstein(wa - delta / 2, T), bose_einstein(wa + delta / 2, T)
        closed = 4 * g * a**2 / (delta**2 + 4 * g**2) * n1 * (n2 + 1) / HBAR_CM_S
        assert np.all(np.abs(W / closed - 1) < 0.02), delta


def test_raman_of_a_broadened_mode_follows_T3_below_the_exponential_window():
    # B(w) ~ 4 Gamma w / (pi w_a^3) at low w, so once exp(-w_a/k_BT) is negligible
    #   W = (2 pi/hbar) |a|^2 int B^2 n(n+1) dw = (2 pi/hbar) |a|^2 16 Gamma^2 (k_B T)^3 / (3 w_a^6)
    # (int x^2 e^x / (e^x - 1)^2 dx = pi^2 / 3).
    wa, g, a = 100.0, 0.5, 0.3
    rates = PhononRates(two_level(0.01), _quadratic_only_bath(wa, g, a))
    T = np.array([1.0, 1.5, 2.0, 2.5])
    W = rates.two_phonon(T)["raman"][:, 0, 1]
    closed = RATE_PREFACTOR * a**2 * 16 * g**2 * (KB_CM * T) ** 3 / (3 * wa**6)
    assert np.all(np.abs(W / closed - 1) < 0.02)
    assert abs(loglog_slope(T, W) - 3.0) < 0.05


# ---------------------------------------------------------------------- Raman through Debye phonons
def test_two_phonon_raman_through_debye_phonons_is_T9_for_a_kramers_doublet():
    # S = 3/2, D = -100 cm^-1 (+-1/2 at 200 cm^-1), w_D = 50 cm^-1, k_B T = 0.35 .. 3.5 cm^-1.
    # Two branches with different operators (O_2^2 and O_2^1): the w-independent part of the
    # amplitude cancels between Kramers partners (Van Vleck), the rest is ~ w: T^9.
    J = 1.5
    Sz = spin_matrices(J)[2]
    H = -100 * Sz @ Sz + 1e-7 * MUB_CM * 2 * Sz  # probe field: states of definite M
    two = SpectralBath((SpectralChannel("a", Debye(50.0), stevens(J, 2, 2)),
                        SpectralChannel("b", Debye(50.0), stevens(J, 2, 1))))
    T = np.geomspace(0.5, 5.0, 6)
    R = doublet_rate(PhononRates(H, two).two_phonon(T)["raman"])
    assert abs(loglog_slope(T, R) - 9.0) < 0.2
    # One branch with both operators: the antisymmetric (a != b) term is gone, the rate vanishes
    # to round-off (time reversal).
    one = SpectralBath((SpectralChannel("a", Debye(50.0), stevens(J, 2, 2) + stevens(J, 2, 1)),))
    R1 = doublet_rate(PhononRates(H, one).two_phonon(T)["raman"])
    assert np.all(R1 < 1e-9 * R)


def test_two_phonon_raman_through_debye_phonons_is_T7_for_a_non_kramers_doublet():
    # S = 1, D = -200 cm^-1, E = 0.01 cm^-1 (doublet split 0.02 cm^-1 << k_B T), path through M = 0.
    J = 1
    Sz = spin_matrices(J)[2]
    H = -200 * Sz @ Sz + 0.01 * stevens(J, 2, 2)
    bath = SpectralBath((SpectralChannel("a", Debye(100.0), stevens(J, 2, 1)),
                         SpectralChannel("b", Debye(100.0), stevens(J, 2, -1))))
    T = np.geomspace(0.5, 5.0, 6)
    R = doublet_rate(PhononRates(H, bath).two_phonon(T)["raman"])
    assert abs(loglog_slope(T, R) - 7.0) < 0.2


def test_two_phonon_emission_at_zero_temperature_has_the_beta_function_closed_form():
    # Emit w1 + w2 = Delta through a quadratic coupling a sigma_x and Debye phonons at T -> 0:
    #   W = (2 pi/hbar) (1/2) |a|^2 int_0^Delta B(w) B(Delta - w) dw = (2 pi/hbar) |a|^2 8 Delta^7 / (140 w_D^8).
    delta, wd, a = 10.0, 50.0, 0.2
    bath = SpectralBath((SpectralChannel("d", Debye(wd), np.zeros((2, 2))),), {("d", "d"): a * SX})
    W = PhononRates(two_level(delta), bath).two_phonon([0.3])["sum"][0, 0, 1]
    closed = RATE_PREFACTOR * a**2 * 8 * delta**7 / (140 * wd**8)
    assert W == pytest.approx(closed, rel=1e-3)


# ---------------------------------------------------------------------- structure of the T-matrix
def _s2_model(shift: float = 0.0):
    """S = 2, D = -26 cm^-1, small E, 0.1 T: three modes and a Debye branch, coupling + shift * 1."""
    J = 2
    Sz = spin_matrices(J)[2]
    H = -26 * Sz @ Sz + 0.3 * stevens(J, 2, 2) + MUB_CM * 2 * 0.1 * Sz
    eye = np.eye(5)
    ch = (
        SpectralChannel("m0", DampedOscillator(22.0, 2.0),
                        0.1 * stevens(J, 2, 1) + 0.05 * stevens(J, 2, 2) + shift * eye),
        SpectralChannel("m1", DampedOscillator(43.0, 3.0), 0.08 * stevens(J, 2, -2) + 0.06 * stevens(J, 2, -1)),
        SpectralChannel("m2", DampedOscillator(77.0, 3.0), 0.05 * stevens(J, 2, 1) + shift * eye),
        SpectralChannel("d0", Debye(30.0), 0.01 * stevens(J, 2, 2) + 0.01 * stevens(J, 2, 1) + shift * eye),
    )
    return H, SpectralBath(ch, {("m0", "m1"): 0.01 * stevens(J, 2, 2)})


def test_the_identity_part_of_a_coupling_changes_no_rate():
    # V -> V + c 1 moves all levels together: no transition. In the two-phonon amplitude the two
    # time orders through c = n and c = m cancel exactly, which needs principal-value (not
    # retarded) denominators for the intermediate states inside the doublet.
    T = np.array([3.0, 10.0, 30.0])
    ref = PhononRates(*_s2_model(0.0)).rates(T)
    new = PhononRates(*_s2_model(5.0)).rates(T)
    for key in ref:
        scale = np.abs(ref[key]).max()
        assert np.allclose(new[key], ref[key], rtol=1e-6, atol=1e-9 * scale), key


def test_resonant_part_scales_as_one_over_eta_and_the_virtual_part_converges():
    # S = 1, D = -30 cm^-1: M = 0 at 30 cm^-1 above the ground doublet; a mode at 20 cm^-1 (width
    # 3) reaches the resonance w1 = 30 cm^-1 in its tail. The eta-broadened real (Orbach) part
    # of |T|^2 ~ pi / eta; the virtual remainder has a finite eta -> 0 limit.
    J = 1
    Sz = spin_matrices(J)[2]
    H = -30 * Sz @ Sz + 0.05 * stevens(J, 2, 2)
    bath = SpectralBath((SpectralChannel("m", DampedOscillator(20.0, 3.0),
                                         0.3 * stevens(J, 2, 1) + 0.2 * stevens(J, 2, -1)),))
    virt, res = [], []
    for eta in (0.125, 0.25, 0.5):
        W = PhononRates(H, bath, eta=eta).two_phonon([10.0])
        virt.append(doublet_rate(W["raman"])[0])
        res.append(doublet_rate(W["raman-resonant"])[0])
    assert res[0] / res[1] == pytest.approx(2.0, rel=0.03) and res[1] / res[2] == pytest.approx(2.0, rel=0.06)
    assert abs(virt[0] / virt[2] - 1) < 0.01


def test_adaptive_quadrature_agrees_with_a_dense_grid():
    # Narrow peaks, resonances and the Debye edge in one integrand: quad_vec with breakpoints
    # against the trapezoid rule on 4e5 points (error ~1e-7 here), at three temperatures at once.
    H, bath = _s2_model()
    rates = PhononRates(H, bath)
    T = np.array([2.0, 8.0, 40.0])
    W = rates.two_phonon(T)
    got = W["raman"][:, 0, 1] + W["raman-resonant"][:, 0, 1]
    pd = rates._pair_data([(0, 1)])
    E = rates.energies
    x = np.linspace(1e-7, bath.extent() + 50 * KB_CM * T.max(), 400_001)
    K = []
    for i in range(0, x.size, 50_000):
        w1 = x[None, i:i + 50_000]
        w2 = w1 + pd.omega[:, None]
        K.append(rates._kernel(pd, w1, w2, E[1] - E[None, None, :] + w1[..., None],
                               E[1] - E[None, None, :] - w2[..., None]).sum(axis=0)[0])
    K = np.concatenate(K)
    for t, g in zip(T, got):
        dense = RATE_PREFACTOR * np.trapezoid(K * bose_einstein(x, t) * (bose_einstein(x + pd.omega[0], t) + 1), x)
        assert g == pytest.approx(dense, rel=1e-4)


def test_quasi_degenerate_clusters():
    assert quasi_degenerate_clusters([0, 0.3, 78, 78.5, 104]).tolist() == [0, 0, 1, 1, 2]
    assert quasi_degenerate_clusters([0, 1e-7, 200, 200 + 1e-7]).tolist() == [0, 0, 1, 1]
    assert quasi_degenerate_clusters([0, 10, 20, 30]).tolist() == [0, 1, 2, 3]


# ---------------------------------------------------------------------- bad input
def test_bad_input_is_rejected_with_a_message():
    bath = SpectralBath((SpectralChannel("d", Debye(50.0), SX),))
    with pytest.raises(ValueError, match="eta"):
        PhononRates(two_level(1.0), bath, eta=0.0)
    with pytest.raises(ValueError, match="shape mismatch"):
        PhononRates(np.eye(3), bath)
    with pytest.raises(ValueError, match="temperatures"):
        PhononRates(two_level(1.0), bath).one_phonon([0.0, 4.0])
    with pytest.raises(ValueError, match="mode width"):
        DampedOscillator(20.0, -1.0)
    with pytest.raises(ValueError, match="not Hermitian"):
        SpectralChannel("x", Debye(10.0), np.array([[0, 1], [0, 0]]))
    with pytest.raises(ValueError, match="unknown channel 'zz'"):
        SpectralBath((SpectralChannel("d", Debye(50.0), SX),), {("d", "zz"): SX})
