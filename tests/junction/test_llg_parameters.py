"""Parameters of the dimer's stochastic LLG (spinbath.junction.llg).

The documented equation (llg.py), for unit vectors m_a = S_a / S:

    hbar S dm_a/dt = -m_a x (h_a + eta_a) + hbar S sum_b m_a x (alpha^G_ab dm_b/dt),
    h_a = sum_b W_ab m_b + h0_a,    <eta_a^i(t) eta_b^j(t')> = N_ab^ij delta(t - t').

Fluctuation-dissipation for this equation (derived here). Move the damping into the field:
-m_a x (h_a + eta_a - hbar S sum_b alpha^G_ab dm_b/dt), i.e. a friction field -Gamma_ab dm_b/dt with
Gamma = hbar S alpha^G (meV ps). For a classical coordinate m with field h = -dE/dm, friction Gamma
and white noise eta, the Gibbs distribution exp(-E/k_B T) is stationary iff <eta eta> = 2 k_B T Gamma
(Brown's relation; e.g. dm/dt = -gamma m x (H + h_th) + alpha m x dm/dt with
<h_th h_th> = 2 alpha k_B T / (gamma M_s V) maps onto it with gamma/(M_s V) -> 1/(hbar S), h = M_s V H).
Hence, in equilibrium,

    N_ab = 2 k_B T hbar S alpha^G_ab          (meV^2 ps),

which with N = Delta^2 S^2 hbar C and alpha^G = Delta^2 S chi' is C = 2 k_B T chi' (couplings.py).

Physics checks: the exchange tensor reproduces the fields of couplings.py with their sign
conventions (J, D, A between sites; K, Dloc on site); at V = 0 the fields are -grad E of the
documented energy (torques by finite differences); the DM field is -grad of D t.(S1 x S2); zeeman,
damping and noise are the documented tensors and scale as Delta^2 S^2, Delta^2 S, Delta^2 S^2;
the FDT above at V = 0, T > 0 and its violation under bias; hbar; bad input.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from scipy import constants

from spinbath.junction import JunctionModel, couplings, llg_parameters
from spinbath.units import HBAR_MEV_PS
from spinbath.units import KB_MEV

MODEL = JunctionModel(t=1.0, t_hat=tuple(np.random.default_rng(3).normal(size=3)))
MODEL_KW = dict(t_e=MODEL.t_e, t_L=MODEL.t_L, t_R=MODEL.t_R, t0=MODEL.t0, t=MODEL.t,
                t_hat=MODEL.t_hat, eps0=MODEL.eps0)
S, DELTA = 2.5, 3.0


@lru_cache(maxsize=None)
def params(V: float, mu_F: float, T: float, S: float = S, Delta: float = DELTA):
    return llg_parameters(V, mu_F, T, S=S, Delta=Delta, model=MODEL)


@lru_cache(maxsize=None)
def named(V: float, mu_F: float, T: float):
    return couplings(V, mu_F, T, **MODEL_KW)


def random_unit_vectors(seed: int, k: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(k, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_hbar_in_mev_ps():
    """HBAR_MEV_PS = hbar / e * 1e15 = 0.6582119569 meV ps (CODATA), to 1e-9 relative."""
    assert abs(HBAR_MEV_PS - 0.6582119569) < 1e-9
    assert abs(HBAR_MEV_PS - constants.hbar / constants.e * 1e15) < 1e-15


@pytest.mark.parametrize("V", [0.0, 2.0])
def test_exchange_tensor_gives_the_documented_intersite_fields(V):
    """W_12 m_2 = Delta^2 S^2 [-J1 m2 - D1 (m2 x t) - A1 t (t.m2)] and the same for 2 <- 1 with
    (J2, D2, A2); V = 0 and under bias (D != 0), T = 0, general t_hat, random m (1e-12 relative).
    """
    p, c = params(V, 0.4, 0.0), named(V, 0.4, 0.0)
    n = np.asarray(MODEL.t_hat)
    pre = DELTA**2 * S**2
    for m in random_unit_vectors(5, 4):
        for (a, b), tag in (((0, 1), "1"), ((1, 0), "2")):
            expected = pre * (-c["J" + tag] * m - c["D" + tag] * np.cross(m, n) - c["A" + tag] * n * (n @ m))
            got = p.exchange[a, b] @ m
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * pre * abs(c["J1"]))
    if V != 0.0:
        assert abs(c["D1"]) > 1e-3  # the DM term is really exercised


def test_exchange_tensor_gives_the_documented_onsite_torques():
    """m_1 x W_11 m_1 = Delta^2 S^2 m_1 x [-2 K1 t (t.m1) - Dloc1 (m1 x t)] (the isotropic on-site
    part is along m_1 and exerts no torque); same for site 2. V = 2 mV (Dloc != 0), T = 0.
    """
    p, c = params(2.0, 0.4, 0.0), named(2.0, 0.4, 0.0)
    n = np.asarray(MODEL.t_hat)
    pre = DELTA**2 * S**2
    for m in random_unit_vectors(6, 4):
        for a, tag in ((0, "1"), (1, "2")):
            field = pre * (-2 * c["K" + tag] * n * (n @ m) - c["Dloc" + tag] * np.cross(m, n))
            np.testing.assert_allclose(np.cross(m, p.exchange[a, a] @ m), np.cross(m, field),
                                       rtol=0, atol=1e-12 * pre * abs(c["J1"]))
    assert abs(c["Dloc1"]) > 1e-3


def _energy(m1, m2, c, n) -> float:
    """Documented energy per (Delta^2 S^2): J m1.m2 + D t.(m1 x m2) + A (t.m1)(t.m2) + sum K (t.m)^2."""
    return (c["J1"] * m1 @ m2 + c["D1"] * n @ np.cross(m1, m2) + c["A1"] * (n @ m1) * (n @ m2)
            + c["K1"] * (n @ m1) ** 2 + c["K2"] * (n @ m2) ** 2)


def test_equilibrium_field_is_minus_the_energy_gradient():
    """V = 0 (T = 0 and 10 K): m_a x h_a = m_a x (-dE/dm_a) with E = Delta^2 S^2 e(m1, m2) of the
    couplings.py energy (central differences, step 1e-5; truncation ~1e-10, tolerance 1e-8 of |W|).
    The Zeeman part h0 (from <s_a>) is included on both sides.
    """
    n = np.asarray(MODEL.t_hat)
    pre = DELTA**2 * S**2
    for T in (0.0, 10.0):
        p, c = params(0.0, 0.4, T), named(0.0, 0.4, T)
        ms = random_unit_vectors(7, 6)
        h_step = 1e-5
        for m1, m2 in zip(ms[:3], ms[3:]):
            h = p.field(np.array([m1, m2]))
            grads = []
            for which in (0, 1):
                g = np.zeros(3)
                for i in range(3):
                    d = np.zeros(3)
                    d[i] = h_step
                    args_p = (m1 + d, m2) if which == 0 else (m1, m2 + d)
                    args_m = (m1 - d, m2) if which == 0 else (m1, m2 - d)
                    g[i] = (_energy(*args_p, c, n) - _energy(*args_m, c, n)) / (2 * h_step)
                grads.append(-pre * g + p.zeeman[which])
            scale = np.max(np.abs(p.exchange))
            for a, m in ((0, m1), (1, m2)):
                np.testing.assert_allclose(np.cross(m, h[a]), np.cross(m, grads[a]),
                                           rtol=0, atol=1e-8 * scale)


def test_dm_field_under_bias_is_the_gradient_of_the_dm_energy():
    """The antisymmetric part of W_12 is the field of E_D = Delta^2 S^2 D1 t.(m1 x m2) on m1:
    -dE_D/dm1 = -Delta^2 S^2 D1 (m2 x t) (finite differences; D1 > 1e-3 at V = 2 mV)."""
    p, c = params(2.0, 0.4, 0.0), named(2.0, 0.4, 0.0)
    n = np.asarray(MODEL.t_hat)
    pre = DELTA**2 * S**2
    W_anti = 0.5 * (p.exchange[0, 1] - p.exchange[0, 1].T)
    for m1, m2 in zip(random_unit_vectors(8, 3), random_unit_vectors(9, 3)):
        grad = np.array([
            (pre * c["D1"] * n @ np.cross(m1 + d, m2) - pre * c["D1"] * n @ np.cross(m1 - d, m2)) / 2e-6
            for d in 1e-6 * np.eye(3)
        ])
        np.testing.assert_allclose(W_anti @ m2, -grad, rtol=0, atol=1e-8 * pre)


def test_zeeman_damping_and_noise_are_the_documented_tensors():
    """zeeman_a = -Delta S s_a t; damping_ab = Delta^2 S (alpha_i delta + alpha_an t t) (symmetric,
    no dm part); noise_ab = Delta^2 S^2 hbar (j_i delta + j_an t t). V = 2 mV, T = 10 K (1e-12)."""
    p, c = params(2.0, 0.4, 10.0), named(2.0, 0.4, 10.0)
    n = np.asarray(MODEL.t_hat)
    np.testing.assert_allclose(p.zeeman, -DELTA * S * np.outer([c["s1"], c["s2"]], n), rtol=1e-12, atol=1e-15)
    for a in range(2):
        for b in range(2):
            damp = DELTA**2 * S * (c["alpha_i"][a, b] * np.eye(3) + c["alpha_an"][a, b] * np.outer(n, n))
            noise = DELTA**2 * S**2 * HBAR_MEV_PS * (c["j_i"][a, b] * np.eye(3)
                                                     + c["j_an"][a, b] * np.outer(n, n))
            np.testing.assert_allclose(p.damping[a, b], damp, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(p.noise[a, b], noise, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(p.damping[a, b], p.damping[a, b].T, atol=1e-15)
    assert p.T_eff == (pytest.approx(c["T_eff1"], rel=1e-12), pytest.approx(c["T_eff2"], rel=1e-12))


def test_scaling_with_spin_length_and_sd_exchange():
    """exchange ~ Delta^2 S^2, zeeman ~ Delta S, damping ~ Delta^2 S, noise ~ Delta^2 S^2 (1e-12)."""
    a = params(2.0, 0.4, 0.0, 1.0, 1.0)
    b = params(2.0, 0.4, 0.0, 2.5, -3.0)
    np.testing.assert_allclose(b.exchange, 9.0 * 6.25 * a.exchange, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(b.zeeman, -3.0 * 2.5 * a.zeeman, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(b.damping, 9.0 * 2.5 * a.damping, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(b.noise, 9.0 * 6.25 * a.noise, rtol=1e-12, atol=1e-15)
    assert np.max(np.abs(a.noise)) > 0  # shot noise under bias at T = 0


@pytest.mark.parametrize("T, mu_F", [(10.0, 0.4), (30.0, -1.0)])
def test_fluctuation_dissipation_of_the_llg(T, mu_F):
    """V = 0, T > 0: noise_ab = 2 k_B T hbar S damping_ab for all (a, b) (derived in the module
    docstring), tolerance 1e-6 relative to max|noise| (quad_vec at epsrel 1e-9); T_eff = (T, T)."""
    p = params(0.0, mu_F, T)
    expected = 2 * KB_MEV * T * HBAR_MEV_PS * S * p.damping
    np.testing.assert_allclose(p.noise, expected, rtol=0, atol=1e-6 * np.max(np.abs(p.noise)))
    np.testing.assert_allclose(p.T_eff, (T, T), rtol=1e-6)


def test_bias_breaks_the_llg_fluctuation_dissipation_relation():
    """V = 3 mV, T = 5 K: the on-site noise exceeds 2 k_B T hbar S damping by > 20% (T_eff > T)."""
    T = 5.0
    p = params(3.0, 0.4, T)
    for a in range(2):
        ratio = np.trace(p.noise[a, a]) / np.trace(2 * KB_MEV * T * HBAR_MEV_PS * S * p.damping[a, a])
        assert ratio > 1.2
    assert min(p.T_eff) > T


def test_field_method_matches_the_tensor_contraction():
    """DimerLLGParameters.field(m) = sum_b W_ab m_b + h0_a, for one configuration and a batch."""
    p = params(2.0, 0.4, 0.0)
    m = random_unit_vectors(10, 10).reshape(5, 2, 3)
    manual = np.einsum("abij,kbj->kai", p.exchange, m) + p.zeeman
    np.testing.assert_allclose(p.field(m), manual, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(p.field(m[0]), manual[0], rtol=1e-14, atol=1e-14)
    assert p.S == S and p.Delta == DELTA and p.V == 2.0 and p.mu_F == 0.4


@pytest.mark.parametrize("bad_S", [0.0, -1.0])
def test_non_positive_spin_length_raises(bad_S):
    with pytest.raises(ValueError):
        llg_parameters(0.0, 0.0, 0.0, S=bad_S, Delta=1.0)


@pytest.mark.parametrize("bad", [dict(Delta=np.inf), dict(Delta=np.nan), dict(T=-1.0)])
def test_bad_delta_or_temperature_raises(bad):
    kw = dict(S=1.0, Delta=1.0, T=0.0) | bad
    with pytest.raises(ValueError):
        llg_parameters(0.0, 0.0, kw.pop("T"), **kw)
