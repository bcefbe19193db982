"""JunctionModel.band_edges: the leads' band |E| <= 2 t_e, where the lead self-energies broaden the
device levels (Im Sigma^R < 0 inside, 0 outside)."""

from __future__ import annotations

import numpy as np

from spinbath.junction import JunctionModel


def test_self_energies_are_absorptive_exactly_inside_the_band():
    model = JunctionModel(t=0.5)
    lo, hi = model.band_edges()
    assert lo == -hi and hi > 0
    inside = np.linspace(lo, hi, 41)[1:-1]
    outside = np.concatenate([np.linspace(lo - 50, lo, 11)[:-1] - 1e-6, np.linspace(hi, hi + 50, 11)[1:]])
    for sigma in model.self_energies(inside):
        assert np.all(sigma.imag < 0)
    for sigma in model.self_energies(outside):
        np.testing.assert_allclose(sigma.imag, 0.0, atol=1e-12)
