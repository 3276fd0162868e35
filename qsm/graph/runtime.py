"""The environment workflows run in: settings, models, run store, channel strengths, memory, ledger."""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
from collections.abc import Callable, Mapping
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from pydantic import ValidationError

from qsm.agents.backend import ChatModel
from qsm.agents.pool import ModelPool
from qsm.agents.roles import AGENT_NAMES
from qsm.agents.settings import AgentSettings
from qsm.agents.tools.catalog import ToolCatalog
from qsm.agents.tools.toolbox import Toolbox
from qsm.errors import ConfigError, QsmError
from qsm.graph.budget import Limits
from qsm.graph.channels import ChannelBook, StrengthStore
from qsm.graph.checkpoint import RunStore
from qsm.graph.envelope import Envelope
from qsm.graph.spec import Agent, Workflow
from qsm.merge import deep_merge

if TYPE_CHECKING:
    from qsm.agents.langchain_model import AgentChatModel
    from qsm.chain.models import OutputKind
    from qsm.chain.protocol import LedgerProtocol
    from qsm.settings import QsmSettings
    from qsm.store.protocol import MemoryStore

__all__ = ["AUTO", "RUN_USER_KEY", "Runtime", "workflow_key"]

log = logging.getLogger(__name__)


class _Auto(Enum):
    AUTO = "auto"


AUTO: Final = _Auto.AUTO  # "open this service from the settings"


class _Closable(Protocol):
    def close(self) -> None: ...


_Service = TypeVar("_Service", bound=_Closable)


class Runtime:
    """Create one per process (CLI command, UI session, script) and close it when done.

    ``persist=False`` keeps runs and channel strengths in memory (tests, throwaway runs). ``memory`` and
    ``ledger`` default to :data:`AUTO`: opened from the settings (``[memory]``, ``[ledger]``) when the
    runtime persists, and closed with it. Pass an object to share one you own (it is not closed), or
    None to run without remembering or anchoring.
    """

    def __init__(
        self,
        settings: QsmSettings,
        *,
        models: ModelPool | None = None,
        persist: bool = True,
        memory: MemoryStore | _Auto | None = AUTO,
        ledger: LedgerProtocol | _Auto | None = AUTO,
    ) -> None:
        self.settings = settings
        self.models = models or ModelPool()
        self.data_dir: Path = settings.data_dir
        if persist:
            try:
                self.data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"cannot use the data dir {self.data_dir}: {exc.strerror}",
                    hint="set data_dir (--data-dir, QSM_DATA_DIR or qsm.toml) to a directory you can write",
                ) from None
        if persist and settings.runs.backend == "postgres" and settings.runs.url:
            self.runs = RunStore.postgres(settings.runs.url, settings.runs.pool_size)
        else:
            self.runs = RunStore(self.data_dir / "runs.sqlite" if persist else None)
        self._strengths = StrengthStore(self.data_dir / "channels.sqlite") if persist else None
        self._owned: list[_Closable] = []
        self.memory: MemoryStore | None = self._service(memory, persist, _open_memory)
        self.ledger: LedgerProtocol | None = self._service(ledger, persist, _open_ledger)
        self._ledger_in_background = (
            self.ledger is not None and self.ledger in self._owned and settings.ledger.backend == "rpc"
        )
        if self.ledger is not None and self._ledger_in_background:
            self.ledger.start_background(max(0.5, settings.ledger.poll_interval_s))
        self.tools = ToolCatalog(settings.tools)
        self._books: dict[str, ChannelBook] = {}
        self._yaml: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls, config: Path | str | None = None, overrides: dict[str, Any] | None = None, **kwargs: Any
    ) -> Runtime:
        from qsm.settings import load_settings

        return cls(load_settings(config, overrides), **kwargs)

    def with_settings(self, settings: QsmSettings) -> Runtime:
        """A view of this runtime under other run settings (a resumed run's own fan-out and budget): it
        shares the models, run store, memory and ledger, and compiles its own graphs. Close only this
        runtime, not the view; ``settings.data_dir`` must be this runtime's."""
        if settings == self.settings:
            return self
        if settings.data_dir != self.data_dir:
            raise ValueError("a runtime view keeps its runtime's data dir")
        view = copy.copy(self)
        view.settings = settings
        return view

    # -- agents ------------------------------------------------------------------------------------
    def agent_settings(self, agent: Agent) -> AgentSettings:
        base = self.settings.agent(agent.name)
        if not agent.settings:
            return base
        return AgentSettings.model_validate(deep_merge(base.model_dump(), agent.settings))

    def model(self, agent: Agent) -> ChatModel:
        return self.models.model_for(agent.name, self.agent_settings(agent))

    def chat_model(self, agent: str | Agent) -> AgentChatModel:
        """Agent ``agent`` (a name, or a workflow's :class:`Agent`) as a langchain-core chat model
        (:class:`~qsm.agents.langchain_model.AgentChatModel`): its model as runs get it (llama.cpp with its
        shipped adapter, an OpenAI-compatible server, or the fake), its sampling and its system prompt.
        The model is this runtime's: closing the runtime closes it."""
        from qsm.agents.langchain_model import AgentChatModel

        spec = agent if isinstance(agent, Agent) else _named_agent(agent)
        settings = self.agent_settings(spec)
        if spec.system_prompt:
            settings = settings.model_copy(update={"system_prompt": spec.system_prompt})
        role = None if spec.role == "custom" else spec.role
        return AgentChatModel.for_agent(self.model(spec), settings, name=spec.name, role=role)

    def toolbox(self, agent: Agent, workflow: Workflow) -> Toolbox | None:
        """``agent``'s own tools (given in the spec or in ``[tools.agents]``), or None if it has none; an
        import path outside the allowed modules is refused (:class:`SpecError`) before it is imported."""
        refs = self.tools.refs_for(agent.name, agent.tools)
        return self.tools.toolbox(refs, workflow.mcp_servers) if refs else None

    def limits(self, workflow: Workflow) -> Limits:
        caps = self.settings.budget.model_copy(update=workflow.budget)
        return Limits(tokens=caps.tokens, seconds=caps.seconds, calls=caps.calls)

    # -- channels and graphs -----------------------------------------------------------------------
    def channel_book(self, workflow: Workflow) -> ChannelBook:
        key = workflow_key(workflow)
        with self._lock:
            if key not in self._books:
                self._books[key] = ChannelBook(workflow.name, workflow.channels, self._strengths)
            return self._books[key]

    def workflow_yaml(self, workflow: Workflow) -> str:
        """The spec as YAML (stored with each thread so it can be resumed), computed once per workflow."""
        key = workflow_key(workflow)
        if key not in self._yaml:
            self._yaml[key] = workflow.to_yaml()
        return self._yaml[key]

    # -- side effects of a run ---------------------------------------------------------------------
    def record_message(self, env: Envelope, *, final: bool = False) -> None:
        """Record a channel message when the ledger anchors messages: as a ``final_answer`` when it carries
        the run's final answer (``final``), else as a ``message`` (a pipeline agent's FinalAnswer too),
        for the run's user. A ledger failure is logged and never stops the run."""
        if self.ledger is not None and self.ledger.anchor_messages:
            kind: OutputKind = "final_answer" if final else "message"
            try:
                self.ledger.record(env.id, kind=kind, content=env.hashed_content(), user=_run_user())
            except Exception as exc:  # the ledger may fail; the run goes on
                log.warning("ledger: %s was not recorded: %s", env.id, _why(exc))

    def commit_final(self, final: Envelope, state: Mapping[str, Any]) -> dict[str, Any]:
        """Give the final answer its ledger receipt; returns the run-state update (``receipt``, and under
        ``errors`` what went wrong with the ledger). The ledger may fail: the answer is delivered anyway,
        and a recorded answer stays queued in the outbox for a later anchor."""
        if self.ledger is None:
            return {}
        request = state.get("request")
        user = request.get("payload", {}).get("user") if isinstance(request, Mapping) else None
        try:
            receipt = self.ledger.record(
                final.id, kind="final_answer", content=final.hashed_content(), user=user or _run_user()
            )
        except Exception as exc:
            log.warning("ledger: the answer %s was not recorded: %s", final.id, _why(exc))
            return {"errors": [f"ledger: the answer was not recorded: {_why(exc)}"]}
        update: dict[str, Any] = {"receipt": receipt.model_dump(mode="json")}
        if self._ledger_in_background:  # an RPC chain is ticked in the background
            return update
        hint = None
        try:  # the embedded chain answers at once
            report = self.ledger.tick()
            error, hint = report.error, report.hint
        except Exception as exc:  # tick reports chain trouble; anything else must not lose the answer either
            log.exception("ledger: tick failed")
            error = _why(exc)
        if error:
            update["errors"] = [
                f"ledger: {error} (the answer is recorded and stays queued; `qsm ledger status` shows it, "
                "`qsm ledger anchor` retries)" + (f"; hint: {hint}" if hint else "")
            ]
        return update

    def close(self) -> None:
        for book in self._books.values():
            book.persist()
        self.models.close()
        self.tools.close()
        self.runs.close()
        if self._strengths is not None:
            self._strengths.close()
        if self.ledger is not None and self._ledger_in_background:
            self.ledger.stop_background()
        for service in self._owned:
            service.close()

    def _service(
        self,
        given: _Service | _Auto | None,
        persist: bool,
        opener: Callable[[QsmSettings], _Service | None],
    ) -> _Service | None:
        if not isinstance(given, _Auto):
            return given
        if not persist:
            return None
        service = opener(self.settings)
        if service is not None:
            self._owned.append(service)
        return service

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


RUN_USER_KEY: Final = "user"
"""Where a run's config names its user (``configurable``): the ledger records what the run makes for them."""


def _run_user() -> str | None:
    """The user of the run whose step is executing (None outside a run)."""
    try:
        from langgraph.config import get_config

        user = get_config().get("configurable", {}).get(RUN_USER_KEY)
    except (RuntimeError, LookupError):  # not inside a running graph
        return None
    return user if isinstance(user, str) else None


def _why(exc: Exception) -> str:
    return exc.message if isinstance(exc, QsmError) else f"{type(exc).__name__}: {exc}"


def _named_agent(name: str) -> Agent:
    """The agent called ``name``: a team role's own (``weq`` is WeQ) or a custom one."""
    canonical = next((known for known in AGENT_NAMES if known.lower() == name.strip().lower()), name.strip())
    try:
        return Agent(name=canonical, role=AGENT_NAMES.get(canonical, "custom"))
    except ValidationError:
        raise ConfigError(
            f"{name!r} is not an agent name",
            hint="name one of QSM, WeQ, SOM, Ref, or an agent of your config (a letter, then letters, "
            "digits, '_' or '-')",
        ) from None


def workflow_key(workflow: Workflow) -> str:
    return workflow.name + ":" + hashlib.sha256(workflow.model_dump_json().encode()).hexdigest()[:16]


def _open_memory(settings: QsmSettings) -> MemoryStore | None:
    if not settings.memory.enabled:
        return None
    from qsm.store import open_memory

    return open_memory(settings.memory, settings.data_dir, create=True)


def _open_ledger(settings: QsmSettings) -> LedgerProtocol | None:
    if not settings.ledger.enabled:
        return None
    from qsm.chain import open_ledger

    return open_ledger(settings.ledger, settings.data_dir)
