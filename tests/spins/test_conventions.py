"""Tesseral (Ryabov/MolForge) and Wybourne conversions, Stevens factors, Lande g_J."""

from fractions import Fraction
from math import factorial, sqrt

import numpy as np
import pytest

from spinbath.spins.conventions import (
    LN3_GROUND_MULTIPLETS,
    STEVENS_FACTORS,
    TESSERAL_FACTORS,
    _tesseral_factor_rule,
    ground_multiplet,
    lande_gJ,
    stevens_factors,
    stevens_to_tesseral,
    stevens_to_wybourne,
    tesseral_factor,
    tesseral_to_stevens,
    wybourne_lambda,
    wybourne_to_stevens,
)
from spinbath.spins.operators import ladder_operators, spin_matrices
from spinbath.spins.rotations import clebsch_gordan, wigner_3j
from spinbath.spins.stevens import cf_matrix, stevens

# REFERENCES.md (checked numerically against MolForge at J = 15/2, 5/2, 2)
REFERENCE_TESSERAL = {
    2: (0.408248, 1.41421, 0.707107),
    4: (0.0597614, 0.377964, 0.267261, 1.0, 0.353553),
    6: (0.0164488, 0.150756, 0.119183, 0.238366, 0.130558, 0.612372, 0.176777),
}


def test_tesseral_table_against_references():
    for k, row in REFERENCE_TESSERAL.items():
        for q, ref in enumerate(row):
            assert tesseral_factor(k, q) == pytest.approx(ref, abs=1e-5), (k, q)
            assert tesseral_factor(k, -q) == tesseral_factor(k, q)
    assert tesseral_factor(2, 0) == pytest.approx(1 / sqrt(6), rel=1e-15)
    assert tesseral_factor(4, 0) == pytest.approx(1 / sqrt(280), rel=1e-15)


def test_tesseral_table_equals_rule():
    for k, row in TESSERAL_FACTORS.items():
        assert len(row) == k + 1
        for q, c in enumerate(row):
            assert c == pytest.approx(_tesseral_factor_rule(k, q), rel=1e-15), (k, q)
        if k > 0:  # O^tess_kk = 2^((1-k)/2) O_k^k
            assert row[k] == pytest.approx(2 ** ((1 - k) / 2), rel=1e-15)


def _ryabov_tensor(J, k):
    """T^k_k = (J_{+1})^k = (-J+/sqrt 2)^k, [J-, T^k_q] = sqrt((k+q)(k-q+1)) T^k_{q-1}."""
    Jp, Jm = ladder_operators(J)
    T = {k: np.linalg.matrix_power(-Jp / sqrt(2), k)}
    for q in range(k, -k, -1):
        T[q - 1] = (Jm @ T[q] - T[q] @ Jm) / sqrt((k + q) * (k - q + 1))
    return T


def _tesseral_from_definition(J, k):
    T = _ryabov_tensor(J, k)
    out = {(k, 0): T[0]}
    for q in range(1, k + 1):
        out[(k, q)] = ((-1) ** q * T[q] + T[-q]) / sqrt(2)
        out[(k, -q)] = 1j * (T[-q] - (-1) ** q * T[q]) / sqrt(2)
    return out


@pytest.mark.parametrize("J", [6, 7.5])
@pytest.mark.parametrize("k", [2, 4, 6, 8, 10, 12])
def test_tesseral_defining_property(J, k):
    """O^tess_kq built from the Ryabov tensor equals c_kq O_k^q (k = 8..12 included)."""
    for (kk, q), Ot in _tesseral_from_definition(J, k).items():
        ref = tesseral_factor(kk, q) * stevens(J, kk, q)
        assert np.allclose(Ot, ref, rtol=0, atol=1e-10 * np.abs(ref).max()), (k, q)


@pytest.mark.parametrize("k", [2, 4, 6, 8, 10, 12])
def test_tesseral_tensor_equals_molforge_matrix_elements(k):
    """Same tensor from MolForge's closed form <J M'|T_q|J M> = <J M; k q|J M'> N_k / sqrt(2J+1),
    N_k = k! sqrt((2J+k+1)! / ((2J-k)! 2^k (2k)!))."""
    J = 7.5
    T = _ryabov_tensor(J, k)
    twoJ = int(2 * J)
    Nk = factorial(k) * sqrt(Fraction(factorial(twoJ + k + 1), factorial(twoJ - k) * 2**k * factorial(2 * k)))
    m = J - np.arange(16)
    for q in (0, 1, k // 2, k - 1, k, -k, -1):
        ref = np.array([[clebsch_gordan(J, M, k, q, J, Mp) for M in m] for Mp in m]) * Nk / sqrt(2 * J + 1)
        assert np.allclose(T[q], ref, rtol=0, atol=1e-10 * np.abs(ref).max()), (k, q)


def test_tesseral_roundtrip_and_errors():
    B = {(2, 0): 1.5, (2, -1): -0.2, (4, 3): 0.7, (6, -6): 1e-3, (8, 8): 2.0, (12, -5): 3.0}
    S = tesseral_to_stevens(B)
    assert S[(2, 0)] == pytest.approx(1.5 / sqrt(6))
    assert S[(2, -1)] == pytest.approx(-0.2 * sqrt(2))
    back = stevens_to_tesseral(S)
    assert all(back[kq] == pytest.approx(v, rel=1e-14) for kq, v in B.items())
    with pytest.raises(ValueError, match=r"\(3, 0\)"):
        tesseral_to_stevens({(3, 0): 1.0})
    with pytest.raises(ValueError, match=r"\(2, 5\)"):
        tesseral_to_stevens({(2, 5): 1.0})
    with pytest.raises(ValueError, match="'B20'"):
        stevens_to_tesseral({"B20": 1.0})


# Mulak & Gajek / Rudowicz 1985 magnitudes (inverse factors also in angmom_suite)
LAMBDA_REF = {
    (2, 0): 1 / 2, (2, 1): sqrt(6), (2, 2): sqrt(6) / 2,
    (4, 0): 1 / 8, (4, 1): sqrt(5) / 2, (4, 2): sqrt(10) / 4, (4, 3): sqrt(35) / 2, (4, 4): sqrt(70) / 8,
    (6, 0): 1 / 16, (6, 1): sqrt(42) / 8, (6, 2): sqrt(105) / 16, (6, 3): sqrt(105) / 8,
    (6, 4): 3 * sqrt(14) / 16, (6, 5): 3 * sqrt(77) / 8, (6, 6): sqrt(231) / 16,
}


def test_wybourne_lambda_table():
    for (k, q), ref in LAMBDA_REF.items():
        assert wybourne_lambda(k, q) == pytest.approx(ref, rel=1e-14), (k, q)
        assert wybourne_lambda(k, -q) == wybourne_lambda(k, q)


def _racah_equivalent(J, k, q):
    """Operator equivalent of r^k C^k_q in the J multiplet, by Wigner-Eckart:
    <J M'|Ct_q|J M> = (-1)^(J-M') (J k J; -M' q M) 2^-k sqrt((2J+k+1)!/(2J-k)!)."""
    red = 2.0**-k * sqrt(Fraction(factorial(int(2 * J) + k + 1), factorial(int(2 * J) - k)))
    m = J - np.arange(int(2 * J) + 1)
    return np.array(
        [[(-1) ** round(J - Mp) * wigner_3j(J, k, J, -Mp, q, M) * red for M in m] for Mp in m], dtype=complex
    )


@pytest.mark.parametrize("k", [1, 2, 4, 6])
def test_racah_equivalent_highest_component(k):
    """r^k C^k_k = (-1)^k sqrt((2k)!)/(2^k k!) (x+iy)^k -> the same multiple of J+^k; r C^1_0 = z -> Jz."""
    J = 7.5
    Jp, _ = ladder_operators(J)
    ref = (-1) ** k * sqrt(factorial(2 * k)) / (2**k * factorial(k)) * np.linalg.matrix_power(Jp, k)
    assert np.allclose(_racah_equivalent(J, k, k), ref, rtol=0, atol=1e-10 * np.abs(ref).max())
    assert np.allclose(_racah_equivalent(J, 1, 0), spin_matrices(J)[2], atol=1e-13)


def _random_wybourne(rng, ks=(2, 4, 6)):
    W = {}
    for k in ks:
        W[(k, 0)] = rng.normal() * 100
        for q in range(1, k + 1):
            W[(k, q)] = complex(rng.normal(), rng.normal()) * 100
    return W


@pytest.mark.parametrize("ion", ["Dy", "Tb", "Er", "Ho", "Yb", "Pr"])
def test_wybourne_direct_vs_converted(ion):
    """H = sum_{k, q=-k..k} B^k_q theta_k Ct^k_q(J) equals the converted Stevens Hamiltonian."""
    J = LN3_GROUND_MULTIPLETS[ion][3]
    th = stevens_factors(ion)
    rng = np.random.default_rng(len(ion) + int(2 * J))
    for trial in range(2):
        W = _random_wybourne(rng)
        H = np.zeros((int(2 * J) + 1,) * 2, dtype=complex)
        for (k, q), w in W.items():
            H += w * th[k] * _racah_equivalent(J, k, q)
            if q > 0:  # B^k_-q = (-1)^q conj(B^k_q)
                H += (-1) ** q * np.conj(w) * th[k] * _racah_equivalent(J, k, -q)
        assert np.allclose(H, H.conj().T, atol=1e-9 * np.abs(H).max())
        Hs = cf_matrix(J, wybourne_to_stevens(W, ion=ion))
        assert np.allclose(Hs, H, rtol=0, atol=1e-10 * np.abs(H).max()), (ion, trial)


def test_wybourne_negative_q_and_theta_forms():
    rng = np.random.default_rng(5)
    W = _random_wybourne(rng)
    ref = wybourne_to_stevens(W, ion="Dy3+")
    # only negative q given
    Wneg = {(k, -q if q else 0): ((-1) ** q * np.conj(v) if q else v) for (k, q), v in W.items()}
    out = wybourne_to_stevens(Wneg, theta=stevens_factors("Dy"))
    assert all(out[kq] == pytest.approx(v, rel=1e-13, abs=1e-12) for kq, v in ref.items())
    # both signs given, consistent
    both = {**W, **Wneg}
    out = wybourne_to_stevens(both, ion="dy(III)")
    assert all(out[kq] == pytest.approx(v, rel=1e-13, abs=1e-12) for kq, v in ref.items())
    # inconsistent pair
    bad = {**W, (2, -1): W[(2, 1)]}
    with pytest.raises(ValueError, match=r"\(2, -1\)"):
        wybourne_to_stevens(bad, ion="Dy")
    with pytest.raises(ValueError, match="real"):
        wybourne_to_stevens({(2, 0): 1j}, ion="Dy")
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        wybourne_to_stevens({(2, 3): 1.0}, ion="Dy")
    with pytest.raises(ValueError, match="theta_8"):
        wybourne_to_stevens({(8, 0): 1.0}, ion="Dy")
    with pytest.raises(ValueError, match="exactly one"):
        wybourne_to_stevens(W)
    # a single theta for all ranks: B20 = theta/2 * B^2_0
    assert wybourne_to_stevens({(2, 0): 4.0}, theta=1.0) == {(2, 0): 2.0}


@pytest.mark.parametrize("ion", ["Dy", "Er", "Tb"])
def test_wybourne_roundtrip(ion):
    rng = np.random.default_rng(2)
    W = _random_wybourne(rng)
    B = wybourne_to_stevens(W, ion=ion)
    W2 = stevens_to_wybourne(B, ion=ion)
    assert len(W2) == 5 + 9 + 13
    for (k, q), v in W.items():
        assert W2[(k, q)] == pytest.approx(v, rel=1e-12)
        assert W2[(k, -q)] == pytest.approx((-1) ** q * np.conj(v), rel=1e-12)
    B2 = wybourne_to_stevens(W2, ion=ion)
    assert all(B2[kq] == pytest.approx(v, rel=1e-12, abs=1e-14) for kq, v in B.items())
    # real/imaginary storage: W[(k, q)] = Re B^k_q, W[(k, -q)] = Im B^k_q
    Wr = stevens_to_wybourne(B, ion=ion, form="real")
    assert all(isinstance(v, float) for v in Wr.values())
    assert Wr[(4, 3)] == pytest.approx(W[(4, 3)].real) and Wr[(4, -3)] == pytest.approx(W[(4, 3)].imag)
    B3 = wybourne_to_stevens(Wr, ion=ion, form="real")
    assert all(B3[kq] == pytest.approx(v, rel=1e-12, abs=1e-14) for kq, v in B.items())
    with pytest.raises(ValueError, match="form"):
        wybourne_to_stevens(Wr, ion=ion, form="wybourne")
    with pytest.raises(ValueError, match="theta_6 = 0"):
        stevens_to_wybourne({(6, 0): 1.0}, ion="Ce")


def _theta_first_principles(n_f):
    """theta_k of the Hund's-rule ground multiplet of 4f^n from the single-determinant state
    |L, M_L = L> (spin-up shell filled first), projected on |J, M_J = J> of the L x S product space."""
    if n_f < 7:
        occ, S = [3 - i for i in range(n_f)], n_f / 2
        L = sum(occ)
        J = abs(L - S)
    else:
        occ, S = [3 - i for i in range(n_f - 7)], (14 - n_f) / 2
        L = sum(occ)
        J = L + S
    Lv, Sv = spin_matrices(L), spin_matrices(S)
    IL, IS = np.eye(2 * L + 1), np.eye(int(2 * S) + 1)
    Jv = [np.kron(a, IS) + np.kron(IL, b) for a, b in zip(Lv, Sv)]
    J2 = sum(x @ x for x in Jv).real
    sel = np.where(np.abs(np.diag(Jv[2].real) - J) < 1e-9)[0]
    w, v = np.linalg.eigh(J2[np.ix_(sel, sel)])
    psi = np.zeros(len(J2))
    psi[sel] = v[:, np.argmin(np.abs(w - J * (J + 1)))]
    out = {}
    for k in (2, 4, 6):
        if k > 2 * J:
            out[k] = 0.0
            continue
        one = sum((-1) ** m * 7 * wigner_3j(3, k, 3, 0, 0, 0) * wigner_3j(3, k, 3, -m, 0, m) for m in occ)
        CL = _racah_equivalent(L, k, 0).real
        thetaL = one / CL[0, 0]  # sum_i C^k_0(i) = thetaL Ct_0(L) inside the LS term
        out[k] = thetaL * (psi @ np.kron(CL, IS) @ psi) / _racah_equivalent(J, k, 0).real[0, 0]
    return L, S, J, out


def test_stevens_factors_from_first_principles():
    for ion, (n_f, L, S, J, _) in LN3_GROUND_MULTIPLETS.items():
        L2, S2, J2, theta = _theta_first_principles(n_f)
        assert (L2, S2, J2) == (L, S, J), ion
        for k in (2, 4, 6):
            assert theta[k] == pytest.approx(float(STEVENS_FACTORS[ion][k]), rel=1e-10, abs=1e-15), (ion, k)
    # the familiar decimals
    assert stevens_factors("Dy3+")[2] == pytest.approx(-6.349e-3, rel=1e-3)
    assert stevens_factors("Er")[6] == pytest.approx(2.070e-6, rel=1e-3)
    with pytest.raises(ValueError, match="unknown ion"):
        stevens_factors("Gd")


def test_lande_gJ():
    assert lande_gJ(5, 2.5, 7.5) == pytest.approx(4 / 3, abs=1e-15)  # Dy(III) 6H15/2
    assert lande_gJ(6, 1.5, 7.5) == pytest.approx(6 / 5, abs=1e-15)  # Er(III) 4I15/2
    assert lande_gJ(3, 0.5, 3.5) == pytest.approx(8 / 7, abs=1e-15)  # Yb(III) 2F7/2
    assert lande_gJ(3, 0.5, 2.5) == pytest.approx(6 / 7, abs=1e-15)  # Ce(III) 2F5/2
    assert lande_gJ(0, 0.5, 0.5, g_e=2.0023) == pytest.approx(2.0023)
    assert ground_multiplet("Dy")["gJ"] == pytest.approx(4 / 3)
    for args in [(5, 2.5, 8.5), (5, 2.5, 7.0), (5, 2.5, 0), (2.5, 1, 1.5)]:
        with pytest.raises(ValueError):
            lande_gJ(*args)
