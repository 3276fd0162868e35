"""``qsm serve``: the team over HTTP for many users. An OpenAI-compatible chat API (``/v1``), a runs API
shaped after LangGraph Platform's (threads, background runs, event streams, cancel, resume), and API
keys that map to users, each user seeing only their own threads."""

from __future__ import annotations

from qsm.apikeys import KeyStore
from qsm.serve.app import create_app, serve

__all__ = ["KeyStore", "create_app", "serve"]
