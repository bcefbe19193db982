r"""Model phonon baths: seeded, documented recipes for systems without public ab initio phonons.

Everything here is a MODEL: :func:`dycp_model_bath` builds a stand-in for DyCp (no ab initio phonons
or spin-phonon couplings of it are public) with the right size and shape -- the 825 optical modes of
the 276-atom cell drawn band by band (``DYCP_BANDS``), crystal-field derivatives
dB_k^q/dQ_a = scale * s_k * A(w_a) * xi_{a,kq} with A(w) = sqrt(w_ref / w) exp(-w / w_c), and
couplings V^a = sum_kq (dB_k^q/dQ_a) O_k^q in cm^-1 per unit Q_a = a_a + a_a^+ -- from a fixed seed,
with one global coupling scale tuned so that tau is of the measured order near 77 K, and an
optional soft-mode roll-off of the amplitude (``rolloff_cm``; the hysteresis example's bath). It is a test
bed for the methods, not a prediction for DyCp. The recipe, the band table, the draw order and the
tuning results are in docs/theory/spin-phonon.md (appendix "the DyCp model bath");
``benchmarks/tune_dycp_model.py`` prints the tuning table. Units follow the Conventions page
(docs/conventions.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from scipy import special

from .cf_couplings import couplings_from_cf_derivatives
from .phonons import PhononBath

__all__ = [
    "Band", "DYCP_BANDS", "CF_KEYS", "DEFAULT_SEED", "DEFAULT_SCALE", "DEFAULT_CUTOFF_CM",
    "DEFAULT_WIDTH_CM", "REFERENCE_ENERGY_CM", "molecular_crystal_mode_energies", "band_counts",
    "dycp_crystal_field", "rank_scales", "mode_amplitude", "dycp_cf_derivatives", "dycp_model_bath", "MODEL_BATHS",
]

#: Default seed of :func:`dycp_model_bath` (arbitrary: the year DyCp was reported).
DEFAULT_SEED: int = 2017
#: Tuned global coupling scale (relative dB_k^q per unit Q of a 100 cm^-1 mode); see docs/theory/spin-phonon.md.
DEFAULT_SCALE: float = 0.008
#: Energy scale w_c (cm^-1) of the exp(-w / w_c) factor of the mode amplitude.
DEFAULT_CUTOFF_CM: float = 1500.0
#: Recommended Gaussian lineshape width (standard deviation, cm^-1) for rates with this bath.
DEFAULT_WIDTH_CM: float = 10.0
#: w_ref of the mode amplitude A(w) = sqrt(w_ref / w) exp(-w / w_c), cm^-1.
REFERENCE_ENERGY_CM: float = 100.0
#: Energy window of all modes, cm^-1.
ENERGY_RANGE_CM: tuple[float, float] = (20.0, 3000.0)

#: The 27 (k, q) of the crystal-field derivatives: even k <= 6, q = -k..k.
CF_KEYS: tuple[tuple[int, int], ...] = tuple((k, q) for k in (2, 4, 6) for q in range(-k, k + 1))


@dataclass(frozen=True)
class Band:
    """A group of modes: ``count`` modes (for the reference cell of ``DYCP_BANDS``) on [lo, hi] cm^-1.

    kind: "uniform"; "loguniform"; "gamma" (density ~ w^(k-1) exp(-w / theta), truncated to
    [lo, hi], drawn by inverting its CDF); "normal" (mean (lo + hi)/2, standard deviation
    (hi - lo)/4, clipped to the energy window). Every kind takes exactly one uniform or normal
    number per mode from the generator.
    """

    name: str
    count: int
    kind: str
    lo: float
    hi: float
    k: float = 2.0
    theta: float = 100.0

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        lo, hi = self.lo, self.hi
        if self.kind == "uniform":
            return rng.uniform(lo, hi, n)
        if self.kind == "loguniform":
            return np.exp(rng.uniform(np.log(lo), np.log(hi), n))
        if self.kind == "gamma":
            f_lo, f_hi = special.gammainc(self.k, np.array([lo, hi]) / self.theta)
            return self.theta * special.gammaincinv(self.k, rng.uniform(f_lo, f_hi, n))
        if self.kind == "normal":
            return rng.normal(0.5 * (lo + hi), 0.25 * (hi - lo), n)
        raise ValueError(f"unknown band kind {self.kind!r}")


#: Bands of the 276-atom DyCp cell (docs/theory/spin-phonon.md); counts add up to 3 * 276 - 3 = 825.
DYCP_BANDS: tuple[Band, ...] = (
    Band("lattice (rigid translations and librations)", 21, "uniform", 20.0, 130.0),
    Band("soft intramolecular (skeletal bends, tBu torsions, Dy-Cp, ring tilts)", 292, "gamma", 20.0, 700.0,
         k=2.0, theta=100.0),
    Band("CH3 torsions", 36, "normal", 170.0, 330.0),
    Band("skeletal stretches (C-C, C-F, B-C, ring C=C)", 164, "uniform", 750.0, 1650.0),
    Band("CH3 deformations and rocks", 180, "uniform", 900.0, 1480.0),
    Band("Cp ring C-H bends", 16, "uniform", 750.0, 1250.0),
    Band("C-H stretches (CH3)", 108, "uniform", 2850.0, 3000.0),
    Band("C-H stretches (Cp ring)", 8, "uniform", 3050.0, 3120.0),
)
DYCP_CELL_ATOMS: int = 276


def band_counts(n_modes: int, bands: Sequence[Band] = DYCP_BANDS) -> np.ndarray:
    """Modes per band for ``n_modes`` in total: the reference counts scaled in proportion and
    rounded by largest remainder (ties to the earlier band), so they add up to ``n_modes``."""
    n_modes = int(n_modes)
    if n_modes < 1:
        raise ValueError(f"n_modes must be >= 1, got {n_modes}")
    ref = np.array([b.count for b in bands], dtype=float)
    exact = ref * n_modes / ref.sum()
    counts = np.floor(exact).astype(int)
    rest = n_modes - int(counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:rest]] += 1
    return counts


def molecular_crystal_mode_energies(n_modes: int, rng: np.random.Generator,
                                    bands: Sequence[Band] = DYCP_BANDS) -> np.ndarray:
    """Sorted mode energies (cm^-1) of a molecular crystal: ``band_counts`` modes per band, drawn
    in band order from ``rng`` and clipped to ENERGY_RANGE_CM = [20, 3000] cm^-1."""
    counts = band_counts(n_modes, bands)
    w = np.concatenate([b.draw(int(n), rng) for b, n in zip(bands, counts)])
    return np.sort(np.clip(w, *ENERGY_RANGE_CM))


@cache
def _dycp_json() -> str:
    return resources.files("spinbath.data").joinpath("dycp_cf.json").read_text()


def dycp_crystal_field() -> dict:
    """The shipped DyCp data set (spinbath/data/dycp_cf.json): J, gJ and B {(k, q): cm^-1}, Stevens.

    Read here rather than through ``spinbath.config`` so that baths do not depend on the config layer;
    it is the same file and parsing as ``spinbath.config.spin.builtin_crystal_field("dycp")``.
    """
    raw = json.loads(_dycp_json())
    B = {(int(k), int(q)): float(v) for k, row in raw["B"].items() for q, v in row.items()}
    return {"J": float(raw["J"]), "gJ": float(raw["gJ"]), "B": B}


def rank_scales(B: dict[tuple[int, int], float], ranks: Sequence[int] = (2, 4, 6)) -> dict[int, float]:
    """s_k = sqrt(sum_q (B_k^q)^2 / (2k + 1)), the rms of the rank-k parameters (missing q count as 0)."""
    return {k: float(np.sqrt(sum(B.get((k, q), 0.0) ** 2 for q in range(-k, k + 1)) / (2 * k + 1)))
            for k in ranks}


def mode_amplitude(w_cm, cutoff_cm: float = DEFAULT_CUTOFF_CM,
                   reference_cm: float = REFERENCE_ENERGY_CM,
                   rolloff_cm: float | None = None) -> np.ndarray:
    """A(w) = sqrt(w_ref / w) exp(-w / w_c) (dimensionless; w, w_ref, w_c in cm^-1), times
    w / sqrt(w^2 + w_r^2) when a soft-mode roll-off w_r (cm^-1) is given.

    With the roll-off, A(w) ~ w^(1/2) / w_r for w << w_r: the law of a long-wavelength (strain-like)
    coupling, for modes that move the coordination sphere of the ion nearly rigidly; modes well above
    w_r keep the recipe's w^(-1/2)."""
    w = np.asarray(w_cm, dtype=float)
    amp = np.sqrt(reference_cm / w) * np.exp(-w / cutoff_cm)
    if rolloff_cm is not None:
        w_r = float(rolloff_cm)
        if not np.isfinite(w_r) or w_r <= 0:
            raise ValueError(f"rolloff_cm must be finite and > 0 cm^-1, got {rolloff_cm!r}")
        amp = amp * w / np.sqrt(w**2 + w_r**2)
    return amp


def dycp_cf_derivatives(energies_cm: np.ndarray, rng: np.random.Generator,
                        scale: float = DEFAULT_SCALE,
                        cutoff_cm: float = DEFAULT_CUTOFF_CM,
                        rolloff_cm: float | None = None) -> np.ndarray:
    """(n_modes, 27) derivatives dB_k^q/dQ_a (cm^-1, columns in ``CF_KEYS`` order), step 2 of the
    recipe: scale * s_k * A(w_a) * xi with xi drawn from ``rng`` as one (n_modes, 27) normal array
    (the roll-off changes A only, not the draws)."""
    s = rank_scales(dycp_crystal_field()["B"])
    per_key = np.array([s[k] for k, _ in CF_KEYS])
    xi = rng.standard_normal((np.asarray(energies_cm).size, len(CF_KEYS)))
    amp = mode_amplitude(energies_cm, cutoff_cm, rolloff_cm=rolloff_cm)
    return float(scale) * amp[:, None] * per_key[None, :] * xi


def dycp_model_bath(seed: int = DEFAULT_SEED, n_atoms: int = DYCP_CELL_ATOMS,
                    scale: float = DEFAULT_SCALE, cutoff_cm: float = DEFAULT_CUTOFF_CM,
                    linewidth_cm: float | None = None, rolloff_cm: float | None = None) -> PhononBath:
    """A MODEL phonon bath for DyCp ([Dy(Cp^ttt)2]+, J = 15/2), built by the seeded recipe of the
    docs/theory/spin-phonon.md (no ab initio phonons of DyCp are public).

    Parameters
    ----------
    seed : seed of ``numpy.random.default_rng`` (default ``DEFAULT_SEED``).
    n_atoms : atoms in the cell; 3 n_atoms - 3 optical modes (default 276 -> 825 modes).
    scale : global coupling scale (default ``DEFAULT_SCALE``, tuned; see docs/theory/spin-phonon.md).
    cutoff_cm : w_c of the amplitude factor exp(-w / w_c), cm^-1.
    linewidth_cm : if given, every mode gets this linewidth (cm^-1) in the bath; by default none,
        and rate calculations take a global width (``DEFAULT_WIDTH_CM`` is the recommended one).
    rolloff_cm : if given, the soft-mode roll-off w_r (cm^-1) of ``mode_amplitude``: the amplitude is
        multiplied by w / sqrt(w^2 + w_r^2), so modes far below w_r couple as w^(1/2). That slows the
        two-phonon (Raman) relaxation of the low-temperature regime, made of soft phonons, far more
        than the one-phonon Orbach ladder, whose steps have the gaps between doublets (478 cm^-1 to
        the first excited doublet, 65-300 cm^-1 between the upper ones) and are partly suppressed
        (w_r = 300 cm^-1: order-4 tau at 40 K x278, order-2 tau at 90 K x4). The hysteresis example uses scale 0.0128 with w_r = 300 cm^-1.
        Default: none (the original recipe; the same arrays as without the option).

    Returns
    -------
    PhononBath with 3 n_atoms - 3 modes (sorted energies, cm^-1) and (n, 16, 16) couplings in the
    |J, M> basis of J = 15/2, cm^-1 per unit dimensionless displacement.
    """
    n_atoms = int(n_atoms)
    if n_atoms < 2:
        raise ValueError(f"n_atoms must be >= 2, got {n_atoms}")
    scale = float(scale)
    cutoff_cm = float(cutoff_cm)
    rolloff_cm = None if rolloff_cm is None else float(rolloff_cm)  # checked by mode_amplitude
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be finite and > 0, got {scale!r}")
    if not np.isfinite(cutoff_cm) or cutoff_cm <= 0:
        raise ValueError(f"cutoff_cm must be finite and > 0 cm^-1, got {cutoff_cm!r}")
    rng = np.random.default_rng(seed)
    w = molecular_crystal_mode_energies(3 * n_atoms - 3, rng)
    dB = dycp_cf_derivatives(w, rng, scale, cutoff_cm, rolloff_cm)
    V = couplings_from_cf_derivatives(dycp_crystal_field()["J"], dB, CF_KEYS)
    lw = None if linewidth_cm is None else np.full(w.size, float(linewidth_cm))
    rolled = "" if rolloff_cm is None else f", rolloff_cm={rolloff_cm:g}"
    roll_factor = "" if rolloff_cm is None else f"* w/sqrt(w^2 + {rolloff_cm:g}^2) "
    source = (
        f"MODEL phonon bath for DyCp ([Dy(Cp^ttt)2]+, J = 15/2), NOT ab initio: "
        f"spinbath.baths.model_baths.dycp_model_bath(seed={seed}, n_atoms={n_atoms}, scale={scale:g}, "
        f"cutoff_cm={cutoff_cm:g}{rolled}). {w.size} = 3 x {n_atoms} - 3 optical mode energies drawn from a "
        f"molecular-crystal band table (lattice, soft intramolecular, CH3 torsions, skeletal, C-H bends, "
        f"gap 1650-2850, C-H stretches) with numpy default_rng(seed); crystal-field derivatives "
        f"dB_k^q/dQ = scale * rms_q(B_k^q of DyCp) * sqrt({REFERENCE_ENERGY_CM:g}/w) * exp(-w/{cutoff_cm:g}) "
        f"{roll_factor}* N(0,1) for the 27 Stevens parameters of even rank k <= 6; V^a = sum dB O_k^q in the |J, M> "
        f"basis (M descending), cm^-1 per unit Q = a + a^+. "
        + ("The scale was tuned so that tau is of the measured order near 77 K"
           if rolloff_cm is None and scale == DEFAULT_SCALE else "Scale and roll-off as chosen by the caller "
           "(the default scale 0.008 without roll-off was tuned so that tau is of the measured order near "
           "77 K; the hysteresis example's 0.0128 with 300 cm^-1 so that its loops close near the measured 60 K)")
        + f" (benchmarks/tune_dycp_model.py). Drawn with numpy {np.__version__}."
    )
    return PhononBath(w, V, lw, source=source)


#: Model baths by name, for configs (``model = "dycp-model"``).
MODEL_BATHS: dict[str, Callable[..., PhononBath]] = {"dycp-model": dycp_model_bath}
