"""ClassicalSpinModel (spinbath.classical.spin_model): field/energy conventions and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.classical.spin_model import (
    ClassicalSpinModel, as_spin_matrix, cross_matrix, damping_tensor, validate_covariance,
)

RNG = np.random.default_rng(20240607)


def unit(shape):
    v = RNG.standard_normal(tuple(shape) + (3,))
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def full_model():
    D = RNG.standard_normal((3, 3))
    G = RNG.standard_normal((3, 3))
    return (ClassicalSpinModel(3, damping=0.1)
            .with_zeeman(0, (0.1, -0.2, 0.3))
            .with_uniaxial(1, 0.7, (1, 1, 0))
            .with_anisotropy(2, D + D.T)
            .with_exchange(0, 1, J=0.8, D=(0.1, 0.2, -0.3), Gamma=G + G.T)
            .with_exchange(1, 2, J=-1.1))


def test_energy_terms_follow_the_stated_conventions():
    """E = -B.m0 - K (m1.n)^2 + m2^T D m2 + J m0.m1 + D.(m0 x m1) + m0^T G m1 + J' m1.m2."""
    D = np.array([[0.3, 0.1, 0.0], [0.1, -0.2, 0.05], [0.0, 0.05, 0.4]])
    G = np.array([[0.1, 0.2, 0.0], [0.2, -0.3, 0.1], [0.0, 0.1, 0.2]])
    Dm, B = np.array([0.1, 0.2, -0.3]), np.array([0.1, -0.2, 0.3])
    n = np.array([1.0, 1, 0]) / 2**0.5
    model = (ClassicalSpinModel(3).with_zeeman(0, B).with_uniaxial(1, 0.7, (1, 1, 0))
             .with_anisotropy(2, D).with_exchange(0, 1, J=0.8, D=Dm, Gamma=G)
             .with_exchange(1, 2, J=-1.1))
    m = unit((5, 3))
    m0, m1, m2 = m[:, 0], m[:, 1], m[:, 2]
    expected = (-m0 @ B - 0.7 * (m1 @ n) ** 2 + np.einsum("ti,ij,tj->t", m2, D, m2)
                + 0.8 * np.sum(m0 * m1, -1) + np.cross(m0, m1) @ Dm
                + np.einsum("ti,ij,tj->t", m0, G, m1) - 1.1 * np.sum(m1 * m2, -1))
    np.testing.assert_allclose(model.energy(m), expected, atol=1e-13)


def test_field_is_minus_the_energy_gradient():
    model = full_model()
    m = unit((4, 3))
    H = model.field(m)
    eps = 1e-6
    for a in range(3):
        for i in range(3):
            dm = np.zeros_like(m)
            dm[:, a, i] = eps
            grad = (model.energy(m + dm) - model.energy(m - dm)) / (2 * eps)
            np.testing.assert_allclose(H[:, a, i], -grad, atol=1e-8)


def test_field_is_vectorized_over_ensembles():
    model = full_model()
    m = unit((7, 2, 3))
    H = model.field(m)
    assert H.shape == m.shape
    np.testing.assert_allclose(H[3, 1], model.field(m[3, 1]), atol=1e-15)


def test_nonreciprocal_linear_field_has_no_energy():
    W = np.array([[0.0, 0.3, 0.0], [-0.3, 0.0, 0.0], [0.0, 0.0, 0.1]])
    model = ClassicalSpinModel(2).with_linear_field(0, 1, W)
    assert not model.is_conservative
    np.testing.assert_allclose(model.field(np.array([[0, 0, 1.0], [1.0, 0, 0]]))[0], W[:, 0])
    with pytest.raises(ValueError, match="non-conservative"):
        model.energy(unit((2,)))
    # a reciprocal pair (W_10 = W_01^T) is conservative again
    assert model.with_linear_field(1, 0, W.T).is_conservative


def test_model_is_immutable():
    model = ClassicalSpinModel(2)
    m2 = model.with_zeeman(0, (0, 0, 1))
    assert np.all(model.bias == 0) and m2.bias[0, 2] == 1
    with pytest.raises(ValueError):
        model.bias[0, 0] = 1.0


def test_damping_forms_and_tensor():
    blocks = damping_tensor([[0.5, 0.3], [0.3, 0.5]], [[0.2, 0.0], [0.0, 0.1]], (0, 0, 2))
    assert blocks.shape == (2, 2, 3, 3)
    np.testing.assert_allclose(blocks[0, 0], np.diag([0.5, 0.5, 0.7]))
    a = as_spin_matrix(blocks, 2)
    np.testing.assert_allclose(a[:3, 3:], 0.3 * np.eye(3))
    np.testing.assert_allclose(as_spin_matrix([[0.5, 0.3], [0.3, 0.5]], 2), a - np.kron(
        [[0.2, 0], [0, 0.1]], np.diag([0, 0, 1.0])))
    assert ClassicalSpinModel(2, damping=blocks).damping.shape == (6, 6)
    np.testing.assert_allclose(cross_matrix([1.0, 2, 3]) @ [4.0, 5, 6],
                               np.cross([1, 2, 3], [4, 5, 6]))


@pytest.mark.parametrize("alpha,msg", [
    (np.array([[0.5, 0.3], [0.2, 0.5]]), "not symmetric"),
    (np.array([[0.5, 0.6], [0.6, 0.5]]), "not positive definite"),
    (np.array([[0.5, 0.0], [0.0, 0.0]]), "not positive definite"),
    (np.array([[np.nan, 0.0], [0.0, 0.5]]), "NaN"),
    (np.ones((2, 3)), "must be a scalar or have shape"),
])
def test_bad_damping_is_rejected(alpha, msg):
    with pytest.raises(ValueError, match=msg):
        ClassicalSpinModel(2, damping=alpha)


def test_zero_damping_is_allowed():
    assert not np.any(ClassicalSpinModel(2, damping=0.0).damping)


@pytest.mark.parametrize("call,msg", [
    (lambda m: m.with_zeeman(2, (0, 0, 1)), "spin index"),
    (lambda m: m.with_zeeman(0, (0, 1)), "3-vector"),
    (lambda m: m.with_zeeman(0, (0, np.nan, 1)), "NaN"),
    (lambda m: m.with_uniaxial(0, 1.0, (0, 0, 0)), "nonzero"),
    (lambda m: m.with_anisotropy(0, [[1, 2, 0], [0, 1, 0], [0, 0, 1]]), "symmetric"),
    (lambda m: m.with_exchange(0, 0, J=1.0), "two different spins"),
    (lambda m: m.with_exchange(0, 1, Gamma=np.ones((2, 2))), "3 x 3"),
    (lambda m: m.with_linear_field(0, 1, np.eye(2)), "3 x 3"),
    (lambda m: m.with_pinned(0, (0, 0, 1)).with_pinned(1, (0, 0, 1)), "at least one"),
    (lambda m: m.field(np.zeros((3, 3))), r"shape \(\.\.\., 2, 3\)"),
    (lambda m: m.energy(np.full((2, 3), np.nan)), "NaN"),
])
def test_bad_model_input_is_rejected(call, msg):
    with pytest.raises(ValueError, match=msg):
        call(ClassicalSpinModel(2, damping=0.1))


def test_bad_covariance_is_rejected():
    with pytest.raises(ValueError, match="not positive semidefinite"):
        validate_covariance(-np.eye(3), 3)
    with pytest.raises(ValueError, match="not symmetric"):
        validate_covariance(np.triu(np.ones((3, 3))), 3)
    with pytest.raises(ValueError, match="shape"):
        validate_covariance(np.eye(2), 3)


def test_pinned_spins_enter_through_the_effective_bias():
    model = (ClassicalSpinModel(3, damping=0.2).with_exchange(0, 1, J=-1.0)
             .with_exchange(1, 2, J=0.5).with_pinned(2, (0, 0, 3)))
    red = model.reduced()
    m = unit((2,))
    full = np.concatenate([m, [[0, 0, 1.0]]])
    np.testing.assert_allclose(red["L"] @ m.ravel() + red["h"], model.field(full)[:2].ravel())
    np.testing.assert_allclose(model.with_pins_applied(unit((3,)))[2], [0, 0, 1.0])
