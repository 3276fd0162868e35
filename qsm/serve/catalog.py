"""The workflows a server offers, by name: the workflow library's runnable ones (the built-in team, the
shipped examples, the specs in ``<data_dir>/workflows``; :mod:`qsm.graph.library`), and every spec
(``*.yaml``) in the folders it is given (``qsm serve --workflows DIR``). A model name in the OpenAI API
and an ``assistant_id`` in the runs API is one of these names."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from qsm.errors import QsmError
from qsm.graph.library import WorkflowLibrary
from qsm.graph.spec import Workflow

__all__ = ["WorkflowCatalog"]

log = logging.getLogger(__name__)


class WorkflowCatalog:
    """Workflows by name; the first one found under a name wins (the built-in team comes first)."""

    def __init__(self, workflows: Iterable[Workflow]) -> None:
        self._by_name: dict[str, Workflow] = {}
        for workflow in workflows:
            self._by_name.setdefault(workflow.name, workflow)

    @classmethod
    def load(cls, data_dir: Path | None = None, folders: Iterable[Path] = ()) -> WorkflowCatalog:
        """The built-in team, the library of ``data_dir`` (when given), and the valid specs in ``folders``
        (a spec that does not load is logged and left out, so one bad file does not stop the server)."""
        found = [Workflow.default()]
        if data_dir is not None:
            library = WorkflowLibrary(data_dir)
            for name in library.names():
                try:
                    found.append(library.load(name))
                except QsmError as err:
                    log.warning("workflow %s left out: %s", name, err.message)
        for folder in folders:
            for path in sorted(folder.glob("*.y*ml")):
                try:
                    found.append(Workflow.from_yaml(path))
                except QsmError as err:
                    log.warning("workflow %s left out: %s", path, err.message)
        return cls(found)

    def get(self, name: str) -> Workflow | None:
        return self._by_name.get(name)

    def names(self) -> list[str]:
        return list(self._by_name)
