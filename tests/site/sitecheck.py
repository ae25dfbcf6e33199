"""Read the built site's HTML: what a page loads, where its links go, what its outputs say.

Used by the tests in this folder; stdlib only (``html.parser``), so it runs anywhere.
"""

from __future__ import annotations

import functools
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHROMIUM = os.environ.get("BATCHLAB_CHROMIUM", "/usr/bin/chromium")  # never a downloaded one


def need_chromium() -> None:
    """Skip the calling test without Chromium or Playwright; in CI (``CI=true``) fail instead."""
    import pytest

    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} not found (Debian/Ubuntu: apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "Playwright for Python is not installed (pip install -r requirements.txt)"
    if reason is None:
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"site browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


# Text that means a widget's text output leaked onto a page.
WIDGET_TEXT = re.compile(r"\b(Explorer|VBox|HBox)\(children=|IntSlider\(value=|"
                         r"FloatSlider\(value=|application/vnd\.jupyter\.widget-view")
# A URL with a scheme or a network location: anything a page would fetch from elsewhere.
REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads: list[tuple[str, str]] = []  # (tag.attribute, url) the browser fetches
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.output_text: list[str] = []
        self.inline_css: list[str] = []
        self._output_depth = 0  # > 0 inside a cell output
        self._stack: list[bool] = []  # for each open div: did it open an output?
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        if tag in {"script", "img", "iframe", "audio", "video", "source", "embed", "track"}:
            if a.get("src"):
                self.loads.append((f"{tag}.src", a["src"]))
        if tag == "img" and a.get("srcset"):
            self.loads += [("img.srcset", part.split()[0]) for part in a["srcset"].split(",")]
        if tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower()
            if any(r in rel for r in ("stylesheet", "icon", "preload", "modulepreload",
                                      "manifest", "prefetch")):
                self.loads.append((f"link[{rel}]", a["href"]))
        if tag == "object" and a.get("data"):
            self.loads.append(("object.data", a["data"]))
        if a.get("style"):
            self.inline_css.append(a["style"])
        if tag == "a" and a.get("href") is not None:
            self.links.append(a["href"])
        if tag == "style":
            self._in_style = True
        if tag == "div":
            opens = "cell_output" in (a.get("class") or "").split()
            self._stack.append(opens)
            self._output_depth += opens

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False
        if tag == "div" and self._stack:
            self._output_depth -= self._stack.pop()

    def handle_data(self, data):
        if self._in_style:
            self.inline_css.append(data)
        if self._output_depth > 0:
            self.output_text.append(data)


@functools.cache
def _parse(path: str, mtime_ns: int) -> _Page:
    page = _Page()
    page.feed(Path(path).read_text(encoding="utf-8"))
    page.close()
    return page


def parse(path: Path) -> _Page:
    """The page's loads, links, ids and output text (cached until the file changes)."""
    path = Path(path).resolve()
    return _parse(str(path), path.stat().st_mtime_ns)


def css_urls(css: str) -> list[str]:
    """``url(...)`` targets and ``@import`` targets of a style sheet."""
    found = re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css)
    found += re.findall(r"@import\s+['\"]([^'\"]+)['\"]", css)
    return found


def remote_loads(html_dir: Path) -> list[str]:
    """Every URL on another host that a page or a style sheet of the site would load."""
    bad = []
    for path in sorted(Path(html_dir).rglob("*.html")):
        page = parse(path)
        urls = [u for _, u in page.loads] + [u for css in page.inline_css for u in css_urls(css)]
        bad += [f"{path.relative_to(html_dir)}: {u}" for u in urls if REMOTE.match(u)]
    for path in sorted(Path(html_dir).rglob("*.css")):
        css = path.read_text(encoding="utf-8", errors="replace")
        bad += [f"{path.relative_to(html_dir)}: {u}" for u in css_urls(css) if REMOTE.match(u)]
    return bad


def broken_links(html_dir: Path, pages: list[Path] | None = None) -> list[str]:
    """Internal links (relative ``href``) of ``pages`` whose file or ``#anchor`` is missing."""
    html_dir = Path(html_dir).resolve()
    ids: dict[Path, set[str]] = {}
    bad = []
    for path in pages if pages is not None else sorted(html_dir.rglob("*.html")):
        path = Path(path).resolve()
        for href in parse(path).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or not target.is_relative_to(html_dir):
                bad.append(f"{path.relative_to(html_dir)}: {href} (no such file)")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = parse(target).ids
                if fragment not in ids[target]:
                    bad.append(f"{path.relative_to(html_dir)}: {href} (no #{fragment} there)")
    return bad


def widget_text_in_outputs(path: Path) -> list[str]:
    """Pieces of a page's cell outputs that are a widget's text instead of a note."""
    text = " ".join(parse(path).output_text)
    return [text[max(0, m.start() - 40):m.end() + 40] for m in WIDGET_TEXT.finditer(text)]
