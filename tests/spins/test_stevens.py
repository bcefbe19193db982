"""Stevens operators: closed forms from the literature, Hermiticity, orthogonality, Kramers."""

from math import factorial, sqrt

import numpy as np
import pytest

from spinbath.spins.operators import ladder_operators, spin_matrices
from spinbath.spins.rotations import clebsch_gordan
from spinbath.spins.stevens import (
    SUPPORTED_RANKS,
    cf_matrix,
    cf_parameters_from_matrix,
    stevens,
    stevens_basis,
    stevens_normalization,
    stevens_polynomial,
)


def _ac(A, B):
    return A @ B + B @ A


def _closed_forms(J):
    """Abragam & Bleaney Table 16 / Rudowicz & Chung 2004 / EasySpin documentation."""
    _, _, Jz = spin_matrices(J)
    Jp, Jm = ladder_operators(J)
    X = J * (J + 1)
    eye = np.eye(len(Jz))
    P = np.linalg.matrix_power
    c = {k: P(Jp, k) + P(Jm, k) for k in range(1, 7)}  # cosine "J+^k + J-^k"
    s = {k: P(Jp, k) - P(Jm, k) for k in range(1, 7)}
    return {
        (2, 0): 3 * Jz @ Jz - X * eye,
        (2, 1): _ac(Jz, c[1]) / 4,
        (2, -1): _ac(Jz, s[1]) / 4j,
        (2, 2): c[2] / 2,
        (2, -2): s[2] / 2j,
        (3, 0): 5 * P(Jz, 3) - (3 * X - 1) * Jz,
        (4, 0): 35 * P(Jz, 4) - (30 * X - 25) * Jz @ Jz + (3 * X**2 - 6 * X) * eye,
        (4, 1): _ac(7 * P(Jz, 3) - (3 * X + 1) * Jz, c[1]) / 4,
        (4, 2): _ac(7 * Jz @ Jz - (X + 5) * eye, c[2]) / 4,
        (4, -2): _ac(7 * Jz @ Jz - (X + 5) * eye, s[2]) / 4j,
        (4, 3): _ac(Jz, c[3]) / 4,
        (4, 4): c[4] / 2,
        (4, -4): s[4] / 2j,
        (6, 0): 231 * P(Jz, 6) - (315 * X - 735) * P(Jz, 4) + (105 * X**2 - 525 * X + 294) * Jz @ Jz
        + (-5 * X**3 + 40 * X**2 - 60 * X) * eye,
        (6, 2): _ac(33 * P(Jz, 4) - (18 * X + 123) * Jz @ Jz + (X**2 + 10 * X + 102) * eye, c[2]) / 4,
        (6, 3): _ac(11 * P(Jz, 3) - (3 * X + 59) * Jz, c[3]) / 4,
        (6, 4): _ac(11 * Jz @ Jz - (X + 38) * eye, c[4]) / 4,
        (6, 6): c[6] / 2,
        (6, -6): s[6] / 2j,
    }


@pytest.mark.parametrize("J", [2.5, 4, 7.5])
def test_closed_forms_k_le_6(J):
    for (k, q), ref in _closed_forms(J).items():
        if k > 2 * J:
            continue
        O = stevens(J, k, q)
        assert np.allclose(O, ref, rtol=0, atol=1e-12 * max(1.0, np.abs(ref).max())), (J, k, q)


def test_easyspin_documented_example():
    # EasySpin documentation of stev: stev(2,4,2) has elements 7.3485 and -12.0000.
    O = stevens(2, 4, 2).real
    assert O[0, 2] == pytest.approx(7.3485, abs=5e-5)
    assert O[2, 4] == pytest.approx(7.3485, abs=5e-5)
    assert O[1, 3] == pytest.approx(-12.0, abs=1e-12)
    assert O[2, 2] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("J", [6, 7.5])
@pytest.mark.parametrize("k", [8, 10, 12])
def test_high_rank_top_order(J, k):
    Jp, Jm = ladder_operators(J)
    P = np.linalg.matrix_power
    assert np.allclose(stevens(J, k, k), (P(Jp, k) + P(Jm, k)) / 2, atol=1e-9)
    assert np.allclose(stevens(J, k, -k), (P(Jp, k) - P(Jm, k)) / 2j, atol=1e-9)


@pytest.mark.parametrize("J", [6, 7.5])
@pytest.mark.parametrize("k, lead", [(8, 6435), (10, 46189), (12, 676039)])
def test_high_rank_axial(J, k, lead):
    """O_k^0 is diagonal, proportional to <J M; k 0|J M> (Wigner-Eckart), with leading term
    lead * Jz^k, lead = numerator of the Legendre polynomial P_k (6435 x^8 - 12012 x^6 + ... )."""
    O = stevens(J, k, 0)
    assert np.allclose(O, np.diag(np.diag(O)))
    d = np.diag(O).real
    m = J - np.arange(int(2 * J) + 1)
    cg = np.array([clebsch_gordan(J, M, k, 0, J, M) for M in m])
    ratio = d / cg
    assert np.allclose(ratio, ratio[0], rtol=1e-10)
    # k-th finite difference of a degree-k polynomial on a unit grid = k! * leading coefficient
    dk = np.diff(d[::-1], n=k)
    assert np.allclose(dk, factorial(k) * lead, rtol=1e-9)
    assert stevens_polynomial(k, 0)[0] == lead


def test_polynomials_and_normalization():
    assert stevens_polynomial(2, 0) == (3, -1)
    assert stevens_polynomial(4, 0) == (35, -30, 3)
    assert stevens_polynomial(6, 0) == (231, -315, 105, -5)
    assert stevens_polynomial(4, 2) == (7, -1)
    assert stevens_polynomial(6, -3) == (11, -3)
    assert stevens_polynomial(8, 0) == (6435, -12012, 6930, -1260, 35)
    for k in SUPPORTED_RANKS:
        assert stevens_normalization(k, k) == 1
        assert stevens_polynomial(k, -k) == (1,)


def _all_kq(J):
    return [(k, q) for k in SUPPORTED_RANKS if k <= 2 * J for q in range(-k, k + 1)]


@pytest.mark.parametrize("J", [0.5, 2.5, 3, 6, 7.5])
def test_hermitian(J):
    for k, q in _all_kq(J):
        O = stevens(J, k, q)
        assert np.allclose(O, O.conj().T, atol=1e-12 * max(1, np.abs(O).max())), (k, q)
        if k > 0:
            assert np.abs(O).max() > 0, (k, q)


@pytest.mark.parametrize("J", [6, 7.5])
def test_trace_orthogonality(J):
    kqs = _all_kq(J)
    assert (12, 12) in kqs
    M = np.array([stevens(J, k, q).ravel() for k, q in kqs])
    G = M.conj() @ M.T  # G_ab = Tr(O_a^dagger O_b) = Tr(O_a O_b)
    n = np.sqrt(np.diag(G).real)
    assert np.all(n > 0)
    C = np.abs(G) / np.outer(n, n)
    np.fill_diagonal(C, 0.0)
    assert C.max() < 1e-12


def test_vanishing_for_small_J():
    assert np.array_equal(stevens(2, 6, 3), np.zeros((5, 5)))
    assert np.array_equal(stevens(0.5, 2, 0), np.zeros((2, 2)))
    assert stevens(0.5, 0, 0).shape == (2, 2)
    assert np.allclose(stevens(3.5, 0, 0), np.eye(8))


def test_returns_copies():
    O = stevens(7.5, 2, 0)
    O[:] = 0
    assert stevens(7.5, 2, 0)[0, 0] == pytest.approx(3 * 7.5**2 - 7.5 * 8.5)


@pytest.mark.parametrize(
    "args, match",
    [((7.5, 7, 0), "rank k = 7"), ((7.5, 14, 0), "rank k = 14"), ((4, 4, 5), r"\|q\| <= k"),
     ((4, 2.5, 0), "integers"), ((0, 2, 0), "J = 0"), ((1.3, 2, 0), "J = 1.3"), ((-1, 2, 0), "J = -1")],
)
def test_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        stevens(*args)


def test_basis():
    b = stevens_basis(7.5)
    assert [k for k, _ in b].count(12) == 25 and (1, 0) not in b and (0, 0) not in b
    assert stevens_basis(1) == [(2, q) for q in range(-2, 3)]
    assert (3, -3) in stevens_basis(2, even_only=False)
    assert max(k for k, _ in stevens_basis(7.5, kmax=6)) == 6


def test_cf_matrix_and_projection_roundtrip():
    rng = np.random.default_rng(7)
    J = 7.5
    # realistic scaling: every term contributes O(1) (|O_12^q| is ~1e11 times |O_2^q| at J = 15/2)
    norm = {kq: np.linalg.norm(stevens(J, *kq)) for kq in stevens_basis(J)}
    B = {kq: rng.normal() / norm[kq] for kq in stevens_basis(J)}
    H = cf_matrix(J, B)
    assert np.allclose(H, H.conj().T)
    B2 = cf_parameters_from_matrix(H, J)
    assert B2.keys() == B.keys()
    assert max(abs(B2[kq] - B[kq]) * norm[kq] for kq in B) < 1e-12 * np.linalg.norm(H)
    # the trace part is kept only when k = 0 is requested
    B0 = cf_parameters_from_matrix(H + 3.0 * np.eye(16), J, ks=[0, 2, 4, 6, 8, 10, 12])
    assert B0[(0, 0)] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="residual"):
        cf_parameters_from_matrix(H, J, ks=[2, 4, 6], tol=1e-8)
    with pytest.raises(ValueError, match="Hermitian"):
        cf_parameters_from_matrix(H + 1j * np.eye(16), J)


def test_cf_matrix_bad_keys():
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        cf_matrix(2, {(2, 3): 1.0})
    with pytest.raises(ValueError, match="'B20'"):
        cf_matrix(2, {"B20": 1.0})
    with pytest.raises(ValueError, match="real"):
        cf_matrix(2, {(2, 0): 1.0 + 1.0j})


@pytest.mark.parametrize("J", [1.5, 2.5, 7.5])
def test_kramers_degeneracy(J):
    """Half-integer J, random time-even crystal field (all even k <= 2J, all q): Kramers doublets."""
    rng = np.random.default_rng(int(2 * J))
    B = {kq: rng.normal() / np.linalg.norm(stevens(J, *kq)) for kq in stevens_basis(J)}
    w = np.linalg.eigvalsh(cf_matrix(J, B))
    width = w[-1] - w[0]
    assert width > 0
    assert np.allclose(w[0::2], w[1::2], rtol=0, atol=1e-9 * width)
    # ... and the doublets are genuinely split from each other
    assert np.min(np.diff(w[0::2])) > 1e-6 * width


def test_integer_J_not_degenerate():
    rng = np.random.default_rng(1)
    J = 4
    w = np.linalg.eigvalsh(cf_matrix(J, {kq: rng.normal() for kq in stevens_basis(J)}))
    assert np.min(np.diff(w)) > 1e-6 * (w[-1] - w[0])


def test_large_J_precision():
    # exact integer construction: O_2^0 still equals its closed form at large J
    J = 40
    _, _, Jz = spin_matrices(J)
    assert np.allclose(stevens(J, 2, 0), 3 * Jz @ Jz - J * (J + 1) * np.eye(81), rtol=0, atol=1e-9)
    O = stevens(J, 12, 1)
    assert np.allclose(O, O.conj().T, rtol=0, atol=1e-12 * np.abs(O).max())
    assert sqrt(np.sum(np.abs(O) ** 2)) > 0
