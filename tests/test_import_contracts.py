"""Import contracts of the package ``qsm``, read from the source with grimp (nothing is imported).

1. No import cycle between modules inside ``qsm``. Function-level and ``TYPE_CHECKING`` imports count:
   they are exactly what hides a cycle from the interpreter.
2. Dependencies point one way, down this list of layers (a layer may import any layer below it):

   ==============================================  ==================================================
   ``qsm.cli``, ``qsm`` (root), any ``__main__``     entry points: they wire everything
   ``qsm.ui`` | ``qsm.serve``                        the Streamlit app, the HTTP server (independent)
   ``qsm.train``                                     datasets, LoRA training, evaluation
   ``qsm.graph``                                     workflows, runtime, runner
   ``qsm.settings``                                  every domain's settings, composed (``QsmSettings``)
   ``qsm.agents`` | ``store`` | ``chain`` | ``evals``  independent domains: none imports another
   ``qsm.<domain>.settings``                         each domain's settings models (pydantic only)
   base modules                                      errors, ids, paths, filelock, sqlitetx, merge, ...
   ==============================================  ==================================================

   ``qsm.settings`` imports only the domains' settings modules, so the runtime (``Runtime(settings)``) and
   the training evaluation can take the whole ``QsmSettings`` while no domain (agents, store, chain) may:
   each takes its own settings. A ``__main__`` module anywhere is an entry point (``python -m qsm.chain``)
   and nothing may import it. The root package ``qsm`` stands for its ``__init__`` only: a new module
   directly under ``qsm/`` must be placed in a layer here before it passes.

A failure lists every offending import chain with file and line.
"""

from __future__ import annotations

import itertools
import textwrap
from dataclasses import dataclass
from pathlib import Path

import grimp
import networkx as nx
import pytest

PACKAGE = "qsm"
BASE = (
    "qsm.apikeys",
    "qsm.errors",
    "qsm.filelock",
    "qsm.ids",
    "qsm.lazy",
    "qsm.merge",
    "qsm.paths",
    "qsm.redact",
    "qsm.sqlitetx",
    "qsm.userid",
)


@dataclass(frozen=True)
class Layer:
    """Modules at one height. ``independent``: its containers may not import each other."""

    containers: tuple[str, ...]
    independent: bool = False


DOMAINS = ("qsm.agents", "qsm.store", "qsm.chain", "qsm.evals")
DOMAIN_SETTINGS = (
    "qsm.agents.settings",
    "qsm.chain.settings",
    "qsm.graph.settings",
    "qsm.store.settings",
    "qsm.train.settings",
)
LAYERS = (
    Layer(("qsm.cli", "qsm")),
    Layer(("qsm.ui", "qsm.serve"), independent=True),
    Layer(("qsm.train",)),
    Layer(("qsm.graph",)),
    Layer(("qsm.settings",)),
    Layer(DOMAINS, independent=True),
    Layer(DOMAIN_SETTINGS),
    Layer(BASE),
)


def build(package: str) -> grimp.ImportGraph:
    """The import graph of ``package`` with every import: module-level, function-level, TYPE_CHECKING."""
    return grimp.build_graph(package, exclude_type_checking_imports=False, cache_dir=None)


def _where(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    details = graph.get_import_details(importer=importer, imported=imported)
    return ", ".join(f"line {d['line_number']}: {d['line_contents'].strip()}" for d in details) or "?"


def _chain_text(graph: grimp.ImportGraph, chain: list[str]) -> str:
    hops = [
        f"    {importer} -> {imported}  ({_where(graph, importer, imported)})"
        for importer, imported in itertools.pairwise(chain)
    ]
    return "\n".join(hops)


def _digraph(graph: grimp.ImportGraph) -> nx.DiGraph:
    edges = nx.DiGraph()
    edges.add_nodes_from(graph.modules)
    for module in graph.modules:
        edges.add_edges_from((module, target) for target in graph.find_modules_directly_imported_by(module))
    return edges


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """For every group of modules that import each other in a circle, the shortest circle through each of
    its modules (``[a, b, ..., a]``), without repeats."""
    edges = _digraph(graph)
    found: dict[tuple[str, ...], list[str]] = {}
    for group in nx.strongly_connected_components(edges):
        if len(group) == 1:
            (module,) = group
            if not edges.has_edge(module, module):
                continue
        inside = edges.subgraph(group)
        for module in sorted(group):
            loops = [
                [module, *nx.shortest_path(inside, target, module)] for target in inside.successors(module)
            ]
            loop = min(loops, key=lambda chain: (len(chain), chain))
            start = loop.index(min(loop[:-1]))
            key = tuple(loop[start:-1] + loop[:start])
            found.setdefault(key, [*key, key[0]])
    return sorted(found.values(), key=lambda chain: (len(chain), chain))


def _height(module: str, layers: tuple[Layer, ...]) -> tuple[int, str] | None:
    """The layer index and container of ``module`` (a ``__main__`` module is an entry point; a top-level
    package as a container holds only its ``__init__``)."""
    if module.rsplit(".", 1)[-1] == "__main__":
        return 0, module
    best: tuple[int, str] | None = None
    for index, layer in enumerate(layers):
        for container in layer.containers:
            inside = "." in container and module.startswith(container + ".")
            closer = best is None or len(container) > len(best[1])
            if (module == container or inside) and closer:
                best = (index, container)
    return best


def layer_violations(graph: grimp.ImportGraph, layers: tuple[Layer, ...]) -> list[str]:
    """Every import that goes up the layers, between independent siblings, or into a ``__main__``; and
    every module no layer places."""
    problems = []
    for importer in sorted(graph.modules):
        here = _height(importer, layers)
        if here is None:
            problems.append(f"{importer} is in no layer: place it in LAYERS of {Path(__file__).name}")
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            there = _height(imported, layers)
            if there is None:
                continue  # reported as the importer of its own imports
            if imported.rsplit(".", 1)[-1] == "__main__":
                reason = "imports an entry point (__main__)"
            elif there[0] < here[0]:
                reason = f"{here[1]} may not import upward into {there[1]}"
            elif there[0] == here[0] and layers[here[0]].independent and there[1] != here[1]:
                reason = f"{here[1]} and {there[1]} are independent"
            else:
                continue
            problems.append(f"{reason}:\n{_chain_text(graph, [importer, imported])}")
    return problems


def cycle_report(graph: grimp.ImportGraph) -> list[str]:
    return [f"import cycle {' -> '.join(chain)}:\n{_chain_text(graph, chain)}" for chain in cycles(graph)]


@pytest.fixture(scope="module")
def qsm_graph() -> grimp.ImportGraph:
    return build(PACKAGE)


def test_no_import_cycles_inside_qsm(qsm_graph: grimp.ImportGraph) -> None:
    problems = cycle_report(qsm_graph)
    if problems:
        pytest.fail(
            f"{len(problems)} import cycle(s) in {PACKAGE}:\n\n" + "\n\n".join(problems), pytrace=False
        )


def test_dependencies_point_down_the_layers(qsm_graph: grimp.ImportGraph) -> None:
    problems = layer_violations(qsm_graph, LAYERS)
    if problems:
        pytest.fail(
            f"{len(problems)} import(s) against the layers:\n\n" + "\n\n".join(problems), pytrace=False
        )


def test_every_module_the_layers_name_exists(qsm_graph: grimp.ImportGraph) -> None:
    named = {container for layer in LAYERS for container in layer.containers}
    assert named <= qsm_graph.modules, f"LAYERS names modules that do not exist: {named - qsm_graph.modules}"


# -- the checks themselves, on a package made for the purpose ------------------------------------------
def _package(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")


def test_the_checks_catch_hidden_cycles_and_upward_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _package(
        tmp_path,
        {
            "toy/__init__.py": "",
            "toy/base.py": "",
            "toy/low/__init__.py": "",
            "toy/low/a.py": "from toy.low import b\n",
            "toy/low/b.py": "def later():\n    from toy.low import a\n",
            "toy/low/c.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from toy.high import view\n"
            ),
            "toy/side/__init__.py": "from toy.low import a\n",
            "toy/side/__main__.py": "from toy.high import view\n",
            "toy/high/__init__.py": "",
            "toy/high/view.py": "from toy.low import c\nfrom toy import base\n",
            "toy/high/run.py": "import toy.side.__main__\n",
            "toy/stray.py": "",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = build("toy")
    layers = (
        Layer(("toy",)),
        Layer(("toy.high",)),
        Layer(("toy.low", "toy.side"), independent=True),
        Layer(("toy.base",)),
    )

    assert cycles(graph) == [
        ["toy.high.view", "toy.low.c", "toy.high.view"],
        ["toy.low.a", "toy.low.b", "toy.low.a"],
    ]
    report = "\n".join(cycle_report(graph))
    assert "toy.low.b -> toy.low.a  (line 2: from toy.low import a)" in report

    problems = layer_violations(graph, layers)
    assert len(problems) == 4, problems
    assert problems[0].startswith("imports an entry point (__main__):\n    toy.high.run -> toy.side.__main__")
    assert problems[1].startswith("toy.low may not import upward into toy.high:")
    assert "toy.low.c -> toy.high.view  (line 3: from toy.high import view)" in problems[1]
    assert problems[2].startswith("toy.side and toy.low are independent:")
    assert problems[3] == "toy.stray is in no layer: place it in LAYERS of test_import_contracts.py"
    assert not any("    toy.side.__main__ ->" in p for p in problems), "an entry point may import anything"
