"""The ``[sweep]`` table of a sweep file as pydantic models (the run tables are those of a run file).

Keys, types and defaults are stated here once; ``python -m attnflow.config.docs`` prints them as
the table of docs/sweeps.md, and errors come out in the project's dialect
(:mod:`attnflow.config.errors`), e.g. ``grid.toml: [sweep]: unknown key 'sampels'. ...``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Union

import numpy as np
from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

from ..config.errors import problem
from ..config.models import Flag, Int, Real, Section, Text

__all__ = ["AXIS_FIX", "AxisValues", "RangeTable", "SweepSection"]

AXIS_FIX = ("write a list such as [1.0, 2.0], or a table { start = 0.1, stop = 9.0, num = 90 } "
            "(add log = true for geometric spacing)")


class RangeTable(Section):
    """An axis of ``num`` values from ``start`` to ``stop``: evenly spaced, or geometric with ``log``."""

    CONTEXT: ClassVar[str] = " (a range table)"
    start: Real = Field(description="first value", examples=[0.1])
    stop: Real = Field(description="last value", examples=[9.0])
    num: Int = Field(ge=1, description="number of values", examples=[90])
    log: Flag = Field(False, description="geometric spacing (numpy.geomspace; start, stop > 0)",
                      examples=[True])

    @model_validator(mode="after")
    def _positive_for_log(self) -> RangeTable:
        if self.log and (self.start <= 0 or self.stop <= 0):
            raise problem("log spacing needs start > 0 and stop > 0",
                          "use positive bounds or drop log = true", key="log", value=True)
        return self

    def values(self) -> tuple[float, ...]:
        """The axis values as floats."""
        space = np.geomspace if self.log else np.linspace
        return tuple(float(v) for v in space(self.start, self.stop, self.num))


def _value_list(values: tuple[Any, ...]) -> tuple[Any, ...]:
    if not values:
        raise problem("holds no values", AXIS_FIX)
    kinds = {type(v) for v in values}
    if kinds <= {int, float} and float in kinds:
        values = tuple(float(v) for v in values)
    elif len(kinds) > 1 or not kinds <= {int, float, str, bool}:
        raise problem("mixes value types or holds tables/lists", AXIS_FIX)
    if len(set(values)) != len(values):
        raise problem("repeats a value", "list each value once")
    return values


def _axis_form(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        return "@list"
    if isinstance(value, (Mapping, RangeTable)):
        return "@range"
    if isinstance(value, int) and not isinstance(value, bool):
        return "@count"
    return None


#: the values of one axis: a list, a range table, or (for ``replica``) a number of replicas
AxisValues = Annotated[Union[  # noqa: UP007 - tagged members need the Union form
    Annotated[tuple[Any, ...], AfterValidator(_value_list), Tag("@list")],
    Annotated[RangeTable, Tag("@range")],
    Annotated[Int, Tag("@count")],
], Discriminator(_axis_form, custom_error_type="attnflow_problem",
                 custom_error_message="is not a list of values or a range table")]


class SweepSection(Section):
    """The ``[sweep]`` table: the grid axes and how seeds and samples are made."""

    seed: Int = Field(0, ge=0, description="master seed: a cell's seed is a hash of it and the cell's "
                      "coordinates along seed_axes", examples=[0])
    samples: Int | None = Field(None, ge=1, description="independent initial configurations per cell, "
                                'run as one batch (dim "sample")', examples=[64])
    keep_samples: Flag = Field(True, description="false: store the mean and the std over samples (VAR and "
                               "VAR_std) instead of every sample", examples=[False])
    seed_axes: tuple[Text, ...] | None = Field(
        None, description="the axes the cell seeds (initial configurations) depend on; the others share "
        "them (common random numbers)", examples=[["d", "replica"]],
        json_schema_extra={"default_text": "every axis"})
    retries: Int = Field(2, ge=0, description="retries of a task that raised (a lost worker is always "
                         "retried)", examples=[2])
    axes: dict[Text, AxisValues] = Field(
        min_length=1, description="the grid, [sweep.axes]: one key per axis (see below)",
        examples=[{"beta": [1.0, 2.0, 4.0]}],
        json_schema_extra={"fix": "give each axis of [sweep.axes] a list such as beta = [1.0, 2.0], or a "
                           "range table such as beta = { start = 0.1, stop = 9.0, num = 90 }"})

    @model_validator(mode="after")
    def _counts_are_replicas(self) -> SweepSection:
        for key, values in self.axes.items():
            if key == "replica":
                if isinstance(values, int) and values < 1:
                    raise problem("must be >= 1", "give the number of replicas, e.g. replica = 4",
                                  key=("axes", key), value=values)
                if isinstance(values, RangeTable) or (isinstance(values, tuple) and not all(
                        isinstance(v, int) and not isinstance(v, bool) for v in values)):
                    raise problem("must be a number of replicas or a list of integers",
                                  "write replica = 4 (replicas 0..3) or replica = [0, 1, 2]",
                                  key=("axes", key), value=values)
            elif isinstance(values, int):
                raise problem("is a single number", AXIS_FIX, key=("axes", key), value=values)
        if self.samples is None and not self.keep_samples:
            raise problem("needs [sweep].samples", "set samples or drop keep_samples", key="keep_samples",
                          value=False)
        return self

    def axis_values(self, key: str) -> tuple[Any, ...]:
        """The values of the axis ``key`` (a replica count R gives 0 .. R-1)."""
        values = self.axes[key]
        if isinstance(values, RangeTable):
            return values.values()
        if isinstance(values, int):
            return tuple(range(values))
        return values
