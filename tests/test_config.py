"""Tests of the TOML run format (attnflow.config)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from attnflow import AttentionModel, random_matrices
from attnflow.config import RunConfig, load_config, parse_config

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

BASE = {
    "model": {"d": 2, "beta": 5.0, "normalization": "usa"},
    "init": {"kind": "uniform", "n": 50, "seed": 1},
    "run": {"t1": 1.0, "dt": 0.01},
}


def config(**sections) -> dict:
    """BASE with some sections' keys replaced (a value of None deletes the key)."""
    data = copy.deepcopy(BASE)
    for section, changes in sections.items():
        if section in ("name", "description", "extra"):
            data[section] = changes
            continue
        for key, value in changes.items():
            if value is None:
                data[section].pop(key, None)
            else:
                data[section][key] = value
    return data


# -- the shipped examples -------------------------------------------------------------------
def test_circle_example_builds_usa_model_on_s1():
    cfg = load_config(EXAMPLES / "circle.toml")
    assert isinstance(cfg, RunConfig)
    model = cfg.build_model()
    assert model == AttentionModel(d=2, beta=5.0, normalization="usa")
    assert model.identity
    assert cfg.init.kind == "uniform" and cfg.init.n == 400
    assert cfg.run.method == "rk4"
    x0 = cfg.initial_points()
    assert x0.shape == (400, 2)
    np.testing.assert_allclose(np.linalg.norm(x0, axis=1), 1.0, atol=1e-14)
    times = cfg.run.save_times()
    assert times[0] == 0.0 and times[-1] == cfg.run.t1
    np.testing.assert_allclose(np.diff(times), cfg.run.save_every, rtol=1e-9)


def test_sphere_example_builds_sa_model_on_s2():
    cfg = load_config(EXAMPLES / "sphere.toml")
    model = cfg.build_model()
    assert model == AttentionModel(d=3, beta=1.0, normalization="sa")
    assert cfg.initial_points().shape == (200, 3)
    assert cfg.run.t1 == 10.0 and cfg.run.dt == 0.05


def test_config_is_frozen_and_deterministic():
    cfg = parse_config(config())
    with pytest.raises(AttributeError):
        cfg.run.dt = 1.0  # type: ignore[misc]
    np.testing.assert_array_equal(cfg.initial_points(), parse_config(config()).initial_points())


# -- matrices and their precedence ----------------------------------------------------------
def test_ensemble_table_draws_both_matrices():
    cfg = parse_config(config(model={"d": 3, "A": {"ensemble": "ginibre", "seed": 4}}))
    A, V = random_matrices(3, "ginibre", seed=4)
    m = cfg.build_model()
    np.testing.assert_array_equal(m.A, A)
    np.testing.assert_array_equal(m.V, V)


def test_qk_ensemble_gives_v_equal_q_t_k():
    m = parse_config(config(model={"d": 3, "V": {"ensemble": "qk", "seed": 2}})).build_model()
    np.testing.assert_array_equal(m.A.T, m.V)            # A = K^T Q, V = Q^T K
    np.testing.assert_array_equal(m.A, random_matrices(3, "qk", seed=2)[0])


def test_explicit_identity_wins_over_partner_table():
    m = parse_config(config(model={"d": 3, "A": {"ensemble": "goe", "seed": 0},
                                   "V": "identity"})).build_model()
    assert m.V is None
    np.testing.assert_array_equal(m.A, random_matrices(3, "goe", seed=0)[0])


def test_two_tables_draw_separately():
    m = parse_config(config(model={"d": 3, "A": {"ensemble": "goe", "seed": 0},
                                   "V": {"ensemble": "wigner", "seed": 5}})).build_model()
    np.testing.assert_array_equal(m.A, random_matrices(3, "goe", seed=0)[0])
    np.testing.assert_array_equal(m.V, random_matrices(3, "wigner", seed=5)[1])


def test_explicit_matrix_list():
    rows = [[2.0, 0.0], [0.0, 1.0]]
    m = parse_config(config(model={"A": rows})).build_model()
    np.testing.assert_array_equal(m.A, np.array(rows))
    assert m.V is None


# -- initial points -------------------------------------------------------------------------
def test_vmf_init_is_concentrated_and_batched():
    cfg = parse_config(config(model={"d": 3}, init={"kind": "vmf", "mu": [0, 0, 1],
                                                    "kappa": 50.0, "batch": 2, "n": 300}))
    x = cfg.initial_points()
    assert x.shape == (2, 300, 3)
    assert x[..., 2].mean() > 0.9


def test_equispaced_and_angles_on_the_circle():
    eq = parse_config(config(init={"kind": "equispaced", "n": 4, "seed": None})).initial_points()
    np.testing.assert_allclose(eq, [[1, 0], [0, 1], [-1, 0], [0, -1]], atol=1e-15)
    ang = parse_config(config(init={"kind": "angles", "angles": [0.0, np.pi / 2],
                                    "n": None, "seed": None})).initial_points()
    np.testing.assert_allclose(ang, [[1, 0], [0, 1]], atol=1e-15)


def test_save_every_not_dividing_the_span_ends_at_t1():
    cfg = parse_config(config(run={"t1": 1.0, "save_every": 0.3}))
    np.testing.assert_allclose(cfg.run.save_times(), [0.0, 0.3, 0.6, 0.9, 1.0])


def test_simulate_kwargs_match_the_run_section():
    cfg = parse_config(config(run={"method": "dopri5", "rtol": 1e-6, "save_at": [0.0, 0.5, 1.0],
                                   "observables": ["energy"], "save_states": False}))
    kw = cfg.simulate_kwargs()
    assert kw["method"] == "dopri5" and kw["rtol"] == 1e-6 and kw["save_states"] is False
    assert kw["observables"] == ("energy",)
    np.testing.assert_array_equal(kw["save_at"], [0.0, 0.5, 1.0])


# -- errors name the key ----------------------------------------------------------------------
BAD = [
    # (description, data, fragments the message must contain)
    ("unknown run key", config(run={"dtt": 0.1}), ["[run]", "'dtt'", "Valid keys", "dt"]),
    ("unknown model key", config(model={"temperature": 1.0}), ["[model]", "'temperature'",
                                                               "beta"]),
    ("unknown init key", config(init={"sed": 1}), ["[init]", "'sed'", "seed"]),
    ("unknown top-level key", config(extra={"x": 1}), ["(top level)", "'extra'", "model"]),
    ("unknown ensemble key", config(model={"A": {"ensemble": "goe", "sed": 1}}),
     ["[model].A", "'sed'", "seed"]),
    ("wrong type beta", config(model={"beta": "five"}), ["[model].beta", '"five"', "number"]),
    ("wrong type n", config(init={"n": 10.5}), ["[init].n", "10.5", "integer"]),
    ("bool as number", config(run={"dt": True}), ["[run].dt", "true"]),
    ("wrong type save_states", config(run={"save_states": "yes"}), ["[run].save_states"]),
    ("dt negative", config(run={"dt": -1}), ["[run].dt=-1", "must be > 0", "Fix:"]),
    ("dt zero", config(run={"dt": 0.0}), ["[run].dt=0.0", "must be > 0"]),
    ("t1 before t0", config(run={"t1": -1.0}), ["[run].t1", "t0"]),
    ("A wrong shape", config(model={"A": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]}),
     ["[model].A", "2 x 2"]),
    ("A ragged", config(model={"A": [[1.0, 0.0], [0.0]]}), ["[model].A"]),
    ("A bad name", config(model={"A": "eye3"}), ["[model].A", '"eye3"']),
    ("unknown method", config(run={"method": "rk45"}), ["[run].method", '"rk45"', '"rk4"']),
    ("unknown ensemble", config(model={"V": {"ensemble": "gue"}}), ["[model].V.ensemble",
                                                                     "ginibre"]),
    ("unknown normalization", config(model={"normalization": "softmax"}),
     ["[model].normalization", '"sa"']),
    ("unknown observable", config(run={"observables": ["energy", "entropy"]}),
     ["[run].observables[1]", '"entropy"']),
    ("unknown kind", config(init={"kind": "gaussian"}), ["[init].kind", '"uniform"']),
    ("unknown backend", config(run={"backend": "cuda"}), ["[run].backend", '"cuda"', '"auto"']),
    ("angles off the circle", config(model={"d": 3}, init={"kind": "angles", "angles": [0.0],
                                                            "n": None, "seed": None}),
     ["[init].kind", "d = 2"]),
    ("key of another kind", config(init={"kappa": 3.0}), ["[init]", "'kappa'",
                                                          'kind = "uniform"']),
    ("vmf without mu", config(init={"kind": "vmf", "kappa": 1.0}), ["[init]", "'mu'"]),
    ("mu wrong length", config(init={"kind": "vmf", "kappa": 1.0, "mu": [0, 0, 1]}),
     ["[init].mu", "length d = 2"]),
    ("negative kappa", config(init={"kind": "vmf", "kappa": -1.0, "mu": [1, 0]}),
     ["[init].kappa", "must be >= 0"]),
    ("both save_every and save_at", config(run={"save_every": 0.1, "save_at": [0.0, 1.0]}),
     ["save_every", "save_at"]),
    ("save_at outside", config(run={"save_at": [0.0, 2.0]}), ["[run].save_at", "outside"]),
    ("missing dt", config(run={"dt": None}), ["[run]", "'dt'", "missing"]),
    ("missing section", {k: v for k, v in config().items() if k != "run"}, ["[run]"]),
    ("d too small", config(model={"d": 1}), ["[model].d=1", ">= 2"]),
    ("nothing saved", config(run={"save_states": False, "observables": []}),
     ["[run].save_states"]),
]


@pytest.mark.parametrize(("what", "data", "fragments"), BAD, ids=[b[0] for b in BAD])
def test_bad_config_names_the_key(what, data, fragments):
    with pytest.raises(ValueError) as info:
        parse_config(data)
    message = str(info.value)
    assert message.startswith("config ")
    assert "Fix:" in message
    for fragment in fragments:
        assert fragment in message, f"{what}: {fragment!r} not in {message!r}"


def test_unknown_key_suggests_the_closest_valid_key():
    with pytest.raises(ValueError, match="did you mean 'beta'"):
        parse_config(config(model={"betta": 1.0}))


def test_load_config_reports_toml_syntax_and_missing_files(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[model\nd = 2\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "missing.toml")


def test_load_config_reads_a_file_with_every_run_key(tmp_path):
    path = tmp_path / "full.toml"
    path.write_text(
        'name = "full"\n'
        "[model]\nd = 2\nbeta = 2\nnormalization = \"sa\"\nA = [[1, 0], [0, 2]]\n"
        'V = "identity"\n'
        "[init]\nkind = \"uniform\"\nn = 10\nseed = 3\nbatch = 2\n"
        "[run]\nt0 = 0.5\nt1 = 1.5\ndt = 0.1\nmethod = \"euler\"\nsave_every = 0.25\n"
        'observables = ["energy", "cluster_count"]\nsave_states = false\n'
        'backend = "dense"\nrtol = 1e-6\natol = 1e-9\n'
    )
    cfg = load_config(path)
    assert cfg.name == "full" and cfg.source == str(path)
    assert cfg.build_model().beta == 2.0 and isinstance(cfg.model.beta, float)
    np.testing.assert_array_equal(cfg.build_model().A, [[1, 0], [0, 2]])
    assert cfg.initial_points().shape == (2, 10, 2)
    np.testing.assert_allclose(cfg.run.save_times(), [0.5, 0.75, 1.0, 1.25, 1.5])
    assert cfg.run.backend == "dense" and cfg.run.atol == 1e-9 and not cfg.run.save_states


# -- the documentation of the keys is generated from the models -------------------------------------
DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize(("doc", "part"), [("cli.md", "run"), ("sweeps.md", "sweep")])
def test_the_documented_keys_are_the_generated_ones(doc, part):
    from attnflow.config.docs import render, update

    text = (DOCS / doc).read_text()
    assert f"<!-- BEGIN GENERATED: python -m attnflow.config.docs {part} -->\n{render(part)}" in text
    assert update(text) == text, f"run `python -m attnflow.config.docs --update docs/{doc}`"


def test_the_generated_tables_list_every_key_of_every_model():
    from attnflow.config import models
    from attnflow.config.docs import render
    from attnflow.sweep.models import RangeTable, SweepSection

    run, sweep = render("run"), render("sweep")
    tables = {run: (models.RunFile, models.ModelSection, models.EnsembleSpec, models.UniformInit,
                    models.VmfInit, models.AnglesInit, models.EquispacedInit, models.RunSection),
              sweep: (SweepSection, RangeTable)}
    for text, classes in tables.items():
        for cls in classes:
            for key in cls.model_fields:
                if key not in ("model", "init", "run", "kind"):
                    assert f"| `{key}` |" in text, f"{cls.__name__}.{key} is not documented"
    # allowed values come from the code: every method and observable is listed
    for name in (*models.METHODS, *models.OBSERVABLES):
        assert f'`"{name}"`' in run


# -- memory: refused before allocating ------------------------------------------------------------
def test_estimated_bytes_is_the_closed_form():
    from attnflow.config import estimated_bytes

    cfg = parse_config(config(model={"d": 3}, init={"n": 1000, "batch": 4},
                              run={"save_every": 0.25, "observables": ["energy", "cluster_count"]}))
    state = 8 * 4 * 1000 * 3                                # float64 (B, n, d)
    saves = 5                                               # t = 0, 0.25, ..., 1
    assert cfg.run.n_saves() == saves == cfg.run.save_times().size
    assert estimated_bytes(cfg) == (8 * state + saves * (state + 8 * 4 * 2), state, saves * (state + 64))


@pytest.mark.parametrize("save_every", [0.3, 0.25, 0.1, 1e-3, 0.7])
def test_n_saves_counts_save_times_without_building_them(save_every):
    cfg = parse_config(config(run={"t1": 2.1, "save_every": save_every}))
    assert cfg.run.n_saves() == cfg.run.save_times().size


def test_a_run_larger_than_memory_names_the_key_and_the_estimate():
    # 1e11 tokens on S^1: 1.6 TB per state; 8 working copies (12.8 TB) + 101 saved states (161.6 TB)
    with pytest.raises(ValueError, match=r"\[init\]\.n=100000000000: needs at least 174 TB of memory "
                       r"\(1\.6 TB per state x 8 working copies, 162 TB for 101 saved times\)") as info:
        parse_config(config(init={"n": 10**11}, run={"t1": 1.0, "save_every": 0.01}), source="big.toml")
    assert str(info.value).startswith("big.toml: ") and "Fix: lower n" in str(info.value)
    # a modest state saved 2e8 times: the saves are what does not fit
    with pytest.raises(ValueError, match=r"\[run\]\.save_every=1e-09: needs at least .* for 200000001 saved"):
        parse_config(config(run={"t1": 0.2, "save_every": 1e-9}))


def test_a_directory_or_binary_file_is_a_clean_error(tmp_path):
    with pytest.raises(ValueError, match="is a directory, not a TOML file"):
        load_config(tmp_path)
    binary = tmp_path / "x.toml"
    binary.write_bytes(b"\xff\xfe\x00 not text")
    with pytest.raises(ValueError, match="not a text file"):
        load_config(binary)
