"""The built website in a real browser: Debian's Chromium, driven by Playwright.

``browse_site.py`` does the browsing in a process of its own (one Playwright per thread, and
the notebook browser suite may hold one here): it serves the site on 127.0.0.1 and, for the
landing page, every notebook page and the other pages, checks that the page renders (title,
text, MathJax formulas), that every image has loaded, that no cell output shows a widget's
text, that every internal link leads to an existing page and anchor, and that the browser
requested nothing but 127.0.0.1; then that the search page finds "WeightedRandomSampler".
A screenshot of each page goes to ``$BATCHLAB_ARTIFACTS_DIR/site``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sitecheck

from batchlab.tools import site as sitetool

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PAGES = (["docs/index"] + [f"notebooks/{p.stem}" for p in sitetool.course_notebooks(ROOT)]
         + ["docs/sources", "docs/instructors", "docs/examples/your_own_notebook", "docs/api"])


@pytest.fixture(scope="module")
def browsed(html_dir, artifacts_dir, tmp_path_factory):
    """What ``browse_site.py`` saw on each page (one Chromium run for the whole module)."""
    sitecheck.need_chromium()
    report = tmp_path_factory.mktemp("browsed") / "report.json"
    done = subprocess.run([sys.executable, str(HERE / "browse_site.py"), str(html_dir),
                           str(artifacts_dir), str(report), *PAGES],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or not report.is_file():
        pytest.fail(f"browse_site.py failed ({done.returncode}):\n{done.stdout}\n{done.stderr}",
                    pytrace=False)
    return json.loads(report.read_text())


@pytest.mark.parametrize("name", PAGES, ids=lambda n: n.split("/")[-1])
def test_page_renders_with_its_figures_and_only_local_requests(name, browsed):
    seen = browsed[name]
    assert not seen["problems"], (f"{name} (screenshot {seen['screenshot']}):\n"
                                  + "\n".join(seen["problems"]))
    assert Path(seen["screenshot"]).is_file()


def test_search_finds_weighted_random_sampler(browsed):
    seen = browsed["search"]
    assert not seen["problems"], (f"search (screenshot {seen['screenshot']}):\n"
                                  + "\n".join(seen["problems"]))
    assert seen["results"]


def test_the_checks_bite(tmp_path, artifacts_dir):
    """A page with a broken link, a missing image, a widget's text and a remote script fails."""
    sitecheck.need_chromium()
    (tmp_path / "bad.html").write_text(
        "<html><body><main><h1>Bad page</h1><p>" + "text " * 100 + "</p>"
        '<a href="missing.html">a</a><a href="#nowhere">b</a><img src="nope.png">'
        '<div class="cell_output">Explorer(children=(IntSlider(value=3, …</div>'
        '<script src="http://192.0.2.1/remote.js"></script></main></body></html>')
    report = tmp_path / "report.json"
    subprocess.run([sys.executable, str(HERE / "browse_site.py"), str(tmp_path),
                    str(tmp_path / "shots"), str(report), "bad", "--no-search"],
                   check=True, timeout=180)
    problems = "\n".join(json.loads(report.read_text())["bad"]["problems"])
    for expected in ("broken link", "missing anchor", "image did not load", "widget text",
                     "request to another host: http://192.0.2.1/remote.js"):
        assert expected in problems, f"{expected!r} not reported:\n{problems}"
