"""Sphinx configuration of the attnflow site: `make docs` builds it into docs/_build/html.

The pages are the Markdown files of docs/ read by MyST (``$...$`` math rendered by a MathJax
bundled with the site, so it works offline); the API reference, the command reference and the
reproduction pages are generated at build time (docs/_ext/), the examples gallery is executed
by sphinx-gallery from examples/gallery/.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT / "src"), str(DOCS / "_ext")]       # document this checkout's package

from attnflow_site.gallery import AttnflowScraper  # noqa: E402

import attnflow  # noqa: E402

project = "attnflow"
author = "the attnflow developers"
copyright = "the attnflow developers"
release = version = attnflow.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",        # MathJax 3 copied into _static: no network needed to read the site
    "sphinx_gallery.gen_gallery",
    "attnflow_site",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "**/README.md", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.pickle"]

# MyST: the pages are GitHub-flavoured Markdown with $...$ and $$...$$ math and heading anchors that
# match GitHub's slugs (the links between pages use them: tests/test_docs_refs.py).
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 6
myst_dmath_double_inline = True

# autodoc + napoleon: numpy-style docstrings; the members are the modules' __all__ (docs/_ext/apigen.py)
autosummary_generate = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# sphinx-gallery: short scripts run at build time; their figures and output make the pages
sphinx_gallery_conf = {
    "examples_dirs": [str(ROOT / "examples" / "gallery")],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": (True, "jshtml"),
    "download_all_examples": False,
    "remove_config_comments": True,
    "write_computation_times": False,
    "reset_modules": ("matplotlib",),
    "image_scrapers": (AttnflowScraper(), "matplotlib"),
    "abort_on_example_error": True,
}

html_theme = "furo"
html_title = f"attnflow {release}"
html_static_path = ["_static"]
html_css_files = ["attnflow.css"]
html_show_sourcelink = False
html_copy_source = False
pygments_style = "sphinx"

nitpicky = False
# the generated key tables of sweeps.md sit at level 4 under a level-2 section, on purpose
suppress_warnings = ["myst.header"]
