"""The website builds offline without a Sphinx warning and holds what the course promises.

One build per session (the ``site`` fixture in conftest.py); every check reads its HTML.
Nothing here names a notebook: the list comes from ``notebooks/`` at test time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import sitecheck

from batchlab.tools import site as sitetool

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sitetool.course_notebooks(ROOT)


def test_builds_without_sphinx_warnings(site):
    assert site["warnings"] == [], "Sphinx warned:\n" + "\n".join(site["warnings"])
    print(f"site built in {site['seconds']} s, {len(site['pages'])} pages")


def test_every_notebook_is_a_page_in_course_order(site, html_dir):
    expected = [f"notebooks/{p.stem}" for p in NOTEBOOKS]
    assert site["notebook_pages"] == expected
    for page in expected:
        assert (html_dir / f"{page}.html").is_file(), f"{page}.html was not built"
    # the sidebar of the landing page lists them in the same order
    landing = (html_dir / "docs" / "index.html").read_text(encoding="utf-8")
    nav = landing[landing.index("bd-sidebar"):]
    order = [m.group(1) for m in re.finditer(r'href="\.\./notebooks/([^"#]+)\.html"', nav)]
    assert list(dict.fromkeys(order)) == [p.stem for p in NOTEBOOKS]


def test_landing_page_has_the_course_map_in_order(html_dir):
    page = sitecheck.parse(html_dir / "docs" / "index.html")
    linked = [h.split("/")[-1].split(".")[0] for h in page.links if "notebooks/" in h]
    assert list(dict.fromkeys(linked))[:len(NOTEBOOKS)] == [p.stem for p in NOTEBOOKS]
    text = (html_dir / "docs" / "index.html").read_text(encoding="utf-8")
    assert "<!-- course-map -->" not in text and "Who it is for" in text


def test_the_other_pages_exist(html_dir):
    for page in ("docs/index", "docs/sources", "docs/instructors", "docs/api",
                 "docs/examples/your_own_notebook", "search"):
        assert (html_dir / f"{page}.html").is_file(), page
    sources = sitecheck.parse(html_dir / "docs" / "sources.html")
    for anchor in ("the-sampler-post", "the-class-balance-and-losses-post", "the-dataset-post",
                   "the-dataloader-post", "the-mini-batch-post"):
        assert anchor in sources.ids, f"sources page lost its #{anchor} anchor"


def test_instructors_guide_times_every_notebook(html_dir):
    text = (html_dir / "docs" / "instructors.html").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f'href="../notebooks/{path.stem}.html"' in text, f"{path.name} not in the guide"
    for heading in ("How long each notebook takes", "A suggested syllabus",
                    "Running the notebooks in your CI", "Writing your own BatchLab-style"):
        assert heading in text, heading


def test_no_widget_shows_as_text(html_dir):
    problems = {}
    for path in sorted(html_dir.rglob("*.html")):
        found = sitecheck.widget_text_in_outputs(path)
        if found:
            problems[str(path.relative_to(html_dir))] = found
    assert not problems, f"widget text in cell outputs: {problems}"


def test_every_widget_output_became_a_note_and_each_panel_names_its_knobs(site, html_dir):
    staging = Path(site["html"]).parent / "src"
    for path in sorted(staging.rglob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
        assert not any(sitetool.WIDGET_VIEW in o.get("data", {}) for o in outputs), path.name
        assert "widgets" not in nb["metadata"]
    panels = 0
    for page in sorted(html_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        n = text.count("Interactive panel: move it in JupyterLab")
        assert text.count("Its knobs:") == n, f"{page.name}: a panel note names no knob"
        panels += n
    assert panels >= 1  # the worked example has one


def test_nothing_is_loaded_from_another_server(html_dir):
    assert sitecheck.remote_loads(html_dir) == []
    assert (html_dir / "_static" / "mathjax" / "tex-svg.js").is_file()
    with_math = [p for p in html_dir.rglob("*.html")
                 if 'class="math' in p.read_text(encoding="utf-8")]
    assert with_math, "no page has a formula"
    for page in with_math:
        assert "_static/mathjax/tex-svg.js" in page.read_text(encoding="utf-8"), page.name


def test_no_internal_link_is_broken(html_dir):
    assert sitecheck.broken_links(html_dir) == []


def test_links_to_the_sources_page_work(html_dir):
    """A notebook's ``../docs/sources.md#the-…-post`` link lands on that section."""
    found = 0
    for path in NOTEBOOKS:
        page = html_dir / "notebooks" / f"{path.stem}.html"
        for href in sitecheck.parse(page).links:
            if "sources" in href and "#" in href:
                assert href.startswith("../docs/sources.html#"), href
                found += 1
    if any("sources.md#" in p.read_text(encoding="utf-8") for p in NOTEBOOKS):
        assert found, "notebooks link to the sources page, but no link made it to the site"


def test_api_reference_shows_docstring_examples(html_dir):
    text = (html_dir / "docs" / "api.html").read_text(encoding="utf-8")
    for name in ("batchlab.data.datasets.NumbersDataset", "batchlab.seeding.seed_everything",
                 "batchlab.viz.widgets.Explorer",
                 "batchlab.data.samplers.ClassBalancedBatchSampler"):
        assert f'id="{name}"' in text, f"{name} is not documented"
    assert text.count("&gt;&gt;&gt;") > 50  # the >>> examples are shown
    assert "<!-- other-modules -->" not in text


def test_exercises_show_question_and_stub_and_no_more_than_the_notebook(html_dir):
    """The page shows each exercise's stub and verdict; a solution only where the notebook
    prints one itself (notebook 00 demonstrates ``solution()`` once)."""
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        stored = " ".join(json.dumps(c["outputs"]) for c in nb["cells"] if c["cell_type"] == "code")
        if ".check(" not in stored and not any(
                ".check(" in "".join(c["source"]) for c in nb["cells"]):
            continue
        page = html_dir / "notebooks" / f"{path.stem}.html"
        outputs = " ".join(sitecheck.parse(page).output_text)
        assert "Exercises" in page.read_text(encoding="utf-8"), path.name
        assert outputs.count("Solution:") <= stored.count("Solution:"), path.name


def test_build_writes_only_to_its_folder(site):
    out = Path(site["html"]).parent
    assert (out / "src" / "_toc.yml").is_file() and (out / "html").is_dir()
    assert not (ROOT / "docs" / "_build").exists()
    assert not list((ROOT / "notebooks").glob("*.html"))
