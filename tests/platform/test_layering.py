"""The layers point one way (README "Layers"): the kernel (the ``dccflow`` package: domain, DUIS, security, the
audit and the small shared modules) imports nothing above it; the simulated DCC, the fleet, the User-side
activities and the workflows import nothing from the composition root (``dccflow_app``, ``worker.py``); and no
module imports itself back through others (no import cycles).

The import graph is read from the source (AST), over the project's own modules: every ``import`` statement
counts, at module level, inside a function or under ``TYPE_CHECKING`` alike (a dependency is a dependency);
``from pkg import name`` imports ``pkg`` and, where ``name`` is a submodule, that submodule too (as Python runs
``pkg/__init__.py`` first); importing ``a.b.c`` imports the packages ``a`` and ``a.b`` as well, since Python runs
their ``__init__`` first — except the packages the importer itself sits in, which are already running."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: the project's top-level packages and modules (tests and bench sit outside the layers)
PACKAGES = ("dccflow", "dccflow_app", "activities", "devices", "dccsim", "workflows", "bpmn")
MODULES = ("worker",)
KERNEL = "dccflow"
COMPOSITION_ROOT = ("dccflow_app", "worker")
LOWER_LAYERS = ("activities", "devices", "dccsim", "workflows", "bpmn")


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    where: str  # file:line

    def __str__(self) -> str:
        return f"{self.where}: {self.importer} imports {self.imported}"


def project_modules(root: Path = ROOT) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package's ``__init__``)."""
    found: dict[str, tuple[Path, bool]] = {}
    for top in PACKAGES:
        for path in sorted((root / top).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    for name in MODULES:
        if (root / f"{name}.py").is_file():
            found[name] = (root / f"{name}.py", False)
    return found


def _owning(name: str, modules: dict) -> str | None:
    """The project module ``name`` names, or the nearest enclosing one (``a.b.C`` -> ``a.b``); None if outside."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _parent_packages(name: str, modules: dict) -> list[str]:
    """The project packages whose ``__init__`` Python runs before ``name`` (``a.b.c`` -> ``a``, ``a.b``)."""
    parts = name.split(".")
    return [p for i in range(1, len(parts)) if (p := ".".join(parts[:i])) in modules and modules[p][1]]


def import_graph(root: Path = ROOT) -> list[Import]:
    modules = project_modules(root)
    edges: list[Import] = []
    for module, (path, is_package) in modules.items():
        package = module if is_package else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [t for a in node.names if (t := _owning(a.name, modules))]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                owner = _owning(source, modules)
                targets = [owner] if owner else []
                targets += [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in modules]
            targets += [parent for t in targets for parent in _parent_packages(t, modules)
                        if not (module == parent or module.startswith(parent + "."))]
            where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
            edges += [Import(module, t, where) for t in dict.fromkeys(targets) if t != module]
    return edges


def cycles(edges: list[Import]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.importer, set()).add(e.imported)
        graph.setdefault(e.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _in(module: str, packages: tuple[str, ...] | str) -> bool:
    packages = (packages,) if isinstance(packages, str) else packages
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_graph_sees_the_project():
    # a guard for the checks below: they pass vacuously on an empty or wrongly rooted graph
    edges = import_graph()
    assert any(e.importer == "workflows.install_commission" and e.imported == "activities.duis_client" for e in edges)
    assert any(_in(e.importer, KERNEL) for e in edges)


def test_no_import_cycles():
    edges = import_graph()
    found = cycles(edges)
    detail = [str(e) for c in found for e in edges if e.importer in c and e.imported in c]
    assert not found, "import cycles:\n" + "\n".join(map(str, found)) + "\nthrough:\n" + "\n".join(detail)


def test_the_kernel_imports_nothing_above_it():
    upward = [str(e) for e in import_graph() if _in(e.importer, KERNEL) and not _in(e.imported, KERNEL)]
    assert not upward, "the kernel (dccflow) imports above itself:\n" + "\n".join(upward)


def test_lower_layers_import_nothing_from_the_composition_root():
    upward = [str(e) for e in import_graph()
              if _in(e.importer, LOWER_LAYERS) and _in(e.imported, COMPOSITION_ROOT)]
    assert not upward, "imports of the composition root from below it:\n" + "\n".join(upward)


def test_the_simulators_and_activities_import_no_process_workflow():
    # workflows (the BAD processes) sit above the activities they call and the simulated DCC and fleet
    upward = [str(e) for e in import_graph()
              if _in(e.importer, ("activities", "devices", "dccsim")) and _in(e.imported, "workflows")]
    assert not upward, "imports of the process workflows from below them:\n" + "\n".join(upward)
