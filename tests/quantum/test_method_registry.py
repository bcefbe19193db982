"""Every registered method against the analytic systems of tests/systems.py, with errors scaled by
the tolerance the method was asked for; registry pickup of a method registered inside a test; the
time convention of EvolveResult for a rate superoperator in s^-1."""

import numpy as np
import pytest
import scipy.linalg as sla
from systems import bloch, catalogue, frobenius_error, uncoupled_chain

from spinbath.quantum.liouville import unvec, vec
from spinbath.quantum.methods import (
    METHODS, EvolveResult, Method, evolve, get_method, register, slowest_eigenvalues, steady_state,
    steady_state_details, unregister,
)
from spinbath.quantum.relaxation import with_hamiltonian
from spinbath.units import CM_TO_RAD_PER_S

SYSTEMS = catalogue()
CHAIN = uncoupled_chain(3)  # d^2 = 64: for the chain-only methods (and a sparse check of the others)

#: error allowed = C * (the tolerance the method aims for); exact methods aim for ~1e-12
C = 10.0


def _with_task(task):
    return sorted(name for name, cls in METHODS.items() if task in cls.tasks)


def _instance(name, tol):
    return METHODS[name].with_tolerance(tol)


@pytest.mark.parametrize("tol", [1e-6, 1e-9])
@pytest.mark.parametrize("name", _with_task("evolve"))
@pytest.mark.parametrize("system", SYSTEMS + [CHAIN], ids=lambda s: s.name)
def test_every_evolve_method_meets_its_tolerance_on_the_analytic_systems(name, system, tol):
    m = _instance(name, tol)
    t = system.times()
    res = evolve(system.L, system.rho0, t, method=m)
    err = frobenius_error(res.states, system.exact_rho(t)) / np.linalg.norm(system.rho0)
    assert err <= C * max(m.tolerance, 1e-13), f"{name}: error {err:.2e} for tolerance {m.tolerance:.1e}"


@pytest.mark.parametrize("name", _with_task("evolve"))
def test_every_evolve_method_runs_on_the_matrix_free_chain(name):
    if name in ("eig", "expm"):
        pytest.skip(f"{name} is dense-only by design (it densifies the operator); checked on the sparse matrix")
    m = _instance(name, 1e-8)
    t = CHAIN.times(4)
    res = evolve(CHAIN.operator, CHAIN.rho0, t, method=m)
    err = frobenius_error(res.states, CHAIN.exact_rho(t)) / np.linalg.norm(CHAIN.rho0)
    assert err <= C * m.tolerance


@pytest.mark.parametrize("tol", [1e-6, 1e-10])
@pytest.mark.parametrize("name", _with_task("steady_state"))
@pytest.mark.parametrize("system", [s for s in SYSTEMS if s.steady is not None] + [CHAIN], ids=lambda s: s.name)
def test_every_steady_state_method_finds_the_exact_steady_state(name, system, tol):
    m = _instance(name, tol)
    L = system.L
    if name == "iterative":
        if system.operator is None:
            pytest.skip("the iterative method is for open chains only (its preconditioner is the chain's)")
        L = system.operator
    res = steady_state_details(L, method=m)
    assert res.method is m
    err = np.linalg.norm(res.rho - system.steady)
    # a relative residual tol gives an error of ~tol times the condition of L on the trace-1 subspace
    # (the ratio of its largest to its slowest rate, < 20 here)
    scale = system.rate_scale / system.slowest_rate()
    assert err <= C * max(m.tolerance, 1e-13) * scale, f"{name}: error {err:.2e}"


@pytest.mark.parametrize("tol", [1e-6, 1e-10])
@pytest.mark.parametrize("name", _with_task("eigenvalues"))
@pytest.mark.parametrize("system", [s for s in SYSTEMS if s.d >= 4] + [CHAIN], ids=lambda s: s.name)
def test_every_eigenvalue_method_finds_exact_slow_eigenvalues(name, system, tol):
    k = 3
    m = _instance(name, tol)
    lam = slowest_eigenvalues(system.L, k, method=m)
    assert lam.shape == (k,)
    bound = C * max(m.tolerance, 1e-12) * system.rate_scale
    # every eigenvalue returned is one of the exact spectrum
    for x in lam:
        assert np.min(np.abs(system.spectrum - x)) <= bound, f"{name}: {x} is not an eigenvalue"
    # the first is the stationary one
    assert abs(lam[0]) <= bound
    if name != "shift-invert":  # shift-invert finds those nearest sigma ~ 0 (documented), not the slowest
        assert np.allclose(np.sort(lam.real), np.sort(system.slowest(k).real), rtol=0, atol=bound)


def test_the_registry_lists_every_method_class_once_under_its_name():
    assert len(METHODS) >= 10
    for name, cls in METHODS.items():
        assert cls.name == name and issubclass(cls, Method) and cls.tasks
        for task in cls.tasks:
            assert isinstance(get_method(name, task), cls)


def test_a_method_registered_in_a_test_is_picked_up_by_evolve_and_steady_state():
    calls = []

    @register
    class Dummy(Method):
        """Exact 'expm via eigendecomposition' that records its calls."""

        name = "dummy"
        tasks = frozenset({"evolve", "steady_state"})

        def evolve(self, gen, rho0, times):
            calls.append(("evolve", gen.d, len(times)))
            lam, R = np.linalg.eig(gen.dense())
            c = np.linalg.solve(R, vec(rho0))
            return unvec((np.exp(np.outer(times, lam)) * c) @ R.T, gen.d)

        def steady_state(self, gen):
            calls.append(("steady_state", gen.d))
            lam, R = np.linalg.eig(gen.dense())
            return unvec(R[:, np.argmin(np.abs(lam))], gen.d)

    try:
        assert METHODS["dummy"] is Dummy
        s = bloch(rabi=0.9)
        t = s.times()
        res = evolve(s.L, s.rho0, t, method="dummy")
        assert isinstance(res.method, Dummy)
        assert frobenius_error(res.states, s.exact_rho(t)) <= 1e-12
        rho = steady_state(s.L, method="dummy")
        assert np.linalg.norm(rho - s.steady) <= 1e-12
        assert calls == [("evolve", 2, t.size), ("steady_state", 2)]
        with pytest.raises(TypeError, match="cannot do 'eigenvalues'"):
            slowest_eigenvalues(s.L, 1, method="dummy")
    finally:
        unregister("dummy")
    assert "dummy" not in METHODS
    with pytest.raises(ValueError, match="unknown method 'dummy'"):
        evolve(s.L, s.rho0, t, method="dummy")


def test_register_refuses_a_method_without_name_or_with_unknown_tasks():
    class NoName(Method):
        tasks = frozenset({"evolve"})

    class BadTask(Method):
        name = "bad-task"
        tasks = frozenset({"integrate"})

    for cls in (NoName, BadTask):
        with pytest.raises(ValueError):
            register(cls)
    assert "bad-task" not in METHODS


def test_evolve_result_times_are_seconds_for_a_rate_superoperator_in_inverse_seconds():
    # The Bloch system with rates in s^-1 (~1e9), written as a rate superoperator R in the
    # eigenbasis without the coherent part; with_hamiltonian(R, E) adds -i(E_a - E_b) 2 pi c.
    E = np.array([0.0, 0.01])  # cm^-1
    omega = (E[1] - E[0]) * CM_TO_RAD_PER_S  # rad/s
    rates = dict(gamma_down=0.4e9, temperature=2.0 * omega, gamma_phi=0.25e9)
    s = bloch(omega=omega, **rates)
    H_part = np.zeros_like(s.L)
    H_part[np.diag_indices_from(H_part)] = -1j * vec(omega * (np.arange(2)[:, None] - np.arange(2)[None, :]))
    R = s.L - H_part  # dissipative part only, in s^-1
    assert np.allclose(with_hamiltonian(R, E), s.L, rtol=1e-12, atol=1e-3)
    t = s.times()  # seconds: a few 1/gamma_1 ~ ns
    assert t[-1] < 1e-7
    res = evolve(with_hamiltonian(R, E), s.rho0, t)
    assert isinstance(res, EvolveResult)
    assert np.array_equal(res.times, t)
    exact = s.exact_rho(t)
    assert frobenius_error(res.states, exact) <= 1e-9
    # without the coherent part the populations are the same but the coherence does not rotate
    res0 = evolve(with_hamiltonian(R), s.rho0, t)
    assert np.allclose(res0.states[:, 1, 1], exact[:, 1, 1], atol=1e-10)
    assert np.allclose(np.abs(res0.states[:, 0, 1]), np.abs(exact[:, 0, 1]), atol=1e-10)
    # the expectation values come with the same times
    sz = np.diag([1.0, -1.0])
    res_e = evolve(with_hamiltonian(R, E), s.rho0, t, e_ops=[sz])
    assert res_e.expect.shape == (1, t.size) and np.isrealobj(res_e.expect)
    assert np.allclose(res_e.expect[0], (exact[:, 0, 0] - exact[:, 1, 1]).real, atol=1e-10)
    # one period of the Larmor precession in seconds
    period = 2 * np.pi / omega
    rho_T = evolve(with_hamiltonian(R, E), s.rho0, [0.0, period]).states[-1]
    assert np.angle(rho_T[0, 1] / s.rho0[0, 1]) == pytest.approx(0.0, abs=1e-9)


def test_exact_systems_are_stationary_and_consistent():
    # the catalogue itself: steady states are null vectors, rho(0) = rho0, spectra are those of L
    for s in SYSTEMS + [CHAIN]:
        L = s.L.toarray() if hasattr(s.L, "toarray") else s.L
        assert frobenius_error(s.exact_rho([0.0]), s.rho0[None]) <= 1e-14
        if s.steady is not None:
            assert np.linalg.norm(L @ vec(s.steady)) <= 1e-12 * s.rate_scale
            assert np.trace(s.steady) == pytest.approx(1.0)
        ev = np.linalg.eigvals(L)
        assert max(np.min(np.abs(s.spectrum - x)) for x in ev) <= 1e-10 * s.rate_scale
        t = s.times(3)[1:2]
        assert frobenius_error(unvec(sla.expm(L * t[0]) @ vec(s.rho0))[None], s.exact_rho(t)) <= 1e-12
