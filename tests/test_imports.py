"""The package's imports run one way: no circles, and no module imports from a later stage.

Every import counts: at module top, inside functions (lazy) and under TYPE_CHECKING.
The stages follow the data (ARCHITECTURE.md): a module may import its own stage and
earlier ones only. A new module must be given a stage here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "forecast"

STAGES = [
    ("base", {"errors", "timefmt", "numbers", "metrics", "baselines", "intervals", "plots", "rowcount",
              "explain_plots"}),
    ("read", {"reading", "dateformats", "timeparse", "frequency", "data_flags", "regular", "data"}),
    ("options", {"config"}),
    ("features", {"calendar", "holiday", "future"}),
    ("split, scale, windows", {"split", "preprocessing", "windows", "layout", "anchor", "doctor"}),
    ("nets", {"nets", "numpy_net"}),
    ("fit", {"schedule", "distribute", "devices", "seeding", "training", "members", "choice", "selection"}),
    ("score", {"evaluation"}),
    ("bundle and report", {"jsonchecks", "schema_choice", "schema_weights", "schema", "locking", "bundle", "report"}),
    ("forecaster and its uses", {"forecasting", "forecaster_io", "forecaster", "run", "predicting", "compare", "backtest",
                                 "tune_space", "tune_keras", "tune", "detect", "explain"}),
    ("cli", {"commands", "cli"}),
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__") or ""
        out[name] = path
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, node.module] if node.module else base)
                found = [f"{target}.{a.name}".lstrip(".") for a in node.names
                         if f"{target}.{a.name}".lstrip(".") in modules]
                if not found and target in modules:
                    found = [target]
                graph[name].update(f for f in found if f != name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("forecast."):
                        graph[name].add(alias.name.removeprefix("forecast."))
    return graph


def _stage(module: str) -> int:
    top = module.split(".")[0]
    for i, (_, names) in enumerate(STAGES):
        if top in names:
            return i
    raise AssertionError(f"forecast/{module} has no stage in tests/test_imports.py: give it one")


def test_no_import_circles():
    graph = _graph()
    seen: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(m: str) -> None:
        seen[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if seen.get(n) == 1:
                raise AssertionError("import circle: " + " -> ".join(path[path.index(n):] + [n]))
            if n not in seen:
                visit(n)
        path.pop()
        seen[m] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(m)


def test_no_module_imports_from_a_later_stage():
    graph = _graph()
    wrong = [
        f"{m} ({STAGES[_stage(m)][0]}) imports {n} ({STAGES[_stage(n)][0]})"
        for m in sorted(graph) if m
        for n in sorted(graph[m]) if n and _stage(n) > _stage(m)
    ]
    assert not wrong, "\n".join(wrong)


def test_every_module_has_a_stage():
    for m in _modules():
        if m:
            _stage(m)


@pytest.mark.parametrize("banned", ["typer", "rich"])
def test_the_library_below_the_cli_never_imports_the_terminal(banned):
    for name, path in _modules().items():
        if name.startswith(("commands", "cli")) or name == "":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == banned for n in names), f"forecast/{name} imports {banned}"
