r"""Rotations of spin operators and of crystal-field (Stevens) parameter sets; Wigner 3j symbols.

Conventions
-----------
* Active rotations, zyz Euler angles in radians: R = Rz(alpha) Ry(beta) Rz(gamma) (the same as
  ``scipy.spatial.transform.Rotation.from_euler("ZYZ", [alpha, beta, gamma])``, intrinsic axes).
  In the |J, M> space (M descending, hbar = 1) the rotation is
      U(R) = D^J(alpha, beta, gamma) = exp(-i alpha Jz) exp(-i beta Jy) exp(-i gamma Jz),
      D_{M'M} = <J M'| U |J M> = exp(-i alpha M') d^J_{M'M}(beta) exp(-i gamma M).
  It represents R on vector operators as U^dagger J_i U = sum_j R_ij J_j.
* Rotating an operator means O -> O' = U O U^dagger. For O = f(J) this gives f(R^T J), e.g.
  Jz -> (R z_hat).J: an easy axis along z is carried to R z_hat. Rotating O_2^0 by 90 degrees
  about y gives 3Jx^2 - X = -O_2^0/2 + (3/2) O_2^2.
* A crystal field is rotated the same way: H' = U H U^dagger, then projected back on Stevens
  operators. Rank k is preserved; the coefficients mixing O_k^q within a rank do not depend on J.
* A rotation can be given as an (alpha, beta, gamma) triple, a 3x3 proper rotation matrix, or a
  ``scipy.spatial.transform.Rotation``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from fractions import Fraction
from functools import lru_cache

import numpy as np
from scipy.spatial.transform import Rotation

from spinbath.spins.operators import check_spin, spin_matrices
from spinbath.spins.stevens import _check_params, _stevens_cached, check_kq

__all__ = [
    "wigner_D",
    "euler_angles",
    "rotation_matrix",
    "spin_rotation",
    "rotate_operator",
    "stevens_rotation_matrix",
    "rotate_cf_parameters",
    "wigner_3j",
    "clebsch_gordan",
]

RotationLike = Sequence[float] | np.ndarray | Rotation


@lru_cache(maxsize=64)
def _jy_eigen(twoJ: int) -> tuple[np.ndarray, np.ndarray]:
    _, Jy, _ = spin_matrices(twoJ / 2)
    w, v = np.linalg.eigh(Jy)
    # The eigenvalues of Jy are exactly M = -J..J; snap them to remove rounding.
    w = np.round(2 * w) / 2
    v.setflags(write=False)
    return w, v


def wigner_D(J: float, alpha: float, beta: float, gamma: float) -> np.ndarray:
    """Wigner rotation matrix D^J = exp(-i alpha Jz) exp(-i beta Jy) exp(-i gamma Jz).

    zyz Euler angles in radians, active rotation R = Rz(alpha) Ry(beta) Rz(gamma); basis
    M = J..-J (descending), so D[i, j] = <J, J-i| U |J, J-j>. Unitary, (2J+1) x (2J+1), complex.
    For half-integer J, a 2 pi rotation gives -1.
    """
    Jf = check_spin(J)
    twoJ = int(round(2 * Jf))
    m = Jf - np.arange(twoJ + 1)
    w, v = _jy_eigen(twoJ)
    d = (v * np.exp(-1j * float(beta) * w)) @ v.conj().T
    return np.exp(-1j * float(alpha) * m)[:, None] * d * np.exp(-1j * float(gamma) * m)[None, :]


def _as_rotation(rotation: RotationLike) -> Rotation:
    if isinstance(rotation, Rotation):
        if not rotation.single:
            raise ValueError("a single rotation is needed, got a stack of rotations")
        return rotation
    arr = np.asarray(rotation, dtype=float)
    if arr.shape == (3,):
        return Rotation.from_euler("ZYZ", arr)
    if arr.shape == (3, 3):
        if not np.allclose(arr @ arr.T, np.eye(3), atol=1e-8) or np.linalg.det(arr) < 0:
            raise ValueError("3x3 matrix is not a proper rotation (orthogonal with det +1)")
        return Rotation.from_matrix(arr)
    raise ValueError(
        f"rotation must be zyz Euler angles (3,), a 3x3 rotation matrix or a scipy Rotation; got shape {arr.shape}"
    )


def euler_angles(rotation: RotationLike) -> tuple[float, float, float]:
    """zyz Euler angles (alpha, beta, gamma) in radians with R = Rz(alpha) Ry(beta) Rz(gamma)."""
    if not isinstance(rotation, Rotation):
        arr = np.asarray(rotation, dtype=float)
        if arr.shape == (3,):
            return float(arr[0]), float(arr[1]), float(arr[2])
    with warnings.catch_warnings():  # gimbal lock is harmless here: any valid triple will do
        warnings.simplefilter("ignore", UserWarning)
        a, b, c = _as_rotation(rotation).as_euler("ZYZ")
    return float(a), float(b), float(c)


def rotation_matrix(rotation: RotationLike) -> np.ndarray:
    """The 3x3 rotation matrix R = Rz(alpha) Ry(beta) Rz(gamma) of any accepted rotation input."""
    return _as_rotation(rotation).as_matrix()


def spin_rotation(J: float, rotation: RotationLike) -> np.ndarray:
    """U(R) in the J multiplet for any accepted rotation input (see :func:`wigner_D`).

    For half-integer J, U is defined up to a sign (SU(2) double cover); operator rotations
    U O U^dagger are unaffected.
    """
    return wigner_D(J, *euler_angles(rotation))


def rotate_operator(O: np.ndarray, J: float, rotation: RotationLike) -> np.ndarray:
    """Actively rotated operator O' = U O U^dagger, U = D^J(R); e.g. Jz -> (R z_hat).J."""
    O = np.asarray(O)
    d = int(round(2 * check_spin(J))) + 1
    if O.shape != (d, d):
        raise ValueError(f"operator of shape {O.shape} does not fit J = {J} (dimension {d})")
    U = spin_rotation(J, rotation)
    return U @ O @ U.conj().T


def stevens_rotation_matrix(k: int, rotation: RotationLike) -> np.ndarray:
    """Real (2k+1)x(2k+1) matrix S with U O_k^q U^dagger = sum_q' S[q'+k, q+k] O_k^q'.

    Rows and columns are ordered q = -k..k. S does not depend on J (Stevens operators of rank k are
    J-independent combinations of one rank-k spherical tensor); it is computed in the smallest
    multiplet that carries rank k, J = k/2, by projection with Tr(O_k^q' O_k^q) orthogonality.
    A B_k^q set transforms as B'_{q'} = sum_q S[q', q] B_q.
    """
    k, _ = check_kq(k, 0)
    if k == 0:
        return np.ones((1, 1))
    U = spin_rotation(k / 2, rotation)
    ops = [_stevens_cached(k, k, q) for q in range(-k, k + 1)]
    norms = np.array([np.sum(np.abs(O) ** 2) for O in ops])
    S = np.empty((2 * k + 1, 2 * k + 1))
    for j, O in enumerate(ops):
        Or = U @ O @ U.conj().T
        # Tr(O_a Or) = sum_ij (O_a)_ij (Or)_ji
        S[:, j] = [np.sum(Oa * Or.T).real for Oa in ops] / norms
    return S


def rotate_cf_parameters(
    B: Mapping[tuple[int, int], float], J: float | None, rotation: RotationLike
) -> dict[tuple[int, int], float]:
    """Stevens parameters of the actively rotated crystal field H' = U H U^dagger.

    H = sum B_k^q O_k^q; the result B' satisfies sum B'_k^q O_k^q = U H U^dagger with U = D^J(R).
    Each rank present in B is rotated with :func:`stevens_rotation_matrix`, so the output has all
    q = -k..k of those ranks (only same-k terms mix). The result does not depend on J; J (may be
    None) is only validated. Units are those of B (cm^-1).
    """
    if J is not None:
        check_spin(J)
    params = _check_params(B)
    out: dict[tuple[int, int], float] = {}
    for k in sorted({k for k, _ in params}):
        vec = np.array([params.get((k, q), 0.0) for q in range(-k, k + 1)])
        new = stevens_rotation_matrix(k, rotation) @ vec
        out.update({(k, q): float(new[q + k]) for q in range(-k, k + 1)})
    return out


def _two(x, name: str) -> int:
    t = 2 * float(x)
    if abs(t - round(t)) > 1e-9:
        raise ValueError(f"{name} = {x!r} must be a multiple of 1/2")
    return int(round(t))


def wigner_3j(j1: float, j2: float, j3: float, m1: float, m2: float, m3: float) -> float:
    """Wigner 3j symbol (j1 j2 j3; m1 m2 m3), Racah's formula in exact rational arithmetic.

    Returns 0.0 outside the selection rules (m1+m2+m3 = 0, triangle, |m| <= j, j +- m integer).
    Example: (1 1 0; 0 0 0) = -1/sqrt(3).
    """
    J1, J2, J3 = _two(j1, "j1"), _two(j2, "j2"), _two(j3, "j3")
    M1, M2, M3 = _two(m1, "m1"), _two(m2, "m2"), _two(m3, "m3")
    if M1 + M2 + M3 != 0 or min(J1, J2, J3) < 0:
        return 0.0
    for Jx, Mx in ((J1, M1), (J2, M2), (J3, M3)):
        if abs(Mx) > Jx or (Jx + Mx) % 2:
            return 0.0
    if J3 > J1 + J2 or J3 < abs(J1 - J2) or (J1 + J2 + J3) % 2:
        return 0.0
    f = math.factorial
    tri = Fraction(
        f((J1 + J2 - J3) // 2) * f((J1 - J2 + J3) // 2) * f((-J1 + J2 + J3) // 2), f((J1 + J2 + J3) // 2 + 1)
    )
    pre = 1
    for Jx, Mx in ((J1, M1), (J2, M2), (J3, M3)):
        pre *= f((Jx + Mx) // 2) * f((Jx - Mx) // 2)
    x1, x2 = (J3 - J2 + M1) // 2, (J3 - J1 - M2) // 2
    x3, x4, x5 = (J1 + J2 - J3) // 2, (J1 - M1) // 2, (J2 + M2) // 2
    s = Fraction(0)
    for t in range(max(0, -x1, -x2), min(x3, x4, x5) + 1):
        s += Fraction((-1) ** t, f(t) * f(x1 + t) * f(x2 + t) * f(x3 - t) * f(x4 - t) * f(x5 - t))
    if s == 0:
        return 0.0
    sign = (-1) ** ((J1 - J2 - M3) // 2) * (1 if s > 0 else -1)
    return sign * math.sqrt(s * s * tri * pre)


def clebsch_gordan(j1: float, m1: float, j2: float, m2: float, J: float, M: float) -> float:
    """Clebsch-Gordan coefficient <j1 m1; j2 m2 | J M> (Condon-Shortley phase).

    <j1 m1; j2 m2 | J M> = (-1)^(j1 - j2 + M) sqrt(2J + 1) (j1 j2 J; m1 m2 -M).
    """
    phase = (-1) ** ((_two(j1, "j1") - _two(j2, "j2") + _two(M, "M")) // 2)
    return phase * math.sqrt(2 * float(J) + 1) * wigner_3j(j1, j2, J, m1, m2, -M)
