"""Result dataclasses returned by the *_details functions (instead of return_details flags)."""

import numpy as np
import pytest

from spinbath.quantum.pauli import MultilevelRate, gibbs_populations, multilevel_rate, multilevel_rate_details


def _three_level():
    E, T = np.array([0.0, 0.1, 100.0]), 2.0
    p = gibbs_populations(E, T)[0]
    W = np.zeros((3, 3))
    W[0, 2], W[1, 2] = 1e9, 0.6e9
    W[2, 0], W[2, 1] = W[0, 2] * p[2] / p[0], W[1, 2] * p[2] / p[1]
    W[0, 1] = 1e-6
    W[1, 0] = W[0, 1] * p[1] / p[0]
    return W


def test_multilevel_rate_details_is_a_dataclass_with_the_rate_of_multilevel_rate():
    W = _three_level()
    res = multilevel_rate_details(W)
    assert isinstance(res, MultilevelRate)
    assert res.rate == multilevel_rate(W)
    assert res.from_eigensolver is False  # the doublet fixed point, not an eigenvalue of R
    stack = multilevel_rate_details(np.stack([W, W]))
    assert stack.rate.shape == (2,) and stack.from_eigensolver.shape == (2,)
    assert np.all(stack.rate == res.rate)


def test_return_details_flags_are_gone():
    from spinbath.quantum.relaxation import relaxation_time

    with pytest.raises(TypeError):
        multilevel_rate(_three_level(), return_details=True)
    with pytest.raises(TypeError):
        relaxation_time(np.zeros((4, 4)), np.zeros(2), np.eye(2), return_details=True)
