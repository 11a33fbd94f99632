"""The package layout follows the flow: a module imports only from its own subpackage or from one
earlier in the flow (docs/architecture.md), and there are no import cycles."""

import ast
from pathlib import Path

import pytest

# Layers in the order of the flow; a module may import its own layer and the layers before it.
LAYERS = [
    {"hyte", "hyte.errors", "hyte.paths", "hyte.fmt", "hyte.markup", "hyte.yamlio"},
    {"hyte.data"},
    {"hyte.config", "hyte.context"},
    {"hyte.stats"},
    {"hyte.figures", "hyte.plan", "hyte.kerroin"},
    {"hyte.card"},
    {"hyte.run"},
    {"hyte.book"},
    {"hyte.doctor", "hyte.cli"},
]


def _modules(src: Path) -> dict[str, Path]:
    out = {}
    for path in sorted((src / "hyte").rglob("*.py")):
        name = ".".join(path.relative_to(src).with_suffix("").parts).removesuffix(".__init__")
        out[name] = path
    return out


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hyte"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("hyte"))
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _layer(module: str) -> int:
    prefix = ".".join(module.split(".")[:2])
    for index, layer in enumerate(LAYERS):
        if prefix in layer:
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and docs/architecture.md")


@pytest.fixture(scope="module")
def graph(root):
    return _imports(_modules(root / "src"))


def test_every_module_has_a_layer(graph):
    for module in graph:
        _layer(module)


def test_imports_follow_the_flow(graph):
    backwards = [
        f"{m} -> {d}"
        for m, deps in graph.items()
        for d in deps
        if d != "hyte" and _layer(d) > _layer(m)
    ]
    assert not backwards, "imports against the flow: " + ", ".join(sorted(backwards))


def _check_acyclic(graph: dict[str, set[str]]) -> None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module):
        state[module] = 1
        stack.append(module)
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                raise AssertionError(
                    "import cycle: " + " -> ".join(stack[stack.index(dep) :] + [dep])
                )
            if dep not in state:
                visit(dep)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_no_import_cycles(graph):
    _check_acyclic(graph)


def test_the_checks_can_fail():
    with pytest.raises(AssertionError, match="a -> b -> a"):
        _check_acyclic({"a": {"b"}, "b": {"a"}})
    assert _layer("hyte.card.card") > _layer("hyte.data.tidy")
    with pytest.raises(AssertionError, match="in no layer"):
        _layer("hyte.elsewhere.module")
