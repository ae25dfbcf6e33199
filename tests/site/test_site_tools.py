"""Unit tests of ``batchlab.tools.site`` (no Sphinx run) and of the worked example's helpers."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from support import sweep_ends

from batchlab.tools import site as sitetool

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
VIEW = sitetool.WIDGET_VIEW


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_site_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _widget_output(text):
    return {"output_type": "display_data", "metadata": {},
            "data": {"text/plain": text, VIEW: {"model_id": "x", "version_major": 2}}}


def _code(source, outputs):
    return {"cell_type": "code", "source": source, "metadata": {}, "execution_count": 1,
            "outputs": outputs}


def test_panel_output_becomes_a_note_naming_the_knobs_of_a_notebook_def():
    nb = {"metadata": {"widgets": {"state": {}}}, "cells": [
        _code("import ipywidgets as w\nfrom batchlab.viz.widgets import Explorer", []),
        _code("def panel():\n    return Explorer(print, {'n': w.IntSlider(min=1, max=5),\n"
              "        'on': w.Checkbox(description='shuffle')}, title='T')", []),
        _code("panel()", [_widget_output("Explorer(children=(HTML(value='<b>My panel</b>'), "
                                         "HBox(children=(IntSlider(value=1, …")]),
    ]}
    out = sitetool.site_notebook(nb)
    assert "widgets" not in out["metadata"] and "widgets" in nb["metadata"]  # a copy
    [note] = out["cells"][2]["outputs"]
    html = note["data"]["text/html"]
    assert list(note["data"]) == ["text/html"]
    assert "“My panel”" in html and "<code>n</code> (slider, 1 to 5)" in html
    assert "<code>shuffle</code> (check box)" in html and "JupyterLab" in html


def test_knobs_of_a_library_builder_are_found_through_the_notebooks_imports():
    nb = {"metadata": {}, "cells": [
        _code("from batchlab.lessons.dataloader_batching import epoch_batches_explorer", []),
        _code("epoch_batches_explorer(10, batch_size=3)", [_widget_output("Explorer(children=(…")]),
    ]}
    html = sitetool.site_notebook(nb, roots=[ROOT / "src"])["cells"][1]["outputs"][0][
        "data"]["text/html"]
    assert "<code>batch_size</code> (slider" in html and "check box" in html


def test_knobs_outside_the_roots_are_not_read():
    nb = {"metadata": {}, "cells": [
        _code("from batchlab.lessons.dataloader_batching import epoch_batches_explorer", []),
        _code("epoch_batches_explorer(10)", [_widget_output("Explorer(children=(…")]),
    ]}
    html = sitetool.site_notebook(nb, roots=[])["cells"][1]["outputs"][0]["data"]["text/html"]
    assert "Its knobs" not in html and "only a running kernel can move" in html


def test_progress_bars_collapse_into_one_note_and_other_outputs_stay():
    bars = [_widget_output(f"epoch {i}/3:   0%|          | 0/5 [00:00<?, ?it/s]")
            for i in (1, 2, 3)]
    text = {"output_type": "stream", "name": "stdout", "text": "done\n"}
    nb = {"metadata": {}, "cells": [_code("fit()", [*bars, text])]}
    outputs = sitetool.site_notebook(nb)["cells"][0]["outputs"]
    assert len(outputs) == 2 and outputs[1] == text
    assert "3 progress bars" in outputs[0]["data"]["text/html"]


@pytest.mark.parametrize("source, expected", [
    ("w.FloatSlider(description='lr', min=0.01, max=1.0)",
     ["<code>lr</code> (slider, 0.01 to 1.0)"]),
    ("widgets.ToggleButtons(options=[('zero', 0), ('one', 1)], description='y')",
     ["<code>y</code> (buttons: zero, one)"]),
    ("{f'w{i}': w.IntSlider(min=0, max=3) for i in range(4)}",
     ["<code>w0</code>, <code>w1</code>, … (a slider each, 0 to 3)"]),
    ("%matplotlib inline\nprint('no widget here')", []),
    ("this is not python (", []),
])
def test_knobs_in_source(source, expected):
    assert [k.describe() for k in sitetool.knobs_in_source(source)] == expected


def test_course_map_and_times_list_every_notebook_in_order():
    names = [p.name for p in sitetool.course_notebooks(ROOT)]
    assert names == sorted(names) and names[0].startswith("00_")
    for table in (sitetool.course_map(ROOT), sitetool.notebook_times(ROOT)):
        linked = [line.split("(../notebooks/")[1].split(")")[0]
                  for line in table.splitlines()[2:]]
        assert linked == names


def _fake_repository(root: Path) -> Path:
    (root / "docs").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "docs" / "_config.yml").write_text("title: T\n")
    (root / "docs" / "_toc.yml").write_text("format: jb-book\nroot: docs/index\n")
    (root / "docs" / "index.md").write_text("# T\n\n<!-- course-map -->\n")
    for name, title in (("01_b.ipynb", "01 · Bee"), ("00_a.ipynb", "00 · Ay")):
        cells = [{"cell_type": "markdown", "metadata": {}, "source": f"# {title}\n"},
                 _code("fit()", [_widget_output("epoch 1/1:   0%|  | 0/1 [00:00<?, ?it/s]")])]
        (root / "notebooks" / name).write_text(json.dumps({"cells": cells, "metadata": {}}))
    (root / "notebooks" / "scratch.ipynb").write_text("{}")  # not a course notebook
    return root


def test_stage_mirrors_the_repository_and_drops_stale_files(tmp_path):
    root, staging = _fake_repository(tmp_path / "repo"), tmp_path / "staging"
    stale = staging / "notebooks" / "99_gone.ipynb"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    assert sitetool.stage(root, staging) == ["notebooks/00_a", "notebooks/01_b"]
    assert not stale.exists() and not (staging / "notebooks" / "scratch.ipynb").exists()
    assert (staging / "_config.yml").read_text() == "title: T\n"
    assert "[Bee](../notebooks/01_b.ipynb)" in (staging / "docs" / "index.md").read_text()
    assert (staging / "_assets" / "mathjax" / "tex-svg.js").is_file()
    staged = json.loads((staging / "notebooks" / "00_a.ipynb").read_text())
    [note] = staged["cells"][1]["outputs"]
    assert list(note["data"]) == ["text/html"] and "1 progress bar" in note["data"]["text/html"]
    before = (staging / "_toc.yml").stat().st_mtime_ns
    sitetool.stage(root, staging)  # unchanged files keep their time stamps
    assert (staging / "_toc.yml").stat().st_mtime_ns == before


def test_find_root_needs_a_checkout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert sitetool.find_root() == ROOT  # falls back to the checkout of the module
    assert sitetool.find_root(ROOT / "notebooks") == ROOT


# --- the worked example of the instructor's guide -------------------------------------------


def test_example_panel_works_at_both_ends_of_every_knob():
    lesson = _load("my_lesson")
    explorer = lesson.padding_explorer()
    seen = sweep_ends(explorer, lambda fig: fig.axes[0].get_title())
    assert seen["batch_size"][0].endswith(" 0% padding")  # batch_size=1 pads nothing
    assert seen["batch_size"][0] != seen["batch_size"][1]
    assert seen["sort_by_length"][0] != seen["sort_by_length"][1]
    with pytest.raises(ValueError, match="batch_size"):
        lesson.epoch_batches(5, batch_size=0, sort_by_length=False)


def test_example_exercises_accept_the_reference_and_reject_the_wrong(capsys):
    ex = _load("my_exercises")
    assert [q.name for q in ex.QUESTIONS] == ["q1", "q2"]
    for q in ex.QUESTIONS:
        assert q.is_correct(q.reference)
        assert not any(q.is_correct(w) for w in q.wrong)
        q.check(...)
        assert capsys.readouterr().out.startswith("Not attempted yet")
    import numpy as np
    import torch

    assert all(ex.q1.is_correct(a) for a in (8, 8.0, np.int64(8), torch.tensor(8)))

    def my_padding_share(batches):
        ...  # an unwritten stub

    ex.q2.check(my_padding_share)
    assert capsys.readouterr().out.startswith("Not attempted yet")
    assert ex.q2.is_correct(lambda b: np.float64(ex._reference_q2(b)))
    assert ex.q2.is_correct(lambda b: torch.tensor(ex._reference_q2(b)))
