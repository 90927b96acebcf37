"""The subpackages of vcnode form no import cycle: a type lives in the package that owns it, so a package
that needs it imports downwards and never back (issue 16). Measured from module-level imports only: an
import under ``if TYPE_CHECKING:`` or inside a function does not run when the module loads."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "vcnode"


def _module_name(path: Path) -> str:
    """The dotted name of the module at ``path`` under src/vcnode."""
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    """Whether an ``if`` test is ``TYPE_CHECKING`` (bare or ``typing.TYPE_CHECKING``)."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(tree: ast.Module, module: str, is_package: bool) -> list[str]:
    """Absolute names imported when the module loads: top-level statements and the bodies of module-level
    ``if``/``try``/``with`` blocks, skipping ``if TYPE_CHECKING:`` and anything inside a def or class body."""
    found: list[str] = []

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                found.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".")
                    base = base[: len(base) - node.level + (1 if is_package else 0)]
                    prefix = ".".join(base + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                # ``from pkg import sub`` may name a submodule; either way pkg itself is loaded
                found.append(prefix)
                found.extend(f"{prefix}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If):
                if not _is_type_checking(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.With):
                visit(node.body)

    visit(tree.body)
    return found


def _top_package(name: str) -> str | None:
    """``vcnode.anchor`` for ``vcnode.anchor.log``; None for modules directly under vcnode or outside it."""
    parts = name.split(".")
    if parts[0] != "vcnode" or len(parts) < 2 or not (SRC / parts[1]).is_dir():
        return None
    return f"vcnode.{parts[1]}"


def package_graph() -> dict[str, dict[str, list[str]]]:
    """Edges between top-level subpackages: ``graph[a][b]`` lists the modules of ``a`` that import ``b``."""
    graph: dict[str, dict[str, list[str]]] = {}
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        source = _top_package(module)
        if source is None:
            continue
        graph.setdefault(source, {})
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for imported in _module_level_imports(tree, module, path.name == "__init__.py"):
            target = _top_package(imported)
            if target is not None and target != source:
                users = graph[source].setdefault(target, [])
                if module not in users:
                    users.append(module)
    return graph


def strongly_connected(graph: dict[str, dict[str, list[str]]]) -> list[set[str]]:
    """Tarjan's algorithm: the components with more than one package (each one a cycle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return components


def _explain(graph: dict[str, dict[str, list[str]]], components: list[set[str]]) -> str:
    """The edges inside each cycle, with the modules that make them, for the failure message."""
    lines = []
    for component in components:
        for source in sorted(component):
            for target, users in sorted(graph[source].items()):
                if target in component:
                    lines.append(f"{source} -> {target}: {', '.join(sorted(users))}")
    return "\n".join(lines)


def test_the_package_graph_is_measured() -> None:
    graph = package_graph()
    # the measure sees the packages and the edges it must (a parser that found nothing would pass below)
    assert {"vcnode.anchor", "vcnode.credentials", "vcnode.identity", "vcnode.store"} <= set(graph)
    assert "vcnode.keys" in graph["vcnode.identity"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b": ["a.x"]}, "b": {"c": ["b.y"]}, "c": {"a": ["c.z"]}, "d": {"a": ["d.w"]}}
    assert strongly_connected(graph) == [{"a", "b", "c"}]


# No known cycles. The last one, {background, exchanges, http, jobs, oid4vci, oid4vp, web}, was broken by putting
# each shared thing where it belongs: the composition root left http for vcnode.serve (above everything, imported
# by no package), the pages' languages left web for vcnode.i18n (below web and oid4vci), and the exchange service
# gets its OpenID4VP link builder as a port (exchanges.links.OpenId4VpLink, implemented by oid4vp.request and
# handed over by vcnode.serve.app). Any cycle fails here; do not add one to this list, break it.
KNOWN_CYCLES: list[set[str]] = []


def test_no_new_subpackage_import_cycle() -> None:
    graph = package_graph()
    components = strongly_connected(graph)
    unexpected = [component for component in components if component not in KNOWN_CYCLES]
    assert unexpected == [], "package import cycles:\n" + _explain(graph, unexpected)
    assert sorted(map(sorted, components)) == sorted(map(sorted, KNOWN_CYCLES)), (
        "a known cycle changed or is gone: update KNOWN_CYCLES\n" + _explain(graph, components))


def test_the_cycles_issue_16_named_are_gone() -> None:
    """{anchor, credentials, identity, status, store} and {did, proofs}: none of these packages is in any cycle."""
    in_cycles = set().union(*strongly_connected(package_graph()))
    named = {"vcnode.anchor", "vcnode.credentials", "vcnode.identity", "vcnode.status", "vcnode.store",
             "vcnode.trust", "vcnode.did", "vcnode.proofs", "vcnode.issuing", "vcnode.webvh", "vcnode.keys"}
    assert in_cycles & named == set()


def test_the_composition_root_is_on_top() -> None:
    """Nothing imports vcnode.serve (it imports everything), and the web-facing packages stay layered:
    exchanges does not know OpenID4VP, http does not know the pages, and the languages are below both users."""
    graph = package_graph()
    importers = {source for source, targets in graph.items() if "vcnode.serve" in targets}
    assert importers == set()
    assert "vcnode.oid4vp" not in graph["vcnode.exchanges"]
    assert "vcnode.web" not in graph["vcnode.http"]
    assert {"vcnode.web", "vcnode.oid4vci"} & set(graph["vcnode.i18n"]) == set()
