"""The builder methods of ClassicalSpinModel that set damping and the precession sense.

Landau-Lifshitz-Gilbert velocity of one spin in a field H along z, with sigma the precession sign:
dm/dt = sigma m x H + alpha-term. At alpha = 0 the velocity is sigma m x H exactly; the damping
term points toward H (it lowers the Zeeman energy E = -m.H) whatever sigma is.
"""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.classical import ClassicalSpinModel
from spinbath.classical.llg import velocity

H = np.array([0.0, 0.0, 2.0])
M = np.array([[1.0, 0.0, 0.0]])


@pytest.mark.parametrize("sign", [1, -1])
def test_precession_sign_reverses_the_precession(sign):
    model = ClassicalSpinModel(1).with_zeeman(0, H).with_damping(0.0).with_precession_sign(sign)
    assert model.precession_sign == sign
    np.testing.assert_allclose(velocity(model, M), sign * np.cross(M, H), atol=1e-14)


@pytest.mark.parametrize("sign", [1, -1])
def test_damping_relaxes_toward_the_field_for_either_sign(sign):
    alpha = 0.1
    model = ClassicalSpinModel(1).with_zeeman(0, H).with_damping(alpha).with_precession_sign(sign)
    np.testing.assert_allclose(model.damping, alpha * np.eye(3), atol=1e-15)
    v = velocity(model, M)
    assert v[0] @ H > 0  # dm/dt . H > 0: the Zeeman energy -m.H decreases
    np.testing.assert_allclose(v[0] @ M[0], 0.0, atol=1e-14)  # |m| conserved


def test_bad_damping_and_sign_are_refused():
    model = ClassicalSpinModel(1)
    with pytest.raises(ValueError, match="precession_sign"):
        model.with_precession_sign(0)
    with pytest.raises(ValueError):
        model.with_damping(-0.1)
