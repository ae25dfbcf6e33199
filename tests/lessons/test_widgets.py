import ipywidgets as w
import pytest
from support import slider_ends

from batchlab.viz.figures import new_figure
from batchlab.viz.widgets import Explorer


def test_explorer_renders_on_start_and_on_every_change():
    calls = []

    def render(n, flag):
        calls.append((n, flag))
        return f"{n}-{flag}"

    ex = Explorer(render, {"n": w.IntSlider(value=2, min=1, max=4), "flag": w.Checkbox()})
    assert ex.last_result == "2-False"
    ex.controls["n"].value = 4
    ex.controls["flag"].value = True
    assert ex.last_result == "4-True"
    assert calls == [(2, False), (4, False), (4, True)]
    assert ex.values == {"n": 4, "flag": True}


def test_explorer_errors_surface_outside_a_kernel():
    ex = Explorer(lambda n: 10 // n, {"n": w.IntSlider(value=1, min=0, max=2)})
    with pytest.raises(ZeroDivisionError):
        ex.controls["n"].value = 0


def test_explorer_rejects_bad_arguments():
    with pytest.raises(TypeError, match="render"):
        Explorer(42, {"n": w.IntSlider()})
    with pytest.raises(ValueError, match="controls"):
        Explorer(print, {})
    with pytest.raises(TypeError, match="controls"):
        Explorer(print, {"n": w.Button()})


def test_slider_ends():
    assert slider_ends(w.FloatSlider(min=0.5, max=2.0)) == [0.5, 2.0]
    assert slider_ends(w.ToggleButton()) == [False, True]
    assert slider_ends(w.Dropdown(options=[("a", 1), ("b", 2), ("c", 3)])) == [1, 3]


def test_new_figure_is_closed_and_sized():
    import matplotlib.pyplot as plt

    fig = new_figure(1, 2, width=3, height=2)
    assert len(fig.axes) == 2
    assert list(fig.get_size_inches()) == [6, 2]
    assert fig.number not in plt.get_fignums()
