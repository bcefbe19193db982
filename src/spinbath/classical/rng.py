r"""Per-trajectory Gaussian random streams for the stochastic integrators (compiled with numba).

Each trajectory i of an ensemble owns an independent xoshiro256++ generator (Blackman and Vigna,
period 2^256 - 1) whose 256-bit state is derived from the user's seed and the trajectory's index
alone: a 128-bit key = ``numpy.random.SeedSequence(seed).generate_state(2)`` and splitmix64 seeded
with key_0 xor mix64(key_1 + i) (mix64 the splitmix64 finalizer), four outputs. Trajectory i
therefore sees the same noise whatever the ensemble size, block size, number of threads or
backend, and ensembles can be split across processes (``first`` index) or continued (the states
are returned).

Standard normals come in pairs from two 64-bit outputs r1, r2 by the Box-Muller transform,
written so that it vectorizes across trajectories (no libm calls):

    z1 = rho cos(phi + q pi/2),  z2 = rho sin(phi + q pi/2),    rho = sqrt(-2 ln u),
    u = (floor(r1 / 2^11) + 1) 2^-53 in (0, 1],   phi uniform in [-pi/4, pi/4) from the top 53 bits
    of r2, q in {0, 1, 2, 3} from its two lowest bits,

with ln u = e ln 2 + 2 atanh((f - 1)/(f + 1)) for u = 2^e f, f in [1/sqrt 2, sqrt 2) (series to
s^19, error < 2e-15) and cos, sin of |phi| <= pi/4 by Taylor polynomials (error < 1e-15). A step
of n noise components uses ceil(n/2) pairs, in component order; the last value of an odd n is
discarded.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import float64, int64, njit, prange, types, uint64
from numba.extending import intrinsic

__all__ = ["seed_key", "initial_states", "standard_normals", "draw_step", "gauss_next",
           "u64_as_f64", "f64_as_u64"]

@intrinsic
def _u64_as_f64(typingctx, x):
    sig = types.float64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@intrinsic
def _f64_as_u64(typingctx, x):
    sig = types.uint64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


# ------------------------------------------------------------------------------- seeding
def seed_key(seed) -> np.ndarray:
    """The 128-bit key (2 uint64) of a seed: an int, a SeedSequence, or None (fresh entropy;
    the SeedSequence's entropy is what reproduces it)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return ss.generate_state(2, dtype=np.uint64)


@njit(cache=True, error_model="numpy")
def _splitmix_states(k0, k1, first, count):
    out = np.empty((4, count), dtype=np.uint64)
    for j in range(count):
        z = k1 + uint64(first + j)
        z = (z ^ (z >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> uint64(27))) * uint64(0x94D049BB133111EB)
        x = k0 ^ (z ^ (z >> uint64(31)))
        for w in range(4):
            x = x + uint64(0x9E3779B97F4A7C15)
            z = x
            z = (z ^ (z >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> uint64(27))) * uint64(0x94D049BB133111EB)
            out[w, j] = z ^ (z >> uint64(31))
    return out


def initial_states(key: np.ndarray, first: int, count: int) -> np.ndarray:
    """xoshiro256++ states, shape (4, count) uint64, of trajectories first .. first+count-1."""
    key = np.asarray(key, dtype=np.uint64)
    return _splitmix_states(key[0], key[1], int(first), int(count))


# ---------------------------------------------------------------------------- generation
@njit(inline="always", error_model="numpy")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(inline="always", error_model="numpy")
def _neg2log(r):
    """-2 ln u, u = (r >> 11 + 1) 2^-53 in (0, 1]."""
    u = float64((r >> uint64(11)) + uint64(1)) * (1.0 / 9007199254740992.0)
    b = _f64_as_u64(u)
    e = float64(int64(b >> uint64(52)) - 1023)
    f = _u64_as_f64((b & uint64(0x000FFFFFFFFFFFFF)) | uint64(0x3FF0000000000000))
    big = f > 1.4142135623730951
    f = f * 0.5 if big else f
    e = e + 1.0 if big else e
    s = (f - 1.0) / (f + 1.0)
    s2 = s * s
    p = 1.0 / 19.0
    p = p * s2 + 1.0 / 17.0
    p = p * s2 + 1.0 / 15.0
    p = p * s2 + 1.0 / 13.0
    p = p * s2 + 1.0 / 11.0
    p = p * s2 + 1.0 / 9.0
    p = p * s2 + 1.0 / 7.0
    p = p * s2 + 1.0 / 5.0
    p = p * s2 + 1.0 / 3.0
    p = p * s2 + 1.0
    return -2.0 * (e * 0.6931471805599453 + 2.0 * s * p)


@njit(inline="always", error_model="numpy")
def _gauss_pair(r1, r2):
    rad = np.sqrt(_neg2log(r1))
    phi = (float64(int64(r2 >> uint64(11))) * (1.0 / 9007199254740992.0) - 0.5) \
        * 1.5707963267948966
    x2 = phi * phi
    c = 1.0 + x2 * (-1.0 / 2 + x2 * (1.0 / 24 + x2 * (-1.0 / 720 + x2 * (
        1.0 / 40320 + x2 * (-1.0 / 3628800 + x2 * (1.0 / 479001600 + x2 * (
            -1.0 / 87178291200)))))))
    sn = phi * (1.0 + x2 * (-1.0 / 6 + x2 * (1.0 / 120 + x2 * (-1.0 / 5040 + x2 * (
        1.0 / 362880 + x2 * (-1.0 / 39916800 + x2 * (1.0 / 6227020800 + x2 * (
            -1.0 / 1307674368000))))))))
    # rotate (c, sn) by q pi/2 without branches (vectorizable selects)
    odd = float64(int64(r2 & uint64(1)))
    sg = 1.0 - 2.0 * float64(int64((r2 >> uint64(1)) & uint64(1)))
    a = (c - odd * (c + sn)) * sg
    b = (sn + odd * (c - sn)) * sg
    return rad * a, rad * b


@njit(inline="always", error_model="numpy")
def _xoshiro_next(s0, s1, s2, s3):
    """One xoshiro256++ output and the advanced state: (r, s0, s1, s2, s3)."""
    r = _rotl(s0 + s3, 23) + s0
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return r, s0, s1, s2, s3


@njit(inline="always", error_model="numpy")
def gauss_next(s0, s1, s2, s3):
    """Two standard normals from one xoshiro256++ state (two 64-bit outputs); returns
    (z1, z2, s0, s1, s2, s3) with the advanced state."""
    r1, s0, s1, s2, s3 = _xoshiro_next(s0, s1, s2, s3)
    r2, s0, s1, s2, s3 = _xoshiro_next(s0, s1, s2, s3)
    z1, z2 = _gauss_pair(r1, r2)
    return z1, z2, s0, s1, s2, s3


@njit(inline="always", error_model="numpy")
def u64_as_f64(x):
    """Reinterpret the bits (to keep generator states in a float64 work array)."""
    return _u64_as_f64(x)


@njit(inline="always", error_model="numpy")
def f64_as_u64(x):
    return _f64_as_u64(x)


@njit(cache=True, error_model="numpy")
def draw_step(st, z, n):
    """Fill z[:n, :] (components x lanes) with standard normals from the lane states st (4, V),
    advancing them (ceil(n/2) pairs per lane, in component order)."""
    V = z.shape[1]
    for p in range(0, n, 2):
        for l in range(V):
            z1, z2, s0, s1, s2, s3 = gauss_next(st[0, l], st[1, l], st[2, l], st[3, l])
            st[0, l] = s0
            st[1, l] = s1
            st[2, l] = s2
            st[3, l] = s3
            z[p, l] = z1
            if p + 1 < n:
                z[p + 1, l] = z2


@njit(cache=True, parallel=True, error_model="numpy")
def _fill(states, out):
    n_steps, n, count = out.shape
    blk = 64
    nblk = (count + blk - 1) // blk
    for b in prange(nblk):
        lo = b * blk
        hi = min(count, lo + blk)
        st = states[:, lo:hi].copy()
        z = np.empty((n, hi - lo))
        for k in range(n_steps):
            draw_step(st, z, n)
            for i in range(n):  # explicit loops: the slice assignment does not vectorize here
                for j in range(hi - lo):
                    out[k, i, lo + j] = z[i, j]
        for w in range(4):
            for j in range(hi - lo):
                states[w, lo + j] = st[w, j]


def standard_normals(states: np.ndarray, n_steps: int, n: int) -> np.ndarray:
    """Draw the normals of ``n_steps`` steps of ``n`` components for every trajectory, shape
    (n_steps, n, count), advancing ``states`` (4, count) in place. These are exactly the numbers
    the compiled integrators use for the same states."""
    if states.dtype != np.uint64 or states.ndim != 2 or states.shape[0] != 4:
        raise ValueError("states must be a (4, count) uint64 array from initial_states")
    out = np.empty((int(n_steps), int(n), states.shape[1]))
    _fill(states, out)
    return out
