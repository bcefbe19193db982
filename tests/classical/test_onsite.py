"""On-site terms of a classical spin of length S (spinbath.classical.OnsiteTerms): field = -dE/dm,
the Zeeman sign (g > 0: the spin settles antiparallel to B), the small-angle relaxation rate onto an
easy axis (closed form alpha/(1 + alpha^2) 2 K S^2), the easy plane, in the LLG of the junction
(precession sign -1, time unit hbar S / meV)."""

import numpy as np
import pytest

from spinbath.classical import ClassicalSpinModel, Heun, Midpoint, OnsiteTerms, simulate
from spinbath.units import HBAR_MEV_PS, MUB_MEV


def test_field_is_minus_the_gradient_of_the_energy():
    terms = OnsiteTerms(S=2.5, g=2.1, B=(0.3, -1.0, 2.0), K_axis=0.07, axis=(1, 1, 0), K_plane=0.02, normal=(0, 1, 1))
    rng = np.random.default_rng(3)
    m = rng.normal(size=(5, 3))
    h = 1e-6
    grad = np.stack([(terms.energy(m + h * e) - terms.energy(m - h * e)) / (2 * h) for e in np.eye(3)], axis=-1)
    np.testing.assert_allclose(terms.field(m), -grad, rtol=1e-8, atol=1e-10)
    # Closed forms of the three terms at one point (meV).
    n, p, mm = np.array([1, 1, 0]) / np.sqrt(2), np.array([0, 1, 1]) / np.sqrt(2), m[0]
    expected = (2.1 * MUB_MEV * 2.5 * np.dot([0.3, -1.0, 2.0], mm) - 0.07 * 6.25 * np.dot(mm, n) ** 2
                + 0.02 * 6.25 * np.dot(mm, p) ** 2)
    assert terms.energy(mm) == pytest.approx(expected, rel=1e-12)


def test_larmor_frequency_closed_form():
    assert OnsiteTerms(S=2.5, B=(0, 0, 1.0)).larmor_angular_frequency == pytest.approx(2 * MUB_MEV / HBAR_MEV_PS)
    # 2 mu_B / hbar = 0.17588 rad/ps: 27.99 GHz per tesla, the electron's.
    assert OnsiteTerms(S=1, B=(0, 0, 1.0)).larmor_angular_frequency / (2 * np.pi) == pytest.approx(0.02799, rel=1e-3)


def _relax(terms: OnsiteTerms, m0, alpha: float, t_end: float, dt: float = 0.002, method=Heun()):
    """Deterministic LLG of one spin (junction sign) with these terms; time in hbar S / meV."""
    model = terms.add_to(ClassicalSpinModel(1, damping=alpha, precession_sign=-1), 0)
    n = int(round(t_end / dt))
    return simulate(model, np.array([m0], dtype=float), dt=dt, n_steps=n, n_traj=1, method=method,
                    save_every=max(1, n // 200), seed=0)


@pytest.mark.parametrize("method", [Heun(), Midpoint()], ids=["heun", "midpoint"])
def test_damped_spin_settles_on_the_easy_axis_at_the_linear_rate(method):
    """E = -K S^2 m_z^2: a spin tilted by theta relaxes to the nearer pole; for small theta,
    theta(t) = theta_0 exp(-lambda t), lambda = alpha/(1 + alpha^2) 2 K S^2 (reduced time)."""
    S, K, alpha = 2.5, 0.1, 0.3
    terms = OnsiteTerms(S=S, K_axis=K, axis=(0, 0, 1))
    th0 = 0.01
    res = _relax(terms, [np.sin(th0), 0, np.cos(th0)], alpha, t_end=6.0, method=method)
    m = res.values[:, 0, 0]
    theta = np.arccos(np.clip(m[:, 2], -1, 1))
    rate = -np.polyfit(res.t, np.log(theta), 1)[0]
    assert rate == pytest.approx(alpha / (1 + alpha**2) * 2 * K * S**2, rel=2e-4)
    for z0, pole in ((0.5, 1.0), (-0.5, -1.0)):  # 60 and 120 degrees from the axis
        res = _relax(terms, [np.sqrt(1 - z0**2), 0, z0], alpha, t_end=80.0, dt=0.01, method=method)
        np.testing.assert_allclose(res.final[0, 0], [0, 0, pole], atol=1e-6)


def test_damped_spin_settles_in_the_easy_plane():
    terms = OnsiteTerms(S=2.5, K_plane=0.1, normal=(1, 0, 0))
    res = _relax(terms, [0.8, 0.6, 0.0], alpha=0.5, t_end=80.0, dt=0.01)
    m = res.final[0, 0]
    assert abs(m[0]) < 1e-6 and abs(np.linalg.norm(m) - 1) < 1e-9


@pytest.mark.parametrize("g", [2.0, 0.5])
def test_zeeman_damped_spin_turns_antiparallel_to_the_field(g):
    """H_Z = +g mu_B B.S: for g > 0 the energy minimum, where damping takes the spin, is -B/|B|."""
    B = np.array([1.0, -2.0, 2.0])  # T, |B| = 3
    terms = OnsiteTerms(S=2.5, g=g, B=tuple(B))
    res = _relax(terms, [0, 0, 1.0], alpha=0.5, t_end=200.0 / g, dt=0.01)
    np.testing.assert_allclose(res.final[0, 0], -B / 3.0, atol=1e-6)
    e_anti, e_par = terms.energy(-B / 3), terms.energy(B / 3)
    assert e_anti - e_par == pytest.approx(-2 * g * MUB_MEV * 2.5 * 3.0)


@pytest.mark.parametrize("kwargs, needle", [
    ({"S": -2.5}, "S must be"), ({"S": 1, "g": -2}, "g must be"), ({"S": 1, "K_axis": -0.1}, "K_axis"),
    ({"S": 1, "B": (0, 1)}, "B must be"), ({"S": 1, "axis": (0, 0, 0)}, "axis"),
])
def test_bad_terms_are_rejected(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        OnsiteTerms(**kwargs)
