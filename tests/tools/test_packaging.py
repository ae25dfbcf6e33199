"""requirements.txt, environment.yml, pyproject.toml and constraints.txt agree.

The lower bounds are the oldest versions allowed, so each must be a version the tests ran
with: the one constraints.txt pins (and CI installs), which the notebooks record.
"""

import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONDA_TO_PIP = {"pytorch": "torch"}
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def lower_bound(requirement: str) -> str | None:
    found = re.search(r">=\s*([0-9][^,;\s]*)", requirement)
    return found.group(1) if found else None


def pip_requirements() -> dict[str, str]:
    """``{name: requirement}`` for everything `pip install -r requirements.txt` asks for."""
    reqs = {name(r): r for r in PROJECT["dependencies"]}
    text = (ROOT / "requirements.txt").read_text()
    for line in filter(None, (ln.split("#")[0].strip() for ln in text.splitlines())):
        if line.startswith("-e"):
            extras = re.search(r"\[(.*)\]", line)
            assert extras, "requirements.txt must install the package with its [test] extra"
            for extra in extras.group(1).split(","):
                reqs |= {name(r): r for r in PROJECT["optional-dependencies"][extra.strip()]}
        else:
            reqs[name(line)] = line
    return reqs


def conda_requirements() -> dict[str, str]:
    text = (ROOT / "environment.yml").read_text()
    deps = re.findall(r"^ {2}- ([A-Za-z0-9_.-]+.*)$", text.split("\ndependencies:\n", 1)[1], re.M)
    deps += re.findall(r"^ {6}- ([A-Za-z][A-Za-z0-9_.-]*[<>=].*)$", text, re.M)  # pip: section
    reqs = {CONDA_TO_PIP.get(name(d), name(d)): d for d in deps}
    return {k: v for k, v in reqs.items() if k not in {"python", "pip", "pip:"}}


def constraints() -> dict[str, str]:
    text = (ROOT / "constraints.txt").read_text()
    pins = [ln.split("#")[0].strip() for ln in text.splitlines()]
    return {name(p): p.split("==", 1)[1] for p in pins if p}


def test_environment_and_requirements_name_the_same_packages():
    assert set(pip_requirements()) == set(conda_requirements())


def test_environment_yml_uses_conda_forge_only():
    text = (ROOT / "environment.yml").read_text()
    channels = re.findall(r"^ {2}- (\S+)$", text.split("channels:\n", 1)[1].split("\n\n")[0]
                          .split("dependencies:")[0], re.M)
    assert channels == ["conda-forge"]


def test_every_lower_bound_is_the_tested_version():
    pins = constraints()
    for source, reqs in (("pip", pip_requirements()), ("conda", conda_requirements())):
        assert set(reqs) == set(pins), f"{source} and constraints.txt name other packages"
        for pkg, req in reqs.items():
            assert "==" not in req, f"{source}: {req} pins an exact version"
            assert lower_bound(req) == pins[pkg], f"{source}: {req}, but the tests ran {pins[pkg]}"


def test_constraints_are_the_versions_the_notebooks_record():
    pins = constraints()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        versions = json.loads(path.read_text())["metadata"].get("batchlab", {}).get("versions")
        assert versions, f"{path.name} records no versions: run python -m batchlab.tools.refresh"
        for pkg, version in versions.items():
            if pkg == "python":
                assert PROJECT["requires-python"] == f">={version}", path.name
            else:
                assert pins[pkg] == version, f"{path.name}: {pkg} {version}, pinned {pins[pkg]}"


def test_runtime_dependencies_are_the_documented_ones():
    assert {name(r) for r in PROJECT["dependencies"]} == {
        "torch", "torchvision", "numpy", "matplotlib", "ipywidgets", "tqdm", "scikit-learn",
        "packaging"}
    assert {"pytest", "nbval", "pytest-xdist", "hypothesis"} <= {
        name(r) for r in PROJECT["optional-dependencies"]["test"]}


def test_ci_runs_the_readme_commands():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -r requirements.txt && jupyter lab notebooks/" in readme
    assert re.search(r"^pytest$", readme, re.M)
    assert re.search(r"^python3 -m pip install -q -r requirements.txt -c constraints.txt$", ci,
                     re.M)
    assert re.search(r"^python3 -m pytest$", ci, re.M)
