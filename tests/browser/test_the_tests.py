"""The browser checks catch what they are for: deliberately broken copies must fail them."""

import nbformat
import pytest

from .lab import check_notebook

SETUP = "import ipywidgets as w\nfrom batchlab.viz.widgets import Explorer\n"
BROKEN = {
    # a widget callback that raises at the end of its slider
    "raises": SETUP + (
        "def render(n):\n"
        "    if n == 9:\n"
        "        raise ValueError('deliberately broken at n=9')\n"
        "    return f'n = {n}'\n"
        "Explorer(render, {'n': w.IntSlider(value=3, min=1, max=9)})"),
    # a slider that no longer redraws: the output ignores the value
    "frozen": SETUP + "Explorer(lambda n: 'always the same', {'n': w.IntSlider(value=3, max=9)})",
    # a cell that raises
    "cell_error": "1 / 0",
}


def write(root, key):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# broken: {key}"),
                nbformat.v4.new_code_cell(BROKEN[key])]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    name = f"broken_{key}.ipynb"
    nbformat.write(nb, root / name)
    return name


@pytest.mark.parametrize("key, expected", [
    ("raises", "made the output show an error"),
    ("frozen", "did not redraw the output"),
    ("cell_error", "shows an error (ZeroDivisionError)"),
])
def test_a_broken_notebook_fails_the_check(key, expected, jupyter_lab, lab_root, context,
                                           artifacts_dir):
    name = write(lab_root, key)
    result = check_notebook(context, jupyter_lab, name, artifacts_dir / f"broken_{key}.png",
                            run_timeout_s=60, redraw_timeout_ms=2500)
    assert any(expected in p for p in result["problems"]), result["problems"]
    print(result["problems"])
    assert result["screenshot"].exists()
