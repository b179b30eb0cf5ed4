"""Package boundaries.

The layers, lowest first; a module may import its own package and the packages below it, never above or
across (``api`` and ``ui`` are siblings at the top and stay apart). The composition root (``models``, the
app module, ``cli``, ``demo``) loads everything. Lower layers tell higher ones through events
(``crm_app.core.events``). Lazy imports inside functions count the same.

Also: no import circles between files; no module imports another module's ``_private`` name; only the UI (and
the app module) imports reflex; the UI runs no queries.
"""

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


LAYERS: tuple[tuple[str, ...], ...] = (
    ("i18n", "settings"),
    ("core",),
    ("db",),
    ("jobs",),
    ("auth",),
    ("fields",),
    ("contacts",),
    ("feed",),
    ("exchange",),
    ("api", "ui"),
    ("models",),
    ("crm_app", "cli", "demo"),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "crm_app":
        return None
    return parts[1] if len(parts) > 1 else "crm_app"


def _module_edges() -> dict[str, set[str]]:
    """Module -> the crm_app modules it imports (``from pkg import submodule`` counts as the submodule)."""
    known = {_dotted(path) for path in _modules()}
    edges: dict[str, set[str]] = {}
    for path in _modules():
        targets = edges.setdefault(_dotted(path), set())
        for _line, module, names in _imports(path):
            if not module.startswith("crm_app"):
                continue
            subs = {f"{module}.{name}" for name in names if f"{module}.{name}" in known}
            if subs:
                targets.update(subs)
            elif module in known:
                targets.add(module)
        targets.discard(_dotted(path))
    return edges


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


def test_imports_only_go_down_the_layers() -> None:
    offenders = []
    for path in _modules():
        own = _package_of(_dotted(path))
        for line, module, names in _imports(path):
            targets = [module] if module != "crm_app" else [f"crm_app.{name}" for name in names]
            for target in targets:
                other = _package_of(target)
                if other is None or other == own:
                    continue
                assert own in RANK and other in RANK, f"{_where(path, line)}: put {own!r} and {other!r} in LAYERS"
                if RANK[other] >= RANK[own]:
                    offenders.append(f"{_where(path, line)} ({own} -> {other}) imports {target}")
    assert offenders == [], "imports that go up or across the layers:\n" + "\n".join(offenders)


def test_no_module_imports_a_private_name_of_another() -> None:
    offenders = [
        f"{_where(path, line)} imports {name} from {module}"
        for path in _modules()
        for line, module, names in _imports(path)
        if module.startswith("crm_app") and module != _dotted(path)
        for name in names
        if name.startswith("_") and not name.startswith("__") and name != "_"  # "_" is gettext's marker
    ]
    assert offenders == [], "private names used outside their module:\n" + "\n".join(offenders)


def test_no_import_circles_between_files() -> None:
    edges = _module_edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                item = stack.pop()
                group.append(item)
                if item == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert circles == [], "files that import each other (directly or round a loop):\n" + "\n".join(
        " <-> ".join(group) for group in circles
    )


MAX_LINES = 800
LONG_REASON = "Longer than 800 lines because"


def test_modules_hold_one_idea_and_stay_small() -> None:
    too_long = []
    for path in _modules():
        lines = path.read_text(encoding="utf-8").count("\n")
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if lines > MAX_LINES and LONG_REASON not in doc:
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert too_long == [], f"split these modules, or say why in their docstring ({LONG_REASON!r}):\n" + "\n".join(
        too_long
    )
