r"""Extended Stevens operators O_k^q for any J, and crystal-field Hamiltonians built from them.

Convention (Stevens; Rudowicz & Chung, J. Phys.: Condens. Matter 16, 5825 (2004); EasySpin ``stev``;
Sunny.jl ``stevens_matrices``), basis |J, M> with M = J, J-1, ..., -J (see ``operators``):

    O_2^0  = 3 Jz^2 - X,                       X = J(J+1)
    O_2^1  = (Jz J+ + J+ Jz + Jz J- + J- Jz)/4,  O_2^-1 = (Jz J+ + J+ Jz - Jz J- - J- Jz)/(4i)
    O_2^2  = (J+^2 + J-^2)/2,                  O_2^-2 = (J+^2 - J-^2)/(2i)
    O_4^0  = 35 Jz^4 - (30X - 25) Jz^2 + 3X^2 - 6X,    O_k^k = (J+^k + J-^k)/2 for every k.

q >= 0 are the "cosine" operators, q < 0 the "sine" operators, with a positive coefficient on
J+^|q|. A crystal-field Hamiltonian is H_CF = sum_kq B_k^q O_k^q with real B_k^q in cm^-1.

Construction (valid for every k; implemented for k = 0..6 and k = 8, 10, 12)
----------------------------------------------------------------------------
1. Racah's commutator rule, without normalization: T_k := J+^k, T_{q-1} := [J-, T_q]. T_q is a
   rank-k spherical tensor component (it equals a J-independent multiple of the normalized one).
   Its only non-zero matrix elements are <M+q|T_q|M> = f_kq(M) <M+q|J+^q|M> with f_kq an integer
   polynomial, obtained exactly (Python integers) from
       f_{q-1}(M) = (J-M-q+1)(J+M+q) f_q(M) - (J-M+1)(J+M) f_q(M-1),    f_k = 1.
2. Cosine/sine combinations with one number n_kq per (k, |q|):
       O_k^q  = n_kq (T_q + T_q^dagger)/2,      O_k^-q = n_kq (T_q - T_q^dagger)/(2i),   q >= 0.
3. Normalization rule (the Stevens rule). Replacing J by a classical vector r = (x, y, z), O_k^q
   becomes P_kq(z, r^2) Re(x + iy)^q (sine: Im(x + iy)^q), where P_kq is, up to a factor, the
   solid harmonic r^(k-q) d^q P_k/du^q (z/r), P_k the Legendre polynomial. Stevens operators fix the
   factor so that P_kq has coprime integer coefficients and a positive coefficient of z^(k-q)
   (e.g. 3z^2 - r^2, 35z^4 - 30r^2 z^2 + 3r^4, xz, Re(x+iy)^k). Writing
       b_j = C(k, j) (2k - 2j)! / (k - q - 2j)!,   j = 0..floor((k-q)/2),    g_kq = gcd_j(b_j),
   one finds (the classical image of step 1 is T_q -> (-1)^(k+q) (k-q)! g_kq/(k+q)! (x+iy)^q P_kq)
       n_kq = (-1)^(k+q) (k+q)! / ((k-q)! g_kq).
   This reproduces the prefactors of EasySpin's ``stev`` (computed there from Ryabov,
   J. Magn. Reson. 140, 141 (1999)) for every k <= 12 -- checked during development -- and the
   closed forms of Abragam & Bleaney Table 16 / Rudowicz & Chung 2004 (see tests).

For 2J < k the operator vanishes identically (a rank-k tensor has no matrix elements inside a
multiplet with 2J + 1 <= k states); :func:`stevens` then returns a zero matrix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from fractions import Fraction
from functools import lru_cache, reduce

import numpy as np

from spinbath.spins.operators import check_spin

__all__ = [
    "SUPPORTED_RANKS",
    "stevens",
    "stevens_normalization",
    "stevens_polynomial",
    "stevens_basis",
    "cf_matrix",
    "cf_parameters_from_matrix",
    "check_kq",
]

#: Ranks k for which :func:`stevens` is implemented (odd k only up to 6; CF needs even k).
SUPPORTED_RANKS: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6, 8, 10, 12)


def check_kq(k, q) -> tuple[int, int]:
    """Validate a Stevens index pair and return it as Python ints.

    Raises ValueError naming the pair if k is not in :data:`SUPPORTED_RANKS` or |q| > k.
    """
    try:
        ki, qi = int(k), int(q)
    except (TypeError, ValueError):
        raise ValueError(f"Stevens index (k, q) = ({k!r}, {q!r}) must be a pair of integers") from None
    if ki != k or qi != q or isinstance(k, bool) or isinstance(q, bool):
        raise ValueError(f"Stevens index (k, q) = ({k!r}, {q!r}) must be a pair of integers")
    if ki not in SUPPORTED_RANKS:
        raise ValueError(
            f"Stevens rank k = {ki} in (k, q) = ({ki}, {qi}) is not supported; "
            f"supported ranks: {SUPPORTED_RANKS}"
        )
    if abs(qi) > ki:
        raise ValueError(f"Stevens index (k, q) = ({ki}, {qi}) needs |q| <= k")
    return ki, qi


def _legendre_coefficients(k: int, q: int) -> list[int]:
    """b_j = C(k,j) (2k-2j)!/(k-q-2j)!: r^(k-q) d^q P_k/du^q (z/r) * 2^k k! = sum_j (-1)^j b_j z^(k-q-2j) r^(2j)."""
    return [
        math.comb(k, j) * math.factorial(2 * k - 2 * j) // math.factorial(k - q - 2 * j)
        for j in range((k - q) // 2 + 1)
    ]


def stevens_polynomial(k: int, q: int) -> tuple[int, ...]:
    """Coprime integer coefficients (p_0, p_1, ...) of the classical Stevens polynomial.

    O_k^q  <->  [sum_j p_j z^(k-|q|-2j) r^(2j)] * Re(x+iy)^|q|   (Im(...) for q < 0),
    p_0 > 0. Examples: (2, 0) -> (3, -1); (4, 0) -> (35, -30, 3); (8, 0) -> (6435, -12012, 6930,
    -1260, 35); (k, k) -> (1,).
    """
    k, q = check_kq(k, q)
    b = _legendre_coefficients(k, abs(q))
    g = reduce(math.gcd, b)
    return tuple((-1) ** j * bj // g for j, bj in enumerate(b))


def stevens_normalization(k: int, q: int) -> Fraction:
    """Exact prefactor n_kq = (-1)^(k+|q|) (k+|q|)! / ((k-|q|)! g_kq) of the Stevens rule.

    O_k^q = n_kq (T + T^dagger)/2 (q >= 0) or n_kq (T - T^dagger)/(2i) (q < 0), T = ad_{J-}^(k-|q|) J+^k.
    g_kq is the gcd of the Legendre coefficients b_j (module docstring). Examples: n_20 = 1/4,
    n_21 = -1/4, n_kk = 1.
    """
    k, q = check_kq(k, q)
    aq = abs(q)
    g = reduce(math.gcd, _legendre_coefficients(k, aq))
    return Fraction((-1) ** (k + aq) * math.factorial(k + aq), math.factorial(k - aq) * g)


@lru_cache(maxsize=1024)
def _stevens_cached(twoJ: int, k: int, q: int) -> np.ndarray:
    d = twoJ + 1
    out = np.zeros((d, d), dtype=complex)
    if k > twoJ:
        out.setflags(write=False)
        return out
    aq = abs(q)
    # index i <-> M = J - i, so J - M = i and J + M = 2J - i; f[i] is f_kq(M) for the column i.
    f = [1 if i >= k else 0 for i in range(d)] + [0]
    for qq in range(k, aq, -1):  # f_qq -> f_{qq-1}
        f = [f[i] * (i - qq + 1) * (twoJ - i + qq) - f[i + 1] * (i + 1) * (twoJ - i) for i in range(d)] + [0]
    n = stevens_normalization(k, q)
    for i in range(aq, d):
        if f[i] == 0:
            continue
        # <M+q|J+^q|M> = prod_t sqrt((J-M-t)(J+M+1+t)), t = 0..q-1
        s2 = 1
        for t in range(aq):
            s2 *= (i - t) * (twoJ - i + 1 + t)
        val = float(n * f[i]) * math.sqrt(s2)
        if aq == 0:
            out[i, i] = val
        elif q > 0:
            out[i - aq, i] += val / 2
            out[i, i - aq] += val / 2
        else:
            out[i - aq, i] += val / 2j
            out[i, i - aq] -= val / 2j
    out.setflags(write=False)
    return out


def stevens(J: float, k: int, q: int) -> np.ndarray:
    r"""Extended Stevens operator O_k^q for spin J, as a complex Hermitian (2J+1, 2J+1) matrix.

    Basis M = J, J-1, ..., -J (descending). Convention of Stevens / Rudowicz & Chung (2004) /
    EasySpin ``stev``: O_2^0 = 3Jz^2 - J(J+1), O_2^2 = (J+^2 + J-^2)/2, O_2^-2 = (J+^2 - J-^2)/(2i),
    O_4^0 = 35Jz^4 - (30X - 25)Jz^2 + 3X^2 - 6X (X = J(J+1)), O_k^k = (J+^k + J-^k)/2; q < 0 are the
    sine operators. The general construction and normalization rule are in the module docstring.

    Parameters
    ----------
    J : spin, a positive multiple of 1/2.
    k : rank, one of 0..6, 8, 10, 12 (O_0^0 is the identity).
    q : order, -k <= q <= k.

    Returns
    -------
    A new complex ndarray (a copy of a cached matrix; exact integer arithmetic up to one final
    floating-point rounding per element). For 2J < k, O_k^q vanishes identically and a zero matrix
    is returned.
    """
    Jf = check_spin(J)
    k, q = check_kq(k, q)
    return _stevens_cached(int(round(2 * Jf)), k, q).copy()


def stevens_basis(J: float, kmax: int = 12, *, even_only: bool = True) -> list[tuple[int, int]]:
    """All (k, q) with 1 <= k <= min(kmax, 2J) (k supported), q = -k..k, ordered by k then q.

    These are the non-vanishing Stevens operators of a J multiplet. ``even_only`` (default) keeps
    the even ranks, the ones allowed in a time-reversal-invariant crystal field. k = 0 (identity)
    is not included.
    """
    Jf = check_spin(J)
    kmax = int(kmax)
    out = []
    for k in SUPPORTED_RANKS:
        if k == 0 or k > kmax or k > 2 * Jf or (even_only and k % 2):
            continue
        out.extend((k, q) for q in range(-k, k + 1))
    return out


def _check_params(B: Mapping) -> dict[tuple[int, int], float]:
    if not isinstance(B, Mapping):
        raise ValueError(f"crystal-field parameters must be a mapping {{(k, q): value}}, got {type(B).__name__}")
    out: dict[tuple[int, int], float] = {}
    for key, val in B.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ValueError(f"crystal-field key {key!r} is not a (k, q) tuple")
        k, q = check_kq(*key)
        v = complex(val)
        if v.imag != 0:
            raise ValueError(f"Stevens parameter B{key} = {val!r} must be real (O_k^q are Hermitian)")
        out[(k, q)] = out.get((k, q), 0.0) + v.real
    return out


def cf_matrix(J: float, B: Mapping[tuple[int, int], float]) -> np.ndarray:
    """Crystal-field Hamiltonian H = sum_{(k,q)} B[(k,q)] O_k^q, a Hermitian (2J+1)x(2J+1) matrix.

    B: real Stevens parameters in cm^-1 (the result is then in cm^-1), keyed by (k, q) tuples.
    Terms with k > 2J vanish (their operators are zero). Wrong keys raise ValueError naming them.
    """
    Jf = check_spin(J)
    params = _check_params(B)
    d = int(round(2 * Jf)) + 1
    H = np.zeros((d, d), dtype=complex)
    for (k, q), b in params.items():
        if b != 0.0:
            H += b * _stevens_cached(d - 1, k, q)
    return H


def cf_parameters_from_matrix(
    H: np.ndarray,
    J: float,
    ks: Iterable[int] | None = None,
    *,
    tol: float | None = None,
) -> dict[tuple[int, int], float]:
    """Project a Hermitian matrix on Stevens operators: B_k^q = Tr(O_k^q H) / Tr(O_k^q O_k^q).

    Stevens operators of different (k, q) are orthogonal under Tr(A B) (they are combinations of
    spherical tensor components of different rank or order), so for H = sum B_k^q O_k^q with ranks
    in ``ks`` the projection returns exactly those B_k^q.

    Parameters
    ----------
    H : Hermitian (2J+1, 2J+1) matrix (e.g. in cm^-1; the parameters come out in the same unit).
    J : spin of the multiplet.
    ks : ranks to project on (default: even k from 2 to min(2J, 12)); include 0 to keep the trace
        (B_0^0 = Tr H / (2J+1)). Ranks with k > 2J are skipped (their operators vanish).
    tol : if given, raise ValueError when the residual ||H - sum B O||_F exceeds tol * ||H||_F
        (i.e. H has components outside the requested ranks).

    Returns
    -------
    dict {(k, q): B_k^q} with real values, for every q = -k..k of every projected rank.
    """
    Jf = check_spin(J)
    twoJ = int(round(2 * Jf))
    H = np.asarray(H)
    if H.shape != (twoJ + 1, twoJ + 1):
        raise ValueError(f"matrix of shape {H.shape} does not fit J = {Jf} (dimension {twoJ + 1})")
    scale = max(np.linalg.norm(H), 1e-300)
    if np.linalg.norm(H - H.conj().T) > 1e-10 * scale:
        raise ValueError("matrix is not Hermitian; Stevens parameters exist only for Hermitian operators")
    if ks is None:
        ks = [k for k in SUPPORTED_RANKS if k % 2 == 0 and 2 <= k <= twoJ]
    out: dict[tuple[int, int], float] = {}
    for k in ks:
        k, _ = check_kq(k, 0)
        if k > twoJ:
            continue
        for q in range(-k, k + 1):
            O = _stevens_cached(twoJ, k, q)
            # Tr(O H) = sum_ij O_ij H_ji ; O Hermitian -> Tr(O O) = ||O||_F^2
            num = np.sum(O * H.T)
            out[(k, q)] = float(num.real / np.sum(np.abs(O) ** 2))
    if tol is not None:
        resid = np.linalg.norm(H - cf_matrix(Jf, out))
        if resid > tol * scale:
            raise ValueError(
                f"residual ||H - sum B O|| = {resid:.3g} exceeds tol * ||H|| = {tol * scale:.3g}: "
                f"H has components outside ranks {sorted(set(k for k, _ in out))}"
            )
    return out
