"""Result dataclasses returned by the *_details functions (instead of return_details flags)."""

import numpy as np
import pytest
from systems import stiff_three_level

from spinbath.quantum.pauli import MultilevelRate, gibbs_populations, multilevel_rate, multilevel_rate_details


def _three_level():
    return stiff_three_level()[2]


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
