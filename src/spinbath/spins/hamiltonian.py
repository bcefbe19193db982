"""Spin Hamiltonians: crystal field (Stevens operators) + Zeeman + exchange between sites.

All energies in cm^-1, magnetic field in tesla. For sites i with angular momentum J_i:

    H = sum_i [ sum_kq B_k^q(i) O_k^q(J_i)  +  mu_B B . g_i . J_i ]
        + sum_(i<j) [ J_ij J_i . J_j  +  J_i . Jex_ij . J_j  +  D_ij . (J_i x J_j) ]

mu_B = 0.46686 cm^-1/T (units.MUB_CM). Sign of the Zeeman term: H_Z = +mu_B B.g.J, the convention
of EasySpin and of the spin-Hamiltonian literature (electron magnetic moment m = -mu_B g J), so a
field along +z lowers the M < 0 states. Exchange is written with the positive sign (J > 0 is
antiferromagnetic). Sites are embedded with site 0 most significant (operators.embed).

The model is built once; the field is a call argument of :meth:`SpinHamiltonian.matrix` and
:meth:`SpinHamiltonian.eigh`, so a field sweep never rebuilds the crystal-field matrices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..units import MUB_CM
from .operators import check_spin, embed, spin_dim, spin_matrices

__all__ = ["Site", "Exchange", "SpinHamiltonian", "deterministic_phase", "g_tensor_of_doublet"]


def _as_g_tensor(g) -> np.ndarray:
    g = np.asarray(g, dtype=float)
    if g.ndim == 0:
        return float(g) * np.eye(3)
    if g.shape == (3,):
        return np.diag(g)
    if g.shape == (3, 3):
        return g
    raise ValueError(f"g must be a scalar, 3 principal values or a 3x3 tensor, got shape {g.shape}")


@dataclass(frozen=True)
class Site:
    """One magnetic centre: angular momentum J, crystal field {(k, q): B_k^q in cm^-1}, g (scalar or 3x3)."""

    J: float
    crystal_field: Mapping[tuple[int, int], float] = field(default_factory=dict)
    g: float | Sequence[float] | np.ndarray = 2.0

    def __post_init__(self):
        object.__setattr__(self, "J", check_spin(self.J))
        cf = {(int(k), int(q)): float(b) for (k, q), b in dict(self.crystal_field).items()}
        for (k, q), b in cf.items():
            if not np.isfinite(b):
                raise ValueError(f"crystal-field parameter B_{k}^{q} = {b} is not finite")
        object.__setattr__(self, "crystal_field", cf)
        object.__setattr__(self, "g", _as_g_tensor(self.g))

    @property
    def dim(self) -> int:
        return spin_dim(self.J)


@dataclass(frozen=True)
class Exchange:
    """Coupling between sites i and j (cm^-1): isotropic J, anisotropic 3x3 tensor, DMI vector D."""

    i: int
    j: int
    isotropic: float = 0.0
    tensor: np.ndarray | None = None
    dmi: Sequence[float] | None = None


def deterministic_phase(vectors: np.ndarray) -> np.ndarray:
    """Fix the arbitrary phase of each column: its largest-modulus component is made real positive.

    Ties (components equal in modulus to 1e-10) go to the lowest index, so the result does not
    depend on the LAPACK build. Degenerate subspaces are returned as LAPACK gives them.
    """
    v = np.array(vectors, dtype=complex, copy=True)
    mod = np.abs(v)
    idx = np.argmax(mod > mod.max(axis=0, keepdims=True) - 1e-10, axis=0)
    ph = v[idx, np.arange(v.shape[1])]
    return v * (np.abs(ph) / ph)[None, :]


class SpinHamiltonian:
    """Crystal field + Zeeman (+ exchange for several sites), built once and evaluated at any field.

    Parameters
    ----------
    sites : one :class:`Site` or a sequence of them.
    exchange : couplings between sites (:class:`Exchange`).
    extra : optional Hermitian (D, D) matrix in cm^-1 added to the zero-field part (custom terms).

    Methods give matrices in the product basis |M_0, M_1, ...> (each M descending), cm^-1.
    """

    def __init__(self, sites: Site | Sequence[Site], exchange: Sequence[Exchange] = (),
                 extra: np.ndarray | None = None):
        self.extra = None if extra is None else np.asarray(extra, dtype=complex)
        self.sites: tuple[Site, ...] = (sites,) if isinstance(sites, Site) else tuple(sites)
        if not self.sites:
            raise ValueError("a spin Hamiltonian needs at least one site")
        self.exchange = tuple(exchange)
        n = len(self.sites)
        for c in self.exchange:
            if not (0 <= c.i < n and 0 <= c.j < n and c.i != c.j):
                raise ValueError(f"exchange between sites {c.i} and {c.j}: sites must be distinct and < {n}")
        if self.extra is not None and self.extra.shape != (self.dim, self.dim):
            raise ValueError(f"extra term has shape {self.extra.shape}, expected {(self.dim, self.dim)}")
        if self.extra is not None and not np.allclose(self.extra, self.extra.conj().T, atol=1e-10):
            raise ValueError("extra term is not Hermitian")

    def with_extra(self, extra: np.ndarray) -> "SpinHamiltonian":
        """A new Hamiltonian with ``extra`` (Hermitian, cm^-1) added to the zero-field part."""
        base = np.zeros((self.dim, self.dim), complex) if self.extra is None else self.extra
        return SpinHamiltonian(self.sites, self.exchange, base + np.asarray(extra, dtype=complex))

    @classmethod
    def single_ion(cls, J: float, crystal_field: Mapping[tuple[int, int], float], g=2.0) -> "SpinHamiltonian":
        """One site with angular momentum J, crystal field {(k, q): B in cm^-1} and g (e.g. g_J)."""
        return cls(Site(J, crystal_field, g))

    @property
    def dims(self) -> tuple[int, ...]:
        return tuple(s.dim for s in self.sites)

    @property
    def dim(self) -> int:
        return int(np.prod(self.dims))

    @cached_property
    def spin_operators(self) -> list[np.ndarray]:
        """Per site, the array (3, D, D) of (Jx, Jy, Jz) embedded in the full space."""
        return [np.array([embed(op, i, self.dims) for op in spin_matrices(s.J)]) for i, s in enumerate(self.sites)]

    @cached_property
    def magnetic_moment(self) -> np.ndarray:
        """(3, D, D): sum_i g_i . J_i, so that H_Z = mu_B B . magnetic_moment (moment in -mu_B units)."""
        return sum(np.einsum("ab,bij->aij", s.g, ops) for s, ops in zip(self.sites, self.spin_operators))

    @cached_property
    def zero_field_matrix(self) -> np.ndarray:
        """Crystal field + exchange (cm^-1), independent of the field."""
        from .stevens import stevens

        h = np.zeros((self.dim, self.dim), dtype=complex)
        for i, s in enumerate(self.sites):
            if s.crystal_field:
                local = sum(b * stevens(s.J, k, q) for (k, q), b in s.crystal_field.items())
                h += embed(local, i, self.dims)
        for c in self.exchange:
            a, b = self.spin_operators[c.i], self.spin_operators[c.j]
            if c.isotropic:
                h += c.isotropic * np.einsum("aij,ajk->ik", a, b)
            if c.tensor is not None:
                h += np.einsum("aij,ab,bjk->ik", a, np.asarray(c.tensor, dtype=float), b)
            if c.dmi is not None:
                d = np.asarray(c.dmi, dtype=float)
                # (J_i x J_j)_x = J_iy J_jz - J_iz J_jy, cyclic; operators on different sites commute.
                cross = [a[1] @ b[2] - a[2] @ b[1], a[2] @ b[0] - a[0] @ b[2], a[0] @ b[1] - a[1] @ b[0]]
                h += sum(dk * ck for dk, ck in zip(d, cross))
        if self.extra is not None:
            h += self.extra
        h = (h + h.conj().T) / 2
        h.setflags(write=False)
        return h

    def matrix(self, field_T: Sequence[float] = (0.0, 0.0, 0.0)) -> np.ndarray:
        """H (D, D) in cm^-1 at magnetic field ``field_T`` (3-vector, tesla)."""
        b = np.asarray(field_T, dtype=float)
        if b.shape != (3,) or not np.all(np.isfinite(b)):
            raise ValueError(f"field must be a finite 3-vector in tesla, got {field_T!r}")
        return self.zero_field_matrix + MUB_CM * np.einsum("a,aij->ij", b, self.magnetic_moment)

    def eigh(self, field_T: Sequence[float] = (0.0, 0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
        """Energies ascending (cm^-1) and eigenvectors (columns) with :func:`deterministic_phase`."""
        e, v = np.linalg.eigh(self.matrix(field_T))
        return e, deterministic_phase(v)


def g_tensor_of_doublet(moment: np.ndarray, doublet: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Effective g tensor of a Kramers doublet (pseudo-spin 1/2).

    With M_a = <i| sum g J_a |j> the 2x2 projections of the moment on the doublet (columns of
    ``doublet``, shape (D, 2)), G = g g^T has G_ab = 2 Tr(M_a M_b). Returns (principal g values
    ascending, principal axes as columns). For a pure |+-M> doublet of a single ion, g_zz = 2 g_J M.
    """
    m = np.einsum("ip,aij,jq->apq", doublet.conj(), moment, doublet)
    G = 2 * np.real(np.einsum("apq,bqp->ab", m, m))
    w, axes = np.linalg.eigh(G)
    return np.sqrt(np.clip(w, 0, None)), axes
