"""Time reversal, detailed balance, gauge invariance and the virtual/sequential split of the spin-phonon
rate superoperators, checked on the generator R itself.

Time reversal of a spin J: Theta = exp(-i pi Jy) K in the |J, M> basis. For time-even H_s and couplings
V^a (no field) the generator must (i) commute with rho -> Theta rho Theta^-1 in its dissipative part,
(ii) have no time-odd coherent part (no bath-made pseudo-field), so that (iii) inside every Kramers
doublet the Bloch generator has no precession and no inhomogeneous (magnetizing) term. The coherent
part h of R is the traceless Hermitian operator of its Gorini-Kossakowski-Sudarshan decomposition,
h = (i / 2d)(K - K^+), K_ac = sum_b R_ab,cb (column stacking), which is unique.
"""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.quantum.liouville import change_basis, superoperator_to_tensor
from spinbath.quantum.relaxation import coherence_times, relaxation_time, steady_state
from spinbath.quantum.spin_phonon import SpinPhononRates
from spinbath.spins.operators import spin_matrices
from spinbath.units import KB_CM
from helpers import crystal_field, kramers_model, time_even_couplings, zeeman


def kramers_system(J: float, seed: int, n_modes: int, field=(0.0, 0.0, 0.0)):
    """A Kramers spin J with an axial + rhombic crystal field and random time-even couplings; the
    modes span the doublet gaps so that direct, Orbach and Raman processes all occur."""
    rng = np.random.default_rng(seed)
    if J == 2.5:
        H = crystal_field(J, -5.0, 0.02, 0.8)
    else:
        H = crystal_field(J, -1.2, 2e-4, 0.15)
    H = H + zeeman(J, field)
    E = np.linalg.eigvalsh(H)
    w = rng.uniform(5.0, 1.1 * (E[-1] - E[0]), n_modes)
    V = time_even_couplings(J, n_modes, 2.0, rng)
    return H, V, w


def time_reversal(J: float, U: np.ndarray) -> np.ndarray:
    """Y with Theta = Y K in the eigenbasis U (columns): Y = U^+ exp(-i pi Jy) conj(U)."""
    ev, W = np.linalg.eigh(spin_matrices(J)[1])
    Ry = W @ np.diag(np.exp(-1j * np.pi * ev)) @ W.conj().T
    return U.conj().T @ Ry @ U.conj()


def coherent_part(R: np.ndarray) -> np.ndarray:
    d = int(round(np.sqrt(R.shape[0])))
    Rt = superoperator_to_tensor(R)  # Rt[a, b, c, e] = R_ab,ce
    K = np.einsum("abcb->ac", Rt)
    h = 0.5j * (K - K.conj().T) / d
    return h - np.trace(h) / d * np.eye(d)


def commutator_superoperator(h: np.ndarray) -> np.ndarray:
    """-i[h, .] on column-stacked vectors."""
    d = h.shape[0]
    eye = np.eye(d)
    return -1j * (np.kron(eye, h) - np.kron(h.T, eye))


def time_reversal_errors(R: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
    """(relative non-commutation of the dissipative part with T: rho -> Y conj(rho) Y^+,
    relative size of the time-odd part of the coherent part h)."""
    h = coherent_part(R)
    D = R - commutator_superoperator(h)
    M = np.kron(Y.conj(), Y)  # vec(Y conj(X) Y^+) = M conj(vec X)
    TDT = M @ D.conj() @ np.linalg.inv(M)
    scale = np.abs(R).max()
    h_odd = 0.5 * (h - Y @ h.conj() @ Y.conj().T)
    return float(np.abs(TDT - D).max() / scale), float(np.abs(h_odd).max() / scale)


def doublet_bloch_generator(R: np.ndarray, pair) -> np.ndarray:
    """G[mu, nu] = tr(sigma_mu L(sigma_nu)) / 2 of the 4x4 block of R on the doublet (mu = 0: identity)."""
    d = int(round(np.sqrt(R.shape[0])))
    a, b = pair
    idx = [a + d * a, b + d * a, a + d * b, b + d * b]  # rho_aa, rho_ba, rho_ab, rho_bb
    block = R[np.ix_(idx, idx)]
    paulis = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1.0, -1.0])]
    vecs = np.array([p.ravel(order="F") for p in paulis]).T  # columns: vec(sigma_nu)
    return (vecs.conj().T @ block @ vecs).real / 2


# ----------------------------------------------------------------------------- time reversal on R
@pytest.mark.parametrize("J, n_modes", [(2.5, 14), (7.5, 10)])
@pytest.mark.parametrize("order", [2, 4, "2+4"])
@pytest.mark.parametrize("shape, width", [("gaussian", 8.0), ("lorentzian", 3.0)])
def test_generator_commutes_with_time_reversal_and_has_no_time_odd_coherent_part(J, n_modes, order, shape, width):
    H, V, w = kramers_system(J, seed=int(J * 10) + n_modes, n_modes=n_modes)
    m = SpinPhononRates(H, V, w, width, shape)
    Y = time_reversal(J, m.eigenvectors)
    for T in (8.0, 60.0):
        R = m.superoperator(T, order)
        diss, odd = time_reversal_errors(R, Y)
        assert diss < 1e-10 and odd < 1e-10
        # Every Kramers doublet: symmetric Bloch generator (no precession), no inhomogeneous term,
        # and the magnetization does not feed the populations.
        for k in range(0, H.shape[0], 2):
            G = doublet_bloch_generator(R, (k, k + 1))
            s = np.abs(G).max()
            assert s > 0
            assert np.abs(G[1:, 1:] - G[1:, 1:].T).max() < 1e-10 * s
            assert np.abs(G[1:, 0]).max() < 1e-10 * s and np.abs(G[0, 1:]).max() < 1e-10 * s


def test_a_magnetic_field_breaks_the_relation_so_the_check_can_fail():
    # Negative control: with a field along z the Hamiltonian is not time-even, the eigenbasis and the
    # Bohr frequencies are no longer Theta-invariant, and the same check fails by a wide margin.
    J = 2.5
    H, V, w = kramers_system(J, seed=3, n_modes=14, field=(0.0, 0.0, 2.0))
    m = SpinPhononRates(H, V, w, 8.0)
    diss, odd = time_reversal_errors(m.superoperator(30.0, 4), time_reversal(J, m.eigenvectors))
    assert max(diss, odd) > 1e-3


# ----------------------------------------------------------------------------- detailed balance
@pytest.mark.parametrize("order", [2, 4, "2+4"])
@pytest.mark.parametrize("width", [1.0, 10.0, 40.0])
@pytest.mark.parametrize("field", [(0.0, 0.0, 0.0), (0.3, 0.0, 1.0)])
def test_gibbs_state_is_the_null_vector_of_the_population_block_at_any_width(order, width, field):
    H, V, w = kramers_system(2.5, seed=11, n_modes=16, field=field)
    # A narrow resonance window keeps virtual paths for the 40 cm^-1 lines too (with the default
    # 6 widths every path of this ~100 cm^-1 spectrum would count as sequential); detailed balance
    # does not depend on it.
    m = SpinPhononRates(H, V, w, width, resonance_window=1.0)
    for T in (3.0, 20.0, 150.0):
        R = superoperator_to_tensor(m.superoperator(T, order))
        P = np.einsum("aacc->ac", R).real  # rates c -> a (off-diagonal), -escape on the diagonal
        E = m.energies
        p = np.exp(-(E - E[0]) / (KB_CM * T))
        p /= p.sum()
        flux = P @ p
        assert np.abs(np.diag(P)).max() > 0
        assert np.abs(flux).max() < 1e-10 * np.abs(np.diag(P) * p).max()
        # Pairwise detailed balance, not only stationarity.
        F = P * p[None, :]
        off = ~np.eye(E.size, dtype=bool)
        assert np.abs(F - F.T)[off].max() < 1e-10 * np.abs(F[off]).max()


@pytest.mark.parametrize("order", [2, 4, "2+4"])
@pytest.mark.filterwarnings("error")  # the stationary state must be unique
def test_steady_state_in_a_field_is_exactly_gibbs(order):
    H, V, w = kramers_system(2.5, seed=12, n_modes=16, field=(0.2, 0.1, 1.0))
    m = SpinPhononRates(H, V, w, 25.0, resonance_window=1.0)  # wide lines: the old Bose-at-the-phonon rule was off by ~(25/kT)^2
    T = 20.0
    rho = steady_state(m.superoperator(T, order))
    p = np.exp(-(m.energies - m.energies[0]) / (KB_CM * T))
    assert 0.5 * np.abs(np.linalg.eigvalsh(rho - np.diag(p / p.sum()))).sum() < 1e-10


# ----------------------------------------------------------------------------- gauge invariance
@pytest.mark.parametrize("J, n_modes", [(2.5, 14), (7.5, 10)])
def test_results_do_not_depend_on_the_basis_chosen_inside_degenerate_doublets(J, n_modes):
    H, V, w = kramers_system(J, seed=21, n_modes=n_modes)
    Jz = spin_matrices(J)[2]
    rng = np.random.default_rng(5)
    X = rng.normal(size=H.shape) + 1j * rng.normal(size=H.shape)
    # A random Hermitian operator picks a random basis inside every doublet (as LAPACK might).
    ref = SpinPhononRates(H, V, w, 8.0, basis_operator=Jz)
    mixed = SpinPhononRates(H, V, w, 8.0, basis_operator=X + X.conj().T)
    W = ref.eigenvectors.conj().T @ mixed.eigenvectors  # block-diagonal unitary on the doublets
    assert np.abs(W - np.diag(np.diag(W))).max() > 0.1  # the bases really differ
    for order in (2, 4, "2+4"):
        for T in (10.0, 80.0):
            Rr, Rm = ref.superoperator(T, order), mixed.superoperator(T, order)
            # The generator is covariant: R in the mixed basis is R of the reference basis, rotated.
            assert np.abs(change_basis(Rm, W) - Rr).max() < 1e-10 * np.abs(Rr).max()
            Mr = ref.eigenvectors.conj().T @ Jz @ ref.eigenvectors
            Mm = mixed.eigenvectors.conj().T @ Jz @ mixed.eigenvectors
            tau_r = relaxation_time(Rr, ref.energies, Mr)
            tau_m = relaxation_time(Rm, mixed.energies, Mm)
            assert tau_m == pytest.approx(tau_r, rel=1e-8)
            # T1, T2, T2* of the |+-> pair: the mixed generator rotated back to the Jz basis.
            assert np.allclose(coherence_times(change_basis(Rm, W), (0, 1)), coherence_times(Rr, (0, 1)),
                               rtol=1e-8)


# ----------------------------------------------------------------------------- virtual vs sequential
def three_level(eta_field=0.0):
    """Levels 0, 0.5 and 100 cm^-1 (spin 1 with D = 100 cm^-1, E = 0.25): level 2 is reachable on
    shell by one phonon from 0 and 1 through a band of modes around 100 cm^-1, plus low modes."""
    Sx, Sy, Sz = spin_matrices(1.0)
    H = 100.0 * (Sz @ Sz) + 0.25 * (Sx @ Sx - Sy @ Sy)
    w = np.concatenate([np.linspace(3.0, 30.0, 28), np.linspace(80.0, 120.0, 41)])
    rng = np.random.default_rng(7)
    V = time_even_couplings(1.0, w.size, 1.5, rng)
    return H, V, w


def test_sequential_path_is_kept_out_of_order_four_and_two_plus_four():
    H, V, w = three_level()
    T = np.array([20.0, 60.0, 120.0])
    models = {eta: SpinPhononRates(H, V, w, 3.0, eta=eta) for eta in (0.1, 1.0, 10.0)}
    ref = models[1.0]
    R2, R4, R24 = (ref.superoperator(T, o) for o in (2, 4, "2+4"))
    # "2+4" is order 2 plus the virtual part (to round-off of the summation order)
    assert np.abs(R24 - (R2 + R4)).max() < 1e-13 * np.abs(R24).max()

    def up(R):  # rate 0 -> 1 (s^-1) at each temperature
        return np.array([superoperator_to_tensor(r)[1, 1, 0, 0].real for r in R])

    for eta, m in models.items():
        # eta does not enter the virtual part at all
        assert np.array_equal(m.superoperator(T, 4), R4)
    res = {eta: up(m.superoperator(T, "4-resonant")) for eta, m in models.items()}
    # The sequential part through level 2 is large where level 2 is populated thermally, appears
    # only in "4-resonant", and depends on the extra width eta of the intermediate state.
    assert np.all(res[1.0][1:] > up(R4)[1:])
    assert not np.allclose(res[0.1], res[10.0], rtol=0.05)
    # Without the window (every path counted as virtual) the near-resonant paths dominate at high
    # T: the window is what removes them.
    no_window = SpinPhononRates(H, V, w, 3.0, resonance_window=0.0)
    assert up(no_window.superoperator(T, 4))[-1] > 3 * up(R4)[-1]


# ----------------------------------------------------------------------------- thermal weights
@pytest.mark.parametrize("process", ["AE", "AA", "EE"])
def test_pair_weights_are_the_bose_factors_at_the_shifted_phonon_energies(process):
    # The factorized evaluation (exponentials per mode) against n(w1), n(w2) taken pair by pair.
    from spinbath.quantum.spin_phonon import _pair_weights
    from spinbath.units import bose_einstein

    rng = np.random.default_rng(1)
    wa, wb = rng.uniform(1.0, 400.0, (7, 1)), rng.uniform(1.0, 400.0, (1, 9))
    T = np.array([0.0, 0.5, 4.0, 30.0, 300.0])
    for omega in (-150.0, -3.0, 0.0, 2.5, 170.0):
        got = _pair_weights(process, wa, wb, omega, T)
        if process == "AE":
            w1, w2, p1, p2 = (wa + wb + omega) / 2, (wa + wb - omega) / 2, 0, 1
        else:
            s = omega if process == "AA" else -omega
            w1, w2 = (wa - wb + s) / 2, (wb - wa + s) / 2
            p1 = p2 = 0 if process == "AA" else 1
        ok = (w1 > 0) & (w2 > 0)
        for k, t in enumerate(T):
            n1 = bose_einstein(np.where(ok, w1, 1.0), t) + p1
            n2 = bose_einstein(np.where(ok, w2, 1.0), t) + p2
            want = np.where(ok, n1 * n2, 0.0)
            np.testing.assert_allclose(got[..., k], want, rtol=1e-12, atol=1e-300)
            assert not np.any(got[..., k].imag)


# ----------------------------------------------------------------------------- the swept half of w = 0
@pytest.mark.parametrize("part", ["virtual", "resonant"])
@pytest.mark.parametrize("shape, per_mode", [("gaussian", False), ("lorentzian", True)])
def test_zero_frequency_amplitudes_obey_the_swap_the_sweep_relies_on(part, shape, per_mode):
    # The zero-frequency cluster sweeps "absorb a, emit b" over a <= b only; that rests on
    # Z_(f,i)(b, a) = conj(Z_(i,f)(a, b)) for every element and pair, checked here on the full grid.
    from spinbath.quantum.spin_phonon import _pair_block

    H, V, w = kramers_system(2.5, seed=4, n_modes=14)
    lw = np.random.default_rng(4).uniform(0.5, 1.5, w.size) * 6.0 if per_mode else None
    # (time_reversal=None: the complex amplitudes of every element, not the real coordinates the
    # sweep keeps when Theta is a symmetry; tests/quantum/test_time_reversal.py covers those)
    m = SpinPhononRates(H, V, w, None if per_mode else 6.0, shape, linewidths=lw, time_reversal=None)
    c0 = m._diagonal_pairs[0]
    cl = m.clusters[c0]
    assert cl.swap is not None and cl.m == 2 * H.shape[0]  # populations and doublet coherences
    n = m.n_modes
    ch = _pair_block(c0, cl, "AE", np.arange(n), np.zeros(n, int), np.full(n, n), m._modes(part),
                     m.lineshape, m.cutoff, None if per_mode else m.width)
    Z = np.zeros((cl.m, n * n), dtype=complex)
    Z[:, ch.keep] = ch.Z
    Z = Z.reshape(cl.m, n, n)
    assert np.abs(Z).max() > 0
    assert np.abs(Z.transpose(0, 2, 1) - Z[cl.swap].conj()).max() < 1e-12 * np.abs(Z).max()
    # and the sweep visits each unordered pair once: half the ordered pairs plus the diagonal
    b_lo, b_hi = m._partner_ranges(cl, "AE", m._window())
    assert (b_lo >= np.arange(n)).all()
