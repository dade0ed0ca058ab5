"""The generated parts of the documentation site (docs/_ext/attnflow_site), without building it.

The API reference documents every public name once; the command reference lists every command and
option of the application; the docstring rewrites keep the text and only make it valid
reStructuredText. The built site itself is checked in a browser by tests/test_site.py.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

from attnflow_site import apigen, commands, docstrings  # noqa: E402


@pytest.fixture(scope="module")
def api():
    return apigen.collect()


def test_every_public_name_is_documented_once_at_a_module_that_exports_it(api):
    homes = {}
    for modname, names in api.exports.items():
        for name in names:
            obj = getattr(api.modules[modname], name)
            if isinstance(obj, ModuleType):
                continue
            home, there = api.where(modname, name)
            assert there in api.exports[home] and getattr(api.modules[home], there) is obj, (modname, name)
            assert there in api.own(home), (modname, name, home)
            homes.setdefault((home, there), set()).add(id(obj))
    assert all(len(ids) == 1 for ids in homes.values())
    documented = sum(len(api.own(m)) for m in api.modules)
    assert documented == len(homes)
    assert api.where("attnflow", "simulate") == ("attnflow.integrate", "simulate")
    assert api.where("attnflow.meanfield.zonal", "zonal_growth_rates") == ("attnflow.theory.stability",
                                                                         "growth_rates")


def test_api_pages_hold_one_directive_per_documented_name(api, tmp_path):
    pages = apigen.write_pages(tmp_path)
    text = "".join((tmp_path / f"{p}.rst").read_text() for p in pages)
    directives = [line.split("::")[1].strip() for line in text.splitlines()
                  if line.startswith((".. autofunction::", ".. autoclass::", ".. autodata::"))]
    assert len(directives) == len(set(directives)) == sum(len(api.own(m)) for m in api.modules)
    assert set(pages) >= {"attnflow", "attnflow.theory", "attnflow.sphere", "attnflow.experiments"}


def test_command_reference_lists_every_command_and_option():
    import typer.main

    from attnflow.cli import COMMANDS, app

    text = commands.render()
    group = typer.main.get_command(app)
    ctx = group.context_class(group)
    for name in COMMANDS:
        assert f"## `attnflow {name}`" in text
        for param in group.get_command(ctx, name).params:
            if param.param_type_name == "option":
                assert f"`{param.opts[0]}" in text or f", {param.opts[0]}" in text, (name, param.opts)


def test_docstring_rewrites_escape_markup_and_keep_the_text():
    lines = ["Norm |x| and I_|k|(beta), states (T, *shape), ``a | b`` kept.", "",
             "Parameters", "----------",
             "x0 : (n, d) array of points on the sphere.", "beta : float", "", "    y = |x|::", ""]
    out = docstrings.escape_bars(docstrings.split_descriptions(lines))
    assert out[0] == "Norm \\|x\\| and I\\_\\|k\\|(beta), states (T, \\*shape), ``a | b`` kept."
    assert out[4:7] == ["x0", "    (n, d) array of points on the sphere.", "beta : float"]
    assert "".join(out).replace("\\", "") == "".join(lines).replace("x0 : ", "x0    ")
    block = docstrings.equation_blocks(["For a measure,", "", "    lambda_k = I_k(beta)", "", "- item", "",
                                        "  more"])
    assert block[:5] == ["For a measure,", "", "::", "", "    lambda_k = I_k(beta)"]
    assert block[5:] == ["", "- item", "", "  more"]                       # list items are left alone
