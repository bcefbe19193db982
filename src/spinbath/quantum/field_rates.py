r"""Spin-phonon rates at any field along a sweep line, the bath built once (R(B) for hysteresis).

H(b) = H_s(b n + B_perp) + H_extra (cm^-1): the spin Hamiltonian at a field b (T) along the unit
vector n, plus an optional constant transverse field B_perp (T) and an optional extra term
(e.g. a tunnel splitting of the ground doublet). At each field the rates are those of
:class:`spinbath.quantum.spin_phonon.SpinPhononRates` (orders 2, 4, "2+4"; Lunghi, Sci. Adv. 8,
eabn7880 (2022)) for all temperatures at once, in the eigenbasis of H(b) with the degenerate-level
basis fixed by the moment g J . n (so exactly zero field is the limit b -> 0+ along n, and at a
crossing the states keep their moment).

What does not depend on the field is built once and reused at every node: the phonon bath (mode
energies, couplings V^a = dH/dQ_a in the |J, M> basis, line widths), the moment operator, the
temperature array. What does (eigenbasis, couplings in it, secular clusters, lineshape values,
fourth-order amplitudes) is recomputed per field by SpinPhononRates' public constructor. A node
already computed (the up branch revisits the down branch's fields) is taken from a cache.

Time reversal halves the work. With Theta = Y K (Y = exp(-i pi J_y), K complex conjugation),
H(-b) = Theta H(b) Theta^-1 when the zero-field Hamiltonian is time-even (a crystal field) and there is no
transverse field; when also every coupling V^a is time-even (Y conj(V^a) Y^H = V^a: crystal-field
derivatives), then U(-b) = Y conj(U(b)) is an eigenbasis at -b with the same energies, every matrix
element of V^a in it is the complex conjugate of the one at +b, and so is every jump operator and
R(-b) = conj(R(b)) element by element (docs/studies/hysteresis.md). Both conditions are checked
numerically (to 1e-12 relative) when the object is built; if either fails, -b is computed directly.

In other processes. The object pickles without its node cache (the bath, the Hamiltonian and the
settings: a few MB for 825 modes), so a copy can compute the nodes of :meth:`PhononFieldRates.direct_fields`
elsewhere (Dask tasks: :mod:`spinbath.sweeps.field_nodes`) and :meth:`PhononFieldRates.add_nodes` puts
them in the cache here; the same code runs on the same inputs, so the nodes are the ones this process
would compute.
"""

from __future__ import annotations

import numpy as np

from .blas import single_threaded_blas
from .field_sweep import SweepNode, node_from_rates
from .spin_phonon import SpinPhononRates, diagonalize

__all__ = ["PhononFieldRates"]


class PhononFieldRates:
    """R(b, T) of a spin + phonon bath at fields b (T) along ``direction``.

    Parameters
    ----------
    hamiltonian : a :class:`~spinbath.spins.SpinHamiltonian` (``matrix(B)`` in cm^-1, ``magnetic_moment``).
    bath : discrete phonon modes (a PhononBath), or a callable B (3-vector, T) -> bath when the
        couplings depend on the field (g-tensor derivatives); then it is called at every node.
    direction : unit 3-vector n of the sweep.
    temperatures : (n_T,) K, > 0: the channels of every node.
    order : 2, 4 or "2+4".
    transverse : constant field (3-vector, T) added at every node.
    extra : (d, d) Hermitian cm^-1 added to H at every node.
    rate_kw : width, lineshape, secular_tol, resonance_window for SpinPhononRates.
    """

    def __init__(self, hamiltonian, bath, direction, temperatures, order="2+4", *, transverse=(0.0, 0.0, 0.0),
                 extra: np.ndarray | None = None, **rate_kw):
        self.ham = hamiltonian
        self.n = np.asarray(direction, float) / np.linalg.norm(direction)
        self.transverse = np.asarray(transverse, float)
        self.extra = None if extra is None else np.asarray(extra, complex)
        self.temperatures = np.atleast_1d(np.asarray(temperatures, float))
        self.order = order
        self.rate_kw = rate_kw
        self._bath = bath
        #: g J . n in the |J, M> basis (moment along n in units of -mu_B): H_Z = mu_B b (g J . n).
        self.moment_axis = np.einsum("a,aij->ij", self.n, hamiltonian.magnetic_moment)
        self._nodes: dict[float, SweepNode] = {}
        #: Levels closer than this (cm^-1) count as degenerate and are resolved by g J . n. None (the
        #: bare ion swept along n): diagonalize's default, 1e-9 of the spectral width. With a transverse
        #: field or an extra term, the splittings they open (a tunnel splitting of the ground doublet:
        #: 1e-7 cm^-1 gives a partial Landau-Zener step at 20 Oe/s) are far below that default and must
        #: stay eigenstates, so only the numerical floor counts: 1e-12 of the spectral width of H(0).
        self.degeneracy_tol: float | None = None
        if not self.plain_zero_field:
            self.degeneracy_tol = 1e-12 * float(np.ptp(np.linalg.eigvalsh(self.hamiltonian(0.0)))) + 1e-13
        self.time_reversal = self._time_reversal_holds()

    def _time_reversal_operator(self) -> np.ndarray:
        """Y = exp(-i pi sum_sites J_y): Theta = Y K on the |J, M> basis."""
        from .time_reversal import time_reversal_unitary

        return time_reversal_unitary(sum(ops[1] for ops in self.ham.spin_operators))

    def _time_reversal_holds(self) -> bool:
        """True when R(-b) = conj(R(b)) in the basis Y conj(U(b)) (module docstring), checked numerically."""
        if callable(self._bath) or np.any(self.transverse):
            return False
        Y = self._time_reversal_operator()

        def even(A):
            scale = max(float(np.abs(A).max()), 1e-300)
            return float(np.abs(Y @ A.conj() @ Y.conj().T - A).max()) <= 1e-12 * scale

        H0 = self.hamiltonian(0.0)
        V = np.asarray(self._bath.couplings_cm)
        # the Zeeman term must be odd: H(1) - H(0) -> -(H(1) - H(0))
        Z = self.hamiltonian(1.0) - H0
        odd = float(np.abs(Y @ Z.conj() @ Y.conj().T + Z).max()) <= 1e-12 * max(float(np.abs(Z).max()), 1e-300)
        self._Y = Y
        return bool(even(H0) and odd and all(even(v) for v in V))

    def __getstate__(self) -> dict:
        """Pickled without the node cache (what a Dask task receives)."""
        return {**self.__dict__, "_nodes": {}}

    def direct_fields(self, fields) -> list[float]:
        """The fields whose nodes :meth:`node` must compute from scratch to give the nodes at ``fields``
        (T): |b| for b < 0 when time reversal holds (the node at -b is derived from it), b otherwise;
        each once, in order of first need, leaving out those already cached."""
        out: dict[float, None] = {}
        for b in np.asarray(fields, float).ravel():
            b = float(-b if (b < 0 and self.time_reversal) else b) + 0.0  # + 0.0: -0.0 -> 0.0
            if b not in self._nodes:
                out[b] = None
        return list(out)

    def add_nodes(self, nodes) -> None:
        """Put nodes computed elsewhere (by a copy of this object, :meth:`node`) into the cache."""
        for nd in nodes:
            self._nodes[float(nd.field)] = nd

    def is_cached(self, b: float) -> bool:
        """True when the node at b is in the cache (no rates to compute)."""
        return float(b) in self._nodes

    @property
    def plain_zero_field(self) -> bool:
        """True when H(0) is the bare, time-reversal-invariant ion (no transverse field, no extra term)."""
        return not np.any(self.transverse) and self.extra is None

    def hamiltonian(self, b: float) -> np.ndarray:
        """H(b) in cm^-1 (|J, M> basis)."""
        H = self.ham.matrix(b * self.n + self.transverse).astype(complex)
        return H if self.extra is None else H + self.extra

    def eigen(self, b: float) -> tuple[np.ndarray, np.ndarray]:
        """Energies (cm^-1) and eigenvectors of H(b), degenerate levels resolved by g J . n (cheap)."""
        H = self.hamiltonian(b)
        return diagonalize(0.5 * (H + H.conj().T), self.moment_axis, self.degeneracy_tol)

    def basis(self, b: float) -> np.ndarray:
        return self.eigen(b)[1]

    def bath_at(self, b: float):
        return self._bath(b * self.n + self.transverse) if callable(self._bath) else self._bath

    def rates(self, b: float, temperatures=None) -> SpinPhononRates:
        """The SpinPhononRates model at field b (zero field: the limit b -> 0+ along n), in the basis of
        :meth:`eigen`. With a degeneracy_tol of its own, the basis operator handed to SpinPhononRates
        (which resolves levels within diagonalize's default tolerance by it) is O = U diag(0, 1, ...,
        d-1) U^H, U = eigen(b)[1]: its eigenvectors in any cluster of levels are U's columns."""
        H = self.hamiltonian(b)
        if self.degeneracy_tol is None:
            O = self.moment_axis
        else:
            U = self.eigen(b)[1]
            O = (U * np.arange(U.shape[1])) @ U.conj().T
        return SpinPhononRates.from_bath(H, self.bath_at(b), basis_operator=O,
                                         vanishing_field=(b == 0.0 and self.plain_zero_field), **self.rate_kw)

    def node(self, b: float) -> SweepNode:
        """The :class:`~spinbath.quantum.field_sweep.SweepNode` at field b, all temperatures (cached)."""
        b = float(b)
        if b not in self._nodes and b < 0 and self.time_reversal:
            src = self.node(-b)
            self._nodes[b] = SweepNode(b, src.energies, self._Y @ src.basis.conj(),
                                       tuple((idx, Rb.conj()) for idx, Rb in src.blocks), src.n_channels,
                                       src.single, src.single_rates.conj())
        if b not in self._nodes:
            with single_threaded_blas():
                model = self.rates(b)
                R = model.superoperator(self.temperatures, self.order)
            self._nodes[b] = node_from_rates(b, model.energies, model.eigenvectors, R, self.temperatures.size)
        return self._nodes[b]

    def temperature_nodes(self, b: float, temperatures) -> list[SweepNode]:
        """One single-channel node per temperature at the fixed field b (a temperature ramp); all share
        one basis object, so no basis change is applied between them."""
        T = np.atleast_1d(np.asarray(temperatures, float))
        with single_threaded_blas():
            model = self.rates(b)
            R = model.superoperator(T, self.order)
        U = np.array(model.eigenvectors)
        return [node_from_rates(b, model.energies, U, R[j]) for j in range(T.size)]

    def zero_field_stack(self, temperatures) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(E, U, R (n_T, d^2, d^2)) at zero field, for tau(T)."""
        T = np.atleast_1d(np.asarray(temperatures, float))
        with single_threaded_blas():
            model = self.rates(0.0)
            R = model.superoperator(T, self.order)
        return model.energies, model.eigenvectors, R

