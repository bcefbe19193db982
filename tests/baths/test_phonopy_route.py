"""Ab initio route (phonopy + CF finite differences -> PhononBath) on a toy molecule.

The molecule is a Dy ion with three O ligands and a spectator C atom in a 15 A box; all atom pairs
are joined by central springs (force constants set by hand, no DFT), and a point-charge-like toy CF
model gives B_k^q as smooth functions of the ligand positions with hand-coded gradients.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from scipy import constants

phonopy = pytest.importorskip("phonopy")
from phonopy import Phonopy  # noqa: E402
from phonopy.structure.atoms import PhonopyAtoms  # noqa: E402

from spinbath.baths.lineshapes import gaussian, lineshape  # noqa: E402
from spinbath.baths.phonons import PhononBath  # noqa: E402
from spinbath.baths.phonopy_route import (  # noqa: E402
    CF_SCHEMA, CFDisplacements, bath_from_phonopy, cartesian_displacements, cf_gradient,
    gamma_modes, load_cf_displacements, project_on_modes, zero_point_length_A,
)
from spinbath.quantum.liouville import trace_preservation_error  # noqa: E402
from spinbath.quantum.spin_phonon import RATE_PREFACTOR, SpinPhononRates  # noqa: E402
from spinbath.spins.operators import spin_matrices  # noqa: E402
from spinbath.spins.stevens import cf_matrix, stevens  # noqa: E402
from spinbath.units import KB_CM, MUB_CM, bose_einstein  # noqa: E402

SYMBOLS = ["Dy", "O", "O", "O", "C"]
POS = np.array([[7.5, 7.5, 7.5], [9.6, 7.6, 7.4], [7.0, 9.5, 7.9], [7.3, 7.2, 9.6], [10.9, 7.9, 7.2]])
N = len(SYMBOLS)
J = 7.5
KEYS = [(2, 0), (2, 1), (2, 2), (2, -2), (4, 0), (4, 4)]
CHARGES = np.array([1.0, 0.8, 1.3])  # ligands 1..3; atom 4 (C) does not enter the CF
AMP = {2: -20.0, 4: 0.05}  # cm^-1 A^3, cm^-1 A^5
STEP = 2e-4  # Angstrom (truncation error ~ (STEP / 2 A)^2 ~ 1e-8 relative)
EV_TO_CM = constants.e / (constants.h * constants.c * 100.0)


def spring_constants():  # eV/A^2, symmetric, every pair joined (a rigid framework)
    k = np.full((N, N), 1.0)
    k[0, 1:4] = k[1:4, 0] = [5.0, 4.0, 4.5]
    k[1, 4] = k[4, 1] = 7.0
    k[1, 2], k[2, 3], k[1, 3] = 2.0, 2.5, 1.5
    k = np.triu(k, 1)
    return k + k.T


def force_constants():
    """Phi_ij = -k_ij r^ r^T (i != j), Phi_ii = -sum_j Phi_ij: translation and rotation invariant."""
    k, fc = spring_constants(), np.zeros((N, N, 3, 3))
    for i in range(N):
        for j in range(N):
            if i != j:
                r = (POS[j] - POS[i]) / np.linalg.norm(POS[j] - POS[i])
                fc[i, j] = -k[i, j] * np.outer(r, r)
                fc[i, i] += k[i, j] * np.outer(r, r)
    return fc


def toy_phonopy(fc=None):
    cell = PhonopyAtoms(symbols=SYMBOLS, cell=15.0 * np.eye(3), positions=POS)
    ph = Phonopy(cell, supercell_matrix=np.eye(3, dtype=int))
    ph.force_constants = force_constants() if fc is None else fc
    return ph


# (polynomial P(x, y, z), gradient of P, rank k): B_k^q = AMP_k sum_L c_L P(r_L) / |r_L|^(2k+1)
POLY = {
    (2, 0): (lambda x, y, z: 2 * z**2 - x**2 - y**2, lambda x, y, z: (-2 * x, -2 * y, 4 * z)),
    (2, 1): (lambda x, y, z: x * z, lambda x, y, z: (z, 0 * x, x)),
    (2, 2): (lambda x, y, z: x**2 - y**2, lambda x, y, z: (2 * x, -2 * y, 0 * x)),
    (2, -2): (lambda x, y, z: 2 * x * y, lambda x, y, z: (2 * y, 2 * x, 0 * x)),
    (4, 0): (lambda x, y, z: 35 * z**4 - 30 * z**2 * (x**2 + y**2 + z**2) + 3 * (x**2 + y**2 + z**2) ** 2,
             lambda x, y, z: (-60 * z**2 * x + 12 * (x**2 + y**2 + z**2) * x,
                              -60 * z**2 * y + 12 * (x**2 + y**2 + z**2) * y,
                              80 * z**3 - 48 * z * (x**2 + y**2 + z**2))),
    (4, 4): (lambda x, y, z: x**4 - 6 * x**2 * y**2 + y**4,
             lambda x, y, z: (4 * x**3 - 12 * x * y**2, 4 * y**3 - 12 * x**2 * y, 0 * x)),
}


def toy_cf(pos):
    """Toy Stevens parameters (cm^-1) of a geometry (N, 3) in A, columns in KEYS order."""
    r = pos[1:4] - pos[0]
    rn = np.linalg.norm(r, axis=1)
    return np.array([AMP[k] * np.sum(CHARGES * POLY[(k, q)][0](*r.T) / rn ** (2 * k + 1)) for k, q in KEYS])


def toy_cf_gradient(pos):
    """Analytic dB/du, (N, 3, n_keys) in cm^-1/A: grad(P/r^n) = grad P / r^n - n P r / r^(n+2)."""
    r = pos[1:4] - pos[0]
    rn = np.linalg.norm(r, axis=1)[:, None]
    g = np.zeros((N, 3, len(KEYS)))
    for c, (k, q) in enumerate(KEYS):
        P, dP = POLY[(k, q)]
        n = 2 * k + 1
        gl = AMP[k] * CHARGES[:, None] * (np.array(dP(*r.T)).T / rn**n - n * P(*r.T)[:, None] * r / rn ** (n + 2))
        g[1:4, :, c] = gl
        g[0, :, c] = -gl.sum(axis=0)  # the ligand vectors are relative to the metal
    return g


def toy_displacements(step=STEP, atoms=None):
    atoms = list(range(N)) if atoms is None else atoms
    D = cartesian_displacements(len(atoms), step)
    B = []
    for d in D:
        pos = POS.copy()
        pos[atoms] += d
        B.append(toy_cf(pos))
    B = np.array(B)
    return CFDisplacements(B[: len(D) // 2], B[len(D) // 2 :], KEYS, step, J,
                           None if atoms == list(range(N)) else atoms)


@pytest.fixture(scope="module")
def route():
    ph = toy_phonopy()
    w, e, m = gamma_modes(ph)
    cf = toy_displacements()
    return ph, w, e, m, cf, bath_from_phonopy(ph, cf)


def hand_length(m_amu, e_cm):  # rms zero-point amplitude sqrt(hbar/(2 m w)) in A, straight from CODATA
    return np.sqrt(constants.hbar / (2 * m_amu * constants.atomic_mass * 2 * np.pi * constants.c * 100 * e_cm)) * 1e10


def oscillator_x10(m_amu, e_cm):
    """<1|x|0> (A) of a 1-D oscillator by quadrature of its explicit eigenfunctions (no ladder operators).

    psi_0 ~ exp(-y^2/2), psi_1 ~ y exp(-y^2/2), y = x / s, s = sqrt(hbar/(m w)), normalized on the grid.
    """
    y, dy = np.linspace(-12, 12, 4001, retstep=True)  # uniform grid, tails ~ e^-144: a plain sum is exact
    p0, p1 = np.exp(-y**2 / 2), y * np.exp(-y**2 / 2)
    p0, p1 = p0 / np.sqrt(np.sum(p0**2) * dy), p1 / np.sqrt(np.sum(p1**2) * dy)
    s = np.sqrt(constants.hbar / (m_amu * constants.atomic_mass * 2 * np.pi * constants.c * 100 * e_cm)) * 1e10
    return s * np.sum(p1 * y * p0) * dy


# ----------------------------------------------------------------------------- units, modes
def test_zero_point_length_by_hand():
    # hbar = 1.054571817e-34 J s, 1 amu = 1.66053906660e-27 kg, w = 2 pi * 2.99792458e10 cm/s * 1000 cm^-1
    # = 1.883652e14 rad/s  ->  hbar/(2 m w) = 1.685763e-22 m^2  ->  0.129837 A, the rms zero-point
    # amplitude, i.e. one unit of Q = a + a^+ (sqrt(hbar/(m w)) = 0.183617 A would be the unit of q = Q/sqrt(2))
    assert zero_point_length_A(1.0, 1000.0) == pytest.approx(0.129837, rel=2e-6)
    assert zero_point_length_A(16.0, 250.0) == pytest.approx(0.129837 / 2, rel=2e-6)  # L ~ 1/sqrt(m E)
    # = <1|x|0> of the oscillator, from its wavefunctions (so <n+1|Q|n> = sqrt(n+1): the rate has no 1/2)
    assert oscillator_x10(1.0, 1000.0) == pytest.approx(0.129837, rel=2e-6)


def test_gamma_modes_match_phonopy_and_the_harmonic_energy(route):
    ph, w, e, m, _, _ = route
    assert np.allclose(m, [162.5, 15.9994, 15.9994, 15.9994, 12.0107])
    ph.run_qpoints([[0, 0, 0]])
    ref = np.sort(ph.qpoints.frequencies[0]) * 1e12 / (constants.c * 100)  # THz -> cm^-1
    assert np.allclose(w, ref, rtol=1e-12, atol=1e-5)  # atol: eigensolver noise of the zero modes
    assert np.all(np.abs(w[:6]) < 1e-3) and np.all(w[6:] > 50)  # 3 translations + 3 rotations
    flat = e.reshape(3 * N, 3 * N)
    assert np.allclose(flat @ flat.T, np.eye(3 * N), atol=1e-12)  # orthonormal, real
    # Independent unit chain: u = L e Q with Q = 1 stores (1/2) m w^2 x_zp^2 = hbar w / 4 in the springs
    # (H = hbar w (P^2 + Q^2)/4 for Q = a + a^+, P = i (a^+ - a)).
    Phi = force_constants().transpose(0, 2, 1, 3).reshape(3 * N, 3 * N)  # eV/A^2
    for a in range(6, 3 * N):
        u = (hand_length(m, w[a])[:, None] * e[a]).ravel()
        assert 0.5 * u @ Phi @ u * EV_TO_CM == pytest.approx(w[a] / 4, rel=1e-5)
        u_lib = (zero_point_length_A(m, w[a])[:, None] * e[a]).ravel()
        assert 0.5 * u_lib @ Phi @ u_lib * EV_TO_CM == pytest.approx(w[a] / 4, rel=1e-5)
    # and the energies of a hand-diagonalized mass-weighted Hessian, converted with CODATA
    s = 1 / np.sqrt(np.repeat(m, 3))
    lam = np.linalg.eigvalsh(Phi * np.outer(s, s))[6:]  # eV / (A^2 amu)
    hand = np.sqrt(lam * constants.e / (1e-20 * constants.atomic_mass)) / (2 * np.pi * constants.c * 100)
    assert np.allclose(w[6:], hand, rtol=1e-5)


# ----------------------------------------------------------------------------- dB/dQ
def test_dBdQ_matches_the_analytic_toy_model(route):
    _, w, e, m, cf, _ = route
    dBdQ, kept = project_on_modes(cf.gradient, e, m, w)
    assert kept.tolist() == list(range(6, 3 * N))
    g = toy_cf_gradient(POS)
    L = hand_length(m[None, :], w[kept][:, None])  # (modes, atoms)
    exact = np.einsum("ai,aix,ixk->ak", L, e[kept], g)
    scale = np.abs(exact).max(axis=0)
    assert np.all(scale > 5e-5)  # every key is modulated by some mode (the weakest, B_4^4: 9.0e-5 cm^-1)
    assert np.all(np.abs(dBdQ - exact) <= 1e-6 * scale)
    # central differences: the error falls as h^2
    err = [np.abs(project_on_modes(toy_displacements(h).gradient, e, m, w)[0] - exact).max() for h in (0.02, 0.04)]
    assert err[1] / err[0] == pytest.approx(4.0, rel=0.05)


def test_translation_does_not_couple_and_is_dropped(route):
    _, w, e, m, cf, bath = route
    for ax in range(3):  # a rigid translation, as a mass-weighted unit vector
        t = np.zeros((N, 3))
        t[:, ax] = np.sqrt(m / m.sum())
        proj = np.einsum("ix,ixk->k", t / np.sqrt(m)[:, None], cf.gradient.reshape(N, 3, -1))
        assert np.abs(proj).max() < 1e-9 * np.abs(cf.gradient).max()
    assert bath.n_modes == 3 * N - 6 and np.allclose(bath.energies_cm, w[6:])
    with pytest.raises(ValueError, match=r"mode \d+ has an imaginary frequency"):
        project_on_modes(cf.gradient, e, m, w, min_energy_cm=0.0)  # numerical-noise translations


# ----------------------------------------------------------------------------- couplings and rates
def test_couplings_are_hermitian_stevens_sums_and_dH_dQ(route):
    _, w, e, m, cf, bath = route
    dBdQ, kept = project_on_modes(cf.gradient, e, m, w)
    V = bath.couplings_cm
    assert V.shape == (3 * N - 6, 16, 16)
    assert np.allclose(V, V.conj().transpose(0, 2, 1), atol=0)
    O = np.array([stevens(J, k, q) for k, q in KEYS])
    assert np.allclose(V, np.einsum("ak,kij->aij", dBdQ, O), rtol=0, atol=1e-12 * np.abs(V).max())
    # end to end: V^a = dH_CF/dQ_a along the mode (u = x_zp e^a Q), by a finite difference in Q
    dQ = 1e-4
    for a, ia in enumerate(kept):
        u = hand_length(m, w[ia])[:, None] * e[ia]
        H = [cf_matrix(J, dict(zip(KEYS, toy_cf(POS + s * dQ * u)))) for s in (1, -1)]
        assert np.allclose(V[a], (H[0] - H[1]) / (2 * dQ), rtol=0, atol=1e-6 * np.abs(V[a]).max())


def one_phonon_weight(x, wa, T, line):
    """Golden-rule weight of a transition with Bohr frequency x = E_f - E_i (cm^-1) through a mode
    of energy wa: absorption (x > 0) n(x) line(x - wa), emission (x < 0) (n(-x) + 1) line(x + wa),
    0 at x = 0. The Bose factor is taken at |x|, the energy the phonon carries, and only the line on
    the side of the sign of x counts (the other one would need a phonon of negative energy)."""
    x = np.asarray(x, dtype=float)
    ax = np.abs(x)
    n = bose_einstein(np.where(ax > 0, ax, 1.0), T)
    return np.where(x > 0, n * line(x - wa), np.where(x < 0, (n + 1) * line(x + wa), 0.0))


def test_bath_runs_through_second_order_rates(route):
    _, _, _, _, _, bath = route
    H = cf_matrix(J, dict(zip(KEYS, toy_cf(POS)))) + 4 / 3 * MUB_CM * 0.5 * spin_matrices(J)[2]
    model = SpinPhononRates.from_bath(H, bath, width=30.0)
    T = 40.0
    R = model.superoperator(T, order=2)
    assert trace_preservation_error(R) < 1e-12
    # population rates by hand (golden rule, RATE_PREFACTOR sum_a |V^a_fi|^2 x weight at the Bohr
    # frequency), with the truncated line the rates use: equal to round-off (measured ~1e-15).
    E, Vt, wa, d = model.energies, model.couplings_eigenbasis, model.mode_energies_sorted, 16
    line = lineshape("gaussian")
    hand = np.zeros((d, d))
    for f in range(d):
        for i in range(d):
            if f != i:
                weight = one_phonon_weight(E[f] - E[i], wa, T, lambda y: line.truncated(y, 30.0))
                hand[f, i] = RATE_PREFACTOR * np.sum(np.abs(Vt[:, f, i]) ** 2 * weight)
    got = np.array([[R[f + d * f, i + d * i].real if f != i else 0.0 for i in range(d)] for f in range(d)])
    assert hand.max() > 1e3  # s^-1: the toy modes do relax the spin
    assert np.allclose(got, hand, rtol=1e-12, atol=0)
    # and the ratio of each pair of reverse rates is the Boltzmann factor, exactly (measured 2e-14)
    ok = np.tril(hand.T > 0, -1)  # [f, i] with f > i (E_f > E_i) where the downhill rate f -> i is > 0
    gap = (E[:, None] - E[None, :])[ok]
    assert ok.sum() == 120  # every pair of the 16 levels, Zeeman partners (0.2 cm^-1) included
    assert np.allclose(np.log(got[ok] / got.T[ok]), -gap / (KB_CM * T), rtol=0, atol=1e-10)


def test_rates_equal_the_golden_rule_from_cartesian_derivatives(route):
    """Independent of the Q convention: H_int = sum_{i,alpha} dH/du_{i,alpha} u_{i,alpha} (analytic toy
    gradient), one-phonon matrix elements <n+1|u_{i,alpha}|n> = sqrt(n+1) e^a_{i,alpha} <1|x|0>(m_i, w_a)
    from the oscillator wavefunctions, Gamma = (2 pi / hbar) |<f|M|i>|^2 (n or n+1) g with the Bose
    factor at the Bohr frequency, hbar from CODATA. No factor sqrt(2) or 1/2 anywhere: the phonopy
    couplings feed the rate formula as they are. Measured agreement: 1.2e-6 relative per element,
    1.7e-8 of the largest rate (the untruncated line used here against the truncated one of the
    rates, and the bath's central-difference CF gradient, step 2e-4 A, against the analytic one)."""
    _, w, e, m, _, bath = route
    H = cf_matrix(J, dict(zip(KEYS, toy_cf(POS)))) + 4 / 3 * MUB_CM * 0.5 * spin_matrices(J)[2]
    T, width, d = 40.0, 30.0, 16
    R = SpinPhononRates.from_bath(H, bath, width=width).superoperator(T, order=2)
    E, U = np.linalg.eigh(H)
    O = np.array([stevens(J, k, q) for k, q in KEYS])
    W = np.einsum("ixk,kab->ixab", toy_cf_gradient(POS), O)  # dH/du, cm^-1/A
    two_pi_over_hbar = 2 * np.pi / (constants.hbar / (constants.h * constants.c * 100))  # hbar in cm^-1 s
    hand = np.zeros((d, d))
    for ia in range(6, 3 * N):
        x10 = np.array([oscillator_x10(mi, w[ia]) for mi in m])  # (N,) A
        M = U.conj().T @ np.einsum("i,ix,ixab->ab", x10, e[ia], W) @ U  # <f|M|i>, cm^-1
        x = E[:, None] - E[None, :]  # E_f - E_i
        hand += two_pi_over_hbar * np.abs(M) ** 2 * one_phonon_weight(x, w[ia], T, lambda y: gaussian(y, width))
    np.fill_diagonal(hand, 0.0)
    got = np.array([[R[f + d * f, i + d * i].real if f != i else 0.0 for i in range(d)] for f in range(d)])
    assert hand.max() > 1e3
    assert np.allclose(got, hand, rtol=1e-5, atol=1e-8 * hand.max())
    assert RATE_PREFACTOR == pytest.approx(two_pi_over_hbar, rel=1e-12)


# ----------------------------------------------------------------------------- subsets, files, errors
def test_displacing_only_the_cf_atoms_gives_the_same_bath(route):
    ph, *_, bath = route
    part = bath_from_phonopy(ph, toy_displacements(atoms=[0, 1, 2, 3]), linewidths_cm=3.0)
    assert np.allclose(part.couplings_cm, bath.couplings_cm, rtol=0, atol=1e-12 * np.abs(bath.couplings_cm).max())
    assert np.array_equal(part.linewidths_cm, np.full(bath.n_modes, 3.0))


def test_npz_and_yaml_round_trip(route, tmp_path):
    ph, _, _, _, cf, bath = route
    cf.save_npz(tmp_path / "cf.npz")
    back = load_cf_displacements(tmp_path / "cf.npz")
    assert back.keys == tuple(KEYS) and back.J == J and back.step_A == STEP and back.atoms is None
    assert np.array_equal(back.B_plus, cf.B_plus) and np.array_equal(back.B_minus, cf.B_minus)
    with np.load(tmp_path / "cf.npz") as f:
        assert str(f["schema"]) == CF_SCHEMA and f["kq"].dtype.kind == "i"
    ph.save(tmp_path / "phonopy_params.yaml", settings={"force_constants": True})
    lw = np.linspace(1, 5, 3 * N)
    again = bath_from_phonopy(tmp_path / "phonopy_params.yaml", tmp_path / "cf.npz", linewidths_cm=lw)
    assert np.allclose(again.energies_cm, bath.energies_cm, rtol=1e-10)
    assert np.allclose(again.linewidths_cm, lw[6:])
    # degenerate-free spectrum: each mode equals up to its sign
    s = np.sign(np.einsum("aij,aij->a", again.couplings_cm.conj(), bath.couplings_cm).real)
    assert np.allclose(again.couplings_cm * s[:, None, None], bath.couplings_cm, atol=1e-8 * np.abs(bath.couplings_cm).max())
    assert isinstance(again, PhononBath)


def test_bad_files_are_named(tmp_path):
    cf = toy_displacements()
    good = dict(B_plus=cf.B_plus, B_minus=cf.B_minus, kq=np.array(KEYS), step_A=np.array(STEP),
                J=np.array(J), schema=np.array(CF_SCHEMA))
    cases = [
        ({k: v for k, v in good.items() if k != "kq"}, r"missing key\(s\) \['kq'\]"),
        ({**good, "schema": np.array("other/1")}, "schema"),
        ({**good, "kq": np.array(KEYS, float)}, "kq must be an integer"),
        ({**good, "kq": np.array(KEYS[:-1])}, "kq: 5 keys but B_plus has 6 columns"),
        ({**good, "kq": np.array([[3, 4]] + KEYS[1:])}, r"kq: .*\|q\| <= k"),
        ({**good, "B_minus": cf.B_minus[:-3]}, "shape mismatch: B_plus"),
        ({**good, "B_plus": cf.B_plus[:-1]}, r"B_plus must have shape \(3n, n_keys\)"),
        ({**good, "step_A": np.array(-0.01)}, "step_A must be finite and > 0"),
        ({**good, "J": np.array(2.3)}, "2.3"),
        ({**good, "atoms": np.array([0, 0, 1, 2, 3])}, "atoms: need 5 distinct"),
    ]
    for data, msg in cases:
        np.savez(tmp_path / "bad.npz", **data)
        with pytest.raises(ValueError, match=msg):
            load_cf_displacements(tmp_path / "bad.npz")


def test_bad_inputs_raise_clear_errors(route, monkeypatch):
    ph, w, e, m, cf, _ = route
    with pytest.raises(ValueError, match="shape mismatch"):
        cf_gradient(cf.B_plus, cf.B_minus[:, :-1], STEP)
    with pytest.raises(ValueError, match="step_A"):
        cartesian_displacements(3, 0.0)
    with pytest.raises(ValueError, match=r"gradient must have shape \(15, n_keys\)"):
        project_on_modes(cf.gradient[:-3], e, m, w)
    with pytest.raises(ValueError, match="normalized"):
        project_on_modes(cf.gradient, 2 * e, m, w)
    with pytest.raises(ValueError, match="positive masses"):
        project_on_modes(cf.gradient, e, -m, w)
    with pytest.raises(ValueError, match="mode 0 has an imaginary frequency"):
        project_on_modes(cf.gradient, e, m, np.r_[-40.0, w[1:]])
    # a negative spring makes a mode unstable: the bath refuses it, naming the mode
    fc = force_constants()
    fc[0, 0] += -30 * np.eye(3)  # on-site anti-restoring force on Dy
    with pytest.raises(ValueError, match=r"mode 0 has an imaginary frequency \(-\d+"):
        bath_from_phonopy(toy_phonopy(fc), cf)
    with pytest.raises(ValueError, match="no force constants"):
        gamma_modes(Phonopy(PhonopyAtoms(symbols=SYMBOLS, cell=15.0 * np.eye(3), positions=POS)))
    with pytest.raises(ValueError, match="outside the 5-atom primitive cell"):
        bath_from_phonopy(ph, CFDisplacements(cf.B_plus[:6], cf.B_minus[:6], KEYS, STEP, J, [0, 7]))
    with pytest.raises(ValueError, match="linewidths_cm"):
        bath_from_phonopy(ph, cf, linewidths_cm=np.ones(4))
    monkeypatch.setitem(sys.modules, "phonopy", None)
    with pytest.raises(ImportError, match=r"install spinbath\[phonopy\]"):
        gamma_modes("phonopy_params.yaml")
