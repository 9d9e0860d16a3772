"""The import graph of src/kerker: no cycles, dataset and models import only upstream, modules stay small.

Every ``import``/``from ... import`` of a kerker module counts, at module level or inside a
function (a lazy import still ties two modules together); a submodule's implicit import
of its parent package does not. ``from kerker.x import y`` points at ``kerker.x.y`` when
that is a module, else at ``kerker.x``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kerker

SRC = Path(kerker.__file__).parent


def _module_name(path: Path) -> str:
    parts = ("kerker", *path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str) -> set[str]:
    """kerker modules that ``name`` imports (resolved to the modules that exist)."""
    path = MODULES[name]
    package = name if _is_package(name) else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        for target in targets:
            while target and target not in MODULES:  # "kerker.x.attr" -> "kerker.x"
                target = target.rpartition(".")[0]
            if target.split(".")[0] == "kerker" and target != name:
                out.add(target)
    return out


GRAPH = {name: _imports(name) for name in MODULES}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_the_imports():
    # guards against a checker that finds nothing: known edges must be there
    assert "kerker.models.checkpoint" in GRAPH["kerker.models.surrogate._inference"]
    assert "kerker.dataset" in GRAPH["kerker.models.wgan._generator"]
    assert "kerker.models.wgan._fidelity" in GRAPH["kerker.models.wgan._fit"]


def test_no_import_cycle_in_kerker():
    assert _cycles() == []


def test_the_checker_finds_a_cycle():
    GRAPH["kerker.models.checkpoint"].add("kerker.models.surrogate._inference")
    try:
        assert ["kerker.models.checkpoint", "kerker.models.surrogate._inference"] in _cycles()
    finally:
        GRAPH["kerker.models.checkpoint"].discard("kerker.models.surrogate._inference")


# Each stage may import only these kerker packages (and itself); "kerker" is the root (its __version__).
UPSTREAM = {
    "kerker._config": set(),
    "kerker._executor": {"kerker._dask_worker"},  # where tasks run (in-process or Dask): not what they compute
    "kerker._dask_worker": set(),  # what runs in a Dask worker process around each task
    "kerker.dataset": {"kerker", "kerker._config", "kerker._artifacts", "kerker._executor", "kerker.materials",
                       "kerker.mie"},
    "kerker.models": {"kerker", "kerker._config", "kerker._artifacts", "kerker._executor", "kerker.materials",
                      "kerker.mie", "kerker.dataset"},
}


def _stage(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


@pytest.mark.parametrize("stage", sorted(UPSTREAM))
def test_imports_only_go_upstream(stage):
    bad = {
        module: sorted(t for t in targets if _stage(t) != stage and _stage(t) not in UPSTREAM[stage])
        for module, targets in GRAPH.items()
        if _stage(module) == stage
    }
    assert {m: t for m, t in bad.items() if t} == {}


@pytest.mark.parametrize("module", ["kerker.models.surrogate._inference", "kerker.models.wgan._generator"])
def test_inference_does_not_import_the_trainer(module):
    reachable, todo = set(), [module]
    while todo:
        for target in GRAPH[todo.pop()] - reachable:
            reachable.add(target)
            todo.append(target)
    assert "kerker.models.checkpoint" in reachable
    assert not {t for t in reachable if t == "kerker.models.training" or t.endswith("._fit")}


def test_no_module_over_500_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500}
    assert long == {}
