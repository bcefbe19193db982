"""Second-order (one-phonon) spin-phonon rates: hand-computed rates, detailed balance, Gibbs steady
state, Kramers T2 = 2 T1, an independent Bloch-Redfield construction (QuTiP) and the Orbach law."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import constants

from spinbath.baths.lineshapes import lineshape
from spinbath.quantum.liouville import (
    change_basis, hermiticity_preservation_error, is_completely_positive, superoperator_to_tensor,
    trace_preservation_error,
)
from spinbath.quantum.relaxation import coherence_times, relaxation_time_details, steady_state
from spinbath.quantum.spin_phonon import RATE_PREFACTOR, SpinPhononRates, spin_phonon_superoperator
from spinbath.spins.operators import spin_matrices
from spinbath.units import KB_CM
from helpers import crystal_field, detailed_balance_errors, kramers_model, quadrupoles, time_even_couplings


def gibbs_populations(E, T):
    p = np.exp(-(E - E.min()) / (KB_CM * T))
    return p / p.sum()


# ----------------------------------------------------------------------------- hand-computed rate
@pytest.mark.parametrize("shape", ["gaussian", "lorentzian"])
def test_two_level_one_mode_rate_by_hand(shape):
    delta, v, w, width, T = 50.0, 0.7, 47.0, 4.0, 35.0  # cm^-1, cm^-1, cm^-1, cm^-1, K
    H = np.diag([0.0, delta])
    V = np.array([[[0.0, v], [v, 0.0]]])
    E, R = spin_phonon_superoperator(H, V, [w], T, 2, width, shape)
    # By hand, with constants taken straight from CODATA: 1/hbar = 2 pi c [s^-1 per cm^-1].
    c_cm = constants.c * 100.0
    kT = constants.k * T / (constants.h * c_cm)  # cm^-1
    # Bose factor at the Bohr frequency |w_fi| = delta (the energy the phonon must carry to conserve
    # energy), not at the mode energy w = 47 cm^-1: n(47) / n(50) = 1.15 at 35 K.
    n = 1.0 / np.expm1(delta / kT)

    def G(x):
        if shape == "gaussian":
            return np.exp(-x**2 / (2 * width**2)) / (width * np.sqrt(2 * np.pi))
        return (width / np.pi) / (x**2 + width**2)

    # Only one line per direction: 0 -> 1 (w_fi = +delta) absorbs, weight n(delta) G(delta - w);
    # 1 -> 0 (w_fi = -delta) emits, weight (n(delta) + 1) G(-delta + w). The other line's tail
    # (G(delta + w), non-zero for the Lorentzian) would need a phonon of negative energy: not counted.
    up = 2 * np.pi * v**2 * G(delta - w) * n * (2 * np.pi * c_cm)
    down = 2 * np.pi * v**2 * G(-delta + w) * (n + 1) * (2 * np.pi * c_cm)
    Rt = superoperator_to_tensor(R)
    assert np.allclose(E, [0.0, delta])
    assert Rt[1, 1, 0, 0].real == pytest.approx(up, rel=1e-12)  # 0 -> 1 absorbs a phonon
    assert Rt[0, 0, 1, 1].real == pytest.approx(down, rel=1e-12)  # 1 -> 0 emits one
    assert Rt[0, 0, 0, 0].real == pytest.approx(-up, rel=1e-12)
    # Hence detailed balance holds exactly even though the line is centred 3 cm^-1 off shell.
    assert np.log(Rt[1, 1, 0, 0].real / Rt[0, 0, 1, 1].real) == pytest.approx(-delta / kT, rel=1e-12)
    # T2 = 2 T1 for this pure-relaxation model, T1 = 1 / (up + down).
    T1, T2, T2s = coherence_times(R, (0, 1))
    assert T1 == pytest.approx(1 / (up + down), rel=1e-12)
    assert T2 == pytest.approx(2 * T1, rel=1e-12)
    assert T2s == np.inf


def test_rate_prefactor_is_two_pi_over_hbar():
    hbar_cm_s = constants.hbar / (constants.h * constants.c * 100.0)  # hbar in cm^-1 s
    assert RATE_PREFACTOR == pytest.approx(2 * np.pi / hbar_cm_s, rel=1e-14)


# ----------------------------------------------------------------------------- structure
@pytest.mark.parametrize("shape", ["gaussian", "lorentzian"])
def test_generator_is_trace_and_hermiticity_preserving_and_cp(shape):
    H, V, w = kramers_model(seed=1, field=(0.0, 0.0, 0.2))
    _, R = spin_phonon_superoperator(H, V, w, 40.0, 2, 5.0, shape)
    assert trace_preservation_error(R) < 1e-13
    assert hermiticity_preservation_error(R) == 0.0
    assert is_completely_positive(R)


# ----------------------------------------------------------------------------- detailed balance
def continuum_model(field=(0.0, 0.0, 0.5)):
    """J = 5/2 model with a quasi-continuum bath: modes every 0.05 cm^-1 cycling through three
    coupling operators (one operator alone leaves a conserved quantity at zero field).

    With the Bose factor taken at the Bohr frequency (the energy-conserving phonon energy) the rate
    ratio of a process and its reverse is exactly exp(-dE/kT) at any width and for any lineshape;
    with the Bose factor at the phonon energy it would be off by O((width/kT)^2) (kT = 21-42 cm^-1
    here, widths up to 30 cm^-1).
    """
    H, V, _ = kramers_model(seed=2, n_modes=3, field=field)
    w = np.arange(1.0, 200.0, 0.05)
    return H, V[np.arange(w.size) % 3], w


def _balance_error(width, shape, T=(30.0, 60.0)):
    """Worst |ln(R_bb,aa / R_aa,bb) + (E_b - E_a)/kT| over all pairs of levels and the temperatures
    T, and the number of pairs (every pair must have positive rates both ways)."""
    H, V, w = continuum_model()
    m = SpinPhononRates(H, V, w, width, shape)
    worst, checked = detailed_balance_errors(m.superoperator(np.array(T), 2), m.energies, T)
    return worst, len(checked)


@pytest.mark.parametrize("shape", ["gaussian", "lorentzian"])
def test_detailed_balance_is_exact_at_any_width(shape):
    # All 15 pairs, the Zeeman partners (~0.3 cm^-1 apart) included, at 30 and 60 K and widths from
    # narrow to wider than kT: measured worst error ~1e-14 (round-off of E/kT), for both lineshapes.
    for width in (2.0, 8.0, 30.0):
        worst, checked = _balance_error(width, shape)
        assert checked == 15
        assert worst < 1e-10, (width, worst)


@pytest.mark.parametrize("field", [(0.0, 0.0, 0.0), (0.0, 0.0, 0.5)])
@pytest.mark.parametrize("shape", ["gaussian", "lorentzian"])
@pytest.mark.filterwarnings("error")  # the stationary state must be unique
def test_steady_state_is_gibbs(field, shape):
    # Exact detailed balance makes the Gibbs state of H_s the stationary state at any width
    # (measured trace distance <= 4e-15; it used to shrink only as (width / kT)^2).
    H, V, w = continuum_model(field)
    T = 40.0
    for width in (2.0, 30.0):
        m = SpinPhononRates(H, V, w, width, shape)
        rho = steady_state(m.superoperator(T, 2))
        gibbs = np.diag(gibbs_populations(m.energies, T))
        dist = 0.5 * np.abs(np.linalg.eigvalsh(rho - gibbs)).sum()  # trace distance
        assert dist < 1e-10, (width, dist)


# ----------------------------------------------------------------------------- Kramers doublet
@pytest.mark.parametrize("field", [(0.0, 0.0, 0.0), (0.0, 0.0, 1e-4), (1e-4, 0.0, 0.0)])
@pytest.mark.parametrize("shape", ["gaussian", "lorentzian"])
def test_kramers_ground_doublet_has_no_pure_dephasing_at_second_order(field, shape):
    H, V, w = kramers_model(seed=5, field=field)
    m = SpinPhononRates(H, V, w, 5.0, shape, secular_tol=1e-3)
    R = m.superoperator(50.0, 2)
    # Exact (measured |T2 / 2 T1 - 1| <= 1e-16): the w ~ 0 cluster of the diagonal, which here holds
    # the doublet split by the 1e-4 T probe too (secular_tol 1e-3 cm^-1), has no one-phonon weight.
    T1, T2, T2s = coherence_times(R, (0, 1))
    assert np.isfinite(T1)
    assert T2 == pytest.approx(2 * T1, rel=1e-12)
    assert T2s == np.inf


@pytest.mark.parametrize("shape", ["gaussian", "lorentzian"])
def test_second_order_never_dephases_a_kramers_doublet_even_with_a_time_odd_coupling(shape):
    """Pure dephasing of the doublet (pair (0, 1) in the Jz basis) needs a jump at Bohr frequency
    w = 0, which at second order would need a phonon of zero energy: its weight is 0 (n(0) has no
    meaning and the secular cluster of the diagonal gets no one-phonon term). So T2* is infinite
    and T2 = 2 T1 exactly at second order for ANY coupling, not only for time-even ones (for which
    the doublet block of V^a is a multiple of the identity anyway). The time-odd coupling added here
    (0.5 Jz on every mode) makes V_00 - V_11 = 2.5 cm^-1 per mode, the element a w = 0 channel would
    use (with the previous convention the Lorentzian tail at w = 0 dephased through it), so T2* = inf
    is the zero weight at w = 0, not a vanishing matrix element. At fourth order the two-phonon
    Raman process with Omega = w_a - w_b ~ 0 is a real w = 0 process: it dephases the doublet for
    both couplings (measured T2* ~ 1.2-1.8 us at 50 K, T2 ~ 1e-8 s), and "2+4" has exactly that T2*.
    """
    J = 2.5
    Jz0 = spin_matrices(J)[2]
    H, V, w = kramers_model(seed=5)
    odd = 0.5 * Jz0[None] * np.ones((V.shape[0], 1, 1))
    for label, VV in (("time-even", V), ("time-odd", V + odd)):
        # basis_operator: the doublet basis is |+>, |-> (Jz diagonal in it).
        m = SpinPhononRates(H, VV, w, 5.0, shape, secular_tol=1e-3, basis_operator=Jz0)
        U = m.eigenvectors
        Jz = U.conj().T @ Jz0 @ U
        assert abs(Jz[0, 1]) < 1e-12 and Jz[1, 1].real - Jz[0, 0].real > 4.9  # |-5/2> mostly, |+5/2>
        Vt = m.couplings_eigenbasis
        split = np.abs(Vt[:, 0, 0] - Vt[:, 1, 1]).max()
        assert (split > 2.4) if label == "time-odd" else (split < 1e-12)
        T1, T2, T2s = coherence_times(m.superoperator(50.0, 2), (0, 1))
        assert np.isfinite(T1), label
        assert T2s == np.inf, label
        assert T2 == pytest.approx(2 * T1, rel=1e-12), label
        _, T2_4, T2s_4 = coherence_times(m.superoperator(50.0, 4), (0, 1))
        assert np.isfinite(T2s_4) and 1e-7 < T2s_4 < 1e-5, label
        _, _, T2s_24 = coherence_times(m.superoperator(50.0, "2+4"), (0, 1))
        assert T2s_24 == pytest.approx(T2s_4, rel=1e-9), label


# ----------------------------------------------------------------------------- QuTiP cross-check
@pytest.mark.parametrize("shape", ["gaussian", "lorentzian"])
def test_matches_qutip_bloch_redfield_tensor(shape):
    qutip = pytest.importorskip("qutip")
    from spinbath.units import bose_einstein

    H, V, w = kramers_model(seed=4, n_modes=6, field=(0.3, 0.2, 0.5))  # non-degenerate spectrum
    E = np.linalg.eigvalsh(H)
    bohr = (E[:, None] - E[None, :]).ravel()
    dw_min = np.abs(bohr[np.abs(bohr) > 1e-9]).min()
    sec_cutoff = 0.1  # QuTiP's secular cutoff is relative to the smallest Bohr frequency
    tol = sec_cutoff * dw_min
    gaps = np.abs(bohr[:, None] - bohr[None, :])
    assert not np.any((gaps > 1e-9) & (gaps < 1.5 * tol))  # the secular set is unambiguous

    T, width = 30.0, 6.0
    shp = lineshape(shape)
    m = SpinPhononRates(H, V, w, width, shape, secular_tol=tol)
    ours = change_basis(m.superoperator(T, 2), m.eigenvectors)  # eigenbasis -> spin basis

    def spectrum(wk):
        # QuTiP evaluates S at w = E_initial - E_final (positive: the spin emits), so absorption
        # (our w_fi = E_f - E_i > 0 near +wk) sits at negative w. The Bose factor is taken at the
        # Bohr frequency |w| (the energy the phonon carries), and only the line on the side of the
        # sign of w contributes: emission g(w - wk) (n(w) + 1), absorption g(-w - wk) n(-w); S(0) = 0.
        def S(w):
            w = np.asarray(w, dtype=float)
            aw = np.abs(w)
            n = bose_einstein(np.where(aw > 0, aw, 1.0), T)
            emit = shp.truncated(w - wk, width) * (n + 1)
            absorb = shp.truncated(-w - wk, width) * n
            return RATE_PREFACTOR * np.where(w > 0, emit, np.where(w < 0, absorb, 0.0))
        return S

    a_ops = [(qutip.Qobj(V[k]), spectrum(w[k])) for k in range(len(w))]
    Rq = qutip.bloch_redfield_tensor(qutip.Qobj(H), a_ops, sec_cutoff=sec_cutoff, fock_basis=True)
    # QuTiP adds -i[H, .] (in the units of H); remove it to keep the dissipator only.
    Rq = Rq.full() - qutip.liouvillian(qutip.Qobj(H)).full()
    assert np.abs(Rq - ours).max() <= 1e-8 * np.abs(ours).max()  # measured ~1e-13


# ----------------------------------------------------------------------------- Orbach law
def test_orbach_slope_equals_first_excited_doublet():
    # J = 5/2 with a rhombic field: the excited doublets are mixed, so a phonon resonant with the
    # first one can reverse the moment (with a pure |M> ladder and rank-2 couplings it cannot, and
    # tau is infinite). Couplings contain rank-2 and rank-4 operators.
    J = 2.5
    H = crystal_field(J, -5.0, 0.0, 0.8)
    E0 = np.linalg.eigvalsh(H)
    D1, D2 = E0[2] - E0[0], E0[4] - E0[0]  # ~59.7 and ~90.5 cm^-1
    rng = np.random.default_rng(7)
    w = np.array([D1 - 4, D1 - 1, D1 + 2, D1 + 5, 0.15 * D1, 0.3 * D1])  # a few resonant modes
    V = time_even_couplings(J, w.size, 1.0, rng)
    m = SpinPhononRates(H, V, w, 4.0)
    U = m.eigenvectors
    Jz = U.conj().T @ spin_matrices(J)[2] @ U
    Ts = np.linspace(0.1, 0.2, 6) * D1 / KB_CM  # k_B T from D1/10 to D1/5
    taus = []
    for R in m.superoperator(Ts, 2):
        info = relaxation_time_details(R, m.energies, Jz)
        tau = info.tau
        assert info.weight > 0.99  # one mode carries the magnetization decay
        taus.append(tau)
    slope, _ = np.polyfit(1.0 / Ts, np.log(taus), 1)
    assert slope * KB_CM == pytest.approx(D1, rel=0.05)
    # and it is not the second doublet's energy
    assert abs(slope * KB_CM - D2) > 0.3 * D1


def test_public_api_is_reachable_from_the_package():
    import spinbath.quantum as q

    E, R = q.spin_phonon_superoperator(np.diag([0.0, 40.0]), np.array([[[0.0, 1.0], [1.0, 0.0]]]), [40.0],
                                       30.0, 2, 5.0)
    assert E.shape == (2,) and R.shape == (4, 4)
    assert set(q.__all__) >= {"spin_phonon_superoperator", "steady_state", "evolve"}
