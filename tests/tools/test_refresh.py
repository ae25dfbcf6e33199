import json

import nbformat
import pytest

from batchlab.tools.refresh import main, refresh_notebook
from batchlab.tools.versions import installed


def test_refresh_executes_in_place_and_strips_widget_state(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os\nx = 6 * 7\nx"),
                nbformat.v4.new_code_cell("import ipywidgets\nipywidgets.IntSlider(3)"),
                nbformat.v4.new_code_cell("print(os.environ['BATCHLAB_DEVICE'], os.getcwd())")]
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    assert main([str(path)]) == 0
    assert "kernel time" in capsys.readouterr().out
    stored = json.loads(path.read_text())
    assert [c["execution_count"] for c in stored["cells"]] == [1, 2, 3]
    assert stored["cells"][0]["outputs"][0]["data"]["text/plain"] == ["42"]
    assert "widgets" not in stored["metadata"]
    assert stored["metadata"]["batchlab"]["versions"] == installed()
    assert stored["cells"][2]["outputs"][0]["text"] == [f"cpu {tmp_path}\n"]


def test_refresh_rejects_what_is_not_a_notebook(tmp_path):
    with pytest.raises(ValueError, match="ipynb"):
        refresh_notebook(tmp_path / "missing.ipynb")
