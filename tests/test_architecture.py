"""The layers of docs/architecture.md hold: no import runs the wrong way, none closes a circle.

Every import counts, also those only for type checking and those inside functions:
a circle through ``if TYPE_CHECKING:`` still ties two rooms together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ttsservice", "feedback", "voices")

FOUNDATION = {
    "ttsservice",
    "ttsservice.errors",
    "ttsservice.keys",
    "ttsservice.logsetup",
    "ttsservice.settings",
    "ttsservice.settingsflags",
    "ttsservice.sharedkeys",
}
"""The floor everything stands on: settings, errors, shared keys, logging."""

ROOMS = {
    "ttsservice.web": "web",
    "voices": "voices",
    "ttsservice.swedish": "swedish",
    "ttsservice.reading": "reading",
    "ttsservice.speech": "speech",
    "feedback": "feedback",
    "ttsservice.dashboard": "dashboard",
    "ttsservice.widget": "widget",
    "ttsservice.demo": "demo",
}
"""Package → layer name."""

MAY_IMPORT: dict[str, set[str]] = {
    "foundation": set(),
    "web": {"foundation"},
    "voices": {"web", "foundation"},
    "swedish": {"web", "foundation"},
    "reading": {"swedish", "web", "foundation"},
    "speech": {"reading", "swedish", "voices", "web", "foundation"},
    "feedback": {"reading", "web", "foundation"},
    "dashboard": {"feedback", "web", "foundation"},
    "widget": {"web", "foundation"},
    "demo": {"widget", "web", "foundation"},
}
"""Which layer may import which (besides itself); the app and the commands sit on top."""
MAY_IMPORT["app"] = set(MAY_IMPORT)
MAY_IMPORT["commands"] = {"app", "commands", *MAY_IMPORT}


def layer_of(module: str) -> str:
    """The layer a module belongs to (KeyError for one docs/architecture.md does not place)."""
    last = module.rsplit(".", 1)[-1]
    if module in ("ttsservice.cli", "ttsservice.__main__") or last in ("cli", "dbcli"):
        return "commands"  # each package's commands start the whole app
    if module == "ttsservice.app":
        return "app"
    if module in FOUNDATION:
        return "foundation"
    for package, layer in ROOMS.items():
        if module == package or module.startswith(package + "."):
            return layer
    raise KeyError(module)


def modules_under(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name → file, for every Python file of ``packages`` under ``root``."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module → the modules of ``modules`` it imports (anywhere in its file)."""

    def known(name: str) -> str | None:
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        return name if name in modules else None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(filter(None, (known(alias.name) for alias in node.names)))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".")
                    if path.name != "__init__.py":
                        base = base[:-1]
                    base = base[: len(base) - node.level + 1]
                    source = ".".join([*base, node.module] if node.module else base)
                else:
                    source = node.module or ""
                submodules = [f"{source}.{a.name}" for a in node.names]
                targets.update(s for s in submodules if s in modules)
                if any(s not in modules for s in submodules):  # names from the module itself
                    target = known(source)
                    if target:
                        targets.add(target)
        targets.discard(module)
        graph[module] = targets
    return graph


def wrong_way(graph: Mapping[str, set[str]]) -> list[str]:
    """Imports from a layer to one it may not import, as "a (layer) -> b (layer)" lines."""
    found = []
    for module, targets in sorted(graph.items()):
        here = layer_of(module)
        for target in sorted(targets):
            there = layer_of(target)
            if there != here and there not in MAY_IMPORT[here]:
                found.append(f"{module} ({here}) -> {target} ({there})")
    return found


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(modules_under(ROOT, PACKAGES))


def test_every_module_has_a_place_in_the_layers(graph: dict[str, set[str]]) -> None:
    unplaced = []
    for module in graph:
        try:
            layer_of(module)
        except KeyError:
            unplaced.append(module)
    assert not unplaced, f"place these in tests/test_architecture.py and the docs: {unplaced}"


def test_no_import_runs_the_wrong_way(graph: dict[str, set[str]]) -> None:
    assert wrong_way(graph) == [], "see docs/architecture.md for which layer may import which"


def test_no_import_circles(graph: dict[str, set[str]]) -> None:
    assert circles(graph) == []


def test_the_checks_catch_a_wrong_way_import_and_a_circle(tmp_path: Path) -> None:
    """The checks above on a made-up tree: a lower floor importing a higher one, and a loop."""
    files = {
        "ttsservice/__init__.py": "",
        "ttsservice/settings.py": "from ttsservice.app import create_app\n",
        "ttsservice/app.py": "from ttsservice.settings import Settings\n",
        "ttsservice/web/__init__.py": "",
        "ttsservice/web/errors.py": "def f():\n    from feedback.store import FeedbackStore\n",
        "feedback/__init__.py": "from . import store\n",
        "feedback/store.py": "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ttsservice.web.errors import f\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    made_up = import_graph(modules_under(tmp_path, ("ttsservice", "feedback")))
    assert wrong_way(made_up) == [
        "ttsservice.settings (foundation) -> ttsservice.app (app)",
        "ttsservice.web.errors (web) -> feedback.store (feedback)",
    ]
    assert sorted(circles(made_up)) == [
        ["feedback.store", "ttsservice.web.errors"],
        ["ttsservice.app", "ttsservice.settings"],
    ]
