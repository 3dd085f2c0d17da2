"""What the package declares: every library that segcore and the app import is a dependency in
pyproject.toml (core, or the extra of the feature that needs it) and pinned in requirements.txt,
so ``pip install -e .`` alone gives a segcore that imports (pydantic arrived only with Gradio)."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions

import pytest

from conftest import ROOT

tomllib = pytest.importorskip("tomllib")


def _name(requirement: str) -> str:
    """``"ray[data]>=2.40"`` -> ``"ray"`` (PEP 503 normalised)."""
    return re.sub(r"[-_.]+", "-", re.match(r"\s*([A-Za-z0-9_.\-]+)", requirement).group(1)).lower()


def imported_libraries(package: str) -> set[str]:
    """Top-level names of the absolute imports in ``package``'s files that are not the
    standard library's nor the project's own."""
    names = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("segcore", "demo")}


@pytest.mark.parametrize("package, sections", [("segcore", None), ("demo", ("app",))])
def test_every_imported_library_is_declared_and_pinned(package, sections):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    declared = {_name(r) for r in project["dependencies"]}
    declared |= {_name(r) for key in (sections or extras) for r in extras[key]}
    pinned = {_name(line) for line in (ROOT / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.lstrip().startswith("#")}
    dists = packages_distributions()
    for module in sorted(imported_libraries(package)):
        names = {_name(d) for d in dists.get(module, [module])}
        assert names & declared, f"{package} imports {module} ({', '.join(sorted(names))}): not in pyproject.toml"
        assert names & pinned, f"{package} imports {module} ({', '.join(sorted(names))}): not in requirements.txt"
