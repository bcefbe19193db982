"""Spin matrices: commutators, Casimir, basis order, many-site embedding against QuTiP."""

import numpy as np
import pytest

from spinbath.spins import embed, spin_matrices


@pytest.mark.parametrize("J", [0.5, 1, 1.5, 2, 2.5, 4, 7.5])
def test_angular_momentum_algebra(J):
    jx, jy, jz = spin_matrices(J)
    assert np.allclose(jx @ jy - jy @ jx, 1j * jz, atol=1e-12)
    assert np.allclose(jy @ jz - jz @ jy, 1j * jx, atol=1e-12)
    assert np.allclose(jx @ jx + jy @ jy + jz @ jz, J * (J + 1) * np.eye(int(2 * J + 1)), atol=1e-12)
    # basis M = J, J-1, ..., -J
    assert np.allclose(np.diag(jz).real, J - np.arange(int(2 * J + 1)))


def test_against_qutip_jmat():
    qutip = pytest.importorskip("qutip")
    for J in (0.5, 2, 7.5):
        for ours, name in zip(spin_matrices(J), "xyz"):
            assert np.allclose(ours, qutip.jmat(J, name).full(), atol=1e-12)


def test_embedding_matches_qutip_tensor():
    qutip = pytest.importorskip("qutip")
    sx, _, sz = spin_matrices(0.5)
    jx, _, _ = spin_matrices(1)
    ours = embed(sz, 0, (2, 3)) @ embed(jx, 1, (2, 3))
    ref = qutip.tensor(qutip.jmat(0.5, "z"), qutip.jmat(1, "x")).full()
    assert np.allclose(ours, ref)
    assert np.allclose(embed(sx, 2, (3, 2, 2)), np.kron(np.eye(6), sx))


@pytest.mark.parametrize("bad", [0, -1, 0.3, float("nan"), "x"])
def test_bad_spin_rejected(bad):
    with pytest.raises(ValueError, match="J ="):
        spin_matrices(bad)
