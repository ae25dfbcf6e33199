"""requirements.txt, environment.yml and pyproject.toml name the same packages."""

import re
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"pytorch": "torch"}


def name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pip_names():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {name(r) for r in project["dependencies"]}
    text = (ROOT / "requirements.txt").read_text()
    lines = [ln.split("#")[0].strip() for ln in text.splitlines()]
    for line in filter(None, lines):
        if line.startswith("-e"):
            extras = re.search(r"\[(.*)\]", line)
            assert extras, "requirements.txt must install the package with its [test] extra"
            for extra in extras.group(1).split(","):
                names |= {name(r) for r in project["optional-dependencies"][extra.strip()]}
        else:
            names.add(name(line))
    return names


def conda_names():
    text = (ROOT / "environment.yml").read_text().split("\ndependencies:\n", 1)[1]
    deps = re.findall(r"^  - ([A-Za-z0-9_.-]+)", text, re.M)
    return {CONDA_TO_PIP.get(d.lower(), d.lower()) for d in deps} - {"python", "pip"}


def test_environment_and_requirements_name_the_same_packages():
    assert pip_names() == conda_names()


def test_requirements_use_lower_bounds_only():
    for path in ("requirements.txt", "environment.yml"):
        assert "==" not in (ROOT / path).read_text(), f"{path} pins an exact version"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    assert all(">=" in r and "==" not in r for r in reqs)


def test_runtime_dependencies_are_the_documented_ones():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert {name(r) for r in project["dependencies"]} == {
        "torch", "torchvision", "numpy", "matplotlib", "ipywidgets", "tqdm", "scikit-learn"}
    assert {"pytest", "nbval", "pytest-xdist", "hypothesis"} <= {
        name(r) for r in project["optional-dependencies"]["test"]}
    assert project["requires-python"] == ">=3.10"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -r requirements.txt && jupyter lab notebooks/" in readme
    assert re.search(r"^pytest$", readme, re.M)
    assert re.search(r"^python3 -m pip install -q -r requirements.txt$", ci, re.M)
    assert re.search(r"^python3 -m pytest$", ci, re.M)
