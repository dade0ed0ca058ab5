"""report.html: the report as one self-contained page (table and figures inline) for sharing a result."""

from __future__ import annotations

import base64
import html
import re

import numpy as np

from attnflow.experiments.report import Report, check, compare


def _report(tmp_path) -> Report:
    from matplotlib.figure import Figure

    rep = Report("demo", "Demo <claims> & co", "A paper", "quick")
    rep.add(compare("|x| = 1", 1.0, 1.0 + 1e-9, 1e-6, "a | b", relative=True))
    rep.add(compare("rate", 2.0, 3.0, 0.5, "beta = 5", note="fails because `the run` is short"))
    rep.add(check("categorical", "3 clusters", "2 clusters", False, "seed 0"))
    for name in ("first.png", "second.png"):
        fig = Figure(figsize=(2, 1.5))
        fig.subplots().plot(np.arange(5) ** 2)
        fig.savefig(tmp_path / name)
        rep.figures.append(str(tmp_path / name))
    return rep


def test_report_html_holds_every_row_and_the_figures_inline(tmp_path):
    rep = _report(tmp_path)
    rep.write(tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr>\s*(.*?)\s*</tr>", page, re.S)[1:]                 # skip the header
    cells = [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
              for c in re.findall(r"<td>(.*?)</td>", r, re.S)] for r in rows]
    expected = [[c.replace("\\|", "|").replace("**", "") for c in claim.cells()] for claim in rep.claims]
    assert cells == expected
    assert page.count('class="pass"') == 1 and page.count('class="fail"') == 2
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) == 2
    for src, figure in zip(sources, rep.figures, strict=True):
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) == open(figure, "rb").read()
    assert "<title>Demo &lt;claims&gt; &amp; co</title>" in page
    assert "<code>the run</code>" in page                                     # the notes are Markdown


def test_report_html_references_nothing_outside_itself(tmp_path):
    rep = _report(tmp_path)
    page = rep.html(tmp_path)
    assert not re.search(r"<(script|link|iframe)\b", page)
    assert not re.search(r'(src|href)="(?!data:)', page)
