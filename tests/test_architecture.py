"""Import rules the layer contract (``lint-imports``, pyproject.toml) cannot state.

No module of mattehub may take part in an import cycle, counting every import grimp sees:
module level, inside functions and under ``TYPE_CHECKING``. A cycle hidden in a function
still ties the modules together (neither can be understood, tested or moved alone) and
makes import order matter. grimp sees only ``import`` statements, so the graph also gets the
imports made by computed name: ``mattehub/families/registry.py`` imports each config's
options and recipe module from its ``"module:attr"`` strings (``CONFIGS``), and
``mattehub/cli/demo.py`` imports ``mattehub.families.<family>.standin`` for each of the
registry's ``families()``; a cycle through those edges fails the test like any other.

Families never import each other: a module in ``mattehub/families/<a>/`` imports nothing in
another family's folder ``mattehub/families/<b>/`` (what several families share lives in
modules directly under ``mattehub/families/``, e.g. ``standins.py``, ``him_meta.py``, or
lower, in ``inputs/``). ``builders/mattehub_builder.py`` is outside the package graph (it
ships as ``mattehub.builders``), so a small AST check keeps it a thin entry.
"""
from __future__ import annotations

import ast
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]
BUILDER_ENTRY = REPO / "builders" / "mattehub_builder.py"
STREAMING_BUILDER = "mattehub.streaming.builder"


REGISTRY = "mattehub.families.registry"
DEMO = "mattehub.cli.demo"


def _statement_edges() -> dict[str, set[str]]:
    """importer -> modules it imports directly by ``import`` statements, over mattehub's own
    modules (a package's ``__init__`` is the package module)."""
    graph = grimp.build_graph("mattehub", include_external_packages=False, cache_dir=None)
    return {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}


def _computed_edges() -> dict[str, set[str]]:
    """The imports made by computed name: the registry's ``"module:attr"`` strings and the
    demo's ``mattehub.families.<family>.standin`` modules."""
    from mattehub.families.registry import CONFIGS, families

    loaded = {path.split(":")[0] for line in CONFIGS.values() for path in (line.options, line.recipe)}
    return {REGISTRY: loaded, DEMO: {f"mattehub.families.{family}.standin" for family in families()}}


def _import_edges() -> dict[str, set[str]]:
    """Every import edge among mattehub's modules: statements and computed names."""
    edges = _statement_edges()
    for importer, imported in _computed_edges().items():
        assert importer in edges and imported <= set(edges), (importer, imported - set(edges))
        edges[importer] |= imported
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of a directed graph, iteratively (no
    recursion limit); every component of more than one module is an import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            successor = next(successors, None)
            if successor is not None:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(edges.get(successor, ())))))
                elif successor in on_stack:
                    low[node] = min(low[node], index[successor])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def test_strongly_connected_finds_cycles_and_only_cycles():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    cycles = [c for c in strongly_connected(edges) if len(c) > 1]
    assert cycles == [["a", "b", "c"]]


def test_no_import_cycle_among_mattehub_modules():
    edges = _import_edges()
    cycles = [c for c in strongly_connected(edges) if len(c) > 1]
    report = []
    for cycle in cycles:
        members = set(cycle)
        inner = sorted(f"{a} -> {b}" for a in cycle for b in edges[a] if b in members)
        report.append(f"{len(cycle)} modules: {', '.join(cycle)}\n    " + "\n    ".join(inner))
    assert not cycles, "import cycles (in-function and TYPE_CHECKING imports count):\n" + "\n".join(report)


def test_computed_imports_are_in_the_graph():
    """The registry and demo edges name real modules and reach every family folder."""
    from mattehub.families.registry import families

    edges = _import_edges()
    computed = _computed_edges()
    assert all(module in edges for modules in computed.values() for module in modules)
    assert {module.split(".")[2] for module in computed[REGISTRY]} == set(families())
    assert computed[REGISTRY] <= edges[REGISTRY] and computed[DEMO] <= edges[DEMO]


def _family_folder(module: str, folders: set[str]) -> str | None:
    """The family folder ``module`` lives in (``mattehub.families.<folder>...``), else None
    (a shared module directly under ``mattehub/families/``, or outside it)."""
    parts = module.split(".")
    if parts[:2] == ["mattehub", "families"] and len(parts) > 2 and parts[2] in folders:
        return parts[2]
    return None


def test_families_do_not_import_each_other():
    folders = {path.parent.name for path in (REPO / "mattehub" / "families").glob("*/__init__.py")}
    crossings = sorted(f"{importer} -> {imported}"
                       for importer, imports in _statement_edges().items()
                       for imported in imports
                       if _family_folder(importer, folders)
                       and _family_folder(imported, folders) not in (None, _family_folder(importer, folders)))
    assert not crossings, ("a family imports another family's folder (move the shared code to a "
                           "module directly under mattehub/families/ or lower):\n  " + "\n  ".join(crossings))


def test_family_check_finds_a_crossing():
    folders = {"a", "b"}
    assert _family_folder("mattehub.families.a.recipe", folders) == "a"
    assert _family_folder("mattehub.families.standins", folders) is None
    assert _family_folder("mattehub.inputs.video", folders) is None


def test_builder_entry_only_imports_the_streaming_builder():
    tree = ast.parse(BUILDER_ENTRY.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert imported == {STREAMING_BUILDER}, imported


def test_every_family_folder_declares_its_demo_and_the_demo_runs_it():
    from mattehub.cli.demo import demo_families

    folders = {path.parent.name for path in (REPO / "mattehub" / "families").glob("*/recipe.py")}
    modules = demo_families()
    in_demo = {module.__name__.split(".")[-2] for module in modules}
    assert in_demo == folders
    assert all(callable(getattr(module, "demo", None)) for module in modules)
