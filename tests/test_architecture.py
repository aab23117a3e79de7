"""The import contract: the core imports no edge, connectors know neither Flask nor SQLAlchemy."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EDGES = ("service.web", "service.cli", "jobs")
CONNECTOR_MODULES = sorted(
    f"connectors.{p.stem}" if p.is_file() else f"connectors.{p.name}"
    for p in (ROOT / "connectors").iterdir()
    if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists())


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at any depth of the file (absolute names)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def core_files() -> list[Path]:
    """The domain: every module of service/ that is not an edge."""
    return [p for p in sorted((ROOT / "service").rglob("*.py"))
            if not any(_within(module_name(p), edge) for edge in EDGES)]


@pytest.mark.parametrize("path", core_files(), ids=lambda p: module_name(p))
def test_the_core_imports_no_edge(path: Path) -> None:
    wrong = sorted(name for name in imported_modules(path)
                   if any(_within(name, edge) for edge in EDGES))
    assert not wrong, f"{module_name(path)} imports {wrong}"


def test_the_vocabulary_imports_nothing_of_the_project() -> None:
    names = imported_modules(ROOT / "service" / "vocabulary.py")
    assert not [n for n in names if n.split(".")[0] in ("service", "connectors", "jobs")]


@pytest.mark.parametrize("path", sorted((ROOT / "connectors").rglob("*.py")),
                         ids=lambda p: module_name(p))
def test_connectors_import_neither_flask_nor_sqlalchemy(path: Path) -> None:
    wrong = sorted(n for n in imported_modules(path)
                   if n.split(".")[0] in ("flask", "sqlalchemy") or _within(n, "service.web"))
    assert not wrong, f"{module_name(path)} imports {wrong}"


@pytest.mark.parametrize("module", CONNECTOR_MODULES)
def test_each_connector_imports_alone_in_a_fresh_interpreter(module: str) -> None:
    # An outside connector package's own tests import a connector first, with nothing else
    # loaded: no import cycle may depend on the web app having been imported before.
    code = (f"import sys, {module}; "
            "loaded = [m for m in ('flask', 'sqlalchemy') if m in sys.modules]; "
            "sys.exit(f'pulled in {loaded}' if loaded else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1:] or done.stdout
