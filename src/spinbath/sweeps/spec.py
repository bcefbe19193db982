"""The ``[sweep]`` section of a study config: parse it, expand it into tasks, validate every task.

Spelling (any study)::

    [sweep]
    mode = "product"                                   # default; or "zip"
    "field.values" = [[0.0], ["1 T"], ["2 T"]]         # a list of values for the key field.values
    "bias.temperature" = {start = "0 K", stop = "20 K", num = 5}     # an even range
    "method.width" = {start = 1, stop = 100, num = 3, spacing = "log"}

Each key is a dotted path into the study config (quoted, so that TOML keeps it as one key); the
nested-table spelling ``[sweep.bias] temperature = [...]`` and unquoted dotted keys
``bias.temperature = [...]`` mean the same. A value is a list (each element replaces the value at
the path, whole: a list-valued key such as ``bias.V`` is swept as ``[[1.0], [2.0, 3.0]]``) or a
range table ``{start, stop, num[, spacing = "linear" | "log"]}`` whose ends are numbers or unit
strings in one unit (``{start = "-5 mV", stop = "5 mV", num = 41}``; the values are then unit
strings, converted by the study as usual). A table whose values are all scalars and that has any of
``start``/``stop``/``num`` is a range; any other table is a level of nesting. ``mode`` is reserved.

Semantics:

* The config without ``[sweep]`` must be valid on its own: it is the reference point whose values
  the sweep replaces (and ``spinbath run`` without the section runs exactly that point).
* ``product``: every combination, the first parameter varying slowest (C order); ``zip``: the i-th
  values of all parameters together (all lists of the same length).
* Each task is the base TOML with the swept values substituted, validated with the study's own
  pydantic model (same unit strings, same errors). A section absent from the base config starts
  from the study's default for it (e.g. the default bath of open-chain), so sweeping one key of it
  changes only that key.
* Coordinates: the value each task's *validated* config holds at the path (so ``"1 T"`` and
  ``1000 mT`` give the same number, in the study's working unit), with that unit as the ``units``
  attribute (found by asking the key's validator which unit string it maps to 1.0). Values that are
  not real scalars (lists, tables) are labelled by their TOML text, ``units = "1"``.

Bad specs (unknown path, empty list, zip lengths differ, a value the study rejects, duplicate
coordinate values, ...) raise :class:`~spinbath.ConfigError` naming the sweep key.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import types
import typing
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ValidationError

from ..config.base import ConfigError, format_validation_error

__all__ = ["Parameter", "Task", "Sweep", "expand_sweep", "MAX_TASKS", "SWEEP_MODES"]

SWEEP_MODES = ("product", "zip")
#: Larger sweeps are almost certainly a typo in a range (and would not fit a manifest comfortably).
MAX_TASKS = 100_000
_RANGE_KEYS = {"start", "stop", "num", "spacing"}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S.*)?$")
#: Units tried, in this order, when asking a key's validator for its working unit (the working units of
#: docs/conventions.md first).
_PROBE_UNITS = ("K", "T", "cm^-1", "meV", "mV", "s", "s^-1", "eV", "V", "mT", "mK", "Hz", "GHz", "THz")


@dataclass(frozen=True)
class Parameter:
    """One swept key.

    path: dotted config path ("bias.temperature"). raw: the values substituted into the config, as
    written (TOML types; ranges expanded). coord: coordinate values (validated numbers in ``units``,
    or text labels). units: the coordinate's unit ("1" for labels and dimensionless keys).
    """

    path: str
    raw: tuple
    coord: np.ndarray
    units: str

    @property
    def size(self) -> int:
        return len(self.raw)


@dataclass(frozen=True)
class Task:
    """One point of the sweep: its position, the substituted values and the validated config.

    index: position in the sweep (C order over the parameters for ``product``). params: path -> raw
    value. config: the study's validated pydantic model. key: hash of its canonical JSON
    (:func:`spinbath.sweeps.tasks.task_key`), which names its checkpoint.
    """

    index: int
    params: dict[str, Any]
    config: BaseModel
    key: str

    def describe(self) -> str:
        """``path = value, ...`` as written in the config (for messages)."""
        return ", ".join(f"{p} = {_toml_text(v)}" for p, v in self.params.items())


@dataclass(frozen=True)
class Sweep:
    """An expanded, validated sweep of one study: parameters, tasks and the base config."""

    study: Any  # spinbath.studies.Study
    mode: Literal["product", "zip"]
    parameters: tuple[Parameter, ...]
    tasks: tuple[Task, ...]
    base: BaseModel

    @property
    def shape(self) -> tuple[int, ...]:
        """Grid shape: one axis per parameter (product) or (n_tasks,) (zip)."""
        if self.mode == "zip":
            return (len(self.tasks),)
        return tuple(p.size for p in self.parameters)

    @cached_property
    def unique_keys(self) -> list[str]:
        """Task keys without repeats, in task order (equal configs are computed once)."""
        return list(dict.fromkeys(t.key for t in self.tasks))

    def describe(self) -> str:
        """E.g. ``product of bias.V (3) x junction.t0 (2): 6 tasks``."""
        joiner = " x " if self.mode == "product" else ", "
        inner = joiner.join(f"{p.path} ({p.size})" for p in self.parameters)
        return f"{self.mode} of {inner}: {len(self.tasks)} tasks"


# ----------------------------------------------------------------------------------------------
# Parsing the section
# ----------------------------------------------------------------------------------------------

def _toml_text(v) -> str:
    """A value as it would read in TOML (strings quoted), for messages and coordinate labels."""
    return json.dumps(v, ensure_ascii=False, separators=(", ", " = "))


def _is_scalar(v) -> bool:
    return isinstance(v, (str, int, float, bool))


def _is_range(table: dict) -> bool:
    return bool(_RANGE_KEYS & set(table)) and all(_is_scalar(v) for v in table.values())


def _split_quantity(v, where: str) -> tuple[float, str]:
    """(number, unit text) of a range end: a number (unit "") or a string "<number> <unit>"."""
    if isinstance(v, bool):
        raise ConfigError(f"{where}: expected a number or a quantity string, got {v!r}")
    if isinstance(v, (int, float)):
        return float(v), ""
    m = _QUANTITY.match(str(v))
    if m is None:
        raise ConfigError(f"{where}: cannot read {v!r} as '<number> <unit>' (e.g. '-5 mV')")
    return float(m.group(1)), (m.group(2) or "").strip()


def _range_values(path: str, spec: dict) -> list:
    """Expand ``{start, stop, num[, spacing]}``; unit strings stay unit strings (unit of ``start``)."""
    where = f"sweep.{path}"
    unknown = set(spec) - _RANGE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown range key(s) {sorted(unknown)}; a range is "
                          "{start, stop, num[, spacing]}")
    missing = [k for k in ("start", "stop", "num") if k not in spec]
    if missing:
        raise ConfigError(f"{where}: a range needs start, stop and num (missing {', '.join(missing)})")
    num = spec["num"]
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ConfigError(f"{where}.num: must be an integer >= 1, got {num!r}")
    spacing = spec.get("spacing", "linear")
    if spacing not in ("linear", "log"):
        raise ConfigError(f"{where}.spacing: must be 'linear' or 'log', got {spacing!r}")
    a, unit = _split_quantity(spec["start"], f"{where}.start")
    b, unit_b = _split_quantity(spec["stop"], f"{where}.stop")
    if bool(unit) != bool(unit_b):
        raise ConfigError(f"{where}: give start and stop both as numbers or both with units")
    if unit and unit_b != unit:
        from ..quantities import UnitError, to_unit

        try:
            b = to_unit(spec["stop"], unit)
        except UnitError as err:
            raise ConfigError(f"{where}.stop: {err}") from None
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ConfigError(f"{where}: start and stop must be finite")
    if num > 1 and a == b:
        raise ConfigError(f"{where}: start and stop are equal; use num = 1 or a list")
    if spacing == "log":
        if a == 0 or b == 0 or (a > 0) != (b > 0):
            raise ConfigError(f"{where}: a log range needs start and stop of the same sign, not zero")
        values = np.geomspace(a, b, num)
    else:
        values = np.linspace(a, b, num)
    # repr() keeps every digit, so the study reads back exactly the number computed here.
    return [f"{float(x)!r} {unit}" for x in values] if unit else [float(x) for x in values]


def _flatten(prefix: str, value, out: dict[str, list]) -> None:
    if isinstance(value, list):
        out[prefix] = value
    elif isinstance(value, dict):
        if _is_range(value):
            out[prefix] = _range_values(prefix, value)
        elif not value:
            raise ConfigError(f"sweep.{prefix}: empty table; give a list of values or a range")
        else:
            for k, v in value.items():
                _flatten(f"{prefix}.{k}", v, out)
    else:
        raise ConfigError(f"sweep.{prefix}: give a list of values or a range {{start, stop, num}}, "
                          f"got {value!r}")


def parse_section(section) -> tuple[str, dict[str, list]]:
    """(mode, {path: raw values}) of a ``[sweep]`` table, before any look at the study."""
    if not isinstance(section, dict):
        raise ConfigError(f"'sweep' must be a table ([sweep]), got {section!r}")
    section = dict(section)
    mode = section.pop("mode", "product")
    if mode not in SWEEP_MODES:
        raise ConfigError(f"sweep.mode: must be 'product' or 'zip', got {mode!r}")
    params: dict[str, list] = {}
    for key, value in section.items():
        _flatten(key, value, params)
    if not params:
        raise ConfigError("[sweep] has no parameters; add e.g. \"bias.temperature\" = [\"1 K\", \"4 K\"]")
    for path, values in params.items():
        if not values:
            raise ConfigError(f"sweep.{path}: empty list; give at least one value")
    for a in params:
        for b in params:
            if b.startswith(a + "."):
                raise ConfigError(f"sweep: {a!r} and {b!r} overlap; sweep one or the other")
    if mode == "zip":
        sizes = {p: len(v) for p, v in params.items()}
        if len(set(sizes.values())) > 1:
            listing = ", ".join(f"{p} has {n}" for p, n in sizes.items())
            raise ConfigError(f"sweep mode 'zip' needs lists of the same length: {listing}")
    return mode, params


# ----------------------------------------------------------------------------------------------
# Paths into the study's model
# ----------------------------------------------------------------------------------------------

def _members(annotation) -> list:
    """Flatten Optional/Union/Annotated into the member types."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _members(a)]
    return [annotation]


def _validator_funcs(annotation, metadata) -> list:
    """Before/plain validator functions attached to a field (directly or in Annotated union members)."""
    found = [getattr(m, "func", None) for m in metadata]
    stack = [annotation]
    while stack:
        a = stack.pop()
        origin = typing.get_origin(a)
        if origin is typing.Annotated:
            args = typing.get_args(a)
            found += [getattr(m, "func", None) for m in args[1:]]
            stack.append(args[0])
        elif origin in (typing.Union, types.UnionType):
            stack += list(typing.get_args(a))
    return [f for f in found if callable(f)]


@dataclass(frozen=True)
class _Leaf:
    annotation: Any
    metadata: tuple


def _resolve(model: type[BaseModel], path: str, study_name: str) -> _Leaf:
    """Check that ``path`` names a key of the model (dict-valued keys accept any sub-key)."""
    parts = path.split(".")
    if parts[0] == "study":
        raise ConfigError("sweep.study: the study itself cannot be swept; run one sweep per study")
    current: list = [model]
    leaf = _Leaf(model, ())
    for depth, name in enumerate(parts):
        here = ".".join(parts[:depth + 1])
        models = [t for t in current if isinstance(t, type) and issubclass(t, BaseModel)]
        dicts = [t for t in current if typing.get_origin(t) is dict]
        if models and name in models[0].model_fields:
            f = models[0].model_fields[name]
            leaf = _Leaf(f.annotation, tuple(f.metadata))
        elif dicts:
            value_type = typing.get_args(dicts[0])[1] if typing.get_args(dicts[0]) else Any
            leaf = _Leaf(value_type, ())
        elif models:
            keys = ", ".join(k for k in models[0].model_fields if k != "study")
            parent = ".".join(parts[:depth]) or f"the {study_name} config"
            raise ConfigError(f"sweep.{path}: {here!r} is not a key of {parent} (keys: {keys})")
        else:
            raise ConfigError(f"sweep.{path}: {'.'.join(parts[:depth])!r} is a value, not a table; "
                              "sweep it as a whole")
        current = _members(leaf.annotation)
    return leaf


def _unit_of(leaf: _Leaf) -> str:
    """The working unit of a quantity key: the unit string its validator maps to exactly 1.0."""
    for func in _validator_funcs(leaf.annotation, leaf.metadata):
        for unit in _PROBE_UNITS:
            try:
                if func(f"1 {unit}") == 1.0:
                    return unit
            except Exception:  # the validator rejects this unit: try the next one
                continue
    return "1"


def _get(cfg, path: str):
    v = cfg
    for name in path.split("."):
        v = v[name] if isinstance(v, dict) else getattr(v, name)
    return v


def _set(data: dict, path: str, value, base_cfg) -> None:
    """Put ``value`` at ``path`` in a copy of the TOML data, creating absent sections from defaults."""
    parts = path.split(".")
    node, model_node = data, base_cfg
    for depth, name in enumerate(parts[:-1]):
        model_node = None if model_node is None else (
            model_node.get(name) if isinstance(model_node, dict) else getattr(model_node, name, None))
        if name not in node:
            # Start from what the study would have used (its default section), not an empty one.
            node[name] = model_node.model_dump(exclude_unset=True) if isinstance(model_node, BaseModel) else {}
        elif not isinstance(node[name], dict):
            where = ".".join(parts[:depth + 1])
            raise ConfigError(f"sweep.{path}: {where} is given as a value in the config, not a table")
        node = node[name]
    node[parts[-1]] = copy.deepcopy(value)


# ----------------------------------------------------------------------------------------------
# Expansion
# ----------------------------------------------------------------------------------------------

def _coordinate(path: str, raw: list, validated: list, leaf: _Leaf) -> tuple[np.ndarray, str]:
    numeric = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                  for v in validated)
    if numeric:
        coord = np.asarray(validated)
        unit = _unit_of(leaf)
    else:
        coord = np.asarray([v if isinstance(v, str) else _toml_text(v) for v in raw], dtype=str)
        unit = "1"
    return coord, unit


def expand_sweep(section, data: dict, study, base_cfg: BaseModel, *, source: str = "<config>",
                 base_dir=None) -> Sweep:
    """Expand a ``[sweep]`` table against the base TOML ``data`` (without the section) of ``study``.

    Every task is validated with ``study.config_model`` (context ``base_dir`` as for the base
    config). Raises ConfigError "<source>: sweep.<key>: ..." for any bad spec or rejected value.
    """
    try:
        return _expand(section, data, study, base_cfg, base_dir)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from None


def _expand(section, data: dict, study, base_cfg: BaseModel, base_dir) -> Sweep:
    from .tasks import task_key

    mode, params = parse_section(section)
    model = study.config_model
    leaves = {p: _resolve(model, p, study.name) for p in params}
    paths = list(params)
    if mode == "product":
        n = math.prod(len(v) for v in params.values())
        combos = itertools.product(*(range(len(params[p])) for p in paths))
    else:
        n = len(next(iter(params.values())))
        combos = ((i,) * len(paths) for i in range(n))
    if n > MAX_TASKS:
        raise ConfigError(f"[sweep] expands to {n} tasks (more than {MAX_TASKS}); check the ranges")
    context = {"base_dir": None if base_dir is None else str(base_dir)}
    tasks: list[Task] = []
    validated: dict[str, dict[int, Any]] = {p: {} for p in paths}
    for index, combo in enumerate(combos):
        values = {p: params[p][i] for p, i in zip(paths, combo)}
        task_data = copy.deepcopy(data)
        for p, v in values.items():
            _set(task_data, p, v, base_cfg)
        try:
            cfg = model.model_validate(task_data, context=context)
        except ValidationError as err:
            what = ", ".join(f"sweep.{p} = {_toml_text(v)}" for p, v in values.items())
            msg = format_validation_error(err).removeprefix("invalid config: ")
            raise ConfigError(f"{what} is rejected: {msg}") from None
        for p, i in zip(paths, combo):
            validated[p].setdefault(i, _get(cfg, p))
        tasks.append(Task(index=index, params=values, config=cfg, key=task_key(cfg)))
    parameters = []
    for p in paths:
        vals = [validated[p][i] for i in range(len(params[p]))]
        coord, unit = _coordinate(p, params[p], vals, leaves[p])
        if mode == "product":
            _check_unique(p, params[p], coord)
        parameters.append(Parameter(path=p, raw=tuple(params[p]), coord=coord, units=unit))
    if mode == "zip":
        _check_unique_rows(parameters)
    return Sweep(study=study, mode=mode, parameters=tuple(parameters), tasks=tuple(tasks), base=base_cfg)


def _check_unique(path: str, raw: list, coord: np.ndarray) -> None:
    seen: dict = {}
    for r, c in zip(raw, coord.tolist()):
        if c in seen:
            raise ConfigError(f"sweep.{path}: {_toml_text(seen[c])} and {_toml_text(r)} are the same value "
                              f"({c!r}); each value may appear once")
        seen[c] = r


def _check_unique_rows(parameters: list[Parameter]) -> None:
    seen: dict = {}
    for i, row in enumerate(zip(*(p.coord.tolist() for p in parameters))):
        if row in seen:
            raise ConfigError(f"sweep (zip): tasks {seen[row]} and {i} have the same values "
                              f"{dict(zip((p.path for p in parameters), row))}")
        seen[row] = i
