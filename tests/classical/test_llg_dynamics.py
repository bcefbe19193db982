"""Deterministic laws, invariants, backends and reproducibility of spinbath.classical.llg.

Systems with analytic solutions (one spin in a field, reduced units of llg.py):
    alpha = 0:  phi(t) = phi0 - sigma |H| t, theta constant (Larmor precession);
    alpha > 0:  tan(theta/2) = tan(theta0/2) exp(-alpha |H| t / (1 + alpha^2)),
                phi(t) = phi0 - sigma |H| t / (1 + alpha^2),
from the Landau-Lifshitz form mdot = [sigma m x H + alpha (H - m (m.H))]/(1 + alpha^2), i.e.
theta' = -alpha |H| sin(theta)/(1 + alpha^2) and d ln tan(theta/2)/dt = theta'/sin(theta).
"""

from __future__ import annotations

import numpy as np
import pytest

from spinbath.classical.llg import INTEGRATORS, Heun, Midpoint, simulate, velocity
from spinbath.classical.spin_model import ClassicalSpinModel, damping_tensor

RNG = np.random.default_rng(11)
SCHEMES = [cls() for cls in INTEGRATORS.values()]


def angles(m):
    return np.arccos(np.clip(m[..., 2], -1, 1)), np.unwrap(np.arctan2(m[..., 1], m[..., 0]))


@pytest.mark.parametrize("method", SCHEMES, ids=lambda s: s.name)
@pytest.mark.parametrize("sgn", [1, -1])
def test_larmor_precession_phase(method, sgn):
    B, theta0, phi0, dt, n = 1.3, 1.0, 0.4, 1e-4, 100_000
    model = ClassicalSpinModel(1, precession_sign=sgn).with_zeeman(0, (0, 0, B))
    m0 = [[np.sin(theta0) * np.cos(phi0), np.sin(theta0) * np.sin(phi0), np.cos(theta0)]]
    r = simulate(model, m0, dt=dt, n_steps=n, save_every=1000, method=method)
    theta, phi = angles(r.values[:, 0, 0])
    np.testing.assert_allclose(phi, phi0 - sgn * B * r.t, atol=1e-6, rtol=0)
    np.testing.assert_allclose(theta, theta0, atol=1e-9)


@pytest.mark.parametrize("method", SCHEMES, ids=lambda s: s.name)
@pytest.mark.parametrize("sgn", [1, -1])
def test_damped_relaxation_toward_the_field(method, sgn):
    alpha, H, theta0, phi0, dt, n = 0.3, np.array([0.0, 0.0, 1.5]), 2.5, -0.2, 1e-4, 100_000
    model = ClassicalSpinModel(1, damping=alpha, precession_sign=sgn).with_zeeman(0, H)
    m0 = [[np.sin(theta0) * np.cos(phi0), np.sin(theta0) * np.sin(phi0), np.cos(theta0)]]
    r = simulate(model, m0, dt=dt, n_steps=n, save_every=1000, method=method)
    theta, phi = angles(r.values[:, 0, 0])
    rate = alpha * 1.5 / (1 + alpha**2)
    np.testing.assert_allclose(np.tan(theta / 2), np.tan(theta0 / 2) * np.exp(-rate * r.t),
                               rtol=1e-6)
    np.testing.assert_allclose(phi, phi0 - sgn * 1.5 * r.t / (1 + alpha**2), atol=1e-6)
    assert theta[-1] < 0.2      # it did relax toward +H


def test_midpoint_keeps_unit_norm_every_step():
    """|m_a| = 1 to 1e-10 at every step of a noisy dimer with nonlocal damping (16 trajectories:
    one compiled block, so the 4000 one-step calls start no parallel region)."""
    model = ClassicalSpinModel(2, damping=[[0.5, 0.3], [0.3, 0.5]]).with_exchange(0, 1, J=-1.0)
    r = simulate(model, RNG.standard_normal((16, 2, 3)), dt=0.01, n_steps=4000, save_every=1,
                 kT=0.5, method=Midpoint(), seed=3,
                 record=lambda m: np.linalg.norm(m, axis=-1))
    assert np.max(np.abs(r.values - 1.0)) < 1e-10
    assert r.info["unconverged_steps"] == 0


def random_conservative_model(M, alpha, rng):
    model = ClassicalSpinModel(M, damping=alpha)
    for a in range(M):
        D = rng.standard_normal((3, 3))
        model = model.with_zeeman(a, rng.standard_normal(3)).with_anisotropy(a, 0.3 * (D + D.T))
        for b in range(a + 1, M):
            G = rng.standard_normal((3, 3))
            model = model.with_exchange(a, b, J=rng.standard_normal(), D=rng.standard_normal(3),
                                        Gamma=0.2 * (G + G.T))
    return model


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_energy_decreases_without_noise_for_nonlocal_damping(seed):
    """dE/dt = -mdot^T alpha mdot <= 0 for any positive-definite (nonlocal, anisotropic) alpha:
    E(t) is monotone at every step, and its rate equals the dissipation (to the O((rate dt)^2)
    of a one-step difference against the midpoint value, rates here up to ~30)."""
    rng = np.random.default_rng(seed)
    L = rng.standard_normal((9, 9))
    alpha = L @ L.T / 9 + 0.05 * np.eye(9)
    model = random_conservative_model(3, alpha, rng)
    dt = 1e-3
    r = simulate(model, rng.standard_normal((4, 3, 3)), dt=dt, n_steps=3000, save_every=1,
                 method=Midpoint(tol=1e-13))
    E = model.energy(r.values)                         # (n_saved, n_traj)
    assert np.all(np.diff(E, axis=0) <= 1e-12)
    assert E[0].mean() - E[-1].mean() > 0.1
    # dE/dt at the midpoints vs -mdot^T alpha mdot
    mid = 0.5 * (r.values[1:] + r.values[:-1])
    mid /= np.linalg.norm(mid, axis=-1, keepdims=True)
    v = velocity(model, mid).reshape(mid.shape[:2] + (9,))
    diss = -np.einsum("tki,ij,tkj->tk", v, alpha, v)
    np.testing.assert_allclose(np.diff(E, axis=0) / dt, diss, atol=1e-3 * np.max(np.abs(diss)))


def backend_case(pinned: bool, sgn: int):
    alpha = damping_tensor([[0.5, 0.3, 0.1], [0.3, 0.6, 0.2], [0.1, 0.2, 0.4]],
                           [[0.2, 0.1, 0.0], [0.1, 0.1, 0.0], [0.0, 0.0, 0.1]], (1, 0, 1))
    W = RNG.standard_normal((9, 9))
    model = (ClassicalSpinModel(3, damping=alpha, precession_sign=sgn)
             .with_exchange(0, 1, J=-1.0).with_exchange(1, 2, J=0.4)
             .with_linear_fields(0.3 * W, RNG.standard_normal((3, 3))))
    return model.with_pinned(2, (0, 1, 1)) if pinned else model


@pytest.mark.parametrize("method", SCHEMES, ids=lambda s: s.name)
@pytest.mark.parametrize("kw", [dict(kT=0.4),
                                dict(kT=0.4, drift_correction=False), dict()],
                         ids=["thermal", "uncorrected", "deterministic"])
def test_compiled_kernels_equal_the_numpy_reference(method, kw):
    """Same seed, same noise: the compiled kernels and the numpy reference agree to rounding
    (midpoint: to its iteration tolerance). Dimer with a pinned third spin, nonlocal anisotropic
    damping, non-conservative fields, sigma = -1."""
    model = backend_case(True, -1)
    m0 = RNG.standard_normal((37, 3, 3))
    a = simulate(model, m0, dt=0.01, n_steps=40, seed=5, method=method, backend="numba", **kw)
    b = simulate(model, m0, dt=0.01, n_steps=40, seed=5, method=method, backend="numpy", **kw)
    assert a.info["drift_mode"] == b.info["drift_mode"]
    np.testing.assert_allclose(a.final, b.final, atol=1e-10 if method.name == "midpoint" else 1e-13)


@pytest.mark.slow
@pytest.mark.parametrize("method", SCHEMES, ids=lambda s: s.name)
@pytest.mark.parametrize("pinned,sgn", [(True, 1), (False, -1)])
def test_compiled_kernels_equal_the_numpy_reference_general_noise(method, pinned, sgn):
    """As above for a general noise covariance (Lyapunov drift; kernels for up to two free
    spins) and one to three free spins."""
    model = backend_case(pinned, sgn)
    Lq = RNG.standard_normal((9, 9))
    Q = Lq @ Lq.T / 9 + 0.1 * np.eye(9)
    m0 = RNG.standard_normal((21, 3, 3))
    for kw in ((dict(noise=Q), dict(kT=0.3)) if pinned else (dict(kT=0.3),)):
        a = simulate(model, m0, dt=0.01, n_steps=20, seed=2, method=method, backend="numba", **kw)
        b = simulate(model, m0, dt=0.01, n_steps=20, seed=2, method=method, backend="numpy", **kw)
        np.testing.assert_allclose(a.final, b.final, atol=1e-10)
    single = ClassicalSpinModel(1, damping=np.diag([0.2, 0.5, 0.9])).with_uniaxial(
        0, 1.0, (0, 1, 1))
    for kw in (dict(noise=np.diag([0.3, 0.2, 0.4])), dict(kT=0.3), dict()):
        a = simulate(single, RNG.standard_normal((10, 1, 3)), dt=0.01, n_steps=20, seed=2,
                     method=method, **kw)
        b = simulate(single, a.values[0], dt=0.01, n_steps=20, seed=2, method=method,
                     backend="numpy", **kw)
        np.testing.assert_allclose(a.final, b.final, atol=1e-10)


def test_trajectory_noise_depends_only_on_seed_and_index():
    model = ClassicalSpinModel(2, damping=[[0.5, 0.3], [0.3, 0.5]]).with_exchange(0, 1, J=-1.0)
    m0 = RNG.standard_normal((50, 2, 3))
    kw = dict(dt=0.02, n_steps=30, kT=0.5, seed=123)
    full = simulate(model, m0, **kw)
    part = simulate(model, m0[17:23], first_trajectory=17, **kw)   # other blocks and lanes
    np.testing.assert_array_equal(part.final, full.final[17:23])
    again = simulate(model, m0, **kw)
    np.testing.assert_array_equal(again.final, full.final)
    other = simulate(model, m0, **{**kw, "seed": 124})
    assert np.max(np.abs(other.final - full.final)) > 0.1
    # continuing a run with its generator state is the same as one long run
    first = simulate(model, m0, **{**kw, "n_steps": 10})
    rest = simulate(model, first.final, rng_state=first.rng_state, **{**kw, "n_steps": 20})
    np.testing.assert_allclose(rest.final, full.final, atol=1e-14)


def test_saving_and_recording():
    model = ClassicalSpinModel(1, damping=0.1).with_zeeman(0, (0, 0, 1))
    r = simulate(model, [[1.0, 0, 0]], n_traj=3, dt=0.1, n_steps=25, save_every=10,
                 record=lambda m: m[:, 0, 2])
    np.testing.assert_allclose(r.t, [0.0, 1.0, 2.0, 2.5])
    assert r.values.shape == (4, 3) and r.final.shape == (3, 1, 3)
    assert r.info["method"] == "heun" and r.info["drift_mode"] == "none"


@pytest.mark.parametrize("kwargs,msg", [
    (dict(m0=np.zeros((1, 3))), "zero vectors"),
    (dict(m0=np.full((1, 3), np.nan)), "NaN"),
    (dict(m0=np.ones((2, 3))), "shape"),
    (dict(dt=0.0), "dt must be positive"),
    (dict(dt=np.nan), "dt must be positive"),
    (dict(n_steps=-1), "n_steps"),
    (dict(kT=-0.1), "temperature"),
    (dict(kT=0.1, noise=0.2), "either kT"),
    (dict(noise=-np.eye(3)), "positive semidefinite"),
    (dict(noise=np.ones((2, 2))), "noise covariance"),
    (dict(method="heun"), "method must be"),
    (dict(backend="cuda"), "backend"),
    (dict(n_traj=0), "at least 1"),
])
def test_bad_simulation_input_is_rejected(kwargs, msg):
    model = ClassicalSpinModel(1, damping=0.1).with_zeeman(0, (0, 0, 1))
    args = dict(m0=np.array([[0.0, 0, 1]]), dt=0.01, n_steps=5)
    args.update(kwargs)
    m0 = args.pop("m0")
    with pytest.raises(ValueError, match=msg):
        simulate(model, m0, **args)


def test_midpoint_rejects_bad_settings():
    with pytest.raises(ValueError):
        Midpoint(tol=0.0)
    with pytest.raises(ValueError):
        Midpoint(max_iter=0)
    assert Heun().name == "heun"


def test_auto_backend_uses_numpy_beyond_the_generated_kernels():
    from spinbath.classical.llg_kernels import MAX_FREE_SPINS

    M = MAX_FREE_SPINS[1] + 1
    model = ClassicalSpinModel(M, damping=0.2)
    for a in range(M - 1):
        model = model.with_exchange(a, a + 1, J=-1.0)
    r = simulate(model, RNG.standard_normal((3, M, 3)), dt=0.01, n_steps=3, kT=0.5,
                 seed=1)
    assert r.info["backend"] == "numpy"
    with pytest.raises(ValueError, match="use backend='numpy'"):
        simulate(model, RNG.standard_normal((3, M, 3)), dt=0.01, n_steps=3, kT=0.5,
                 backend="numba")
