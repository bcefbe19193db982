"""Several sites: isotropic exchange, anisotropic tensor and DMI against closed forms."""

import numpy as np
import pytest

from spinbath.spins import Exchange, Site, SpinHamiltonian, spin_matrices
from spinbath.units import MUB_CM


def test_isotropic_exchange_singlet_triplet_gap():
    J = 3.0  # cm^-1, H = J S1.S2: singlet at -3J/4, triplet at +J/4
    h = SpinHamiltonian([Site(0.5), Site(0.5)], [Exchange(0, 1, isotropic=J)])
    e, _ = h.eigh()
    assert np.allclose(e, [-0.75 * J, 0.25 * J, 0.25 * J, 0.25 * J])


def test_exchange_tensor_and_dmi_match_kron_construction():
    rng = np.random.default_rng(7)
    jex, d = rng.normal(size=(3, 3)), rng.normal(size=3)
    h = SpinHamiltonian([Site(0.5), Site(1.0)], [Exchange(0, 1, tensor=jex, dmi=d)]).matrix()
    s, t = spin_matrices(0.5), spin_matrices(1.0)
    ref = sum(jex[a, b] * np.kron(s[a], t[b]) for a in range(3) for b in range(3))
    cross = [np.kron(s[1], t[2]) - np.kron(s[2], t[1]), np.kron(s[2], t[0]) - np.kron(s[0], t[2]),
             np.kron(s[0], t[1]) - np.kron(s[1], t[0])]
    ref = ref + sum(dk * c for dk, c in zip(d, cross))
    assert np.allclose(h, ref, atol=1e-12)
    assert np.allclose(h, h.conj().T)


def test_tensor_g_zeeman():
    g = np.diag([1.9, 2.0, 2.1])
    e, _ = SpinHamiltonian(Site(0.5, g=g)).eigh((0.0, 0.0, 2.0))
    assert e[1] - e[0] == pytest.approx(2.1 * MUB_CM * 2.0, rel=1e-12)


def test_bad_exchange_site_rejected():
    with pytest.raises(ValueError, match="sites must be distinct"):
        SpinHamiltonian([Site(0.5), Site(0.5)], [Exchange(0, 0, isotropic=1.0)])
