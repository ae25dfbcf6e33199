"""Open the built website in Chromium and report what a reader would see wrong.

Run by ``test_site_in_browser.py`` in a process of its own (Playwright's sync API allows one
instance per thread, and the notebook browser suite may hold one in the test process)::

    python tests/site/browse_site.py HTML_DIR SHOTS_DIR REPORT.json PAGE... [--no-search]

It serves ``HTML_DIR`` on 127.0.0.1 (a thread of this process), starts Debian's Chromium
(``$BATCHLAB_CHROMIUM``, default ``/usr/bin/chromium``) with a fresh profile, and for each
``PAGE`` (``docs/index``, ``notebooks/07_samplers``, …) checks that it renders (a title and
its text, MathJax formulas typeset), that every image has loaded, that no cell output shows
a widget's text, that every internal link leads to an existing page and anchor, and that the
browser requested nothing but 127.0.0.1 (a request to another host is recorded and stopped
before it leaves). Then it searches for "WeightedRandomSampler".
The report maps each page (and ``search``) to ``{"problems": [...], "screenshot": path}``.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sitecheck  # noqa: E402

CHROMIUM = os.environ.get("BATCHLAB_CHROMIUM", "/usr/bin/chromium")  # never a downloaded one
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SEARCH_TERM = "WeightedRandomSampler"

# Wait until every <img> has finished loading (lazy ones included) and report each one.
_JS_IMAGES = """async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) { img.loading = 'eager'; }
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done); img.addEventListener('error', done);
    setTimeout(done, 10000);
  })));
  return imgs.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth}));
}"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a page left mid-download
            super().handle_error(request, client_address)


def foreign(urls) -> list[str]:
    """The URLs that went anywhere but 127.0.0.1 or a local file."""
    bad = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob", "about", "file"} or parts.hostname == "127.0.0.1":
            continue
        bad.append(url)
    return bad


# Nothing leaves the machine: every request to another host goes to a proxy port nobody
# listens on (127.0.0.1 bypasses it), so it fails at once, and is reported from
# the page's request events. No request interception, so the browser's cache (and V8's code
# cache) works across pages as it does for a reader.
NO_PROXY = {"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"}


def _link_problems(page, server: str, html_dir: Path, checked: dict) -> list[str]:
    """Internal links of the open page whose target or anchor is missing (``checked`` caches
    each URL's status and each page's ids)."""
    problems = []
    for href in sorted(set(page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"))):
        url, fragment = urldefrag(href)
        if not url.startswith(server):
            continue  # another site (e.g. the PyTorch docs): a link, not a request
        if url not in checked:
            try:
                with urllib.request.urlopen(url, timeout=10) as reply:
                    checked[url] = reply.status == 200
            except OSError:
                checked[url] = False
        path = html_dir / urlsplit(url).path[len(urlsplit(server).path):]
        if path.is_dir():
            path = path / "index.html"
        if not checked[url]:
            problems.append(f"broken link {href}")
        elif fragment and path.suffix == ".html":
            if path not in checked:
                checked[path] = sitecheck.parse(path).ids
            if fragment not in checked[path]:
                problems.append(f"link to a missing anchor {href}")
    return problems


def check_page(page, name: str, server: str, html_dir: Path, shots: Path,
               checked: dict) -> dict:
    shot = shots / f"{name.replace('/', '__')}.png"
    page.requested.clear()
    page.goto(urljoin(server, f"{name}.html"), wait_until="load")
    problems = []
    title = page.locator("main h1").first.inner_text(timeout=10000).strip()
    text = page.locator("main").inner_text()
    if not title or len(text) < 300:
        problems.append(f"page looks empty (title {title!r}, {len(text)} characters)")
    if page.locator("main .math").count():
        try:
            page.wait_for_selector("mjx-container", timeout=15000)
        except Exception:  # Playwright's TimeoutError
            problems.append("MathJax did not typeset the formulas")
        if page.locator("mjx-merror").count():
            problems.append("MathJax shows a formula error")
    images = page.evaluate(_JS_IMAGES)
    problems += [f"image did not load: {img['src']}" for img in images if img["width"] == 0]
    outputs = " ".join(page.locator(".cell_output").all_inner_texts())
    problems += [f"widget text in an output: …{m.group(0)}…"
                 for m in sitecheck.WIDGET_TEXT.finditer(outputs)]
    problems += _link_problems(page, server, html_dir, checked)
    note = page.locator(".batchlab-widget-note").first
    if note.count():
        note.scroll_into_view_if_needed()
        page.screenshot(path=str(shot.with_name(shot.stem + "-widget-note.png")))
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shot))
    problems += [f"request to another host: {u}" for u in foreign(page.requested)]
    return {"problems": problems, "screenshot": str(shot), "title": title,
            "images": len(images), "requests": len(page.requested)}


def check_search(page, server: str, shots: Path) -> dict:
    shot = shots / "search.png"
    page.requested.clear()
    page.goto(urljoin(server, f"search.html?q={SEARCH_TERM}"), wait_until="load")
    problems = []
    try:
        page.locator("#search-results ul.search li").first.wait_for(timeout=20000)
    except Exception:  # Playwright's TimeoutError
        problems.append(f"the search page found nothing for {SEARCH_TERM!r}")
    links = page.eval_on_selector_all("#search-results ul.search li a",
                                      "as => as.map(a => a.getAttribute('href'))")
    if not problems and not any("notebooks/" in href for href in links):
        problems.append(f"no notebook among the results for {SEARCH_TERM!r}: {links}")
    page.screenshot(path=str(shot))
    problems += [f"request to another host: {u}" for u in foreign(page.requested)]
    return {"problems": problems, "screenshot": str(shot), "results": links}


def main(argv=None) -> int:
    args = list((argv or sys.argv)[1:])
    search = "--no-search" not in args
    html_dir, shots, report, *pages = [a for a in args if a != "--no-search"]
    html_dir, shots = Path(html_dir).resolve(), Path(shots)
    shots.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    httpd = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}/"
    results, checked = {}, {}
    try:
        with tempfile.TemporaryDirectory(prefix="batchlab-chromium-") as profile, \
                sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                proxy=NO_PROXY,
                viewport={"width": 1280, "height": 900})
            try:
                page = context.new_page()
                page.requested = []
                page.on("request", lambda request: page.requested.append(request.url))
                for name in pages:
                    start = time.perf_counter()
                    try:
                        results[name] = check_page(page, name, server, html_dir, shots, checked)
                        results[name]["seconds"] = round(time.perf_counter() - start, 2)
                    except Exception as exc:  # report it and go on with the next page
                        results[name] = {"problems": [f"{type(exc).__name__}: {exc}"],
                                         "screenshot": None}
                if search:
                    results["search"] = check_search(page, server, shots)
            finally:
                context.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    Path(report).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
