"""What the endpoints share (:class:`Server`): the runtime, the key store, the workflows, the runs; and
who a request comes from. Every request is made by a user: the owner of its API key, or, on a server
without keys (loopback only), the single local user ``local``. A user sees only their own threads and
runs: anyone else's answer 404, as if they did not exist."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from qsm.apikeys import KeyStore
from qsm.graph.runtime import Runtime
from qsm.serve.catalog import WorkflowCatalog
from qsm.serve.errors import ApiError
from qsm.serve.runs import RunManager

__all__ = ["LOCAL_USER", "Server", "server_of"]

LOCAL_USER = "local"


@dataclass
class Server:
    """What the endpoints share: the runtime, keys and thread owners, workflows, runs."""

    runtime: Runtime
    keys: KeyStore
    catalog: WorkflowCatalog
    runs: RunManager
    require_keys: bool = False

    def user(self, request: Request) -> str:
        """Who makes ``request``: the owner of its bearer key (401 without a live one) once any key
        exists, else the local user."""
        if not self.require_keys and self.keys.has_keys():
            self.require_keys = True  # a key made while the server runs turns keys on, for good
        if not self.require_keys:
            return LOCAL_USER
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        user = self.keys.user_for(key.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise ApiError(
                401,
                "invalid or missing API key: send 'Authorization: Bearer <key>' (qsm serve keys add USER makes one)",
                code="invalid_api_key",
            )
        return user

    def check_thread(self, thread_id: str, user: str) -> None:
        """404 unless ``user`` owns ``thread_id`` (made by this server, or run by that user elsewhere)."""
        owner = self.keys.thread_owner(thread_id)
        found: str | None
        if owner is not None:
            found = owner[0]
        else:
            info = self.runtime.runs.thread(thread_id)
            found = info.user if info is not None else None
        if found != user:
            raise ApiError(404, f"no thread {thread_id!r}", code="thread_not_found", param="thread_id")

    def check_workflow(self, thread_id: str, workflow: str, param: str) -> None:
        """400 when ``thread_id`` already runs another workflow than ``workflow`` (named by ``param``)."""
        info = self.runtime.runs.thread(thread_id)
        if info is not None and info.workflow != workflow:
            raise ApiError(
                400,
                f"thread {thread_id} runs the workflow {info.workflow!r}, not {workflow!r}",
                code="workflow_mismatch",
                param=param,
            )


def server_of(request: Request) -> Server:
    server: Server = request.app.state.qsm
    return server
