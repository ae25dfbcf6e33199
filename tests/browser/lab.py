"""Drive a real JupyterLab in Debian's Chromium the way a student does.

``JupyterLab`` starts and stops a private server on 127.0.0.1; ``check_notebook``
opens one notebook, runs every cell, moves every widget control and returns the list
of problems it saw (empty means the notebook works for a student).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from support import free_port

CHROMIUM = os.environ.get("BATCHLAB_CHROMIUM", "/usr/bin/chromium")  # never a downloaded one
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
# JupyterLab settings: render every cell (no virtual scrolling) so each one is in the page.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


class JupyterLab:
    """A JupyterLab server on 127.0.0.1 serving ``root``, with all its state in ``home``.

    >>> # with JupyterLab(root, home) as lab: lab.url("00_start_here.ipynb")
    """

    def __init__(self, root: Path, home: Path, *, startup_timeout: float = 90):
        self.root, self.home = Path(root), Path(home)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.startup_timeout = startup_timeout
        self.process = None
        self._stopping: list[threading.Thread] = []

    def env(self) -> dict:
        dirs = {name: self.home / name.lower() for name in (
            "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
            "MPLCONFIGDIR")}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        # The kernels get this process's environment, as nbval's would: the same device
        # (BATCHLAB_DEVICE if set, else batchlab.get_device()'s choice), seeds and threads.
        return {**os.environ, **{k: str(v) for k, v in dirs.items()},
                "JUPYTER_PLATFORM_DIRS": "1", "PYTHONHASHSEED": "0",
                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}

    def __enter__(self):
        settings = self.home / "lab-user-settings"
        for name, values in LAB_SETTINGS.items():
            plugin, file = name.split("/", 1)[0], name.split("/", 1)[1]
            target = settings / plugin / file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
               f"--ServerApp.root_dir={self.root}", "--LabApp.expose_app_in_browser=True",
               f"--LabApp.user_settings_dir={settings}",
               f"--LabApp.workspaces_dir={self.home / 'workspaces'}",
               "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--ServerApp.disable_check_xsrf=False"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log = open(self.home / "jupyterlab.log", "w")  # noqa: SIM115 closed in __exit__
        self.process = subprocess.Popen(cmd, cwd=self.root, env=self.env(), stdout=self.log,
                                        stderr=subprocess.STDOUT)
        try:
            self._wait_until_up()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_until_up(self):
        deadline = time.monotonic() + self.startup_timeout
        url = f"http://127.0.0.1:{self.port}/api/status?token={self.token}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early; see {self.home / 'jupyterlab.log'}")
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise TimeoutError(f"JupyterLab did not answer /api/status within {self.startup_timeout} s")

    def __exit__(self, *exc):
        for thread in self._stopping:
            thread.join(timeout=30)
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()

    def api(self, path: str, method: str = "GET", body: dict | None = None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as reply:
            data = reply.read()
        return json.loads(data) if data else None

    def shutdown_sessions(self, notebook: str | None = None, *, wait: bool = True) -> None:
        """Stop the kernel of ``notebook`` (default: every kernel), freeing the CPU.

        ``wait=False`` returns at once (the server stops the kernel while the next test
        starts); :meth:`__exit__` waits for every stop still under way.
        """
        if not wait:
            thread = threading.Thread(target=self.shutdown_sessions, args=(notebook,),
                                      daemon=True)
            thread.start()
            self._stopping.append(thread)
            return
        for session in self.api("sessions"):
            if notebook is None or session["path"] == notebook:
                self.api(f"sessions/{session['id']}", method="DELETE")

    def url(self, notebook: str = "") -> str:
        """The page of ``notebook``, or JupyterLab itself with nothing open."""
        where = f"lab/tree/{notebook}" if notebook else "lab"
        return f"http://127.0.0.1:{self.port}/{where}?token={self.token}&reset"


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_FLAGS)


def foreign_requests(urls) -> list[str]:
    """The URLs that went anywhere but 127.0.0.1 (data: and blob: URLs stay in the page)."""
    bad = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob", "about", "chrome", "chrome-extension"}:
            continue
        if parts.hostname != "127.0.0.1":
            bad.append(url)
    return bad


# JavaScript run in the page, against the app JupyterLab exposes as window.jupyterapp.
_JS_NOTEBOOK_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model) return null;
  const cells = [];
  for (const cell of panel.content.model.cells) {
    if (cell.type !== 'code') continue;
    const outputs = [];
    for (let i = 0; i < cell.outputs.length; i++) outputs.push(cell.outputs.get(i).toJSON());
    cells.push({count: cell.executionCount, source: cell.sharedModel.getSource(), outputs});
  }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {cells, status: kernel ? kernel.status : 'none'};
}"""

# Cheap to poll (no outputs copied): how many non-empty code cells have not run yet.
_JS_RUN_PROGRESS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model) return null;
  let waiting = 0, errors = 0;
  for (const cell of panel.content.model.cells) {
    if (cell.type !== 'code') continue;
    if (cell.sharedModel.getSource().trim() && typeof cell.executionCount !== 'number') waiting++;
    for (let i = 0; i < cell.outputs.length; i++)
      if (cell.outputs.get(i).type === 'error') errors++;
  }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {waiting, errors, status: kernel ? kernel.status : 'none'};
}"""

_JS_EXPLORER_STATE = """(el) => {
  const out = el.querySelector('.batchlab-explorer-output');
  const imgs = Array.from(out.querySelectorAll('img')).map(i => i.src.slice(-200) + i.src.length);
  const errors = Array.from(out.querySelectorAll(
      '[data-mime-type="application/vnd.jupyter.stderr"], ' +
      '[data-mime-type="application/vnd.jupyter.error"]')).map(e => e.innerText);
  return {text: out.innerText, imgs, errors};
}"""


_JS_OPENED_AND_IDLE = """(name) => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.context || panel.context.path !== name || !panel.context.isReady)
    return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""

# Close every open document without the "save your changes?" dialog (the copies are throwaway).
_JS_CLOSE_ALL = """() => {
  for (const widget of Array.from(window.jupyterapp.shell.widgets('main'))) {
    if (widget.context && widget.context.model) widget.context.model.dirty = false;
    widget.dispose();
  }
}"""


def open_lab(context, lab: JupyterLab):
    """A page with JupyterLab loaded and nothing open: one per browser suite worker."""
    page = context.new_page()
    page.goto(lab.url())
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand("
                           "'docmanager:open')")
    page.evaluate("() => window.jupyterapp.restored.then(() => true)")  # every plugin is up
    return page


def open_notebook(page, name: str, *, timeout_ms: int = 60000) -> None:
    """Open ``name`` in the page's JupyterLab and wait until its kernel is idle."""
    page.evaluate(_JS_CLOSE_ALL)
    page.evaluate("(path) => window.jupyterapp.commands.execute("
                  "'docmanager:open', {path, factory: 'Notebook'}).then(() => true)", name)
    page.wait_for_function(_JS_OPENED_AND_IDLE, arg=name, timeout=timeout_ms, polling=100)


def run_all_cells(page, *, timeout_s: float) -> dict:
    """Clear every stored output (so what is compared afterwards comes from this run), run
    every cell through JupyterLab's own command and wait for the kernel to finish, or to stop
    at a cell's error (Run All runs nothing after it)."""
    page.evaluate("() => window.jupyterapp.commands.execute("
                  "'notebook:clear-all-cell-outputs').then(() => true)")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')"
                  ".then(() => true)")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        progress = page.evaluate(_JS_RUN_PROGRESS)
        if progress["status"] == "idle" and (progress["waiting"] == 0 or progress["errors"]):
            return page.evaluate(_JS_NOTEBOOK_STATE)  # the outputs, copied once
        page.wait_for_timeout(150)
    raise TimeoutError(f"cells still running after {timeout_s} s")


def cell_problems(state: dict) -> list[str]:
    problems = []
    for i, cell in enumerate(state["cells"], 1):
        for out in cell["outputs"]:
            text = json.dumps(out)
            if out.get("output_type") == "error" or "Traceback (most recent call last)" in text:
                name = out.get("ename", "traceback")
                problems.append(f"code cell {i} shows an error ({name}): {cell['source'][:80]!r}")
    return problems


def _wait_for_change(page, explorer, before: dict, timeout_ms: int) -> dict | None:
    """The explorer's state once it differs from ``before`` and has settled, else ``None``."""
    deadline = time.monotonic() + timeout_ms / 1000
    changed = None
    while time.monotonic() < deadline:
        page.wait_for_timeout(40 if changed is None else 80)
        after = explorer.evaluate(_JS_EXPLORER_STATE)
        if after["errors"]:
            return after
        if changed is not None and after == changed:
            return after  # the same twice in a row: the redraw has landed
        if (after["text"], after["imgs"]) != (before["text"], before["imgs"]) and (
                after["text"].strip() or after["imgs"]):
            changed = after
        else:
            changed = None
    return changed


def drive_explorers(page, *, timeout_ms: int = 20000) -> tuple[int, list[str]]:
    """Move every slider of every explorer to both ends and flip every toggle.

    Returns ``(number of controls moved, problems)``: a control whose move did not change
    the explorer's output (text or image), or made it show an error, is a problem.
    """
    problems, moved = [], 0
    explorers = page.locator(".batchlab-explorer")
    for e in range(explorers.count()):
        explorer = explorers.nth(e)
        explorer.scroll_into_view_if_needed()
        label = f"explorer {e + 1}"
        state = explorer.evaluate(_JS_EXPLORER_STATE)
        if state["errors"]:
            problems.append(f"{label} shows an error before any move: {state['errors'][0][-300:]}")
            continue
        actions = []
        handles = explorer.locator(".noUi-handle")
        for h in range(handles.count()):
            for key in ("End", "Home"):
                actions.append((f"slider {h + 1} {key}", handles.nth(h), key))
        boxes = explorer.locator("input[type=checkbox]")
        for b in range(boxes.count()):
            for n in (1, 2):
                actions.append((f"checkbox {b + 1} click {n}", boxes.nth(b), "click"))
        singles = explorer.locator(
            "button.widget-toggle-button:not(.widget-toggle-buttons button)")
        for t in range(singles.count()):
            for n in (1, 2):
                actions.append((f"toggle {t + 1} click {n}", singles.nth(t), "click"))
        groups = explorer.locator(".widget-toggle-buttons")
        for t in range(groups.count()):
            buttons = groups.nth(t).locator("button")
            for end, index in (("last", buttons.count() - 1), ("first", 0)):
                actions.append((f"toggle buttons {t + 1} {end}", buttons.nth(index), "choose"))
        selects = explorer.locator("select")
        for s in range(selects.count()):
            actions.append((f"dropdown {s + 1} last", selects.nth(s), "last"))
            actions.append((f"dropdown {s + 1} first", selects.nth(s), "first"))
        if not actions:
            problems.append(f"{label} has no control the test knows how to move")
        for name, control, how in actions:
            before = explorer.evaluate(_JS_EXPLORER_STATE)
            if how in ("End", "Home"):
                value = control.get_attribute("aria-valuenow")
                control.focus()
                control.press(how)
                page.wait_for_timeout(30)
                if control.get_attribute("aria-valuenow") == value:
                    continue  # already at that end: nothing to redraw
            elif how in ("click", "choose"):
                if control.is_disabled():
                    continue
                if how == "choose" and "mod-active" in (control.get_attribute("class") or ""):
                    continue  # already the chosen option: nothing to redraw
                control.click()
            else:
                options = control.locator("option")
                index = options.count() - 1 if how == "last" else 0
                target = options.nth(index).get_attribute("value")
                if control.input_value() == target:
                    continue
                control.select_option(target)
            moved += 1
            after = _wait_for_change(page, explorer, before, timeout_ms)
            if after is None:
                problems.append(f"{label}: {name} did not redraw the output")
            elif after["errors"]:
                problems.append(f"{label}: {name} made the output show an error: "
                                f"{after['errors'][0][-300:]}")
    return moved, problems


def check_notebook(page, lab: JupyterLab, name: str, shot: Path, *,
                   run_timeout_s: float = 120, redraw_timeout_ms: int = 20000) -> dict:
    """Open ``name`` in ``page``'s JupyterLab, run all cells, drive all widgets, screenshot.

    Returns ``{"problems": [...], "moved": n, "requests": [...], "screenshot": path,
    "cells": [...]}``; ``cells`` are the code cells (source and outputs) right after Run All,
    before any widget moved, or ``None`` if the run did not finish.
    """
    requests = []

    def on_request(request):
        requests.append(request.url)

    def on_websocket(websocket):
        requests.append(websocket.url)

    page.on("request", on_request)
    page.on("websocket", on_websocket)
    problems, moved, cells = [], 0, None
    try:
        open_notebook(page, name)
        state = run_all_cells(page, timeout_s=run_timeout_s)
        cells = state["cells"]
        problems += cell_problems(state)
        moved, widget_problems = drive_explorers(page, timeout_ms=redraw_timeout_ms)
        problems += widget_problems
    except Exception as exc:  # a timeout or a page error is a problem to report, with the shot
        problems.append(f"{type(exc).__name__}: {str(exc)[:500]}")
    finally:
        shot.parent.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(shot))
        except Exception as exc:  # noqa: BLE001 the page may be gone
            problems.append(f"no screenshot: {exc}")
        lab.shutdown_sessions(name, wait=False)
        page.remove_listener("request", on_request)
        page.remove_listener("websocket", on_websocket)
        try:
            page.evaluate(_JS_CLOSE_ALL)
        except Exception as exc:  # noqa: BLE001 a crashed page: the fixture loads a new one
            problems.append(f"could not close the notebook: {str(exc)[:200]}")
    return {"problems": problems, "moved": moved, "requests": requests, "screenshot": shot,
            "cells": cells}


def copy_notebooks(sources, root: Path) -> list[str]:
    root.mkdir(parents=True, exist_ok=True)
    names = []
    for src in sources:
        shutil.copy(src, root / Path(src).name)
        names.append(Path(src).name)
    return names
