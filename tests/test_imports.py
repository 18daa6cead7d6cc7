"""The package's imports, read with ``ast`` (deferred and type-only ones too): no
module imports one that imports it back, however far round."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "pelican_audiotable"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports, wherever the import stands."""
    base = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            parts = base.split(".")
            target = ".".join(parts[: len(parts) - node.level + 1])
            target += f".{node.module}" if node.module else ""
            submodules = {f"{target}.{a.name}" for a in node.names} & known.keys()
            found |= submodules
            if target in known and len(submodules) < len(node.names):
                found.add(target)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names} & known.keys()
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycle_from(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A way from ``start`` back to itself, if there is one."""
    pending, seen = [(start, [start])], set()
    while pending:
        node, path = pending.pop()
        for nxt in graph[node]:
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                pending.append((nxt, [*path, nxt]))
    return None


def test_the_walk_sees_the_imports_it_should() -> None:
    graph = import_graph()
    assert "pelican_audiotable.markup.tokens" in graph["pelican_audiotable.markup.tree"]
    assert (
        "pelican_audiotable.build" in graph["pelican_audiotable.plugin.signals"]
    )  # deferred


def test_no_module_imports_itself_round_a_cycle() -> None:
    graph = import_graph()
    cycles = [cycle for name in graph if (cycle := cycle_from(graph, name))]
    assert cycles == []


#: The longest chain of imports allowed: the command line, ``check``, Pelican's
#: content in and out, the build's order, one page's way, annotating, finding,
#: the table tree and the tokenizer are nine floors (``cli.commands →
#: plugin.check → plugin.content → build → page → annotate.tables → find.clips →
#: markup.tree → markup.tokens``).
MOST_FLOORS = 9


def floors(graph: dict[str, set[str]]) -> dict[str, int]:
    """How many modules each one's longest chain of imports holds (itself too)."""
    found: dict[str, int] = {}

    def floor(name: str) -> int:
        if name not in found:
            found[name] = 1 + max((floor(other) for other in graph[name]), default=0)
        return found[name]

    for name in graph:
        floor(name)
    return found


def test_the_longest_chain_of_imports_does_not_grow() -> None:
    graph = import_graph()
    assert cycle_from(graph, "pelican_audiotable.plugin.signals") is None
    highest = max(floors(graph).items(), key=lambda item: item[1])
    assert highest[1] <= MOST_FLOORS, highest
    assert floors(graph)["pelican_audiotable.model"] <= 2  # the values: no stage


def readme_map() -> str:
    readme = (PACKAGE.parent / "README.md").read_text()
    start = readme.index("pelican_audiotable/   the spine")
    return readme[start : readme.index("\ntheme/", start)]


def test_the_readmes_map_names_every_module_and_folder_of_the_tree() -> None:
    """A newcomer finds a stage from the map: every folder and module is named
    there (a folder's modules by their file names), and nothing else is."""
    words = set(re.findall(r"[\w.]+(?:\.py|/)", readme_map()))
    tree = {p.name for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}
    folders = {f"{p.name}/" for p in PACKAGE.rglob("*") if (p / "__init__.py").exists()}
    named = {w for w in words if w.endswith(".py")} | {
        w for w in words if w.endswith("/")
    }
    assert tree | folders <= named, sorted((tree | folders) - named)
    stale = {w for w in named if w.endswith(".py")} - tree
    assert not stale, sorted(stale)


REFERENCE = re.compile(r":(?:func|mod|class|meth|attr|data|exc):`~?([\w.]+)`")


def _resolves(dotted: str) -> bool:
    """Whether ``dotted`` names a module, or something in one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                annotations = getattr(found, "__annotations__", {})
                fields = getattr(found, "__dataclass_fields__", {})
                if name not in annotations and name not in fields:
                    return False
                found = None
            else:
                found = getattr(found, name)
        return True
    return False


def test_every_reference_in_a_docstring_resolves() -> None:
    """``:func:`~.pool.learn``` and its kin name what is there: looked up as
    Sphinx would, from the module they are written in up to the package."""
    broken = []
    for name, path in modules().items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for ref in REFERENCE.findall(path.read_text()):
            bases = [name]
            parts = package.split(".")
            bases += [".".join(parts[:cut]) for cut in range(len(parts), 0, -1)]
            candidates = [
                b + ref if ref.startswith(".") else f"{b}.{ref}" for b in bases
            ]
            if not ref.startswith("."):
                candidates.append(ref)
            if not any(_resolves(c) for c in candidates):
                broken.append(f"{name}: {ref}")
    assert broken == []
