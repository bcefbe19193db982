"""check_temperatures: one 0 K rule for the rate builders, and its messages."""

import numpy as np
import pytest

from spinbath.quantum.temperatures import check_temperatures


def test_scalar_and_array():
    T, scalar = check_temperatures(5, allow_zero=False)
    assert scalar and T.shape == (1,) and T[0] == 5.0
    T, scalar = check_temperatures([1.0, 2.0], allow_zero=True)
    assert not scalar and np.array_equal(T, [1.0, 2.0])


def test_zero_kelvin_rule():
    T, _ = check_temperatures([0.0, 3.0], allow_zero=True)
    assert T[0] == 0.0
    with pytest.raises(ValueError, match=r"finite and > 0 K, got \[0.\]"):
        check_temperatures([0.0, 3.0], allow_zero=False)


@pytest.mark.parametrize("allow_zero, bound", [(True, ">= 0 K"), (False, "> 0 K")])
@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_bad_values(allow_zero, bound, bad):
    with pytest.raises(ValueError, match=f"temperatures must be finite and {bound}"):
        check_temperatures([1.0, bad], allow_zero=allow_zero)


@pytest.mark.parametrize("bad", [np.ones((2, 2)), []])
def test_bad_shape(bad):
    with pytest.raises(ValueError, match="temperature must be a number or a non-empty 1-D array"):
        check_temperatures(bad, allow_zero=True)


def test_rate_builders_use_it():
    from spinbath.baths.spectral import SpectralBath  # noqa: F401
    from spinbath.quantum import phonon_rates, spin_phonon

    assert phonon_rates.check_temperatures is check_temperatures
    assert spin_phonon.check_temperatures is check_temperatures
