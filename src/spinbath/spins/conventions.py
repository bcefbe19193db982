r"""Crystal-field parameter conventions -> Stevens B_k^q, Stevens factors of Ln(III), Lande g_J.

spinbath's crystal field is H_CF = sum_kq B_k^q O_k^q (cm^-1) with the Stevens operators of
:mod:`spinbath.spins.stevens`. Two other conventions are converted here, both ways:

Tesseral operators (Ryabov normalization, as in the MolForge ab initio code)
----------------------------------------------------------------------------
MolForge (LunghiGroup/MolForge, Modules/def_stevens.f90) uses tesseral operators
O^tess_kq = c_kq O_k^q, hence for the same Hamiltonian sum B^tess O^tess = sum B O:

    B_k^q (Stevens) = c_kq * B^tess_kq,    c_kq = c_k|q| > 0.

Rule (derived here, reproduces the table of REFERENCES.md to 1e-6): the tesseral operators are
real combinations of the spherical tensor T^k_q generated from the k-th power of the spherical
component J_{+1} = -J+/sqrt(2) of J,

    T^k_k = (J_{+1})^k = (-1)^k 2^(-k/2) J+^k,   [J-, T^k_q] = sqrt((k+q)(k-q+1)) T^k_{q-1},
    O^tess_k0 = T^k_0,   O^tess_kq = ((-1)^q T^k_q + T^k_-q)/sqrt(2),
    O^tess_k,-q = i (T^k_-q - (-1)^q T^k_q)/sqrt(2),     q > 0,

(equivalently <J M'|T^k_q|J M> = <J M; k q|J M'> k! sqrt((2J+k+1)! / ((2J-k)! 2^k (2k)!)) / sqrt(2J+1),
MolForge's matrix elements). In closed form, with g_kq the Legendre content of
:func:`spinbath.spins.stevens.stevens_normalization`,

    c_k0 = 2^(-k/2) g_k0 / sqrt((2k)!),   c_kq = sqrt(2) 2^(-k/2) g_kq sqrt((k-q)! / ((k+q)! (2k)!)),

e.g. c_20 = 1/sqrt(6), c_40 = 1/sqrt(280), c_kk = 2^((1-k)/2). :data:`TESSERAL_FACTORS` tabulates
it for even k = 0..12.

Wybourne parameters
-------------------
H_CF = sum_{k,q} B^k_q C^k_q, with C^k_q = sqrt(4 pi/(2k+1)) Y_kq the Racah-normalized tensors
(Condon-Shortley phase) summed over the f electrons, complex B^k_q and B^k_-q = (-1)^q (B^k_q)^*
(Wybourne 1965; Newman & Ng, Crystal Field Handbook). Inside the ground J multiplet,
sum_i C^k_q(i) = theta_k * [r^k C^k_q]_(r -> J) (Stevens operator equivalents; theta_2,4,6 =
alpha_J, beta_J, gamma_J), and [r^k C^k_q]_(r -> J) is a multiple of O_k^q, which gives

    B_k^0  = theta_k lambda_k0 B^k_0,
    B_k^q  = (-1)^q theta_k lambda_kq Re B^k_q,      B_k^-q = -(-1)^q theta_k lambda_kq Im B^k_q,   q > 0,
    lambda_k0 = g_k0 / (2^k k!),    lambda_kq = 2 sqrt((k-q)!/(k+q)!) g_kq / (2^k k!)  (q > 0),

lambda_20 = 1/2, lambda_21 = sqrt(6), lambda_22 = sqrt(6)/2, lambda_40 = 1/8, lambda_44 = sqrt(70)/8,
lambda_60 = 1/16, lambda_66 = sqrt(231)/16: the magnitudes tabulated by Mulak & Gajek (The Effective
Crystal Field Potential, 2000) and Rudowicz (J. Phys. C 18, 1415 (1985)). Codes that write
B^k_q = (B_k^q + i B_k^-q)/lambda'_kq with lambda'_kq = (-1)^q lambda_kq (e.g. the Chilton group's
angmom_suite ``stevens_to_wybourne``) use the complex conjugate of the B^k_q defined here.
The sign (-1)^q is the Condon-Shortley phase of C^k_q.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from fractions import Fraction
from functools import reduce

from spinbath.spins.stevens import _legendre_coefficients, _check_params, check_kq

__all__ = [
    "TESSERAL_FACTORS",
    "tesseral_factor",
    "tesseral_to_stevens",
    "stevens_to_tesseral",
    "wybourne_lambda",
    "wybourne_to_stevens",
    "stevens_to_wybourne",
    "LN3_GROUND_MULTIPLETS",
    "STEVENS_FACTORS",
    "stevens_factors",
    "ground_multiplet",
    "lande_gJ",
]

#: c_k|q| of O^tess_kq = c_kq O_k^q (Ryabov/MolForge tesseral operators), even k, tuple index |q|.
#: Generated from the closed form in the module docstring (40-digit arithmetic).
TESSERAL_FACTORS: dict[int, tuple[float, ...]] = {
    0: (1.0,),
    2: (0.408248290463863, 1.4142135623730951, 0.7071067811865476),
    4: (0.05976143046671968, 0.37796447300922725, 0.2672612419124244, 1.0, 0.3535533905932738),
    6: (0.016448792373994225, 0.15075567228888181, 0.11918282365569904, 0.2383656473113981,
        0.13055824196677338, 0.6123724356957945, 0.1767766952966369),
    8: (0.0011018455944748855, 0.013222147133698627, 0.05531220985858872, 0.14978617237881953,
        0.05801193511153214, 0.4183300132670378, 0.06454972243679029, 0.3535533905932738,
        0.08838834764831845),
    10: (0.0002908109381602836, 0.004313423279230331, 0.003735534137088645, 0.03809512291741397,
         0.026937319745038473, 0.017036656890909548, 0.009523780729353493, 0.0785351078046929,
         0.03206182350266107, 0.19764235376052372, 0.04419417382415922),
    12: (3.8007048612587734e-05, 0.0006713383291625449, 0.004165544785475985, 0.0034011530750424593,
         0.0025508648062818446, 0.029747939951366622, 0.0026501571252461565, 0.028295935006431554,
         0.014147967503215777, 0.04322275467550779, 0.015961059951726538, 0.10825317547305482,
         0.02209708691207961),
}


def _legendre_content(k: int, q: int) -> int:
    return reduce(math.gcd, _legendre_coefficients(k, abs(q)))


def _tesseral_factor_rule(k: int, q: int) -> float:
    """Closed form of c_kq (module docstring), exact up to the final square root."""
    aq = abs(q)
    g = _legendre_content(k, aq)
    c2 = Fraction(math.factorial(k - aq) * g * g, 2**k * math.factorial(k + aq) * math.factorial(2 * k))
    return math.sqrt((2 if aq else 1) * c2)


def _check_key(key) -> tuple[int, int]:
    if not (isinstance(key, tuple) and len(key) == 2):
        raise ValueError(f"crystal-field key {key!r} is not a (k, q) tuple")
    return check_kq(*key)


def tesseral_factor(k: int, q: int) -> float:
    """c_kq with O^tess_kq = c_kq O_k^q (even k = 0..12, |q| <= k); B_Stevens = c_kq B_tesseral."""
    k, q = check_kq(k, q)
    if k not in TESSERAL_FACTORS:
        raise ValueError(f"tesseral key (k, q) = ({k}, {q}): only even ranks 0..12 are tabulated")
    return TESSERAL_FACTORS[k][abs(q)]


def tesseral_to_stevens(B_tess: Mapping[tuple[int, int], float]) -> dict[tuple[int, int], float]:
    """Tesseral (Ryabov/MolForge) parameters {(k, q): B^tess} -> Stevens {(k, q): c_kq B^tess}.

    Same units in and out (cm^-1). Wrong keys raise ValueError naming the key.
    """
    params = _check_params({_check_key(key): v for key, v in B_tess.items()})
    return {kq: tesseral_factor(*kq) * v for kq, v in params.items()}


def stevens_to_tesseral(B: Mapping[tuple[int, int], float]) -> dict[tuple[int, int], float]:
    """Stevens {(k, q): B_k^q} -> tesseral (Ryabov/MolForge) {(k, q): B_k^q / c_kq}."""
    params = _check_params({_check_key(key): v for key, v in B.items()})
    return {kq: v / tesseral_factor(*kq) for kq, v in params.items()}


def wybourne_lambda(k: int, q: int) -> float:
    """lambda_k|q| > 0 of the Wybourne -> Stevens conversion (module docstring).

    lambda_k0 = g_k0/(2^k k!), lambda_kq = 2 sqrt((k-q)!/(k+q)!) g_kq/(2^k k!) for q > 0. With
    Ct_q = [r^k C^k_q]_(r->J) the operator equivalent of the Racah tensor (Condon-Shortley phase):
        Ct_0 = lambda_k0 O_k^0,  Ct_q + Ct_q^dagger = (-1)^q lambda_kq O_k^q,
        Ct_q - Ct_q^dagger = i (-1)^q lambda_kq O_k^-q   (q > 0).
    lambda_20 = 1/2, lambda_21 = sqrt(6), lambda_22 = sqrt(6)/2, lambda_44 = sqrt(70)/8.
    """
    k, q = check_kq(k, q)
    aq = abs(q)
    base = Fraction(_legendre_content(k, aq), 2**k * math.factorial(k))
    if aq == 0:
        return float(base)
    return 2 * math.sqrt(Fraction(math.factorial(k - aq), math.factorial(k + aq)) * base * base)


# --- Ln(III) ground multiplets and Stevens factors -------------------------------------------

#: Hund's-rule ground multiplet of Ln(III): ion -> (number of 4f electrons, L, S, J, term).
LN3_GROUND_MULTIPLETS: dict[str, tuple[int, int, float, float, str]] = {
    "Ce": (1, 3, 0.5, 2.5, "2F5/2"),
    "Pr": (2, 5, 1.0, 4.0, "3H4"),
    "Nd": (3, 6, 1.5, 4.5, "4I9/2"),
    "Pm": (4, 6, 2.0, 4.0, "5I4"),
    "Sm": (5, 5, 2.5, 2.5, "6H5/2"),
    "Tb": (8, 3, 3.0, 6.0, "7F6"),
    "Dy": (9, 5, 2.5, 7.5, "6H15/2"),
    "Ho": (10, 6, 2.0, 8.0, "5I8"),
    "Er": (11, 6, 1.5, 7.5, "4I15/2"),
    "Tm": (12, 5, 1.0, 6.0, "3H6"),
    "Yb": (13, 3, 0.5, 3.5, "2F7/2"),
}

#: Stevens operator-equivalent factors theta_k of the ground J multiplet: {2: alpha_J, 4: beta_J,
#: 6: gamma_J} (Stevens, Proc. Phys. Soc. A 65, 209 (1952); Hutchings, Solid State Phys. 16, 227
#: (1964); Abragam & Bleaney Table 20). Exact fractions; the tests recompute each one from the
#: single-determinant Hund's-rule state. Eu(III) (J = 0) and Gd(III) (L = 0) have none.
STEVENS_FACTORS: dict[str, dict[int, Fraction]] = {
    "Ce": {2: Fraction(-2, 35), 4: Fraction(2, 315), 6: Fraction(0)},
    "Pr": {2: Fraction(-52, 2475), 4: Fraction(-4, 5445), 6: Fraction(272, 4459455)},
    "Nd": {2: Fraction(-7, 1089), 4: Fraction(-136, 467181), 6: Fraction(-1615, 42513471)},
    "Pm": {2: Fraction(14, 1815), 4: Fraction(952, 2335905), 6: Fraction(2584, 42513471)},
    "Sm": {2: Fraction(13, 315), 4: Fraction(26, 10395), 6: Fraction(0)},
    "Tb": {2: Fraction(-1, 99), 4: Fraction(2, 16335), 6: Fraction(-1, 891891)},
    "Dy": {2: Fraction(-2, 315), 4: Fraction(-8, 135135), 6: Fraction(4, 3864861)},
    "Ho": {2: Fraction(-1, 450), 4: Fraction(-1, 30030), 6: Fraction(-5, 3864861)},
    "Er": {2: Fraction(4, 1575), 4: Fraction(2, 45045), 6: Fraction(8, 3864861)},
    "Tm": {2: Fraction(1, 99), 4: Fraction(8, 49005), 6: Fraction(-5, 891891)},
    "Yb": {2: Fraction(2, 63), 4: Fraction(-2, 1155), 6: Fraction(4, 27027)},
}


def _ion_key(ion: str) -> str:
    m = re.fullmatch(r"\s*([A-Za-z]{2})\s*(3\+|\+3|\(III\)|III)?\s*", str(ion))
    key = m.group(1).capitalize() if m else None
    if key not in STEVENS_FACTORS:
        raise ValueError(
            f"unknown ion {ion!r}; known Ln(III) ions: {', '.join(STEVENS_FACTORS)} (e.g. 'Dy' or 'Dy3+')"
        )
    return key


def stevens_factors(ion: str) -> dict[int, float]:
    """{2: alpha_J, 4: beta_J, 6: gamma_J} of the Ln(III) ground multiplet ('Dy', 'Dy3+', 'Dy(III)')."""
    return {k: float(v) for k, v in STEVENS_FACTORS[_ion_key(ion)].items()}


def ground_multiplet(ion: str) -> dict[str, float | int | str]:
    """Ground multiplet of an Ln(III) ion: n_f, L, S, J, term symbol and Lande g_J (g_e = 2)."""
    n, L, S, J, term = LN3_GROUND_MULTIPLETS[_ion_key(ion)]
    return {"n_f": n, "L": L, "S": S, "J": J, "term": term, "gJ": lande_gJ(L, S, J)}


def _theta_map(ion: str | None, theta) -> dict[int, float]:
    if (ion is None) == (theta is None):
        raise ValueError(
            "give exactly one of ion= (e.g. 'Dy') or theta= ({2: alpha_J, 4: beta_J, 6: gamma_J} or a number)"
        )
    if ion is not None:
        return stevens_factors(ion)
    if isinstance(theta, Mapping):
        return {int(k): float(v) for k, v in theta.items()}
    t = float(theta)
    return {k: t for k in range(0, 13)}


def _real_form_to_complex(W: Mapping) -> dict[tuple[int, int], complex]:
    out: dict[tuple[int, int], complex] = {}
    for key, val in W.items():
        k, q = _check_key(key)
        v = complex(val)
        if v.imag != 0:
            raise ValueError(f"Wybourne key {key!r}: form='real' takes real numbers, got {val!r}")
        if q == 0:
            out[(k, 0)] = v
        else:
            out[(k, abs(q))] = out.get((k, abs(q)), 0j) + (v.real if q > 0 else 1j * v.real)
    return out


def wybourne_to_stevens(
    W: Mapping[tuple[int, int], complex],
    *,
    ion: str | None = None,
    theta: Mapping[int, float] | float | None = None,
    form: str = "complex",
) -> dict[tuple[int, int], float]:
    """Wybourne B^k_q (complex, H = sum B^k_q C^k_q) -> Stevens B_k^q (H = sum B_k^q O_k^q).

    Parameters
    ----------
    W : {(k, q): B^k_q} in cm^-1. Give q >= 0; a q < 0 entry may be given too and must then obey
        B^k_-q = (-1)^q (B^k_q)^* (it is used when the q > 0 entry is missing). B^k_0 must be real.
    ion : Ln(III) ion whose ground-multiplet Stevens factors theta_k to use ('Dy', 'Er3+', ...), or
    theta : {k: theta_k}, or one number for all ranks (theta = 1: the tensor operators of J itself).
    form : "complex" (default, as above) or "real": real numbers with W[(k, q)] = Re B^k_q and
        W[(k, -q)] = Im B^k_q for q > 0 (the real/imaginary storage of many tables and codes).

    Returns
    -------
    {(k, q): B_k^q} (cm^-1) for every (k, +-q) implied by W, using the formulas of the module
    docstring. Wrong keys or inconsistent +-q pairs raise ValueError naming the key.
    """
    th = _theta_map(ion, theta)
    if form == "real":
        W = _real_form_to_complex(W)
    elif form != "complex":
        raise ValueError(f"form must be 'complex' or 'real', got {form!r}")
    cplx: dict[tuple[int, int], complex] = {}
    for key, val in W.items():
        k, q = _check_key(key)
        v = complex(val)
        if q == 0 and abs(v.imag) > 1e-12 * max(abs(v), 1.0):
            raise ValueError(f"Wybourne parameter B{(k, q)} = {val!r} must be real")
        if q < 0:
            v = (-1) ** q * v.conjugate()  # the q > 0 partner
            if (k, -q) in W and abs(complex(W[(k, -q)]) - v) > 1e-10 * max(abs(v), 1.0):
                raise ValueError(
                    f"Wybourne parameters B{(k, q)} and B{(k, -q)} violate B^k_-q = (-1)^q (B^k_q)^*"
                )
            if (k, -q) in W:
                continue
            q = -q
        cplx[(k, q)] = v
    out: dict[tuple[int, int], float] = {}
    for (k, q), v in sorted(cplx.items()):
        if k not in th:
            raise ValueError(f"no Stevens factor theta_{k} available for Wybourne key {(k, q)}")
        t = th[k] * wybourne_lambda(k, q)
        if q == 0:
            out[(k, 0)] = t * v.real
        else:
            s = (-1) ** q
            out[(k, q)] = s * t * v.real
            out[(k, -q)] = -s * t * v.imag
    return out


def stevens_to_wybourne(
    B: Mapping[tuple[int, int], float],
    *,
    ion: str | None = None,
    theta: Mapping[int, float] | float | None = None,
    form: str = "complex",
) -> dict[tuple[int, int], complex] | dict[tuple[int, int], float]:
    """Stevens B_k^q -> Wybourne B^k_q (complex), inverse of :func:`wybourne_to_stevens`.

    Returns every (k, q), q = -k..k, of the ranks present in B:
    B^k_q = (-1)^q (B_k^q - i B_k^-q)/(theta_k lambda_kq), B^k_-q = (-1)^q (B^k_q)^*,
    B^k_0 = B_k^0/(theta_k lambda_k0). A rank with theta_k = 0 raises ValueError (its Wybourne
    parameters are undetermined: the rank does not act inside the multiplet).
    form="real" returns real numbers instead: {(k, q): Re B^k_q, (k, -q): Im B^k_q, (k, 0): B^k_0}.
    """
    if form not in ("complex", "real"):
        raise ValueError(f"form must be 'complex' or 'real', got {form!r}")
    th = _theta_map(ion, theta)
    params = _check_params({_check_key(key): v for key, v in B.items()})
    out: dict[tuple[int, int], complex] = {}
    for k in sorted({k for k, _ in params}):
        if k not in th:
            raise ValueError(f"no Stevens factor theta_{k} available for Stevens key {(k, 0)}")
        if th[k] == 0.0:
            raise ValueError(f"theta_{k} = 0: rank-{k} Wybourne parameters are undetermined")
        out[(k, 0)] = complex(params.get((k, 0), 0.0) / (th[k] * wybourne_lambda(k, 0)))
        for q in range(1, k + 1):
            s = (-1) ** q
            w = s * complex(params.get((k, q), 0.0), -params.get((k, -q), 0.0)) / (th[k] * wybourne_lambda(k, q))
            out[(k, q)] = w
            out[(k, -q)] = s * w.conjugate()
    if form == "real":
        return {
            (k, q): (out[(k, abs(q))].real if q >= 0 else out[(k, abs(q))].imag) for (k, q) in sorted(out)
        }
    return dict(sorted(out.items()))


def lande_gJ(L: float, S: float, J: float, g_e: float = 2.0) -> float:
    """Lande factor g_J = 1 + (g_e - 1) [J(J+1) + S(S+1) - L(L+1)] / (2 J(J+1)).

    (g_L = 1.) The default g_e = 2 exactly is the usual convention for Ln(III) ground multiplets
    (Dy(III) 6H15/2: g_J = 4/3); pass g_e = 2.0023193 for the free-electron value.
    Raises ValueError unless |L - S| <= J <= L + S in integer steps and J > 0.
    """
    L, S, J = float(L), float(S), float(J)
    if L < 0 or S < 0 or J <= 0:
        raise ValueError(f"need L >= 0, S >= 0, J > 0 (got L={L}, S={S}, J={J})")
    for name, x in (("L", L), ("S", S), ("J", J)):
        if abs(2 * x - round(2 * x)) > 1e-9:
            raise ValueError(f"{name} = {x} must be a multiple of 1/2")
    if abs(L - round(L)) > 1e-9:
        raise ValueError(f"L = {L} must be an integer")
    if not (abs(L - S) - 1e-9 <= J <= L + S + 1e-9) or abs((J - L - S) - round(J - L - S)) > 1e-9:
        raise ValueError(f"J = {J} is not in |L - S|..L + S (L = {L}, S = {S})")
    X = J * (J + 1)
    return 1.0 + (g_e - 1.0) * (X + S * (S + 1) - L * (L + 1)) / (2 * X)
