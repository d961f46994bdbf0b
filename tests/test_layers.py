"""The package's layers: no module imports a higher layer, siblings stay apart, no import cycle.

An AST walk over src/verifydel (every import, at module level or inside a function,
``TYPE_CHECKING`` blocks too): the layering is what the README's diagram shows, and
this test keeps it from rotting.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "verifydel"

#: Lowest first. A module may import its own layer's modules only within its own
#: package (siblings in one layer are independent), and any lower layer.
LAYERS: list[set[str]] = [
    {"errors", "fields", "exitcodes", "_parallel", "__init__"},
    {"core"},
    {"decoders", "normalise", "demo"},
    {"containers", "formats", "sources", "columns"},
    {"pipeline"},
    {"fingerprint"},
    {"match"},
    {"report"},
    {"scan", "attest"},
    {"cluster"},
    {"cli"},
    {"__main__"},
]
#: Modules placed above their package's layer: fingerprint.build reads media through the
#: pipeline, so it sits above the rest of fingerprint (which match uses) and below match.
PLACED: dict[str, float] = {"fingerprint.build": 5.5}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("verifydel")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(["verifydel", *base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module.startswith("verifydel"):
                # "from pkg import mod" imports the module; "from mod import name" the module
                found |= {f"{module}.{a.name}" if _is_module(f"{module}.{a.name}") else module for a in node.names}
    return {m.removeprefix("verifydel").lstrip(".") for m in found}


def _is_module(dotted: str) -> bool:
    rel = PACKAGE.joinpath(*dotted.removeprefix("verifydel").lstrip(".").split("."))
    return rel.with_suffix(".py").is_file() or (rel / "__init__.py").is_file()


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _top(name: str) -> str:
    return name.split(".")[0] if name else "__init__"


def _rank(name: str) -> float:
    if name in PLACED:
        return PLACED[name]
    return _rank_of_top(_top(name))


def _rank_of_top(top: str) -> float:
    for i, layer in enumerate(LAYERS):
        if top in layer:
            return i
    raise AssertionError(f"package {top!r} is in no layer: add it to LAYERS")


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target in _imports(path, name):
            # keep the longest name that is a module (``from pkg import mod`` names a module)
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def test_every_package_has_a_layer() -> None:
    for name in _modules():
        _rank(name)


def test_no_import_goes_up_or_across() -> None:
    bad = []
    for source, targets in _graph().items():
        for target in targets:
            if _top(target) == _top(source) and source not in PLACED and target not in PLACED:
                continue  # within one package
            if _rank(target) > _rank(source):
                bad.append(f"{source} imports higher {target}")
            elif _rank(target) == _rank(source) and _top(target) != _top(source) and source not in PLACED:
                bad.append(f"{source} imports its sibling {target}")
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycle() -> None:
    graph = _graph()
    # eager imports only would be stricter; any cycle, deferred or not, is a tangle
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    """The walk finds imports written every way (so a green run means something)."""
    probe = PACKAGE / "core" / "unit.py"
    assert "core.limits" in _imports(probe, "core.unit")
    assert _rank("cli.commands") > _rank("scan") > _rank("pipeline.reader") > _rank("formats.delimited")
