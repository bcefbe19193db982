"""The implicit Gilbert operator A(m) and the noise-induced drift (spinbath.classical.llg).

Checks the identities the derivation rests on and the drift against its definition by finite
differences of A, for nonlocal and anisotropic damping, both precession signs, and general Q.
"""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.classical.llg import (
    _cross_mats, _lyapunov, _reference_drift, gilbert_operator, noise_drift, velocity,
)
from spinbath.classical.spin_model import ClassicalSpinModel

RNG = np.random.default_rng(7)


def random_pd(n, scale, floor=0.1):
    L = RNG.standard_normal((n, n))
    return L @ L.T / n * scale + floor * np.eye(n)


def unit(shape):
    v = RNG.standard_normal(tuple(shape) + (3,))
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def operator_A(x, alpha, sgn):
    X = _cross_mats(x, sgn)
    return np.linalg.solve(np.eye(x.size) + X @ alpha, X)


def drift_by_definition(x, alpha, sgn, Q):
    """c_i = sum_j [(d_j A)(J X^T - Q A^T / 2)]_ij with d_j A by central differences
    (J from gamma J + J gamma^T = Q): the Ito drift of the small-memory limit minus the
    Ito-Stratonovich term."""
    n = x.size
    A = operator_A(x, alpha, sgn)
    X = _cross_mats(x, sgn)
    J = _lyapunov(np.eye(n) + alpha @ X, Q)
    T = J @ X.T - 0.5 * Q @ A.T
    h = 1e-6
    dA = [(operator_A(x + h * e, alpha, sgn) - operator_A(x - h * e, alpha, sgn)) / (2 * h)
          for e in np.eye(n)]
    return np.array([sum((dA[j] @ T)[i, j] for j in range(n)) for i in range(n)])


@pytest.mark.parametrize("M", [1, 2, 3])
@pytest.mark.parametrize("sgn", [1, -1])
def test_gilbert_operator_identities(M, sgn):
    """A alpha A^T = (A + A^T)/2, A e_a = 0, e_a^T A = 0 (e_a: radial direction of spin a), and
    A solves the implicit equation mdot = sigma m x (H - alpha mdot)."""
    alpha = random_pd(3 * M, 0.8)
    model = ClassicalSpinModel(M, damping=alpha, precession_sign=sgn).with_linear_fields(
        RNG.standard_normal((3 * M, 3 * M)), RNG.standard_normal((M, 3)))
    m = unit((M,))
    A = gilbert_operator(model, m)
    np.testing.assert_allclose(A @ alpha @ A.T, 0.5 * (A + A.T), atol=1e-13)
    for a in range(M):
        e = np.zeros(3 * M)
        e[3 * a:3 * a + 3] = m[a]
        np.testing.assert_allclose(A @ e, 0, atol=1e-14)
        np.testing.assert_allclose(e @ A, 0, atol=1e-14)
    mdot = velocity(model, m)
    H = model.field(m)
    rhs = sgn * np.cross(m, H - (alpha @ mdot.ravel()).reshape(M, 3))
    np.testing.assert_allclose(mdot, rhs, atol=1e-13)


@pytest.mark.parametrize("M", [1, 2, 3])
@pytest.mark.parametrize("sgn", [1, -1])
@pytest.mark.parametrize("kind", ["thermal", "general"])
def test_drift_equals_its_definition_and_is_tangent(M, sgn, kind):
    alpha = random_pd(3 * M, 0.6)
    Q = 1.4 * alpha if kind == "thermal" else random_pd(3 * M, 1.0)
    model = ClassicalSpinModel(M, damping=alpha, precession_sign=sgn)
    m = unit((M,))
    c = noise_drift(model, m, **({"kT": 0.7} if kind == "thermal" else {"noise": Q}))
    np.testing.assert_allclose(c.ravel(), drift_by_definition(m.ravel(), alpha, sgn, Q),
                               atol=2e-9)
    np.testing.assert_allclose(np.sum(c * m, axis=-1), 0, atol=1e-14)   # tangent
    assert np.max(np.abs(c)) > 1e-3                                    # and not trivially zero


def test_general_formula_reduces_to_the_equilibrium_drift():
    """With Q = 2 k_B T alpha the small-memory drift (Lyapunov J) equals the thermal formula
    (J = k_B T alpha), and equals k_B T div A - s, the drift that makes exp(-E/kT) stationary."""
    alpha = random_pd(6, 0.6)
    x = unit((2,)).ravel()
    c_thermal = _reference_drift(x, alpha, 1, 1, 0.7, None)
    c_general = _reference_drift(x, alpha, 1, 2, 0.0, 1.4 * alpha)
    np.testing.assert_allclose(c_general, c_thermal, atol=1e-14)
    # k_B T div A - (1/2) sum_j (d_j A) Q A^T, by finite differences
    h = 1e-6
    A = operator_A(x, alpha, 1)
    dA = [(operator_A(x + h * e, alpha, 1) - operator_A(x - h * e, alpha, 1)) / (2 * h)
          for e in np.eye(6)]
    div = np.array([sum(dA[j][i, j] for j in range(6)) for i in range(6)])
    s = np.array([sum((dA[j] @ (0.7 * alpha) @ A.T)[i, j] for j in range(6)) for i in range(6)])
    np.testing.assert_allclose(c_thermal, 0.7 * div - s, atol=2e-9)


def test_no_drift_for_one_spin_with_scalar_damping():
    """The textbook case: one spin, alpha = a 1, Q = 2 k_B T a 1 needs no correction; local
    scalar damping on several spins neither."""
    m = unit((1,))
    c = noise_drift(ClassicalSpinModel(1, damping=0.7), m, kT=0.3)
    np.testing.assert_allclose(c, 0, atol=1e-15)
    c2 = noise_drift(ClassicalSpinModel(2, damping=[[0.3, 0.0], [0.0, 0.9]]), unit((2,)),
                     kT=0.3)
    np.testing.assert_allclose(c2, 0, atol=1e-15)


def test_drift_for_one_spin_with_anisotropic_damping():
    alpha = np.diag([0.2, 0.5, 1.0])
    c = noise_drift(ClassicalSpinModel(1, damping=alpha), unit((1,)), kT=0.3)
    assert np.max(np.abs(c)) > 1e-3


def test_the_alpha_inverse_candidate_is_not_tangent_for_general_Q():
    """c' = (1/2) sum_j [(d_j A)(Q alpha^-1 - Q A^T)]_ij reduces to the thermal drift for
    Q = 2 k_B T alpha but has a radial part otherwise, so it is no SDE on the spheres (this is
    why llg.py uses the small-memory limit instead)."""
    alpha, Q = random_pd(6, 0.6), random_pd(6, 1.0)
    x = unit((2,)).ravel()
    h = 1e-6
    A = operator_A(x, alpha, 1)
    dA = [(operator_A(x + h * e, alpha, 1) - operator_A(x - h * e, alpha, 1)) / (2 * h)
          for e in np.eye(6)]

    def candidate(Qm):
        T = 0.5 * (Qm @ np.linalg.inv(alpha) - Qm @ A.T)
        return np.array([sum((dA[j] @ T)[i, j] for j in range(6)) for i in range(6)])

    np.testing.assert_allclose(candidate(1.4 * alpha), _reference_drift(x, alpha, 1, 1, 0.7, None),
                               atol=2e-9)
    radial = [x[3 * a:3 * a + 3] @ candidate(Q)[3 * a:3 * a + 3] for a in range(2)]
    assert max(abs(r) for r in radial) > 1e-2


def test_pinned_spins_have_no_velocity_and_no_drift():
    alpha = random_pd(9, 0.6)
    model = (ClassicalSpinModel(3, damping=alpha).with_exchange(0, 1, J=-1.0)
             .with_exchange(1, 2, J=0.7).with_pinned(1, (0, 1, 0)))
    m = unit((3,))
    assert np.all(velocity(model, m)[1] == 0)
    assert np.all(noise_drift(model, m, kT=0.5)[1] == 0)
    # free spins see the reduced damping alpha_FF
    idx = [0, 1, 2, 6, 7, 8]
    sub = ClassicalSpinModel(2, damping=alpha[np.ix_(idx, idx)])
    mm = model.with_pins_applied(m)
    c_sub = _reference_drift(mm[[0, 2]].ravel(), sub.damping, 1, 1, 0.5, None)
    np.testing.assert_allclose(noise_drift(model, m, kT=0.5)[[0, 2]].ravel(), c_sub,
                               atol=1e-14)
