"""Build the BatchLab website: every notebook with its stored outputs, the guides, the API.

Run from anywhere in a checkout of the repository::

    python -m batchlab.tools.site                 # -> build/site/html/index.html
    python -m batchlab.tools.site --out /tmp/site --allow-warnings

The site is a Jupyter Book 1 (Sphinx + MyST-NB) built from the notebooks **as they are
stored**: nothing is executed (``execute_notebooks: off``) and nothing is downloaded, so the
build works offline. Jupyter Book 2 (mystmd) is not used because it downloads its theme when
it builds, which fails without a network.

What the build does, all inside the output folder (``build/site/`` by default, which git
ignores; nothing is written to ``docs/`` or ``notebooks/``):

1. *stage* (``<out>/src``): copy ``docs/_config.yml``, ``docs/_toc.yml``, the pages in
   ``docs/`` and every ``notebooks/NN_*.ipynb`` into a tree that mirrors the repository, so
   a link such as ``../docs/sources.md#the-sampler-post`` in a notebook works on the site
   as it does on GitHub. The copies of the notebooks are changed in one way: each widget's
   output (text such as ``Explorer(children=…)``, which a static page cannot bring to life)
   becomes a short note naming its knobs and saying how to move them in JupyterLab. The
   course map on the landing page, the table of notebooks in the instructor's guide and the
   list of other modules on the API page are generated from ``notebooks/`` and
   ``src/batchlab/``, so a new notebook or module appears by itself.
   MathJax is copied from the ``sphinx-mathjax-offline`` package, so formulas render
   without a CDN.
2. *build* (``<out>/html``): Sphinx with Jupyter Book's configuration. A Sphinx warning
   makes the command fail unless ``--allow-warnings`` is given.

>>> widget_kind("IntSlider"), widget_kind("Checkbox"), widget_kind("print")
('slider', 'check box', None)
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import html
import importlib
import importlib.metadata
import inspect
import io
import json
import re
import shutil
import sys
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

NOTEBOOK_NAME = re.compile(r"\d\d_[A-Za-z0-9_]+\.ipynb")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
COURSE_MAP_MARKER = "<!-- course-map -->"
API_MODULES_MARKER = "<!-- other-modules -->"
TIMES_MARKER = "<!-- notebook-times -->"

# ipywidgets control classes -> how the note names them.
_WIDGET_KINDS = {
    "IntSlider": "slider", "FloatSlider": "slider", "FloatLogSlider": "slider (log scale)",
    "SelectionSlider": "slider", "IntRangeSlider": "range slider",
    "FloatRangeSlider": "range slider", "SelectionRangeSlider": "range slider",
    "Checkbox": "check box", "ToggleButton": "toggle button", "ToggleButtons": "buttons",
    "RadioButtons": "radio buttons", "Dropdown": "drop-down list", "Select": "list",
    "IntText": "number box", "FloatText": "number box", "BoundedIntText": "number box",
    "BoundedFloatText": "number box", "Text": "text box", "Play": "play button",
}
_HOW_TO_MOVE = {  # kind -> (how the sentence names one, how to move it)
    "slider": ("a slider", "drag its handle, or click the handle and press the arrow keys"),
    "slider (log scale)": ("a slider", "drag its handle, or click it and press the arrow keys"),
    "range slider": ("a range slider", "drag either of its handles"),
    "check box": ("a check box", "click it to tick or clear it"),
    "toggle button": ("a toggle button", "click it"),
    "buttons": ("a row of buttons", "click the one you want"),
    "radio buttons": ("radio buttons", "click one of the choices"),
    "drop-down list": ("a drop-down list", "pick a value from it"),
    "list": ("a list", "click a value"),
    "number box": ("a number box", "type a number and press Enter"),
    "text box": ("a text box", "type and press Enter"),
    "play button": ("a play button", "press it"),
}


def widget_kind(class_name: str) -> str | None:
    """How a note names the ipywidgets control ``class_name``; ``None`` if it is not one.

    >>> widget_kind("FloatSlider"), widget_kind("Dropdown")
    ('slider', 'drop-down list')
    """
    return _WIDGET_KINDS.get(class_name)


@dataclass
class Knob:
    """One control of a widget panel, as the note on the site describes it.

    >>> Knob("batch_size", "slider", low=1, high=10).describe()
    '<code>batch_size</code> (slider, 1 to 10)'
    >>> Knob("shuffle", "check box").describe()
    '<code>shuffle</code> (check box)'
    """

    label: str
    kind: str
    low: object = None
    high: object = None
    options: list = field(default_factory=list)
    repeated: bool = False  # built in a loop: one control per item

    def describe(self) -> str:
        """The knob in the note's words, as HTML.

        >>> Knob("w{i}", "slider", repeated=True).describe()
        '<code>w0</code>, <code>w1</code>, … (a slider each)'
        """
        label = html.escape(str(self.label))
        if self.repeated:
            if re.search(r"\{[^}]*\}", label):
                names = [re.sub(r"\{[^}]*\}", str(i), label) for i in (0, 1)]
                label = f"{names[0]}</code>, <code>{names[1]}</code>, …"
                kind = f"a {self.kind} each"
            else:
                head, sep, tail = self.kind.partition(" (")
                kind = f"several {head}{'es' if head.endswith(('x', 's')) else 's'}{sep}{tail}"
        else:
            kind = self.kind
        extra = ""
        if self.low is not None and self.high is not None:
            extra = f", {self.low} to {self.high}"
        elif self.options:
            shown = ", ".join(str(o) for o in self.options[:6])
            extra = f": {shown}" + (", …" if len(self.options) > 6 else "")
        if label.endswith("…"):
            return f"<code>{label} ({kind}{extra})"
        return f"<code>{label}</code> ({kind}{extra})"


# --------------------------------------------------------------------------------------------
# Finding the knobs of a widget cell without running the notebook: read the source of the
# function the cell calls (a notebook `def`, or a module the notebook imports) and collect
# the ipywidgets controls it constructs.


def _literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _label(node) -> str | None:
    """A string literal, or an f-string shown as its template (``f"w{i}"`` -> ``"w{i}"``)."""
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append("{" + ast.unparse(value.value) + "}")
        return "".join(parts)
    value = _literal(node)
    return value if isinstance(value, str) else None


def _call_name(func: ast.expr) -> str | None:
    """``a.b.c`` for a call to ``a.b.c(...)``; ``None`` for anything else."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    parts.append(func.id)
    return ".".join(reversed(parts))


def knobs_in_source(source: str) -> list[Knob]:
    """The ipywidgets controls that ``source`` constructs, in the order they appear.

    The label is the control's ``description=`` if it is a string, else the key it is stored
    under in a dict literal (``{"lr": FloatSlider(...)}``).

    >>> src = 'c = {"n": w.IntSlider(min=1, max=9), "sq": w.Checkbox(description="square")}'
    >>> [k.describe() for k in knobs_in_source(src)]
    ['<code>n</code> (slider, 1 to 9)', '<code>square</code> (check box)']
    """
    try:
        tree = ast.parse(_python_only(source))
    except SyntaxError:
        return []
    keys, repeated = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and isinstance(_label(key), str):
                    keys[id(value)] = _label(key)
        elif isinstance(node, ast.DictComp):
            repeated.add(id(node.value))
            if isinstance(_label(node.key), str):
                keys[id(node.value)] = _label(node.key)
        elif isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            repeated.add(id(node.elt))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node.func)
        kind = widget_kind(name.rsplit(".", 1)[-1]) if name else None
        if kind is None:
            continue
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        label = _label(kw["description"]) if "description" in kw else None
        if not isinstance(label, str) or not label.strip():
            label = keys.get(id(node), "unnamed")
        low, high = _literal(kw.get("min")), _literal(kw.get("max"))
        if not all(isinstance(v, (int, float)) for v in (low, high)):
            low = high = None
        options = _literal(kw.get("options"))
        options = [o[0] if isinstance(o, tuple) else o for o in options] if isinstance(
            options, (list, tuple)) else []
        found.append((node.lineno, node.col_offset, Knob(label.strip().rstrip(":"), kind,
                                                         low, high, options,
                                                         repeated=id(node) in repeated)))
    return [knob for *_, knob in sorted(found, key=lambda t: t[:2])]


def _python_only(source: str) -> str:
    """Cell source without IPython magics and shell escapes, so ``ast`` can parse it."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def _notebook_namespace(code_sources: Iterable[str]):
    """``(defs, imports)`` of a notebook: its ``def`` sources and what its imports bind."""
    defs, imports = {}, {}
    for source in code_sources:
        source = _python_only(source)
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                defs[node.name] = ast.get_source_segment(source, node) or ""
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    imports[bound] = alias.name if alias.asname else bound
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return defs, imports


def _import_dotted(dotted: str):
    """The object named ``dotted`` (``pkg.mod.attr``), or ``None`` when it cannot be imported."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        except Exception:  # a module that fails to import: no knobs from it
            return None
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _source_of(obj, roots: list[Path]) -> str | None:
    """Source of a function defined in a file under one of ``roots`` (our own code only)."""
    try:
        path = Path(inspect.getsourcefile(obj)).resolve()
        if not any(path.is_relative_to(r) for r in roots):
            return None
        return inspect.getsource(obj)
    except (TypeError, OSError):
        return None


def widget_knobs(cell_source: str, code_sources: list[str], *, roots: list[Path],
                 depth: int = 3) -> list[Knob]:
    """The knobs of the widget that ``cell_source`` builds.

    Looks in the cell itself, then in the functions it calls: ``def``\\ s of the same
    notebook (``code_sources``) and functions of modules it imports whose files lie under
    ``roots`` (e.g. ``src/batchlab``), following calls ``depth`` levels deep.

    >>> nb = ["import ipywidgets as w", "def panel():\\n    return w.IntSlider(min=0, max=3)"]
    >>> [k.describe() for k in widget_knobs("panel()", nb, roots=[])]
    ['<code>unnamed</code> (slider, 0 to 3)']
    """
    defs, imports = _notebook_namespace(code_sources)
    seen: set[str] = set()

    def search(source: str, module, level: int) -> list[Knob]:
        knobs = knobs_in_source(source)
        if knobs or level >= depth:
            return knobs
        try:
            tree = ast.parse(_python_only(source))
        except SyntaxError:
            return []
        for node in ast.walk(tree):
            name = _call_name(node.func) if isinstance(node, ast.Call) else None
            if not name or name in seen:
                continue
            seen.add(name)
            head, _, rest = name.partition(".")
            if module is None and head in defs and not rest:
                found = search(defs[head], None, level + 1)
            else:
                obj = None
                if module is not None and hasattr(module, head):
                    obj = getattr(module, head)
                    for attr in filter(None, rest.split(".")):
                        obj = getattr(obj, attr, None)
                elif module is None and head in imports:
                    obj = _import_dotted(".".join(filter(None, [imports[head], rest])))
                src = _source_of(obj, roots) if obj is not None else None
                if src is None:
                    continue
                found = search(src, inspect.getmodule(obj), level + 1)
            if found:
                return found
        return []

    return search(cell_source, None, 0)


# --------------------------------------------------------------------------------------------
# The notes that replace widget outputs on the site.


def _panel_title(text: str) -> str | None:
    found = re.search(r"HTML\(value='(.*?)'\)", text)
    if not found:
        return None
    title = re.sub(r"<[^>]+>", "", found.group(1)).strip()
    return title or None


def _base_kind(kind: str) -> str:
    return kind.removeprefix("one ").removesuffix(" each")


def panel_note(title: str | None, knobs: list[Knob]) -> str:
    """HTML of the note that stands in for a slider panel on the site.

    >>> note = panel_note("Batches", [Knob("n", "slider", low=1, high=9)])
    >>> "<code>n</code> (slider, 1 to 9)" in note and "JupyterLab" in note
    True
    """
    name = f"“{html.escape(title)}”" if title else "this panel"
    if knobs:
        listed = "; ".join(k.describe() for k in knobs)
        knobs_text = f"Its knobs: {listed}."
        kinds = dict.fromkeys(_base_kind(k.kind) for k in knobs)
        how = "; ".join("for {}, {}".format(*_HOW_TO_MOVE.get(kind, (f"a {kind}", "use it")))
                        for kind in kinds)
        how = how[0].upper() + how[1:] + "."
    else:
        knobs_text = "It has sliders and switches that only a running kernel can move."
        how = "Move a slider by dragging its handle; click a check box to flip it."
    return (
        '<div class="admonition note batchlab-widget-note">'
        '<p class="admonition-title">Interactive panel: move it in JupyterLab</p>'
        f"<p>In the notebook, this cell shows {name}, a slider panel that redraws its output "
        f"every time you move a knob. A static web page cannot run Python, so the panel is "
        f"not shown here. {knobs_text}</p>"
        "<p>To use it, open the notebook in JupyterLab and run the cells from the top "
        f"(<em>Run ▸ Run All Cells</em>). {how} The output under the knobs redraws after "
        "each move.</p></div>")


def progress_note(count: int) -> str:
    """HTML of the note that stands in for ``count`` tqdm progress bars.

    >>> "3 progress bars" in progress_note(3), "1 progress bar " in progress_note(1)
    (True, True)
    """
    bars = "1 progress bar" if count == 1 else f"{count} progress bars"
    return ('<div class="admonition note batchlab-widget-note">'
            '<p class="admonition-title">Progress bars</p>'
            f"<p>When this cell runs in JupyterLab it shows {bars} (tqdm widgets) that fill "
            "up as the work proceeds; a static page cannot show them move.</p></div>")


def _html_output(text: str) -> dict:
    return {"output_type": "display_data", "metadata": {}, "data": {"text/html": text}}


def _is_panel(text: str) -> bool:
    """A widget's text/plain looks like ``Explorer(children=…)`` for a panel, else a tqdm bar."""
    return bool(re.match(r"[A-Z]\w*\((children|value|description|layout)=", text)) or (
        "%|" not in text and "it/s" not in text)


def site_notebook(nb: dict, *, roots: list[Path] | None = None) -> dict:
    """A copy of the notebook ``nb`` (nbformat 4 JSON) as the site shows it.

    Every widget output (its ``text/plain`` and widget view) becomes an HTML note: a slider
    panel names its knobs and says how to move them in JupyterLab; consecutive tqdm bars
    become one line. Saved widget state is dropped. Nothing else changes.

    >>> cell = {"cell_type": "code", "source": "w.IntSlider(description='n', min=1, max=4)",
    ...         "metadata": {}, "execution_count": 1, "outputs": [{
    ...             "output_type": "execute_result", "execution_count": 1, "metadata": {},
    ...             "data": {"text/plain": "IntSlider(value=1, description='n', max=4, min=1)",
    ...                      WIDGET_VIEW: {"model_id": "0"}}}]}
    >>> out = site_notebook({"cells": [cell], "metadata": {}})["cells"][0]["outputs"]
    >>> len(out), "<code>n</code> (slider, 1 to 4)" in out[0]["data"]["text/html"]
    (1, True)
    """
    nb = copy.deepcopy(nb)
    nb.get("metadata", {}).pop("widgets", None)
    code = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        outputs, bars = [], 0
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            data.pop(WIDGET_STATE, None)
            if WIDGET_VIEW not in data:
                if bars:
                    outputs.append(_html_output(progress_note(bars)))
                    bars = 0
                outputs.append(out)
                continue
            text = data.get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            if _is_panel(text):
                if bars:
                    outputs.append(_html_output(progress_note(bars)))
                    bars = 0
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else (
                    cell["source"])
                knobs = widget_knobs(source, code, roots=roots or [])
                outputs.append(_html_output(panel_note(_panel_title(text), knobs)))
            else:
                bars += 1
        if bars:
            outputs.append(_html_output(progress_note(bars)))
        cell["outputs"] = outputs
    return nb


# --------------------------------------------------------------------------------------------
# Staging: the source tree Sphinx reads.


def find_root(start: Path | None = None) -> Path:
    """The repository root: the first folder upwards from ``start`` with ``docs/_config.yml``.

    Defaults to the current folder, then to the checkout this module was imported from.

    >>> (find_root() / "docs" / "_config.yml").is_file()
    True
    """
    candidates = [Path(start or Path.cwd()).resolve()]
    candidates.append(Path(__file__).resolve().parents[3])
    for base in candidates:
        for folder in (base, *base.parents):
            if (folder / "docs" / "_config.yml").is_file() and (folder / "notebooks").is_dir():
                return folder
    raise FileNotFoundError("no docs/_config.yml found: run this from a BatchLab checkout")


def course_notebooks(root: Path) -> list[Path]:
    """``notebooks/NN_name.ipynb`` in course order (their numbers).

    >>> [p.name for p in course_notebooks(find_root())][0]
    '00_start_here.ipynb'
    """
    return sorted(p for p in (Path(root) / "notebooks").glob("*.ipynb")
                  if NOTEBOOK_NAME.fullmatch(p.name))


def notebook_title(nb: dict) -> str:
    """The first ``# `` heading of the notebook's first markdown cell.

    >>> notebook_title({"cells": [{"cell_type": "markdown", "source": ["# 05 · Samplers\\n"]}]})
    '05 · Samplers'
    """
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"])
            found = re.search(r"^# +(.+?)\s*$", source, re.M)
            if found:
                return found.group(1)
    raise ValueError("notebook has no '# title' heading in a markdown cell")


def course_map(root: Path) -> str:
    """The landing page's course map: a Markdown table of every notebook, in order.

    >>> course_map(find_root()).splitlines()[0]
    '| # | notebook |'
    """
    rows = ["| # | notebook |", "|---|---|"]
    for path in course_notebooks(root):
        title = notebook_title(json.loads(path.read_text(encoding="utf-8")))
        number, _, rest = title.partition(" · ")
        if not rest:
            number, rest = path.name[:2], title
        rows.append(f"| {number} | [{rest}](../notebooks/{path.name}) |")
    return "\n".join(rows)


def readme_kernel_times(root: Path) -> dict[str, str]:
    """``{"05": "3 s", …}``: the CPU time column of the README's table of notebooks.

    >>> times = readme_kernel_times(find_root())
    >>> all(t.endswith(" s") for t in times.values())
    True
    """
    readme = Path(root) / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    return {m.group(1): m.group(2) for m in re.finditer(
        r"^\| *(\d\d) *\|.*\| *(\d+(?:\.\d+)? s) *\| *$", text, re.M)}


def notebook_times(root: Path) -> str:
    """The instructor's guide's table: per notebook, its size and its kernel time.

    Words of text, code cells and exercises are counted in the stored notebook; the kernel
    time comes from the README (``python -m batchlab.tools.refresh`` prints it).

    >>> notebook_times(find_root()).splitlines()[0]
    '| # | notebook | text (words) | code cells | exercises | kernel time |'
    """
    times = readme_kernel_times(root)
    rows = ["| # | notebook | text (words) | code cells | exercises | kernel time |",
            "|---|---|--:|--:|--:|--:|"]
    for path in course_notebooks(root):
        nb = json.loads(path.read_text(encoding="utf-8"))
        number, _, title = notebook_title(nb).partition(" · ")
        if not title:
            number, title = path.name[:2], number
        sources = [("".join(c["source"]), c["cell_type"]) for c in nb["cells"]]
        words = sum(len(s.split()) for s, kind in sources if kind == "markdown")
        code = sum(1 for s, kind in sources if kind == "code" and s.strip())
        exercises = len(set(re.findall(r"\bex\.(q\d+)\.check\(", "\n".join(
            s for s, kind in sources if kind == "code"))))
        rows.append(f"| {number} | [{title}](../notebooks/{path.name}) | {words:,} | {code} | "
                    f"{exercises} | {times.get(path.name[:2], '—')} |")
    return "\n".join(rows)


def other_modules(root: Path, api_page: str) -> str:
    """A list of the ``batchlab`` modules that the API page does not document, one a line.

    >>> "batchlab.lessons.samplers" in other_modules(find_root(), "")
    True
    """
    documented = set(re.findall(r"automodule::\s*(batchlab[\w.]*)", api_page))
    lines = []
    package = Path(root) / "src" / "batchlab"
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if any(p.startswith("_") for p in parts) or parts[0] in ("exercises", "tools"):
            continue
        name = ".".join(("batchlab", *parts))
        if name in documented:
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        first = " ".join(doc.strip().split("\n\n")[0].split())
        lines.append(f"- `{name}`: {_rst_to_md(first)}")
    return "\n".join(lines)


def _rst_to_md(text: str) -> str:
    return text.replace("``", "`")


def _mathjax_folder() -> Path:
    """The MathJax 3 files that ``sphinx-mathjax-offline`` ships."""
    try:
        files = importlib.metadata.files("sphinx-mathjax-offline") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for f in files:
        if f.name == "tex-svg.js":
            return Path(f.locate()).parent
    raise FileNotFoundError("MathJax not found: pip install sphinx-mathjax-offline "
                            "(or pip install -r requirements.txt)")


# MathJax 3 with SVG output needs no font files: the combined file, plus the pieces it may
# load on demand (TeX extensions through `autoload`, the right-click menu's parts).
_MATHJAX_PARTS = ("tex-svg.js", "input/tex/extensions", "ui", "a11y", "adaptors")


def _write_if_changed(path: Path, text: str) -> None:
    """Keep the file's time stamp when nothing changed, so Sphinx rebuilds only what did."""
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def stage(root: Path, staging: Path) -> list[str]:
    """Copy the site's sources into ``staging``; return the notebook pages, in order.

    ``staging`` mirrors the repository (``docs/``, ``notebooks/``) and gets ``_config.yml``
    and ``_toc.yml`` from ``docs/``. Files that no longer exist in the repository are
    removed from it; unchanged files keep their time stamps.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     pages = stage(find_root(), Path(tmp))
    ...     staged = sorted(p.name for p in Path(tmp).iterdir())
    >>> pages[0], staged
    ('notebooks/00_start_here', ['_assets', '_config.yml', '_toc.yml', 'docs', 'notebooks'])
    """
    root, staging = Path(root).resolve(), Path(staging)
    docs = root / "docs"
    roots = [root / "src", docs]
    wanted: dict[Path, str | Path] = {}
    wanted[staging / "_config.yml"] = (docs / "_config.yml").read_text(encoding="utf-8")
    wanted[staging / "_toc.yml"] = (docs / "_toc.yml").read_text(encoding="utf-8")
    for page in sorted(docs.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        text = text.replace(COURSE_MAP_MARKER, course_map(root))
        text = text.replace(API_MODULES_MARKER, other_modules(root, text))
        text = text.replace(TIMES_MARKER, notebook_times(root))
        wanted[staging / "docs" / page.name] = text
    for asset in sorted((docs / "_assets").rglob("*")) if (docs / "_assets").is_dir() else []:
        if asset.is_file():
            wanted[staging / "_assets" / asset.relative_to(docs / "_assets")] = asset
    mathjax = _mathjax_folder()
    for part in _MATHJAX_PARTS:
        source = mathjax / part
        for f in ([source] if source.is_file() else sorted(source.rglob("*"))):
            if f.is_file():
                wanted[staging / "_assets" / "mathjax" / f.relative_to(mathjax)] = f
    pages = []
    notebooks = course_notebooks(root) + sorted((docs / "examples").glob("*.ipynb"))
    added = [str(p.parent) for p in notebooks if str(p.parent) not in sys.path]
    sys.path[:0] = added  # a notebook may import a module that sits next to it
    try:
        for path in notebooks:
            nb = site_notebook(json.loads(path.read_text(encoding="utf-8")), roots=roots)
            target = staging / path.relative_to(root)
            wanted[target] = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
            if path.parent.name == "notebooks":
                pages.append(target.relative_to(staging).with_suffix("").as_posix())
    finally:
        for p in added:
            sys.path.remove(p)
    if staging.exists():  # drop what the repository no longer has
        for f in sorted(staging.rglob("*"), reverse=True):
            if f.is_file() and f not in wanted:
                f.unlink()
            elif f.is_dir() and not any(f.iterdir()):
                f.rmdir()
    for target, content in wanted.items():
        if isinstance(content, Path):
            if not target.is_file() or target.stat().st_size != content.stat().st_size or (
                    target.read_bytes() != content.read_bytes()):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(content, target)
        else:
            _write_if_changed(target, content)
    return pages


# --------------------------------------------------------------------------------------------
# Building.


@dataclass
class SiteBuild:
    """What ``build`` made: the HTML folder, its pages, Sphinx's warnings, the time taken."""

    html: Path
    notebook_pages: list[str]
    warnings: list[str]
    seconds: float

    @property
    def index(self) -> Path:
        return self.html / "docs" / "index.html"

    def pages(self) -> list[Path]:
        """Every content page (not search, genindex or Sphinx's own pages)."""
        skip = {"search.html", "genindex.html", "py-modindex.html"}
        return sorted(p for p in self.html.rglob("*.html")
                      if p.name not in skip and not p.relative_to(self.html).parts[0].startswith(
                          "_") and p != self.html / "index.html")


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for s in self.streams:
            if s is not None:
                s.write(text)
        return len(text)

    def flush(self):
        for s in self.streams:
            if s is not None:
                s.flush()


@contextlib.contextmanager
def _skipping_import(name: str):
    """Make ``import name`` fail inside the block, unless it is imported already.

    Jupyter Book validates ``_config.yml`` with jsonschema, which imports the optional
    ``rfc3987_syntax`` (when installed) only to check IRI formats that the config never uses;
    compiling its grammar costs seconds on every build.
    """
    if name in sys.modules:
        yield
        return
    sys.modules[name] = None  # type: ignore[assignment]  # "import name" raises ImportError
    try:
        yield
    finally:
        if sys.modules.get(name, 0) is None:
            del sys.modules[name]


def build(root: Path | None = None, out: Path | None = None, *, quiet: bool = False,
          clean: bool = False) -> SiteBuild:
    """Stage and build the site; return where it is and what Sphinx warned about.

    ``out`` defaults to ``<root>/build/site``; the HTML lands in ``<out>/html``. Every page
    is read again on each build, so the warnings are complete; with ``clean`` the previous
    build folder is removed first (pages of deleted notebooks go with it).

    Takes about a minute or less on a 2-core CPU, so the example is not run here:

    >>> # site = build(); site.index, site.warnings
    >>> # (PosixPath('.../build/site/html/docs/index.html'), [])
    """
    start = time.perf_counter()
    with _skipping_import("rfc3987_syntax"):
        from jupyter_book.config import get_final_config
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    root = find_root(root)
    out = Path(out) if out is not None else root / "build" / "site"
    if clean and out.exists():
        shutil.rmtree(out)
    staging, html_dir, doctrees = out / "src", out / "html", out / ".doctrees"
    pages = stage(root, staging)
    config, _ = get_final_config(user_yaml=staging / "_config.yml",
                                 cli_config={"latex_individualpages": False},
                                 sourcedir=staging, use_external_toc=True)
    # Thebe (live code through Binder) and the comment widgets fetch from other servers when
    # used; the site has no use for them.
    config["extensions"] = [e for e in config["extensions"]
                            if e not in {"sphinx_thebe", "sphinx_comments"}]
    config.pop("comments_config", None)  # sphinx_comments' setting, unknown without it
    log = io.StringIO()
    status = None if quiet else sys.stdout
    with patch_docutils(staging), docutils_namespace(), warnings.catch_warnings():
        # Python warnings raised by imported libraries while Sphinx runs (a torch
        # deprecation seen through an isinstance check) are not Sphinx warnings.
        warnings.simplefilter("ignore", FutureWarning)
        app = Sphinx(srcdir=staging, confdir=None, outdir=html_dir, doctreedir=doctrees,
                     buildername="html", confoverrides=config, status=status,
                     warning=_Tee(log, None if quiet else sys.stderr),
                     freshenv=True, warningiserror=False, parallel=1, keep_going=True)
        app.build(force_all=False)
    # freshenv: every page is read again, so every warning is reported on every build.
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log.getvalue())  # without terminal colours
    found = [line for line in plain.splitlines()
             if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", line)]
    root_index = html_dir / "index.html"
    if not root_index.exists():
        root_index.write_text('<!DOCTYPE html><meta charset="utf-8"><title>BatchLab</title>'
                              '<meta http-equiv="refresh" content="0; url=docs/index.html">'
                              '<a href="docs/index.html">BatchLab</a>\n', encoding="utf-8")
    return SiteBuild(html_dir, pages, found, time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    """``python -m batchlab.tools.site``: build the site, print where it is; 1 on a warning.

    >>> # main(["--out", "/tmp/site", "--quiet"])  prints
    >>> # site: 16 pages (11 notebooks) in 20.3 s -> /tmp/site/html/docs/index.html
    """
    parser = argparse.ArgumentParser(prog="python -m batchlab.tools.site", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None,
                        help="build folder (default: build/site in the repository)")
    parser.add_argument("--root", type=Path, default=None,
                        help="repository root (default: found from the current folder)")
    parser.add_argument("--clean", action="store_true", help="remove the previous build first")
    parser.add_argument("--allow-warnings", action="store_true",
                        help="exit 0 even when Sphinx warned")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="also write a report (folder, pages, warnings, seconds) as JSON")
    args = parser.parse_args(argv)
    with contextlib.redirect_stdout(sys.stderr if args.quiet else sys.stdout):
        site = build(args.root, args.out, quiet=args.quiet, clean=args.clean)
    pages = site.pages()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "html": str(site.html.resolve()), "index": str(site.index.resolve()),
            "pages": [p.relative_to(site.html).as_posix() for p in pages],
            "notebook_pages": site.notebook_pages, "warnings": site.warnings,
            "seconds": round(site.seconds, 1)}, indent=1))
    print(f"site: {len(pages)} pages ({len(site.notebook_pages)} notebooks) in "
          f"{site.seconds:.1f} s -> {site.index}")
    if site.warnings:
        print(f"{len(site.warnings)} Sphinx warning(s):", *site.warnings, sep="\n  ")
        return 0 if args.allow_warnings else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
