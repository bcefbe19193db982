"""spinbath <-> QuTiP: same basis order, same Liouville stacking, same generators.

Every exported object is compared with the one QuTiP builds itself (jmat, tensor, spre, spost,
sprepost, lindblad_dissipator, liouvillian, operator_to_vector) to machine precision, and one
generator is propagated by qutip.mesolve against spinbath's expm."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla

qutip = pytest.importorskip("qutip")

from spinbath.interop import qutip as qi  # noqa: E402
from spinbath.quantum import liouville as lv  # noqa: E402
from spinbath.quantum.open_chain import jump_operator, open_chain_liouvillian  # noqa: E402
from spinbath.spins import Exchange, Site, SpinHamiltonian  # noqa: E402
from spinbath.units import CM_TO_RAD_PER_S, MUB_CM  # noqa: E402

TOL = 1e-12


def _close(a, b, tol=TOL):
    a = a.full() if isinstance(a, qutip.Qobj) else np.asarray(a)
    b = b.full() if isinstance(b, qutip.Qobj) else np.asarray(b)
    scale = max(1.0, float(np.abs(b).max()))
    assert np.abs(a - b).max() <= tol * scale, np.abs(a - b).max()


def _random(d, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))


def test_single_ion_zeeman_term_matches_jmat():
    ham = SpinHamiltonian.single_ion(2.5, {(2, 0): -1.0, (2, 2): 0.3, (4, -3): 0.01}, g=[2.0, 2.1, 1.9])
    B = np.array([0.3, -0.2, 1.1])
    H0, HB = qi.hamiltonian_to_qobj(ham), qi.hamiltonian_to_qobj(ham, B)
    assert HB.dims == [[6], [6]] and HB.isherm
    zeeman = MUB_CM * sum(b * g * qutip.jmat(2.5, a) for b, g, a in zip(B, (2.0, 2.1, 1.9), "xyz"))
    _close(HB - H0, zeeman)
    np.testing.assert_allclose(HB.eigenenergies(), ham.eigh(B)[0], atol=1e-12)
    _close(qi.hamiltonian_to_qobj(ham, B, unit="rad/s"), HB * CM_TO_RAD_PER_S)


def test_two_site_exchange_matches_qutip_tensor_order():
    ham = SpinHamiltonian([Site(0.5, {}, 2.0), Site(1.0, {(2, 0): 0.7}, 2.0)],
                          exchange=[Exchange(0, 1, isotropic=1.3, dmi=[0.0, 0.0, 0.4])])
    H = qi.hamiltonian_to_qobj(ham)
    assert H.dims == [[2, 3], [2, 3]]
    s = [qutip.tensor(qutip.jmat(0.5, a), qutip.qeye(3)) for a in "xyz"]
    t = [qutip.tensor(qutip.qeye(2), qutip.jmat(1.0, a)) for a in "xyz"]
    expected = (1.3 * sum(a * b for a, b in zip(s, t)) + 0.4 * (s[0] * t[1] - s[1] * t[0])
                + 0.7 * (3 * t[2] * t[2] - 2.0))  # O_2^0 = 3 Jz^2 - J(J+1)
    _close(H, expected)
    for (jx, jy, jz), ref in zip(qi.spin_operators_to_qobj(ham), (s, t)):
        _close(jx, ref[0]), _close(jy, ref[1]), _close(jz, ref[2])


def test_hamiltonian_round_trip_through_qobj():
    ham = SpinHamiltonian.single_ion(1.5, {(2, 0): -2.0, (2, 1): 0.25}, g=2.2)
    back = qi.hamiltonian_from_qobj(qi.hamiltonian_to_qobj(ham, unit="rad/s"), g=2.2, unit="rad/s")
    assert back.dims == (4,)
    for B in ([0, 0, 0], [0.5, 0.1, -1.0]):
        np.testing.assert_allclose(back.matrix(B), ham.matrix(B), atol=1e-12)
    two = qi.hamiltonian_from_qobj(qutip.tensor(qutip.sigmaz(), qutip.sigmax()), site_g=[2.0, 1.0])
    assert two.dims == (2, 2) and two.sites[1].J == 0.5
    with pytest.raises(ValueError, match="not Hermitian"):
        qi.hamiltonian_from_qobj(qutip.destroy(3))
    with pytest.raises(ValueError, match="operator"):
        qi.hamiltonian_from_qobj(qutip.basis(3, 0))


def test_vec_and_superoperator_builders_match_qutip():
    d = 3
    A, B, X = _random(d, 1), _random(d, 2), _random(d, 3)
    qA, qB, qX = (qutip.Qobj(m) for m in (A, B, X))
    _close(lv.vec(X), qutip.operator_to_vector(qX).full().ravel())
    _close(lv.unvec(lv.vec(X)), qutip.vector_to_operator(qutip.operator_to_vector(qX)))
    _close(qi.superoperator_to_qobj(lv.spre(A)), qutip.spre(qA))
    _close(qi.superoperator_to_qobj(lv.spost(B)), qutip.spost(qB))
    _close(qi.superoperator_to_qobj(lv.sprepost(A, B)), qutip.sprepost(qA, qB))
    H = A + A.conj().T
    _close(qi.superoperator_to_qobj(lv.hamiltonian_superoperator(H)), qutip.liouvillian(qutip.Qobj(H)))
    _close(qi.superoperator_to_qobj(lv.lindblad_dissipator(A, rate=0.3)),
           qutip.lindblad_dissipator(qi.jump_operators_to_qobj([A], [0.3])[0]))
    assert qi.superoperator_to_qobj(lv.spre(A)).superrep == "super"


def test_open_chain_liouvillian_matches_qutip_including_neighbour_terms():
    n, field, coupling = 3, (0.2, -0.1, 0.5), (1.0, 0.8, 1.2)
    onsite = {("z", "+"): 0.05, ("z", "-"): 0.2, ("x", "+"): 0.03}
    neighbour = {("z", "-"): 0.04, ("y", "+"): 0.01}
    H, c_ops, L = qi.open_chain_to_qobj(n, field, coupling, onsite, neighbour)
    assert L.dims == [[[2] * n, [2] * n], [[2] * n, [2] * n]] and len(c_ops) == 3 * n
    # Independent construction with QuTiP operators.
    S = [qutip.jmat(0.5, a) for a in "xyz"]

    def site(op, j):
        return qutip.tensor([op if k == j else qutip.qeye(2) for k in range(n)])

    H_ref = sum(sum(b * site(s, j) for b, s in zip(field, S)) for j in range(n))
    H_ref += sum(v * site(s, j) * site(s, j + 1) for j in range(n - 1) for v, s in zip(coupling, S))
    _close(H, H_ref)
    L_ref = qutip.liouvillian(H_ref, [np.sqrt(g) * site(qutip.Qobj(jump_operator(a, s)), j)
                                      for (a, s), g in onsite.items() for j in range(n)])
    for (a, s), g in neighbour.items():
        A = qutip.Qobj(jump_operator(a, s))
        for j, jp in [(0, 1), (1, 0), (1, 2), (2, 1)]:  # g S^(j') rho S^(j)+ - {S^(j)+ S^(j'), rho}/2
            Ap, Bd = site(A, jp), site(A, j).dag()
            L_ref += g * (qutip.sprepost(Ap, Bd) - 0.5 * qutip.spre(Bd * Ap) - 0.5 * qutip.spost(Bd * Ap))
    _close(L, L_ref)
    _close(qi.superoperator_to_qobj(open_chain_liouvillian(n, field, coupling, onsite, neighbour), [2] * n), L_ref)


def test_exported_generator_propagates_the_same_in_mesolve():
    n = 2
    _, _, L = qi.open_chain_to_qobj(n, (0.0, 0.0, 1.0), (1.0, 1.0, 0.5), {("z", "-"): 0.3}, {("z", "-"): 0.1})
    rho0 = np.zeros((4, 4), complex)
    rho0[1, 1] = 1.0
    t = 2.5
    expected = lv.unvec(sla.expm(L.full() * t) @ lv.vec(rho0))
    result = qutip.mesolve(L, qutip.Qobj(rho0, dims=[[2, 2], [2, 2]]), [0.0, t],
                           options={"atol": 1e-12, "rtol": 1e-10})
    _close(result.states[-1], expected, tol=1e-8)


def test_rate_superoperator_with_coherent_part_in_spin_basis():
    # R in the eigenbasis = a Lindblad dissipator of L_eig; exported with energies and eigenvectors
    # it must be QuTiP's liouvillian(H, [U L_eig U^+]) with H in rad/s.
    ham = SpinHamiltonian.single_ion(1.0, {(2, 0): -3.0, (2, 2): 0.4}, g=2.0)
    E, U = ham.eigh((0.1, 0.0, 0.2))
    L_eig = np.zeros((3, 3))
    L_eig[0, 2] = 1.0
    R = lv.lindblad_dissipator(L_eig, rate=1e6)  # s^-1
    S = qi.rate_superoperator_to_qobj(R, energies=E, eigenvectors=U)
    H_rad = qi.hamiltonian_to_qobj(ham, (0.1, 0.0, 0.2), unit="rad/s")
    ref = qutip.liouvillian(H_rad, [np.sqrt(1e6) * qutip.Qobj(U @ L_eig @ U.conj().T)])
    _close(S, ref, tol=1e-12)
    with pytest.raises(ValueError, match="rad/s"):
        qi.rate_superoperator_to_qobj(R, unit="cm^-1")
