"""One meaning per variable name across the studies' results files, and the renames that made it so.

Names that meant two things in earlier results files were renamed; :func:`upgrade_names` maps an
old file's variables to today's names when it is opened (:func:`spinbath.load`, ``spinbath plot``,
``spinbath rerun``, a junction file given to ``dimer-llg``), adding ``renamed_from`` to each renamed
variable's attributes. The table of names is on the Conventions page (docs/conventions.md).

    study                old name           new name          meaning
    relaxation-laws      U_eff              U_local           local barrier k_B d ln tau / d(1/T)(T), cm^-1
    relaxation-laws      U_eff_K            U_local_K         the same in K
    spin-phonon          relaxation_rate    slowest_rates     slowest decay rates -Re(lambda) of R, s^-1
    junction-couplings   J, D, A, K, Dloc   J_per_Delta2, ... couplings per Delta^2, meV^-1

After the renames: ``U_eff`` is always one Orbach barrier fitted to tau(T) (cm^-1 in a results file,
K in ``spinbath fit``); ``relaxation_rate`` is always 1/tau (s^-1); ``J``, ``D``, ``A``, ``K`` in a
results file are always coupling energies (meV, dimer-llg); ``J`` in a ``[spin]`` config section is
the quantum number of the multiplet (J of a 4f ion, S of a spin-only ion such as S = 2 Fe(II)).
"""

from __future__ import annotations

import xarray as xr

__all__ = ["RENAMED", "upgrade_names"]

#: Per study: {old variable name: new variable name}.
RENAMED: dict[str, dict[str, str]] = {
    "relaxation-laws": {"U_eff": "U_local", "U_eff_K": "U_local_K"},
    "spin-phonon": {"relaxation_rate": "slowest_rates"},
    "junction-couplings": {name: f"{name}_per_Delta2" for name in ("J", "D", "A", "K", "Dloc")},
}


def upgrade_names(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with variables of older results files renamed to today's names (a no-op on new files).

    A variable is renamed only when its old name is present and the new one is not, so a file is
    never changed twice.
    """
    renames = {old: new for old, new in RENAMED.get(str(ds.attrs.get("study", "")), {}).items()
               if old in ds.data_vars and new not in ds.data_vars}
    if not renames:
        return ds
    out = ds.rename_vars(renames)
    for old, new in renames.items():
        out[new].attrs["renamed_from"] = f"{old} (results files of spinbath before the names table)"
    return out
