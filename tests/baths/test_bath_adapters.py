"""Bath protocol and adapters: discrete modes <-> spectral channels give the same one-phonon rates."""

import numpy as np
import pytest

from spinbath.baths.adapters import channels_to_modes, grid_weights, modes_to_channels
from spinbath.baths.phonons import PhononBath
from spinbath.baths.protocol import DiscreteModes, SpectralChannels
from spinbath.baths.spectral import DampedOscillator, SpectralBath, SpectralChannel
from spinbath.quantum.phonon_rates import PhononRates
from spinbath.quantum.spin_phonon import SpinPhononRates
from spinbath.units import KB_CM

GAP = 50.0  # cm^-1
SX = np.array([[0.0, 1.0], [1.0, 0.0]])
H = np.diag([0.0, GAP])


def _populations(R):
    """Rates m <- n (s^-1) of a 2-level R (diagonal elements)."""
    return np.array([[R[0, 0], R[0, 3]], [R[3, 0], R[3, 3]]]).real


def test_protocols():
    pb = PhononBath([GAP], [0.5 * SX], [1.0])
    sb = modes_to_channels(pb)
    assert isinstance(pb, DiscreteModes) and not isinstance(pb, SpectralChannels)
    assert isinstance(sb, SpectralChannels)


@pytest.mark.parametrize("offset", [0.0, 3.0])
def test_broadened_mode_matches_discrete_mode(offset):
    """One mode of half width G: the damped oscillator equals the Lorentzian at resonance and agrees
    to O(G / w) off it; detailed balance exact on both routes."""
    g, T = 0.05, 30.0
    pb = PhononBath([GAP + offset], [0.5 * SX])
    W1 = PhononRates(H, pb, mode_width=g).one_phonon(T)[0]
    R = SpinPhononRates.from_bath(H, pb, g, lineshape="lorentzian", cutoff=1e-12).superoperator(T, 2)
    W2 = _populations(R)
    tol = 1e-10 if offset == 0 else 5 * g / GAP
    assert abs(W1[0, 1] / W2[0, 1] - 1) < tol
    assert abs(W1[1, 0] / W2[1, 0] - 1) < tol
    for W in (W1, W2):
        assert abs(W[0, 1] / W[1, 0] / np.exp(GAP / (KB_CM * T)) - 1) < 1e-10


def test_discretized_channel_matches_spectral_rate():
    T = 20.0
    sb = SpectralBath((SpectralChannel("a", DampedOscillator(60.0, 15.0), 0.5 * SX),))
    W1 = PhononRates(H, sb).one_phonon(T)[0]
    grid = np.linspace(1.0, 200.0, 2000)
    R = SpinPhononRates.from_bath(H, sb, grid=grid, lineshape="gaussian").superoperator(T, 2)
    W2 = _populations(R)
    assert abs(W2[0, 1] / W1[0, 1] - 1) < 1e-3
    assert abs(W2[1, 0] / W1[1, 0] - 1) < 1e-3
    assert abs(W2[0, 1] / W2[1, 0] / np.exp(GAP / (KB_CM * T)) - 1) < 1e-8


def test_adapter_errors():
    with pytest.raises(ValueError, match="no linewidths"):
        modes_to_channels(PhononBath([GAP], [SX]))
    with pytest.raises(ValueError, match="ascending"):
        grid_weights([2.0, 1.0])
    sb = SpectralBath((SpectralChannel("a", DampedOscillator(60.0, 15.0), SX),), {("a", "a"): SX})
    with pytest.raises(ValueError, match="quadratic"):
        channels_to_modes(sb, [1.0, 2.0])
    with pytest.raises(ValueError, match="needs a grid"):
        SpinPhononRates.from_bath(H, SpectralBath((SpectralChannel("a", DampedOscillator(60.0, 15.0), SX),)))


class _UserModes:
    """A bath of the user's own: no spinbath class, only what DiscreteModes asks for."""

    def __init__(self, energies, couplings):
        self.energies_cm = np.asarray(energies, float)
        self.couplings_cm = np.asarray(couplings, complex)
        self.linewidths_cm = None

    @property
    def n_modes(self):
        return self.energies_cm.size

    @property
    def dim(self):
        return self.couplings_cm.shape[-1]


def test_any_object_with_discrete_modes_is_accepted_by_both_rate_builders():
    # The same physics as a PhononBath with the same modes: identical rates from both builders.
    user, pb = _UserModes([GAP], [0.5 * SX]), PhononBath([GAP], [0.5 * SX])
    assert isinstance(user, DiscreteModes)
    T, g = 30.0, 0.05
    np.testing.assert_array_equal(PhononRates(H, user, mode_width=g).one_phonon(T),
                                  PhononRates(H, pb, mode_width=g).one_phonon(T))
    np.testing.assert_array_equal(SpinPhononRates.from_bath(H, user, g).superoperator(T, 2),
                                  SpinPhononRates.from_bath(H, pb, g).superoperator(T, 2))
    with pytest.raises(ValueError, match="discrete modes"):
        SpinPhononRates.from_bath(H, object(), g)
