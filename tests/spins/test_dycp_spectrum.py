"""DyCp from the shipped Stevens parameters: Kramers doublets, <J_z>, g tensor, Zeeman splitting."""

import numpy as np
import pytest

from spinbath.config.spin import builtin_crystal_field
from spinbath.spins import SpinHamiltonian, g_tensor_of_doublet
from spinbath.units import MUB_CM

REFERENCE_DOUBLETS = [0.0, 478.5, 775.7, 994.0, 1185.0, 1350.6, 1473.8, 1539.2]  # cm^-1, issue #2


@pytest.fixture(scope="module")
def dycp():
    data = builtin_crystal_field("dycp")
    return SpinHamiltonian.single_ion(data["J"], data["B"], g=data["gJ"])


def test_kramers_doublet_energies(dycp):
    e, _ = dycp.eigh()
    e = e - e[0]
    assert np.allclose(e[0::2], e[1::2], atol=1e-9 * e.max())
    assert np.allclose(e[0::2], REFERENCE_DOUBLETS, atol=0.5)


def test_ground_doublet_is_axial(dycp):
    e, v = dycp.eigh((0, 0, 1e-6))  # tiny field picks the |+-M> combinations
    jz = dycp.spin_operators[0][2]
    mz = np.real(np.einsum("ip,ij,jp->p", v.conj(), jz, v))
    assert abs(mz[0]) > 7.45 and abs(mz[1]) > 7.45
    g, axes = g_tensor_of_doublet(dycp.magnetic_moment, v[:, :2])
    assert g[2] == pytest.approx(20.0, abs=0.1)
    assert g[0] < 1e-3 and g[1] < 1e-3
    assert abs(axes[2, 2]) > 0.999  # easy axis along z


def test_zeeman_splitting_of_ground_doublet(dycp):
    e0, v0 = dycp.eigh((0, 0, 1e-6))
    jz = dycp.spin_operators[0][2]
    mz = abs(np.real(v0[:, 0].conj() @ jz @ v0[:, 0]))
    e, _ = dycp.eigh((0, 0, 1.0))
    expected = 4 / 3 * MUB_CM * 1.0 * 2 * mz
    assert e[1] - e[0] == pytest.approx(expected, rel=1e-4)
