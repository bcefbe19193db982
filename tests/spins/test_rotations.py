"""Wigner D matrices, operator and crystal-field rotations, 3j symbols: laws and closed forms."""

from math import sqrt

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from spinbath.spins.operators import spin_matrices
from spinbath.spins.rotations import (
    clebsch_gordan,
    euler_angles,
    rotate_cf_parameters,
    rotate_operator,
    rotation_matrix,
    spin_rotation,
    stevens_rotation_matrix,
    wigner_3j,
    wigner_D,
)
from spinbath.spins.stevens import SUPPORTED_RANKS, cf_matrix, cf_parameters_from_matrix, stevens, stevens_basis


def Rx(t):
    return np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])


def Ry(t):
    return np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]])


def Rz(t):
    return np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])


EULER = (0.37, 1.21, -2.05)


@pytest.mark.parametrize("J", [0.5, 2.5, 4, 7.5])
def test_wigner_D_represents_rotation(J):
    U = wigner_D(J, *EULER)
    assert np.allclose(U @ U.conj().T, np.eye(len(U)), atol=1e-13)
    R = Rz(EULER[0]) @ Ry(EULER[1]) @ Rz(EULER[2])
    assert np.allclose(rotation_matrix(EULER), R, atol=1e-14)
    Jv = spin_matrices(J)
    for i in range(3):  # U^dagger J_i U = sum_j R_ij J_j
        assert np.allclose(U.conj().T @ Jv[i] @ U, sum(R[i, j] * Jv[j] for j in range(3)), atol=1e-12)


def test_wigner_D_spin_half_closed_form():
    a, b, c = EULER
    U = wigner_D(0.5, a, b, c)
    ref = np.array(
        [[np.exp(-0.5j * (a + c)) * np.cos(b / 2), -np.exp(-0.5j * (a - c)) * np.sin(b / 2)],
         [np.exp(0.5j * (a - c)) * np.sin(b / 2), np.exp(0.5j * (a + c)) * np.cos(b / 2)]]
    )
    assert np.allclose(U, ref, atol=1e-14)


@pytest.mark.parametrize("J, sign", [(0.5, -1), (1.5, -1), (2, 1), (7.5, -1)])
def test_two_pi_rotation(J, sign):
    assert np.allclose(wigner_D(J, 0, 2 * np.pi, 0), sign * np.eye(int(2 * J) + 1), atol=1e-12)


def test_rotation_inputs_agree():
    J = 3.5
    O = stevens(J, 4, 3) + stevens(J, 2, -1)
    R = rotation_matrix(EULER)
    a = rotate_operator(O, J, EULER)
    b = rotate_operator(O, J, R)
    c = rotate_operator(O, J, Rotation.from_matrix(R))
    assert np.allclose(a, b, atol=1e-11) and np.allclose(a, c, atol=1e-11)
    assert np.allclose(rotation_matrix(euler_angles(R)), R, atol=1e-13)
    # gimbal-lock input (beta = 0) still round-trips
    assert np.allclose(rotation_matrix(euler_angles(Rz(0.4))), Rz(0.4), atol=1e-14)
    with pytest.raises(ValueError, match="proper rotation"):
        rotate_operator(O, J, np.diag([1.0, 1.0, -1.0]))
    with pytest.raises(ValueError, match="shape"):
        rotate_operator(O, J, [0.1, 0.2])


@pytest.mark.parametrize("J", [1, 2.5, 7.5])
def test_O20_closed_forms(J):
    O20, O22 = stevens(J, 2, 0), stevens(J, 2, 2)
    # 90 deg about y: z -> x, 3Jz^2 - X -> 3Jx^2 - X = -O20/2 + 3/2 O22
    assert np.allclose(rotate_operator(O20, J, Ry(np.pi / 2)), -O20 / 2 + 1.5 * O22, atol=1e-11)
    # 90 deg about x: z -> -y, 3Jy^2 - X = -O20/2 - 3/2 O22
    assert np.allclose(rotate_operator(O20, J, Rx(np.pi / 2)), -O20 / 2 - 1.5 * O22, atol=1e-11)
    # Jz -> (R z).J
    Jv = spin_matrices(J)
    R = rotation_matrix(EULER)
    n = R @ np.array([0, 0, 1.0])
    assert np.allclose(rotate_operator(Jv[2], J, R), sum(n[i] * Jv[i] for i in range(3)), atol=1e-12)


@pytest.mark.parametrize("k", [kk for kk in SUPPORTED_RANKS if kk > 0])
def test_rotation_about_z_and_pi_about_x(k):
    """About z by phi: O_k^q -> cos(q phi) O_k^q + sin(q phi) O_k^-q (q > 0).
    pi about x (J+ <-> J-, Jz -> -Jz): O_k^q -> (-1)^(k-q) O_k^q, O_k^-q -> -(-1)^(k-q) O_k^-q."""
    phi = 0.73
    S = stevens_rotation_matrix(k, Rz(phi))
    ref = np.zeros((2 * k + 1, 2 * k + 1))
    ref[k, k] = 1.0
    for q in range(1, k + 1):
        c, s = np.cos(q * phi), np.sin(q * phi)
        ref[k + q, k + q], ref[k - q, k + q] = c, s  # column O^q -> c O^q + s O^-q
        ref[k - q, k - q], ref[k + q, k - q] = c, -s  # column O^-q -> c O^-q - s O^q
    assert np.allclose(S, ref, atol=1e-10)
    S = stevens_rotation_matrix(k, Rx(np.pi))
    diag = [(-1) ** (k - abs(q)) * (1 if q >= 0 else -1) for q in range(-k, k + 1)]
    assert np.allclose(S, np.diag(diag), atol=1e-10)


def test_cubic_invariants():
    """Lea-Leask-Wolf cubic fields O_4^0 + 5 O_4^4 and O_6^0 - 21 O_6^4 are invariant under the
    cubic rotations (90 deg about x, y, z; 120 deg about [111])."""
    J = 7.5
    B = {(4, 0): 1.0, (4, 4): 5.0, (6, 0): 0.3, (6, 4): -21 * 0.3}
    H = cf_matrix(J, B)
    c3 = Rotation.from_rotvec(2 * np.pi / 3 * np.ones(3) / sqrt(3))
    for R in (Rx(np.pi / 2), Ry(np.pi / 2), Rz(np.pi / 2), c3):
        assert np.allclose(rotate_operator(H, J, R), H, atol=1e-9 * np.abs(H).max())
        Bp = rotate_cf_parameters(B, J, R)
        assert all(abs(Bp.get(kq, 0.0) - B.get(kq, 0.0)) < 1e-10 for kq in Bp)


def _random_cf(J, seed):
    rng = np.random.default_rng(seed)
    return {kq: rng.normal() / np.linalg.norm(stevens(J, *kq)) for kq in stevens_basis(J)}


@pytest.mark.parametrize("J", [2.5, 6, 7.5])
def test_rotated_cf_keeps_spectrum_and_matches_projection(J):
    B = _random_cf(J, 3)
    H = cf_matrix(J, B)
    Bp = rotate_cf_parameters(B, J, EULER)
    Hp = cf_matrix(J, Bp)
    scale = np.abs(np.linalg.eigvalsh(H)).max()
    assert np.allclose(np.linalg.eigvalsh(Hp), np.linalg.eigvalsh(H), atol=1e-10 * scale)
    assert np.allclose(Hp, rotate_operator(H, J, EULER), atol=1e-10 * scale)
    # same parameters from projecting the rotated matrix (ranks are preserved)
    Bproj = cf_parameters_from_matrix(rotate_operator(H, J, EULER), J, tol=1e-9)
    norm = {kq: np.linalg.norm(stevens(J, *kq)) for kq in B}
    assert max(abs(Bproj[kq] - Bp[kq]) * norm[kq] for kq in B) < 1e-10 * scale


def test_rotation_forth_and_back():
    J = 7.5
    B = {kq: v * 1e3 for kq, v in _random_cf(J, 11).items()}
    R = rotation_matrix(EULER)
    back = rotate_cf_parameters(rotate_cf_parameters(B, J, R), J, R.T)
    norm = {kq: np.linalg.norm(stevens(J, *kq)) for kq in B}
    assert max(abs(back[kq] - B[kq]) * norm[kq] for kq in B) < 1e-10 * 1e3
    # plain parameters (no scaling) for the ranks of DyCp: relative 1e-10
    B6 = {kq: v for kq, v in zip(stevens_basis(J, 6), np.linspace(-1, 1, 27))}
    back6 = rotate_cf_parameters(rotate_cf_parameters(B6, None, EULER), None, rotation_matrix(EULER).T)
    assert max(abs(back6[kq] - B6[kq]) for kq in B6) < 1e-10


def test_rotation_composition():
    R1, R2 = rotation_matrix(EULER), Rx(0.4) @ Ry(-1.1)
    for k in (2, 4, 6, 12):
        assert np.allclose(
            stevens_rotation_matrix(k, R1 @ R2), stevens_rotation_matrix(k, R1) @ stevens_rotation_matrix(k, R2),
            atol=1e-9 * np.abs(stevens_rotation_matrix(k, R1)).max() ** 2,
        )


def test_spin_rotation_matches_wigner_D():
    assert np.allclose(spin_rotation(2, EULER), wigner_D(2, *EULER))


def test_wigner_3j_known_values():
    assert wigner_3j(1, 1, 0, 0, 0, 0) == pytest.approx(-1 / sqrt(3), abs=1e-15)
    assert wigner_3j(2, 2, 2, 0, 0, 0) == pytest.approx(-sqrt(2 / 35), abs=1e-15)
    assert wigner_3j(0.5, 0.5, 1, 0.5, -0.5, 0) == pytest.approx(1 / sqrt(6), abs=1e-15)
    assert wigner_3j(3, 2, 3, 0, 0, 0) == pytest.approx(2 / sqrt(105), abs=1e-15)  # sign (-1)^((3+2+3)/2)
    assert wigner_3j(1, 1, 1, 0, 0, 0) == 0.0
    assert wigner_3j(1, 1, 3, 0, 0, 0) == 0.0
    assert clebsch_gordan(0.5, 0.5, 0.5, -0.5, 0, 0) == pytest.approx(1 / sqrt(2), abs=1e-15)
    assert clebsch_gordan(0.5, -0.5, 0.5, 0.5, 0, 0) == pytest.approx(-1 / sqrt(2), abs=1e-15)
    assert clebsch_gordan(1, 1, 1, -1, 2, 0) == pytest.approx(1 / sqrt(6), abs=1e-15)


def test_wigner_3j_orthogonality():
    j1, j2 = 7.5, 4
    for j3, j3p in ((3.5, 3.5), (5.5, 5.5), (5.5, 7.5)):
        for m3 in (0.5, 2.5):
            tot = sum(
                wigner_3j(j1, j2, j3, m1, -m1 - m3, m3) * wigner_3j(j1, j2, j3p, m1, -m1 - m3, m3)
                for m1 in np.arange(-j1, j1 + 1)
            )
            assert tot == pytest.approx((j3 == j3p) / (2 * j3 + 1), abs=1e-14)
