"""No app-level import cycle (issue 26 item 2), checked on the import graph itself.

The layer contract of pyproject ``[tool.importlinter]`` (``lint-imports`` in CI) is only as
good as its layer list and its ``ignore_imports``: two apps declared one layer with ``:`` may
import each other, and every ignored line is an upward import. Here grimp (the graph behind
import-linter) builds the package's import graph, every module collapses to its app
(``custodywatch.<app>``, a top-level module is its own), and the app graph must be acyclic,
whatever the contract says. Imports under ``if TYPE_CHECKING:`` are left out, as the contract
leaves them out: they never run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grimp

PACKAGE = "custodywatch"


def app_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def app_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], list[str]]]:
    """Each app's imported apps, and for each app edge the module imports that make it."""
    graph = grimp.build_graph(PACKAGE, include_external_packages=False,
                              exclude_type_checking_imports=True, cache_dir=None)
    edges: dict[str, set[str]] = {}
    why: dict[tuple[str, str], list[str]] = {}
    for module in graph.modules:
        source = app_of(module)
        edges.setdefault(source, set())
        for imported in graph.find_modules_directly_imported_by(module):
            target = app_of(imported)
            if target != source:
                edges[source].add(target)
                why.setdefault((source, target), []).append(f"{module} -> {imported}")
    return edges, why


def cycles(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted: every
    app in one of them reaches every other, so each is at least one import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_cycle_finder_finds_cycles_and_only_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d"}}) == [
        ["a", "b", "c"], ["d", "e"]]


def test_the_graph_sees_the_apps_and_their_imports():
    # The graph is real: were it empty or cut at the wrong depth, the next test would pass
    # for nothing. Views import their services; the API imports the apps' APIs.
    edges, why = app_graph()
    assert {"custodywatch.core", "custodywatch.accounts", "custodywatch.video",
            "custodywatch.reports", "custodywatch.accountability"} <= set(edges)
    assert "custodywatch.accounts" in edges["custodywatch.registry"]
    assert "custodywatch.reports" in edges["custodywatch.accountability"]
    assert all(why[(a, b)] for a, targets in edges.items() for b in targets)


def test_no_app_level_import_cycle():
    edges, why = app_graph()
    found = cycles(edges)
    report = []
    for component in found:  # each app edge inside a cycle, with the imports that make it
        members = set(component)
        report.append("cycle among " + ", ".join(component) + ":")
        for (source, target), lines in sorted(why.items()):
            if source in members and target in members:
                report.append(f"  {source} -> {target}: " + "; ".join(sorted(lines)[:3])
                              + (f" (+{len(lines) - 3} more)" if len(lines) > 3 else ""))
    assert not found, "app-level import cycles:\n" + "\n".join(report)
