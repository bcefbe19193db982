"""The q-mesh bath from phonopy (spinbath.baths.phonopy_qmesh): its 1x1x1 limit is the Gamma route,
flat bands give mesh-independent rates, a monatomic chain has closed-form couplings, the couplings
obey the completeness sum rule of the Born-von Karman crystal (which fails if either mode of a
(q, -q) pair is lost), a mesh equals the Gamma route of the equivalent supercell (which fails if the
Bloch phase has the wrong sign or the eigenvector phases are mixed up), and tau does not depend on
the arbitrary phases and degenerate bases of the eigenvectors."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
from scipy import constants

phonopy = pytest.importorskip("phonopy")
from phonopy import Phonopy  # noqa: E402
from phonopy.structure.atoms import PhonopyAtoms  # noqa: E402

from spinbath.baths import model_crystal as mc  # noqa: E402
from spinbath.baths.phonopy_qmesh import (  # noqa: E402
    MeshModes, bath_from_phonopy_mesh, mesh_modes, mesh_qpoints, partner_indices, qmesh_couplings,
    translation_residual,
)
from spinbath.baths.phonopy_route import CFDisplacements, bath_from_phonopy, zero_point_length_A  # noqa: E402
from spinbath.quantum.blas import single_threaded_blas  # noqa: E402
from spinbath.quantum.relaxation import relaxation_time  # noqa: E402
from spinbath.quantum.spin_phonon import SpinPhononRates  # noqa: E402
from spinbath.spins.operators import spin_matrices  # noqa: E402
from spinbath.spins.stevens import cf_matrix  # noqa: E402
from spinbath.units import MUB_CM  # noqa: E402

EV_A2_AMU_TO_CM = np.sqrt(constants.e / (1e-20 * constants.atomic_mass)) / (2 * np.pi * constants.c * 100)


@pytest.fixture(scope="module")
def crystal():
    return mc.phonopy_crystal(), mc.cf_displacements()


def spin_hamiltonian(field_T=0.5):
    """The crystal's CF + Zeeman along z (cm^-1) and the moment operator g J_z."""
    gJz = 4 / 3 * spin_matrices(mc.J)[2]
    return cf_matrix(mc.J, mc.equilibrium_stevens()) + MUB_CM * field_T * gJz, gJz


def taus(bath, temperatures, orders=("2", "4")):
    """tau (s) of each order at each temperature, Gaussian lines of 10 cm^-1, 0.5 T along z."""
    H, gJz = spin_hamiltonian()
    with single_threaded_blas():
        rates = SpinPhononRates.from_bath(H, bath, width=10.0)
        U = rates.eigenvectors
        M = U.conj().T @ gJz @ U
        out = []
        for o in orders:
            R = rates.superoperator(np.asarray(temperatures, float), o)
            out.append([relaxation_time(R[j], rates.energies, M) for j in range(len(temperatures))])
    return np.array(out)


# ----------------------------------------------------------------------------- Gamma limit
def test_one_by_one_mesh_is_the_gamma_route(crystal):
    """Same modes, same couplings (to 1e-12 of the largest, same order: ascending at Gamma) and the
    same tau; the supercell derivatives of other cells are added to their sublattice at Gamma."""
    ph, cf = crystal
    gamma, mesh = bath_from_phonopy(ph, cf), bath_from_phonopy_mesh(ph, cf, (1, 1, 1))
    assert gamma.n_modes == mesh.n_modes == 3  # 6 branches, 3 acoustic dropped
    np.testing.assert_allclose(mesh.energies_cm, gamma.energies_cm, rtol=1e-13)
    scale = np.abs(gamma.couplings_cm).max()
    assert scale > 0.1  # cm^-1: the optical modes couple
    assert np.abs(mesh.couplings_cm - gamma.couplings_cm).max() <= 1e-12 * scale
    # tau to 1e-9: the couplings differ by round-off (the Gamma route adds the rows of one atom in
    # different cells before projecting, the mesh route after), which tau's eigenvalue problem
    # amplifies (measured 1.8e-10).
    T = [20.0, 40.0]
    np.testing.assert_allclose(taus(mesh, T), taus(gamma, T), rtol=1e-9)


# ----------------------------------------------------------------------------- supercell at Gamma
def supercell_at_gamma(ph, cf):
    """The Born-von Karman supercell of ``ph`` as a phonopy object whose *primitive* cell is the
    whole supercell (its Gamma modes are the modes of the mesh n1 x n2 x n3 of ``ph``), full force
    constants, and ``cf`` with each displaced (atom, cell) mapped to its row of the supercell."""
    from phonopy.harmonic.force_constants import compact_fc_to_full_fc

    sc = ph.supercell
    big = Phonopy(sc, supercell_matrix=np.eye(3, dtype=int), primitive_matrix=np.eye(3))
    fc = ph.force_constants
    if fc.shape[0] != fc.shape[1]:
        fc = compact_fc_to_full_fc(ph.primitive, fc)
    big.force_constants = fc
    n = np.diag(ph.supercell_matrix).astype(int)
    assert np.array_equal(np.diag(n), ph.supercell_matrix)  # diagonal: supercell = mesh
    x = np.array(ph.primitive.scaled_positions)
    p2s = list(ph.primitive.p2s_map)
    kind = np.array([p2s.index(s) for s in ph.primitive.s2p_map])  # primitive atom of each supercell atom
    frac = np.array(sc.positions) @ np.linalg.inv(np.array(ph.primitive.cell))
    cells = np.round(frac - x[kind]).astype(int)
    row = {(int(k), *map(int, np.mod(c, n))): i for i, (k, c) in enumerate(zip(kind, cells))}
    atoms = [row[(int(a), *map(int, np.mod(c, n)))] for a, c in zip(cf.atoms, cf.cells)]
    assert len(set(atoms)) == len(atoms)  # the displaced atoms are distinct modulo the supercell
    return big, CFDisplacements(cf.B_plus, cf.B_minus, cf.keys, cf.step_A, cf.J, np.array(atoms)), tuple(n)


def test_mesh_equals_the_gamma_route_of_the_equivalent_supercell(crystal):
    """The 3x3x3 mesh of the test crystal and the Gamma modes of its 3x3x3 supercell (54 atoms, the
    derivatives on the supercell's atoms, no Bloch phase anywhere) are the same 159 modes (162 less the
    three translations) and give the same tau: this pins the sign of the Bloch phase
    exp(+2 pi i q . n_l) and the cell convention of the eigenvectors (exp(-2 pi i ...) changes tau by
    15-25 %; measured agreement 3e-9)."""
    ph, cf = crystal
    big, cfs, mesh = supercell_at_gamma(ph, cf)
    assert mesh == (3, 3, 3) and len(big.primitive.masses) == 54
    gamma, qmesh = bath_from_phonopy(big, cfs), bath_from_phonopy_mesh(ph, cf, mesh)
    assert gamma.n_modes == qmesh.n_modes == 6 * 27 - 3
    np.testing.assert_allclose(np.sort(qmesh.energies_cm), np.sort(gamma.energies_cm), rtol=1e-11, atol=1e-9)
    T = [14.2, 30.0]
    np.testing.assert_allclose(taus(qmesh, T), taus(gamma, T), rtol=1e-7)


# ----------------------------------------------------------------------------- flat bands
def molecular_crystal():
    """Three atoms in a 12 A box, springs inside the molecule only: force constants block-diagonal
    across cells (no bond reaches a neighbouring cell), so D(q) = D(0) at every q."""
    pos = np.array([[6.0, 6.0, 6.0], [8.2, 6.1, 5.9], [5.8, 7.9, 6.3]])
    cell = PhonopyAtoms(symbols=["Dy", "O", "O"], cell=12.0 * np.eye(3), positions=pos)
    ph = Phonopy(cell, supercell_matrix=np.eye(3, dtype=int), primitive_matrix=np.eye(3))
    fc = np.zeros((3, 3, 3, 3))
    for i, j, ks, kb in ((0, 1, 4.0, 0.6), (0, 2, 3.0, 0.5), (1, 2, 1.0, 0.3)):
        r = (pos[j] - pos[i]) / np.linalg.norm(pos[j] - pos[i])
        blk = -(ks * np.outer(r, r) + kb * (np.eye(3) - np.outer(r, r)))
        fc[i, j] += blk
        fc[j, i] += blk
        fc[i, i] -= blk
        fc[j, j] -= blk
    ph.force_constants = fc
    rel = pos[1:] - pos[0]
    g = mc.point_charge_gradient(np.vstack([pos[0], pos[1:]]), np.array([-0.6, -0.4]))
    cf = CFDisplacements(1e-3 * g.reshape(9, -1), -1e-3 * g.reshape(9, -1), mc.STEVENS_KEYS, 1e-3, mc.J)
    assert np.linalg.norm(rel, axis=1).min() > 1.5
    return ph, cf


def test_uncoupled_molecules_have_flat_bands_and_mesh_independent_tau():
    ph, cf = molecular_crystal()
    g0 = mesh_modes(ph, (1, 1, 1)).energies_cm[0]
    for mesh in ((2, 2, 2), (3, 1, 2)):
        m = mesh_modes(ph, mesh)
        # flat: every q gives Gamma (the 3 translations are zero to the eigensolver's 5e-6 cm^-1; the
        # bending springs are not rotation invariant, so rotations are vibrations here)
        assert np.abs(m.energies_cm[:, 3:] - g0[None, 3:]).max() < 1e-9 * g0.max()
        assert np.abs(m.energies_cm[:, :3]).max() < 1e-4
    T = [15.0, 40.0]
    ref = taus(bath_from_phonopy_mesh(ph, cf, (1, 1, 1)), T)
    assert np.all(np.isfinite(ref)) and np.all(ref > 0)
    for mesh in ((2, 2, 2), (3, 1, 2)):
        bath = bath_from_phonopy_mesh(ph, cf, mesh)
        assert bath.n_modes == 6 * int(np.prod(mesh))  # 6 vibrations at every q (3 translations dropped)
        np.testing.assert_allclose(taus(bath, T), ref, rtol=1e-9)


# ----------------------------------------------------------------------------- monatomic chain
CHAIN_A, CHAIN_M, KS, KB = 3.0, 50.0, 2.0, 0.5  # A, amu, eV/A^2


def chain(n_sc=3):
    cell = PhonopyAtoms(symbols=["Ti"], cell=np.diag([CHAIN_A, 10.0, 10.0]), positions=[[0.0, 0.0, 0.0]],
                        masses=[CHAIN_M])
    ph = Phonopy(cell, supercell_matrix=np.diag([n_sc, 1, 1]), primitive_matrix=np.eye(3))
    fc = np.zeros((n_sc, n_sc, 3, 3))
    spring = np.diag([KS, KB, KB])  # stretching along x, bending across
    for s in range(n_sc):
        t = (s + 1) % n_sc
        fc[s, t] -= spring
        fc[t, s] -= spring
        fc[s, s] += spring
        fc[t, t] += spring
    ph.force_constants = fc
    return ph


def test_monatomic_chain_couplings_equal_the_closed_form():
    """One atom per cell on a chain along x with nearest-neighbour springs; the spin's parameters
    depend on the displacements of the atoms in cells -1, 0, +1 (G_l = dB/du_l, two keys). Closed
    form: w(q) = 2 sqrt(k/m) |sin(pi q)| (k = k_s along x, k_b across), polarization along x, y, z,
    and V^{q,x} = sqrt(hbar / (2 N_q m w)) sum_l exp(2 pi i q l) G_l^x. Each pair (q, -q) gives two
    real modes with sum_p dB_p dB_p^T = 2 Re(V V^+); a time-reversal-invariant q one mode with V V^T.
    Agreement to 1e-6: phonopy's unit factor (THz from eV/A^2/amu) differs from CODATA 2018's by
    1.2e-7 relative; everything else is exact."""
    ph = chain()
    rng = np.random.default_rng(7)
    G = rng.normal(size=(3, 3, 2))  # (cell -1, 0, +1; x, y, z; keys)
    G[1] = -G[0] - G[2]  # the translation sum rule
    keys = ((2, 0), (2, 2))
    cf = CFDisplacements(1e-3 * G.reshape(9, 2), -1e-3 * G.reshape(9, 2), keys, 1e-3, 7.5, [0, 0, 0],
                         [[-1, 0, 0], [0, 0, 0], [1, 0, 0]])
    assert translation_residual(cf) < 1e-12
    for n in (4, 5):
        modes = mesh_modes(ph, (n, 1, 1))
        c = qmesh_couplings(modes, cf, min_energy_cm=1.0)
        qs = np.round(c.qpoint[:, 0] % 1.0, 12)
        for q in np.unique(qs):
            sel = qs == q
            for ax, k in enumerate((KS, KB, KB)):
                w = 2 * np.sqrt(k / CHAIN_M) * abs(np.sin(np.pi * q)) * EV_A2_AMU_TO_CM
                assert np.any(np.isclose(c.energies_cm[sel], w, rtol=1e-6))
            trim = np.isclose(2 * q, round(2 * q))
            got = {}
            for pol, k in (("x", KS), ("yz", KB)):
                w = 2 * np.sqrt(k / CHAIN_M) * abs(np.sin(np.pi * q)) * EV_A2_AMU_TO_CM
                m = sel & np.isclose(c.energies_cm, w, rtol=1e-6)
                got[pol] = np.einsum("ak,al->kl", c.dB[m], c.dB[m])
                L = zero_point_length_A(CHAIN_M, w) / np.sqrt(n)
                want = np.zeros((2, 2))
                for a in ([0] if pol == "x" else [1, 2]):
                    V = L * sum(np.exp(2j * np.pi * q * l) * G[l + 1, a] for l in (-1, 0, 1))
                    want += np.outer(V, V).real if trim else 2 * np.outer(V, V.conj()).real
                assert m.sum() == (1 if trim else 2) * (1 if pol == "x" else 2)
                np.testing.assert_allclose(got[pol], want, rtol=1e-6, atol=1e-12 * np.abs(want).max())


# ----------------------------------------------------------------------------- pairs and sum rule
def sum_rule(cf: CFDisplacements, masses) -> np.ndarray:
    """(hbar/2) sum_{lk} G_lk G_lk^T / m_k in cm^-1 (dB/dQ)^2 units: L(m, 1 cm^-1)^2 x 1 cm^-1."""
    atoms = cf.atoms
    g = cf.gradient.reshape(atoms.size, 3, -1)
    L2 = zero_point_length_A(np.asarray(masses)[atoms], 1.0) ** 2
    return np.einsum("d,dxk,dxl->kl", L2, g, g)


@pytest.mark.parametrize("mesh", [(3, 3, 3), (4, 3, 3)])
def test_couplings_obey_the_completeness_sum_rule(crystal, mesh):
    """The modes of the mesh are a complete orthonormal set of the Born-von Karman crystal, so
    sum_a w_a dB_a dB_a^T = (hbar/2) sum_{lk} G_lk G_lk^T / m_k whenever the displaced atoms are
    distinct modulo the mesh (here cells -1..1: meshes >= 3); the three acoustic modes at Gamma,
    dropped, carry nothing (translation sum rule). Losing either mode of a (q, -q) pair breaks it
    (checked). The sum rule is blind to the phase convention of the eigenvectors and to the sign of
    the Bloch phase (any unitary basis satisfies it); those are pinned by
    test_mesh_equals_the_gamma_route_of_the_equivalent_supercell."""
    ph, cf = crystal
    c = qmesh_couplings(mesh_modes(ph, mesh), cf)
    assert c.energies_cm.size == 6 * int(np.prod(mesh)) - 3
    want = sum_rule(cf, mc.MASSES_AMU)
    got = np.einsum("a,ak,al->kl", c.energies_cm, c.dB, c.dB)
    assert np.abs(got - want).max() <= 1e-10 * np.abs(want).max()
    assert np.all(np.isin(c.part, [0, 1, 2])) and (c.part == 1).sum() == (c.part == 2).sum() > 0
    strength = c.energies_cm * np.einsum("ak,ak->a", c.dB, c.dB)
    drop = np.flatnonzero(c.part == 2)[np.argmax(strength[c.part == 2])]  # one partner of a pair lost
    keep = np.ones(c.energies_cm.size, bool)
    keep[drop] = False
    bad = np.einsum("a,ak,al->kl", c.energies_cm[keep], c.dB[keep], c.dB[keep])
    assert np.abs(bad - want).max() > 1e-4 * np.abs(want).max()


def test_every_coupling_is_hermitian_and_pairs_are_closed(crystal):
    ph, cf = crystal
    qs = mesh_qpoints(ph, (4, 3, 2))
    p = partner_indices(qs)
    assert np.array_equal(p[p], np.arange(qs.shape[0]))  # an involution
    assert np.allclose((qs + qs[p]) - np.round(qs + qs[p]), 0)
    trim = np.flatnonzero(p == np.arange(qs.shape[0]))
    assert trim.size == 4  # 2q integer: 2 x 1 x 2 such points on a 4x3x2 mesh
    bath = bath_from_phonopy_mesh(ph, cf, (4, 3, 2))
    V = bath.couplings_cm
    assert np.abs(V - V.conj().transpose(0, 2, 1)).max() <= 1e-14 * np.abs(V).max()
    # 6 branches at each of 24 q-points, 3 acoustic at Gamma dropped: pairs give 2 modes per q of a pair
    assert bath.n_modes == 6 * 24 - 3
    assert "4x3x2" in bath.source and f"{bath.n_modes} of 144 modes" in bath.source



def brute_force_partners(q):
    """The former O(n_q^2) search: j with q_i + q_j a reciprocal lattice vector."""
    diff = q[:, None, :] + q[None, :, :]
    hit = np.all(np.abs(diff - np.round(diff)) < 1e-8, axis=2)
    assert np.all(hit.sum(axis=1) == 1)
    return np.argmax(hit, axis=1)


def test_partner_map_is_an_involution_equal_to_the_brute_force_search(crystal):
    """Integer arithmetic on the mesh addresses (-i mod n) gives the pairs of the former all-pairs
    search: on phonopy's meshes (odd, even, mixed), on a shuffled mesh with other representatives of
    q modulo 1, and on a 60x60x60 mesh (216000 q-points, where the search needed ~1 TiB) the map is an
    involution with q + q_partner integer; an incomplete mesh is refused."""
    ph, _ = crystal
    rng = np.random.default_rng(11)
    for mesh in ((1, 1, 1), (2, 1, 1), (3, 3, 3), (4, 3, 2), (5, 2, 4)):
        qs = mesh_qpoints(ph, mesh)
        p = partner_indices(qs, mesh)
        assert np.array_equal(p, brute_force_partners(qs)) and np.array_equal(p, partner_indices(qs))
        perm = rng.permutation(qs.shape[0])
        shuffled = qs[perm] + rng.integers(-2, 3, size=qs.shape)  # other representatives of each q
        assert np.array_equal(partner_indices(shuffled, mesh), brute_force_partners(shuffled))
    n = np.array([60, 60, 60])
    addr = np.stack(np.unravel_index(np.arange(int(np.prod(n))), tuple(n)), axis=1)
    qs = (addr - n * (addr >= (n + 1) // 2)) / n  # phonopy's representatives, -n/2 < i <= n/2
    p = partner_indices(qs, tuple(n))
    assert np.array_equal(p[p], np.arange(qs.shape[0]))
    s = qs + qs[p]
    assert np.abs(s - np.round(s)).max() < 1e-12
    assert (p == np.arange(qs.shape[0])).sum() == 8  # 2q integer: 2 x 2 x 2 points on an even mesh
    with pytest.raises(ValueError, match="not the full .* Gamma-centred mesh"):
        partner_indices(mesh_qpoints(ph, (4, 3, 2))[:-1], (4, 3, 2))
    with pytest.raises(ValueError, match="not the full .* Gamma-centred mesh"):
        partner_indices(np.array([[0.0, 0.0, 0.0], [0.3, 0.0, 0.0]]))


def test_unsorted_energies_at_gamma_are_an_error_not_a_wrong_acoustic_drop(crystal):
    """The three acoustic modes dropped at Gamma are the three lowest, which needs ascending energies
    (phonopy's order, MeshModes' contract): hand-built modes with Gamma's branches reversed are refused,
    naming the branch, instead of dropping three optical modes."""
    ph, cf = crystal
    modes = mesh_modes(ph, (2, 1, 1))
    g = int(np.flatnonzero(np.all(np.abs(modes.qpoints) < 1e-12, axis=1))[0])
    energies, vecs = modes.energies_cm.copy(), modes.eigenvectors.copy()
    energies[g], vecs[g] = energies[g][::-1], vecs[g][::-1]
    flipped = MeshModes(modes.qpoints, modes.trim, energies, vecs, modes.masses_amu, modes.mesh, modes.n_q)
    with pytest.raises(ValueError, match=r"ascending .* branch 1 at q = \[0.0, 0.0, 0.0\]"):
        qmesh_couplings(flipped, cf)
    qmesh_couplings(modes, cf)  # the same modes in phonopy's order pass


def test_tau_does_not_depend_on_eigenvector_phases_or_degenerate_bases(crystal):
    """Each complex eigenvector times a random phase (+-1 at time-reversal-invariant q, where they are
    real), and a random rotation inside every degenerate set (unitary; orthogonal where real): the
    real modes of each pair rotate among themselves, and tau of orders 2 and 4 stays the same."""
    ph, cf = crystal
    modes = mesh_modes(ph, (3, 2, 2))
    rng = np.random.default_rng(3)
    vecs = modes.eigenvectors.copy()
    n_deg = 0
    for r in range(vecs.shape[0]):
        w = modes.energies_cm[r]
        flat = vecs[r].reshape(w.size, -1)
        start = 0
        for stop in range(1, w.size + 1):
            if stop == w.size or w[stop] - w[stop - 1] > 1e-6:
                k = stop - start
                if modes.trim[r]:
                    Q, _ = np.linalg.qr(rng.normal(size=(k, k)))
                else:
                    Q, _ = np.linalg.qr(rng.normal(size=(k, k)) + 1j * rng.normal(size=(k, k)))
                flat[start:stop] = Q.T @ flat[start:stop]
                n_deg += k > 1
                start = stop
        vecs[r] = flat.reshape(vecs[r].shape)
    assert n_deg > 0  # there are degenerate sets to rotate (the three acoustic modes at Gamma, at least)
    turned = MeshModes(modes.qpoints, modes.trim, modes.energies_cm, vecs, modes.masses_amu, modes.mesh, modes.n_q)
    from spinbath.baths.cf_couplings import couplings_from_cf_derivatives
    from spinbath.baths.phonons import PhononBath

    def bath(m):
        c = qmesh_couplings(m, cf)
        return PhononBath(c.energies_cm, couplings_from_cf_derivatives(cf.J, c.dB, cf.keys))

    a, b = bath(modes), bath(turned)
    assert np.abs(a.couplings_cm - b.couplings_cm).max() > 1e-3 * np.abs(a.couplings_cm).max()  # they did change
    T = [20.0, 40.0]
    np.testing.assert_allclose(taus(b, T), taus(a, T), rtol=1e-9)


# ----------------------------------------------------------------------------- NAC
def test_non_analytic_correction_is_phonopys(crystal):
    """With Born charges and a dielectric tensor, the mode energies at every q != 0 are phonopy's own
    (``run_qpoints``, NAC on), and differ from those without the correction; Gamma keeps the analytic part."""
    ph = mc.phonopy_crystal()
    Z = np.diag([2.0, 2.0, 2.5])
    ph.nac_params = {"born": np.array([Z, -Z]), "dielectric": 4.0 * np.eye(3), "factor": 14.399652}
    plain = mesh_modes(mc.phonopy_crystal(), (3, 3, 2))
    modes = mesh_modes(ph, (3, 3, 2))
    ph.run_qpoints(modes.qpoints)
    ref = np.sort(ph.qpoints.frequencies, axis=1) * 1e12 / (constants.c * 100)
    nonzero = np.any(np.abs(modes.qpoints) > 0, axis=1)
    np.testing.assert_allclose(modes.energies_cm[nonzero], ref[nonzero], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(modes.energies_cm[~nonzero], plain.energies_cm[~nonzero], atol=1e-6)
    assert np.abs(modes.energies_cm[nonzero] - plain.energies_cm[nonzero]).max() > 1.0  # cm^-1
    _, cf = crystal  # the bath's source says whether the correction was applied
    assert "; non-analytic correction (Born charges) at q != 0;" in bath_from_phonopy_mesh(ph, cf, (2, 1, 1)).source
    assert "; no non-analytic correction;" in bath_from_phonopy_mesh(mc.phonopy_crystal(), cf, (2, 1, 1)).source


# ----------------------------------------------------------------------------- errors
def test_bad_mesh_and_unstable_crystals_are_named(crystal):
    ph, cf = crystal
    for bad in ((0, 1, 1), (2, 2), (1.5, 1, 1), "abc"):
        with pytest.raises(ValueError, match=r"mesh must be three positive integers"):
            bath_from_phonopy_mesh(ph, cf, bad)
    unstable = mc.phonopy_crystal()
    fc = unstable.force_constants.copy()
    fc[0, 0] -= 20 * np.eye(3)  # an anti-restoring on-site force on Dy
    unstable.force_constants = fc
    with pytest.raises(ValueError, match=r"branch 0 at q = \[.*\] has an imaginary frequency"):
        bath_from_phonopy_mesh(unstable, cf, (2, 1, 1))
    wrong = CFDisplacements(cf.B_plus, cf.B_minus, cf.keys, cf.step_A, cf.J, cf.atoms + 5, cf.cells)
    with pytest.raises(ValueError, match="outside the 2-atom primitive cell"):
        bath_from_phonopy_mesh(ph, wrong, (2, 1, 1))



def broken_sum_rule(onsite):
    """The test crystal with a small on-site spring on Dy (eV/A^2, one per axis): the force constants
    break the acoustic sum rule, so the acoustic modes at Gamma have hbar w = sqrt(onsite / M) (M the
    mass of the cell), ~1-2 cm^-1 here, imaginary for a negative spring."""
    ph = mc.phonopy_crystal()
    fc = ph.force_constants.copy()
    fc[0, 0] += np.diag(onsite)
    ph.force_constants = fc
    return ph


def test_gamma_drops_exactly_its_three_acoustic_modes_when_the_sum_rule_is_broken(crystal):
    """Acoustic modes at 1.2-2.1 cm^-1 (above a threshold of 0.5 cm^-1, which keeps every other mode)
    or at -1.2..-2.1 cm^-1 (imaginary, above -min_energy_cm = -5): exactly the three lowest modes at
    q = 0 are dropped, on the mesh and on the Gamma route, and the source records them. An imaginary
    acoustic mode at or below -min_energy_cm is an error that names the threshold's config key."""
    _, cf = crystal
    eps = 1e-3 * np.array([1.0, 2.0, 3.0])
    M = sum(mc.MASSES_AMU)
    want = np.sqrt(eps / M) * EV_A2_AMU_TO_CM
    assert np.all((want > 1.0) & (want < 3.0))
    for sign, thr in ((1.0, 0.5), (1.0, 5.0), (-1.0, 5.0)):
        ph = broken_sum_rule(sign * eps)
        modes = mesh_modes(ph, (2, 2, 2))
        gamma = np.flatnonzero(np.all(modes.qpoints == 0, axis=1))[0]
        np.testing.assert_allclose(modes.energies_cm[gamma, :3], np.sort(sign * want), rtol=1e-3)
        # acoustic modes above the threshold: dropped by energy order, with a warning that says so
        warns = pytest.warns(RuntimeWarning, match="break the acoustic sum rule") if thr < 1 else contextlib.nullcontext()
        with warns:
            c = qmesh_couplings(modes, cf, min_energy_cm=thr)
        at_gamma = np.all(c.qpoint == 0, axis=1)
        assert sorted(c.branch[at_gamma].tolist()) == [3, 4, 5]  # exactly the three acoustic modes go
        assert c.energies_cm.size == 6 * 8 - 3 and np.abs(c.energies_cm).min() > 30  # nothing else
        np.testing.assert_allclose(c.acoustic_cm, np.sort(sign * want), rtol=1e-3)
        with warnings.catch_warnings():
            warnings.simplefilter("error" if thr >= 1 else "ignore", RuntimeWarning)  # none when below threshold
            mesh = bath_from_phonopy_mesh(ph, cf, (2, 2, 2), min_energy_cm=thr)
            one = bath_from_phonopy(ph, cf, min_energy_cm=thr)
        assert mesh.n_modes == 45 and one.n_modes == 3
        assert f"3 acoustic modes at Gamma dropped, |E| <= {want.max():.2g} cm^-1" in mesh.source
        assert "3 acoustic modes at Gamma dropped" in one.source
    ph = broken_sum_rule(-eps)
    with pytest.raises(ValueError, match=r"branch 0 at q = \[0\.0, 0\.0, 0\.0\] has an imaginary .*"
                                         r"\[bath\] min_energy"):
        bath_from_phonopy_mesh(ph, cf, (2, 2, 2), min_energy_cm=1.0)
    with pytest.raises(ValueError, match=r"mode 0 has an imaginary frequency .*\[bath\] min_energy"):
        bath_from_phonopy(ph, cf, min_energy_cm=1.0)


# ----------------------------------------------------------------------------- the file with cells
def test_cf_file_with_cells_round_trips_and_old_schema_is_refused(crystal, tmp_path):
    """A CF-displacement file with cells is written as schema /2 and read back equal; a file that
    says /1 but holds cells (an older reader would drop them silently) is refused, naming the file
    and the key; repeated (atom, cell) pairs are refused."""
    from spinbath.baths.phonopy_route import CF_SCHEMA, CF_SCHEMA_CELLS, load_cf_displacements

    ph, cf = crystal
    cf.save_npz(tmp_path / "cf.npz")
    back = load_cf_displacements(tmp_path / "cf.npz")
    assert np.array_equal(back.cells, cf.cells) and np.array_equal(back.atoms, cf.atoms)
    with np.load(tmp_path / "cf.npz") as f:
        assert str(f["schema"]) == CF_SCHEMA_CELLS
        data = dict(f)
    np.testing.assert_allclose(bath_from_phonopy_mesh(ph, tmp_path / "cf.npz", (2, 1, 1)).couplings_cm,
                               bath_from_phonopy_mesh(ph, cf, (2, 1, 1)).couplings_cm, rtol=0, atol=0)
    np.savez(tmp_path / "old.npz", **{**data, "schema": np.array(CF_SCHEMA)})
    with pytest.raises(ValueError, match=r"old\.npz.*has no key 'cells'"):
        load_cf_displacements(tmp_path / "old.npz")
    cells = cf.cells.copy()
    cells[2] = cells[1]
    with pytest.raises(ValueError, match="cells: the same atom of the same cell is listed twice"):
        CFDisplacements(cf.B_plus, cf.B_minus, cf.keys, cf.step_A, cf.J, cf.atoms, cells)


# ----------------------------------------------------------------------------- convergence (slow)
@pytest.mark.slow
def test_low_temperature_raman_converges_once_acoustic_branches_are_sampled(crystal):
    """The test crystal at 14.2 K, 0.5 T: Gamma alone (no acoustic phonon) overestimates tau of
    order 4 (two-phonon Raman) by orders of magnitude; meshes that sample the acoustic branches agree
    with each other (measured on 2026-12-04: 1x1x1 1.07e8 s, 4x4x4 2.85e4 s, 5x5x5 2.81e4 s).
    About 30 s on 2 busy cores."""
    ph, cf = crystal
    T = [14.2]
    tau = {n: taus(bath_from_phonopy_mesh(ph, cf, (n, n, n)), T, orders=("4",))[0, 0] for n in (1, 4, 5)}
    assert tau[1] / tau[5] > 1e3
    assert abs(tau[4] / tau[5] - 1) < 0.1


# ----------------------------------------------------------------------------- g-tensor derivatives
@pytest.mark.parametrize("mesh", [(1, 1, 1), (3, 2, 1)])
def test_g_tensor_derivatives_add_the_zeeman_coupling(crystal, tmp_path, mesh):
    """g tensors at the displaced geometries whose zz component moves like one Stevens parameter
    (g_zz(u) = g0 + c B_2^0(u)) are projected on the modes exactly like it: the coupling gains
    mu_B B_z c (dB_2^0/dQ_a) J_z, with the pairs (q, -q) and the Gamma route alike; no field, no term.
    The g tensors survive the .npz round trip (schema /2)."""
    from spinbath.baths.phonopy_route import load_cf_displacements

    ph, cf = crystal
    c, Bz = 0.01, 2.0
    col = cf.keys.index((2, 0))
    g0 = np.diag([1.3, 1.3, 1.33])
    gp = np.broadcast_to(g0, (cf.B_plus.shape[0], 3, 3)).copy()
    gm = gp.copy()
    gp[:, 2, 2] += c * cf.B_plus[:, col]
    gm[:, 2, 2] += c * cf.B_minus[:, col]
    cfg = CFDisplacements(cf.B_plus, cf.B_minus, cf.keys, cf.step_A, cf.J, cf.atoms, cf.cells, gp, gm)
    cfg.save_npz(tmp_path / "g.npz")
    cfg = load_cf_displacements(tmp_path / "g.npz")
    assert np.array_equal(cfg.g_plus, gp)
    build = bath_from_phonopy if mesh == (1, 1, 1) else (lambda *a, **k: bath_from_phonopy_mesh(*a, mesh, **k))
    plain = build(ph, cf)
    with_g = build(ph, cfg, field_T=(0.0, 0.0, Bz))
    np.testing.assert_array_equal(build(ph, cfg).couplings_cm, plain.couplings_cm)
    dB = qmesh_couplings(mesh_modes(ph, mesh), cf).dB[:, col]
    Jz = spin_matrices(mc.J)[2]
    want = plain.couplings_cm + MUB_CM * Bz * c * dB[:, None, None] * Jz[None]
    scale = np.abs(want - plain.couplings_cm).max()
    assert scale > 1e-4  # cm^-1: the Zeeman term is there
    assert np.abs(with_g.couplings_cm - want).max() <= 1e-12 * np.abs(want).max()
