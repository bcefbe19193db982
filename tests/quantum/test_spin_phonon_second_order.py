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
from spinbath.quantum.relaxation import coherence_times, relaxation_time, steady_state
from spinbath.quantum.spin_phonon import RATE_PREFACTOR, SpinPhononRates, spin_phonon_superoperator
from spinbath.spins.operators import spin_matrices
from spinbath.units import KB_CM
from test_spin_phonon_models import crystal_field, kramers_model, quadrupoles, time_even_couplings


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
    n = 1.0 / np.expm1(w / kT)  # Bose factor at the phonon energy

    def G(x):
        if shape == "gaussian":
            return np.exp(-x**2 / (2 * width**2)) / (width * np.sqrt(2 * np.pi))
        return (width / np.pi) / (x**2 + width**2)

    # G2(w) = G(w - w_a) n + G(w + w_a) (n + 1) at w = +delta (0 -> 1) and -delta (1 -> 0); for the
    # Gaussian the second term is 0 (beyond the truncation), for the Lorentzian it is the tail of
    # the emission line.
    up = 2 * np.pi * v**2 * (G(delta - w) * n + G(delta + w) * (n + 1)) * (2 * np.pi * c_cm)
    down = 2 * np.pi * v**2 * (G(-delta - w) * n + G(-delta + w) * (n + 1)) * (2 * np.pi * c_cm)
    Rt = superoperator_to_tensor(R)
    assert np.allclose(E, [0.0, delta])
    assert Rt[1, 1, 0, 0].real == pytest.approx(up, rel=1e-12)  # 0 -> 1 absorbs a phonon
    assert Rt[0, 0, 1, 1].real == pytest.approx(down, rel=1e-12)  # 1 -> 0 emits one
    assert Rt[0, 0, 0, 0].real == pytest.approx(-up, rel=1e-12)
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

    For a Gaussian of width s and a smooth bath, detailed balance fails only because the Bose
    factor is taken at the phonon energy: ln(up/down) = -dE/kT + O((s/kT)^2).
    """
    H, V, _ = kramers_model(seed=2, n_modes=3, field=field)
    w = np.arange(1.0, 200.0, 0.05)
    return H, V[np.arange(w.size) % 3], w


def _balance_error(width, T):
    """Worst |ln(R_bb,aa / R_aa,bb) + (E_b - E_a)/kT| over pairs of non-degenerate levels."""
    H, V, w = continuum_model()
    m = SpinPhononRates(H, V, w, width)
    Rt = superoperator_to_tensor(m.superoperator(T, 2))
    E = m.energies
    worst = 0.0
    for a in range(6):
        for b in range(a + 1, 6):
            if E[b] - E[a] < 5.0:
                continue  # Zeeman partners: no phonons near 0 cm^-1 within the Gaussian window
            up, down = Rt[b, b, a, a].real, Rt[a, a, b, b].real
            worst = max(worst, abs(np.log(up / down) + (E[b] - E[a]) / (KB_CM * T)))
    return worst


def test_detailed_balance_error_shrinks_with_width_over_kT():
    T = 30.0
    e8, e4, e2 = (_balance_error(s, T) for s in (8.0, 4.0, 2.0))
    assert 3.0 < e8 / e4 < 5.0 and 3.0 < e4 / e2 < 5.0  # quadratic in width / kT
    assert e2 < (2.0 / (KB_CM * T)) ** 2
    assert _balance_error(4.0, 2 * T) < 0.6 * e4  # and it shrinks with temperature


@pytest.mark.parametrize("field", [(0.0, 0.0, 0.0), (0.0, 0.0, 0.5)])
@pytest.mark.filterwarnings("error")  # the stationary state must be unique
def test_steady_state_approaches_gibbs(field):
    H, V, w = continuum_model(field)
    T = 40.0
    dist = []
    for width in (8.0, 2.0):
        m = SpinPhononRates(H, V, w, width)
        rho = steady_state(m.superoperator(T, 2))
        gibbs = np.diag(gibbs_populations(m.energies, T))
        dist.append(0.5 * np.abs(np.linalg.eigvalsh(rho - gibbs)).sum())  # trace distance
    assert dist[1] < 0.1 * dist[0]  # ~ (width / kT)^2
    assert dist[1] < 1e-3


# ----------------------------------------------------------------------------- Kramers doublet
@pytest.mark.parametrize("field", [(0.0, 0.0, 0.0), (0.0, 0.0, 1e-4), (1e-4, 0.0, 0.0)])
@pytest.mark.parametrize("shape", ["gaussian", "lorentzian"])
def test_kramers_ground_doublet_has_no_pure_dephasing_at_second_order(field, shape):
    H, V, w = kramers_model(seed=5, field=field)
    m = SpinPhononRates(H, V, w, 5.0, shape, secular_tol=1e-3)
    R = m.superoperator(50.0, 2)
    T1, T2, T2s = coherence_times(R, (0, 1), rtol=1e-6)
    assert np.isfinite(T1)
    assert T2 == pytest.approx(2 * T1, rel=1e-6)
    assert T2s == np.inf or T2s > 1e5 * T2


def test_kramers_partners_couple_equally_so_the_doublet_dephases_only_through_time_odd_terms():
    # A time-odd coupling (Jz itself) does dephase the doublet: the test above would fail for it.
    J = 2.5
    H, V, w = kramers_model(seed=5)
    V = V + 0.5 * spin_matrices(J)[2][None] * np.ones((V.shape[0], 1, 1))
    m = SpinPhononRates(H, V, w, 5.0, "lorentzian", secular_tol=1e-3)
    R = m.superoperator(50.0, 2)
    U = m.eigenvectors
    # Rotate the doublet to the Jz eigenbasis so that the pair (0, 1) is |+>, |->.
    Jz = U.conj().T @ spin_matrices(J)[2] @ U
    ev, u2 = np.linalg.eigh(Jz[:2, :2])
    W = np.eye(6, dtype=complex)
    W[:2, :2] = u2
    R = change_basis(R, W.conj().T)  # the same generator, written in the rotated basis
    _, T2, T2s = coherence_times(R, (0, 1))
    assert np.isfinite(T2s) and T2s < 1e3 * T2


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

    def spectrum(wk, n):
        # QuTiP evaluates S at w = E_initial - E_final (positive: the spin emits), so absorption
        # (our w_fi = E_f - E_i > 0 near +wk) sits at negative w.
        def S(w):
            return RATE_PREFACTOR * (shp.truncated(w + wk, width) * n + shp.truncated(w - wk, width) * (n + 1))
        return S

    a_ops = [(qutip.Qobj(V[k]), spectrum(w[k], float(bose_einstein(w[k], T)))) for k in range(len(w))]
    Rq = qutip.bloch_redfield_tensor(qutip.Qobj(H), a_ops, sec_cutoff=sec_cutoff, fock_basis=True)
    # QuTiP adds -i[H, .] (in the units of H); remove it to keep the dissipator only.
    Rq = Rq.full() - qutip.liouvillian(qutip.Qobj(H)).full()
    assert np.abs(Rq - ours).max() <= 1e-8 * np.abs(ours).max()


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
        tau, info = relaxation_time(R, m.energies, Jz, return_details=True)
        assert info["weight"] > 0.99  # one mode carries the magnetization decay
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
