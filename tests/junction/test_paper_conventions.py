"""spinbath's junction couplings converted with the documented table (Conventions page:
J_paper = -J/4, D_paper = -D/4 per Delta^2) follow the sign rules of Leiva, Diaz and Nunez,
Phys. Rev. B 107, 094401 (2023): antiferromagnetic J_2 (J_paper < 0) only where the right lead's
chemical potential lies inside the band edge, |mu_R| < t0 - t; D odd in V; J changing sign near
+-3 mV at mu_F = 0 (the paper's Fig. 4)."""

import numpy as np
import pytest

import spinbath


@pytest.fixture(scope="module")
def paper_couplings():
    ds = spinbath.run({"study": "junction-couplings", "junction": {"t0": "2 meV", "t": "0.1 meV"},
                       "bias": {"V": {"start": "-8 mV", "stop": "8 mV", "num": 17},
                                "mu_F": {"start": "-6 meV", "stop": "6 meV", "num": 13}, "temperature": "0 K"}},
                      quiet=True)
    d = ds.isel(t_soc=0).sel(site=2)
    return ds, -d.J_per_Delta2 / 4, -d.D_per_Delta2 / 4  # the paper's J_2, D_2 per its Delta^2


def test_antiferromagnetic_exchange_only_inside_the_band_edge(paper_couplings):
    ds, J, _ = paper_couplings
    V = ds.V.values[:, None]
    mu_R = ds.mu_F.values[None, :] - V / 2
    edge = 2.0 - 0.1  # t0 - t, meV
    away = np.abs(np.abs(mu_R) - edge) > 0.2  # the sign turns within the lead broadening of the edge
    afm = J.transpose("V", "mu_F").values < 0
    np.testing.assert_array_equal(afm[away], (np.abs(mu_R) < edge)[away])
    assert away.sum() > 0.8 * away.size


def test_dm_coupling_is_odd_in_bias(paper_couplings):
    _, _, D = paper_couplings
    Dv = D.transpose("V", "mu_F").values
    np.testing.assert_allclose(Dv, -Dv[::-1, ::-1], atol=1e-9 * np.abs(Dv).max())  # (V, mu_F) -> (-V, -mu_F)
    np.testing.assert_array_equal(D.sel(V=0.0).values, 0.0)


def test_exchange_changes_sign_near_three_millivolts(paper_couplings):
    _, J, _ = paper_couplings
    cut = J.sel(mu_F=0.0)
    V = cut.V.values
    flips = [0.5 * (V[i] + V[i + 1]) for i in np.nonzero(np.diff(np.sign(cut.values)))[0]]
    assert len(flips) == 2 and all(2.5 <= abs(v) <= 3.5 for v in flips)
    assert cut.sel(V=0.0) < 0  # antiferromagnetic at zero bias, in the paper's sign
