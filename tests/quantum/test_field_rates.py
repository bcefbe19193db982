"""PhononFieldRates (spinbath.quantum.field_rates) with a transverse field, against laws.

- Time reversal Theta = Y K maps H(b n + B_perp) to H(-b n - B_perp): a transverse field B_perp is
  reversed too, so R(-b) is NOT conj(R(b)) in the reversed basis, and the provider must switch the
  reuse off (``time_reversal`` False) and compute R(-b) directly. Checked: the flag, R(-b) equal to
  the superoperator of a SpinPhononRates built by hand on H(-b n + B_perp) (cm^-1, the same basis rule:
  degenerate levels resolved by g J . n), and different from what the time-reversal shortcut would give.
- Detailed balance at a node with a transverse field: W_{c->a} / W_{a->c} = exp(-(E_a - E_c) / k_B T)
  for every pair of levels, and the Gibbs state rho_G = exp(-H / k_B T) / Z (diagonal in the
  eigenbasis) is stationary, R vec(rho_G) = 0 (column stacking, element (a, a) at a + d a).
- A tunnel splitting Delta of the ground doublet far below diagonalize's default degeneracy
  tolerance (2e-7 cm^-1 = 1e-10 of the DyCp spectral width: a partial Landau-Zener step at 20 Oe/s)
  stays resolved: at B = 0 the two lowest levels are Delta apart and are the tunnel-split states
  (|+> +- |->)/sqrt(2), of zero moment, in eigen() and in the basis of the rate model alike.
Order 2 on the DyCp model bath (825 modes; 0.05 s per node).
"""

from __future__ import annotations

import tomllib
from importlib import resources

import numpy as np
import pytest

from helpers import dense_rates, detailed_balance_errors
from spinbath.quantum.field_rates import PhononFieldRates
from spinbath.quantum.spin_phonon import SpinPhononRates
from spinbath.studies import HysteresisConfig
from spinbath.units import KB_CM

T_K = np.array([5.0, 40.0])
B_PERP = np.array([0.8, 0.0, 0.0])  # T, perpendicular to the sweep direction z
ORDER = "2"


@pytest.fixture(scope="module")
def model():
    text = resources.files("spinbath.examples").joinpath("dycp-hysteresis.toml").read_text()
    cfg = HysteresisConfig(**tomllib.loads(text))
    return cfg.spin.hamiltonian(), cfg.bath.build(cfg.spin.J)


def _provider(model, transverse=B_PERP) -> PhononFieldRates:
    ham, bath = model
    return PhononFieldRates(ham, bath, [0, 0, 1], T_K, ORDER, transverse=transverse, width=10.0)


def test_transverse_field_switches_time_reversal_off_and_R_is_computed_directly(model):
    ham, bath = model
    pr = _provider(model)
    assert not pr.time_reversal
    assert _provider(model, transverse=(0.0, 0.0, 0.0)).time_reversal
    b = -0.4
    node = pr.node(b)
    H = ham.matrix(b * np.array([0.0, 0.0, 1.0]) + B_PERP)
    by_hand = SpinPhononRates.from_bath(H, bath, basis_operator=pr.moment_axis, width=10.0)
    np.testing.assert_allclose(node.energies, by_hand.energies, atol=1e-10)
    np.testing.assert_allclose(np.abs(np.einsum("ia,ia->a", node.basis.conj(), by_hand.eigenvectors)), 1.0, atol=1e-10)
    R = by_hand.superoperator(T_K, ORDER)
    Rn = dense_rates(node)
    assert np.abs(Rn - R).max() <= 1e-12 * np.abs(R).max()
    # The transverse field matters here (it splits the excited doublets at small b) ...
    plain = _provider(model, transverse=(0.0, 0.0, 0.0)).node(b)
    assert np.abs(node.energies - plain.energies).max() > 0.1  # cm^-1
    # ... and the time-reversal shortcut is wrong: Y conj(U(+b)) diagonalizes H(-b n - B_perp), not H(-b n + B_perp).
    up = pr.node(-b)
    Us = _provider(model, transverse=(0.0, 0.0, 0.0))._Y @ up.basis.conj()
    Hb = pr.hamiltonian(b)
    residual = np.abs(Hb @ Us - Us * up.energies).max()
    assert residual > 1e-3  # cm^-1
    Hflip = ham.matrix(b * np.array([0.0, 0.0, 1.0]) - B_PERP)
    assert np.abs(Hflip @ Us - Us * up.energies).max() < 1e-9


@pytest.mark.parametrize("b", [-0.4, 0.0, 0.05, 2.0])
def test_detailed_balance_and_gibbs_steady_state_with_transverse_field(model, b):
    pr = _provider(model)
    node = pr.node(b)
    d, E = node.dim, node.energies
    R = dense_rates(node)
    for t, T in enumerate(T_K):
        p = np.exp(-(E - E[0]) / (KB_CM * T))
        p /= p.sum()
        rho = np.zeros(d * d, complex)
        rho[np.arange(d) * (d + 1)] = p  # diag(p) vectorized
        flow = R[t] @ rho
        assert np.abs(flow).max() <= 1e-10 * np.abs(R[t]).max() * p.max()
    # W_{a->b} / W_{b->a} = exp(-(E_b - E_a) / k_B T) for every pair with rates both ways
    worst, checked = detailed_balance_errors(R, E, T_K, skip=lambda a, b, up, down: min(up, down) <= 1e-250)
    assert worst < 1e-9 and len(checked) > 20


def test_a_tunnel_splitting_far_below_the_default_degeneracy_tolerance_stays_resolved(model):
    from spinbath.studies.hysteresis import _tunnel_term

    ham, bath = model
    n = np.array([0.0, 0.0, 1.0])
    delta = 2e-7  # cm^-1
    pr = PhononFieldRates(ham, bath, n, T_K, ORDER, extra=_tunnel_term(ham, n, delta), width=10.0)
    assert pr.degeneracy_tol < 1e-2 * delta
    E, U = pr.eigen(0.0)
    assert E[1] - E[0] == pytest.approx(delta, rel=1e-4)
    m = U.conj().T @ pr.moment_axis @ U  # g J . n in the eigenbasis
    M0 = float(np.max(np.abs(np.linalg.eigvalsh(pr.moment_axis))))
    # (|+> +- |->)/sqrt 2: no moment, to the eigenvector noise eps ||H|| / Delta ~ 2e-6 (unresolved: M0)
    assert abs(m[0, 0]) < 1e-4 * M0 and abs(m[1, 1]) < 1e-4 * M0
    assert abs(m[0, 1]) == pytest.approx(M0, rel=2e-3)
    node = pr.node(0.0)
    np.testing.assert_allclose(np.abs(np.einsum("ia,ia->a", node.basis.conj(), U)), 1.0, atol=1e-9)
    np.testing.assert_allclose(node.energies, E, atol=1e-9)
