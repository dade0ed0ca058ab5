"""The image scraper of the examples gallery: attnflow's figures and animations.

attnflow draws on plain :class:`matplotlib.figure.Figure` objects (no pyplot), which
sphinx-gallery's matplotlib scraper does not see. After each code block this scraper saves every
Figure bound to a name of the example that it has not saved yet and that pyplot does not manage
(those are the matplotlib scraper's, which runs next), and moves every GIF the block wrote into the
example's folder (``attnflow.plot.animate``) into the gallery's images.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

__all__ = ["AttnflowScraper"]


class AttnflowScraper:
    """A sphinx-gallery image scraper (an object with a stable ``repr``, so Sphinx can cache the config)."""

    def __repr__(self) -> str:
        return "AttnflowScraper"

    def __call__(self, block, block_vars: dict, gallery_conf: dict) -> str:
        from matplotlib._pylab_helpers import Gcf
        from matplotlib.figure import Figure
        from sphinx_gallery.scrapers import figure_rst

        paths = block_vars["image_path_iterator"]
        pyplot = {id(manager.canvas.figure) for manager in Gcf.get_all_fig_managers()}
        images = []
        for value in list(block_vars["example_globals"].values()):
            if isinstance(value, Figure) and id(value) not in pyplot \
                    and not getattr(value, "_attnflow_scraped", False):
                path = PurePosixPath(next(paths))
                value.savefig(path, dpi=value.dpi)
                value._attnflow_scraped = True
                images.append(path)
        for gif in sorted(Path(block_vars["src_file"]).parent.glob("*.gif")):
            path = PurePosixPath(next(paths)).with_suffix(".gif")
            shutil.move(gif, path)
            images.append(path)
        return figure_rst(images, gallery_conf["src_dir"]) if images else ""
