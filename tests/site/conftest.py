"""Fixtures for the website tests: one build per test session, screenshots' folder.

The site is built once (``python -m batchlab.tools.site`` in a subprocess, into a temporary
folder) and shared by every test here, also across pytest-xdist workers. Without Chromium (a
student's laptop) the browser tests are skipped with the reason; in CI (``CI=true``) a
missing browser or Playwright is a failure instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
def build_site(out: Path) -> dict:
    """Build into ``out`` with the documented command; return its JSON report."""
    report = out / "report.json"
    cmd = [sys.executable, "-m", "batchlab.tools.site", "--out", str(out), "--clean",
           "--allow-warnings", "--quiet", "--json", str(report)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or not report.is_file():
        pytest.fail(f"the site build failed ({done.returncode}):\n{done.stdout}\n{done.stderr}",
                    pytrace=False)
    result = json.loads(report.read_text())
    result["log"] = done.stdout + done.stderr
    return result


@pytest.fixture(scope="session")
def site(tmp_path_factory, request):
    """The report of one build of the site: ``html``, ``pages``, ``warnings``, ``seconds``."""
    if not hasattr(request.config, "workerinput"):  # no xdist: this session's own folder
        out = tmp_path_factory.mktemp("site")
        return build_site(out)
    shared = tmp_path_factory.getbasetemp().parent  # the same for every worker of a session
    try:
        from filelock import FileLock
    except ImportError:  # no lock: each worker builds its own copy
        return build_site(tmp_path_factory.mktemp("site"))
    with FileLock(str(shared / "batchlab-site.lock")):
        out = shared / "batchlab-site"
        report = out / "report.json"
        if report.is_file():
            return json.loads(report.read_text()) | {"log": ""}
        return build_site(out)


@pytest.fixture(scope="session")
def html_dir(site) -> Path:
    return Path(site["html"])


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where screenshots go: $BATCHLAB_ARTIFACTS_DIR/site, else a folder in the temp dir."""
    base = os.environ.get("BATCHLAB_ARTIFACTS_DIR") or os.path.join(
        tempfile.gettempdir(), "batchlab-artifacts")
    path = Path(base) / "site"
    path.mkdir(parents=True, exist_ok=True)
    return path
