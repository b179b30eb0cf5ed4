"""Package boundaries: only the UI (and the app module) may import reflex; the UI runs no queries."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "crm_app"
UI = PACKAGE / "ui"
APP_MODULE = PACKAGE / "crm_app.py"
QUERY_MODULES = ("sqlmodel", "sqlalchemy")


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _is_ui(path: Path) -> bool:
    return path == APP_MODULE or UI in path.parents


def _dotted(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """Every import of a module: (line, absolute module name, imported names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _dotted(path) if path.name == "__init__.py" else _dotted(path).rpartition(".")[0]
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            found.append((node.lineno, module, [alias.name for alias in node.names]))
    return found


def _is_reflex(module: str) -> bool:
    top = module.split(".")[0]
    return top == "reflex" or top.startswith("reflex_")


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_only_the_ui_imports_reflex() -> None:
    offenders = [
        f"{_where(path, line)} imports {module}"
        for path in _modules()
        if not _is_ui(path)
        for line, module, _names in _imports(path)
        if _is_reflex(module)
    ]
    assert offenders == [], "reflex imported outside crm_app/ui and crm_app/crm_app.py:\n" + "\n".join(offenders)


def test_domain_code_does_not_import_the_ui() -> None:
    offenders = [
        f"{_where(path, line)} imports {module}"
        for path in _modules()
        if not _is_ui(path)
        for line, module, names in _imports(path)
        if module in ("crm_app.ui", "crm_app.crm_app")
        or module.startswith("crm_app.ui.")
        or (module == "crm_app" and ({"ui", "crm_app"} & set(names)))
    ]
    assert offenders == [], "domain code imports the UI:\n" + "\n".join(offenders)


def test_ui_runs_no_queries() -> None:
    offenders: list[str] = []
    for path in _modules():
        if UI not in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module_aliases: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in QUERY_MODULES:
                if any(alias.name == "select" for alias in node.names):
                    offenders.append(f"{_where(path, node.lineno)} imports select from {node.module}")
            elif isinstance(node, ast.Import):
                module_aliases.update(
                    (alias.asname or alias.name).split(".")[0]
                    for alias in node.names
                    if alias.name.split(".")[0] in QUERY_MODULES
                )
        offenders.extend(
            f"{_where(path, node.lineno)} calls {node.value.id}.select"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and node.attr == "select"
            and isinstance(node.value, ast.Name)
            and node.value.id in module_aliases
        )
    assert offenders == [], "queries belong in the services, not in crm_app/ui:\n" + "\n".join(offenders)


def test_importing_every_domain_module_loads_no_reflex(tmp_path: Path) -> None:
    modules = [_dotted(path) for path in _modules() if not _is_ui(path) and path.name != "__main__.py"]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'reflex' or m.startswith(('reflex.', 'reflex_')))\n"
        "print('\\n'.join(loaded))\n"
    )
    env = {**os.environ, "CRM_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}", "CRM_UPLOAD_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", "importing domain modules loads reflex:\n" + result.stdout
