"""TOML run files, validated by pydantic models into frozen sections.

A run file has three tables, ``[model]``, ``[init]`` and ``[run]`` (see :mod:`.run` for an
example and docs/cli.md for every key). Every key is checked: unknown keys are errors naming the
closest valid key, and every error is one ``ValueError`` line naming the file, the table, the
key, the value and the fix, e.g.
``run.toml: [run].dt=-1: must be > 0. Fix: write e.g. dt = 0.01.``

- :mod:`.models`: the tables as pydantic models (types, defaults, allowed values, meanings);
- :mod:`.errors`: their validation errors in the project's dialect;
- :mod:`.run`: :class:`RunConfig`, :func:`parse_config`, :func:`load_config`, :func:`read_toml`;
- :mod:`.sweep_models`: the ``[sweep]`` table of sweep files (used by :mod:`attnflow.sweep`);
- :mod:`.docs`: ``python -m attnflow.config.docs`` prints the key tables of the docs.
"""

from .models import (
    DEFAULT_SAVES,
    INIT_KINDS,
    METHODS,
    OBSERVABLES,
    AnglesInit,
    EnsembleSpec,
    EquispacedInit,
    InitBase,
    InitSection,
    ModelSection,
    RunFile,
    RunSection,
    UniformInit,
    VmfInit,
)
from .run import RunConfig, estimated_bytes, load_config, parse_config, read_toml

#: the ``[model]`` table (the name of this class before the run format had pydantic models)
ModelConfig = ModelSection
#: the ``[run]`` table (idem)
RunSettings = RunSection
#: the ``[init]`` table, any kind (idem; ``isinstance(cfg.init, InitConfig)`` holds for every kind)
InitConfig = InitBase

__all__ = [
    "DEFAULT_SAVES",
    "INIT_KINDS",
    "METHODS",
    "OBSERVABLES",
    "AnglesInit",
    "EnsembleSpec",
    "EquispacedInit",
    "InitBase",
    "InitConfig",
    "InitSection",
    "ModelConfig",
    "ModelSection",
    "RunConfig",
    "RunFile",
    "RunSection",
    "RunSettings",
    "UniformInit",
    "VmfInit",
    "estimated_bytes",
    "load_config",
    "parse_config",
    "read_toml",
]
