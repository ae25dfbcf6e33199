"""Fixtures for the browser suite: Chromium, a private JupyterLab, an artifact folder.

Without Chromium (a student's laptop) the suite is skipped with the reason; in CI
(``CI=true``) a missing browser or Playwright is a failure instead.
"""

import os
import tempfile
from pathlib import Path

import pytest

from .lab import CHROMIUM, JupyterLab, launch_browser, open_lab

ROOT = Path(__file__).resolve().parents[2]


def _missing(reason: str, config=None):
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    if config is not None and getattr(config, "_batchlab_once", None):
        pytest.fail(f"nbval left these notebooks to the browser suite, which cannot run: "
                    f"{reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright_sync(request):
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} not found (Debian/Ubuntu: apt-get install chromium chromium-driver)",
                 request.config)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed (pip install -r requirements.txt)",
                 request.config)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_sync):
    browser = launch_browser(playwright_sync)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def artifacts_dir():
    """Where screenshots go: $BATCHLAB_ARTIFACTS_DIR, else a folder in the system temp dir."""
    base = os.environ.get("BATCHLAB_ARTIFACTS_DIR") or os.path.join(
        tempfile.gettempdir(), "batchlab-artifacts")
    path = Path(base) / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory):
    """The folder JupyterLab serves: copies, so the repository's notebooks are never saved over."""
    return tmp_path_factory.mktemp("lab-root")


@pytest.fixture(scope="session")
def jupyter_lab(browser, lab_root, tmp_path_factory):
    with JupyterLab(lab_root, tmp_path_factory.mktemp("lab-home")) as lab:
        yield lab


@pytest.fixture(scope="session")
def _lab_page(browser, jupyter_lab):
    """JupyterLab loaded once per worker: each test opens its notebook in it."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    holder = {"page": open_lab(context, jupyter_lab)}
    yield holder
    context.close()


@pytest.fixture()
def lab_page(_lab_page, browser, jupyter_lab):
    """The worker's JupyterLab page, loaded again if a test left it crashed or closed."""
    page = _lab_page["page"]
    try:
        healthy = not page.is_closed() and page.evaluate(
            "() => !!window.jupyterapp && !document.querySelector('.jp-Dialog')")
    except Exception:  # noqa: BLE001 a crashed page cannot evaluate anything
        healthy = False
    if not healthy:
        try:
            page.close()
        except Exception:  # noqa: BLE001 already gone
            pass
        page = _lab_page["page"] = open_lab(page.context, jupyter_lab)
    return page
