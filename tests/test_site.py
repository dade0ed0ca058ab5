"""The documentation site in a real browser: every page of docs/_build/html opened in headless Chromium.

The site is served on 127.0.0.1 and each page is loaded, its MathJax typesetting and its images
awaited, then checked for: internal links whose page or anchor does not exist, images that did
not load, errors in the browser's console (JavaScript errors, resources that failed to load), and
unrendered math (MathJax error nodes, math elements MathJax left untouched, raw ``$$`` or
``$\\command ...$`` in the text). Screenshots of the home page, a theory page and a gallery page go
to docs/_build/screenshots/.

Skips, each with its reason: the site has not been built (``make docs``; ``.ci/run`` builds it
before the suite), selenium is not installed (the ``docs`` extra), or Chromium and its driver are
missing and cannot be installed (they are installed from the distribution's packages with
apt-get when this runs as root). A first test runs the same checks on a small broken site and
requires every kind of failure to be reported, so a checker that sees nothing cannot pass.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "docs" / "_build" / "html"
SHOTS = ROOT / "docs" / "_build" / "screenshots"
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
#: the flags that keep a headless Chromium off the network (no updates, sync or QUIC probes)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,1000")
#: pages photographed: the home page, a theory page, a gallery page
SHOT_PAGES = {"home": "index.html", "theory": "theory/linear-stability.html",
              "gallery": "auto_examples/plot_clusters_vs_prediction.html"}

pytestmark = pytest.mark.site


def _install_chromium() -> str | None:
    """Install chromium and chromium-driver with apt-get when missing; the reason when impossible."""
    if CHROMIUM.exists() and DRIVER.exists():
        return None
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return ("headless Chromium is not installed and cannot be installed here (needs root and apt-get): "
                "apt-get install chromium chromium-driver")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"]
    for cmd in (["apt-get", "update", "-qq"], install):
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            return f"installing Chromium failed ({' '.join(cmd)}): {done.stderr.strip()[-300:]}"
    return None if CHROMIUM.exists() and DRIVER.exists() else "apt-get installed no /usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: "
                                    "pip install -e '.[docs]' (make docs installs it)")
    from selenium.webdriver.chrome.service import Service

    reason = _install_chromium()
    if reason:
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    profile = Path(os.environ.get("TMPDIR", "/tmp")) / f"attnflow-site-chromium-{os.getpid()}"
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:                       # the browser asks for it on every site
        if self.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()


def _serve(folder: Path):
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


#: run in the page after load: waits for MathJax and the images, returns what the checks need
_INSPECT = r"""
const done = arguments[arguments.length - 1];
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const imgs = [...document.images];
  imgs.forEach(i => { i.loading = "eager"; });
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  const math = [...document.querySelectorAll("span.math, div.math")];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode: n =>
    n.parentElement.closest("pre, code, script, style, textarea, mjx-container, .highlight, .math")
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const raw = [];
  while (walker.nextNode()) {
    const t = walker.currentNode.nodeValue;
    if (t.includes("$$") || /\$[^$\s][^$]*\\[A-Za-z]+[^$]*\$/.test(t)) raw.push(t.trim().slice(0, 120));
  }
  done({
    links: [...document.querySelectorAll("a[href]")].map(a => a.href),
    ids: [...document.querySelectorAll("[id]")].map(e => e.id)
      .concat([...document.querySelectorAll("a[name]")].map(a => a.name)),
    brokenImages: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
    mathErrors: [...document.querySelectorAll("mjx-merror, .MathJax_Error")]
      .map(e => e.textContent.slice(0, 120)),
    mathUntouched: math.filter(e => !e.querySelector("mjx-container")).map(e => e.textContent.slice(0, 120)),
    mathCount: math.length,
    raw: raw,
  });
})().catch(e => done({fatal: String(e)}));
"""


def crawl(driver, folder: Path, shots: dict[str, str] | None = None) -> dict:
    """Open every HTML page of ``folder`` (served locally); return the pages and the problems found."""
    server, base = _serve(folder)
    pages = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html")
                   if not {"_static", "_sources", "_downloads", "_images"} & set(p.relative_to(folder).parts))
    found = {"pages": pages, "links": [], "images": [], "console": [], "math": [], "raw": [], "fatal": [],
             "math_count": 0, "external": set()}
    ids: dict[str, set[str]] = {}
    links: list[tuple[str, str]] = []
    try:
        driver.get_log("browser")                                   # start from an empty log
        for page in pages:
            driver.get(base + page)
            info = driver.execute_async_script(_INSPECT)
            for entry in driver.get_log("browser"):
                if entry["level"] == "SEVERE":
                    found["console"].append(f"{page}: {entry['message'][:300]}")
            if "fatal" in info:
                found["fatal"].append(f"{page}: {info['fatal']}")
                continue
            ids[page] = set(info["ids"])
            links += [(page, href) for href in info["links"]]
            found["images"] += [f"{page}: {src}" for src in info["brokenImages"]]
            found["math"] += [f"{page}: error {t!r}" for t in info["mathErrors"]]
            found["math"] += [f"{page}: not typeset {t!r}" for t in info["mathUntouched"]]
            found["raw"] += [f"{page}: {t}" for t in info["raw"]]
            found["math_count"] += info["mathCount"]
            if shots and page in shots.values():
                name = next(k for k, v in shots.items() if v == page)
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(1280, min(max(int(height), 1000), 2400))
                SHOTS.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(SHOTS / f"{name}.png"))
                driver.set_window_size(1280, 1000)
    finally:
        server.shutdown()
        server.server_close()
    for page, href in links:
        if not href.startswith(base):
            found["external"].add(href.split("#")[0])
            continue
        target = urllib.parse.unquote(urllib.parse.urlsplit(href[len(base):]).path) or "index.html"
        fragment = urllib.parse.unquote(urllib.parse.urlsplit(href).fragment)
        if target.endswith("/"):
            target += "index.html"
        if not (folder / target).is_file():
            found["links"].append(f"{page} -> {href[len(base):]}: no such file")
        elif fragment and target in ids and fragment not in ids[target]:
            found["links"].append(f"{page} -> {href[len(base):]}: no anchor #{fragment}")
    return found


_BROKEN_SITE = {
    "index.html": """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<p id="top">A page with <a href="other.html#present">a good link</a>, <a href="other.html#absent">a link
to a missing anchor</a>, <a href="missing.html">a link to a missing page</a>, a raw formula $$x^2$$
and $\\beta x$, and <img src="none.png" alt="missing">.</p>
<script>undefinedFunction();</script></body></html>""",
    "other.html": """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<h1 id="present">Other</h1><a href="index.html#top">back</a></body></html>""",
}


def test_the_checker_reports_each_kind_of_failure(browser, tmp_path):
    for name, text in _BROKEN_SITE.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    found = crawl(browser, tmp_path)
    assert found["pages"] == ["index.html", "other.html"]
    assert sorted(found["links"]) == ["index.html -> missing.html: no such file",
                                      "index.html -> other.html#absent: no anchor #absent"]
    assert [i.rsplit("/", 1)[1] for i in found["images"]] == ["none.png"]
    assert any("undefinedFunction" in c for c in found["console"]), found["console"]
    assert any("none.png" in c for c in found["console"]), found["console"]   # the failed request
    assert len(found["raw"]) == 1 and "$$x^2$$" in found["raw"][0] and "$\\beta x$" in found["raw"][0]


@pytest.fixture(scope="module")
def site(browser):
    if not (SITE / "index.html").is_file():
        pytest.skip("the documentation site is not built: run `make docs` first (.ci/run does)")
    for stale in SHOTS.glob("*.png"):
        stale.unlink()
    return crawl(browser, SITE, shots=SHOT_PAGES)


def test_every_page_of_the_site_was_opened(site):
    from attnflow.experiments import EXPERIMENTS

    pages = set(site["pages"])
    theory = {f"theory/{p.stem}.html" for p in (ROOT / "docs" / "theory").glob("*.md")}
    examples = {f"auto_examples/{p.stem}.html" for p in (ROOT / "examples" / "gallery").glob("plot_*.py")}
    reproductions = {f"reproductions/{name}/index.html" for name in EXPERIMENTS}
    required = {"index.html", "getting-started.html", "guide.html", "cli.html", "sweeps.html", "gallery.html",
                "api/index.html", "api/commands.html", "api/attnflow.theory.html", "search.html",
                "genindex.html"} | theory | examples | reproductions
    assert required <= pages, sorted(required - pages)
    assert not site["fatal"], site["fatal"]


def test_no_broken_internal_link(site):
    assert not site["links"], "\n".join(site["links"])


def test_every_image_loads(site):
    assert not site["images"], "\n".join(site["images"])


def test_no_error_in_the_browser_console(site):
    assert not site["console"], "\n".join(site["console"])


def test_all_math_is_typeset(site):
    assert site["math_count"] > 500                          # the theory pages alone have more
    assert not site["math"], "\n".join(site["math"][:50])
    assert not site["raw"], "\n".join(site["raw"][:50])


def test_screenshots_of_home_theory_and_gallery_pages(site):
    import numpy as np
    from matplotlib.image import imread

    for name in SHOT_PAGES:
        img = imread(SHOTS / f"{name}.png")
        assert img.shape[0] >= 700 and img.shape[1] >= 1200, (name, img.shape)
        colors = np.unique(np.round(img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
        assert len(colors) > 100, (name, len(colors))        # text, figures, antialiasing: not blank
