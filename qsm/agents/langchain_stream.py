"""Streamed tokens as a chat model's answer: stop sequences, ``<think>`` split off, the same stripping as the
whole answer gets, and a worker thread whose pieces a consumer reads as LangChain chunks."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from qsm.agents.backend import Completion
from qsm.agents.langchain_messages import Reply
from qsm.agents.thinking import ThinkStream

__all__ = ["Emit", "Stopped", "TextStream", "stream_chunks"]

Emit = Callable[[bool, str], None]
"""Hears each piece of the answer as ``(is_thinking, text)``."""


class Stopped(Exception):
    """Raised from the token callback to end generation (a stop sequence appeared, or nobody listens)."""


@dataclass
class TextStream:
    """Streamed pieces → the answer's text: cut at the first stop sequence (generation is then stopped),
    ``<think>`` split off, and stripped as :func:`~qsm.agents.thinking.split_thinking` strips the answer
    (leading blanks dropped, trailing ones held until more text follows), so the pieces it passes to
    ``emit`` add up to the answer exactly."""

    stops: list[str]
    emit: Emit | None = None
    raw: str = ""
    passed: int = 0  # how much of ``raw`` went on to the think splitter
    text: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)
    pieces: int = 0
    _think: ThinkStream = field(default_factory=ThinkStream)
    _blank: str = ""  # trailing whitespace held back

    def feed(self, piece: str) -> None:
        self.pieces += 1
        self.raw += piece
        found = [at for at in (self.raw.find(stop, self.passed) for stop in self.stops) if at >= 0]
        if found:
            at = min(found)
            self._pass(self.raw[self.passed : at])
            self._pass_end()
            raise Stopped
        held = max((_partial_suffix(self.raw, s) for s in self.stops), default=0)
        self._pass(self.raw[self.passed : len(self.raw) - held])

    def _pass(self, raw: str) -> None:
        self.passed += len(raw)
        for thinking, text in self._think.feed(raw):
            self._out(thinking, text)

    def _pass_end(self) -> None:
        for thinking, text in self._think.flush():
            self._out(thinking, text)

    def _out(self, thinking: bool, text: str) -> None:
        if thinking:
            if text and self.emit is not None:
                self.emit(True, text)
            self.thinking.append(text)
            return
        if not self.text:
            text = text.lstrip()
        stripped = text.rstrip()
        if not stripped:
            self._blank += text if self.text else ""
            return
        piece = self._blank + stripped
        self._blank = text[len(stripped) :]
        self.text.append(piece)
        if self.emit is not None:
            self.emit(False, piece)

    def reply(
        self,
        *,
        completion: Completion | None = None,
        prompt_tokens: int = 0,
        model: str = "",
        seconds: float = 0.0,
        agent: str,
    ) -> Reply:
        """The reply once generation ended: finished (``completion``), or stopped at a stop sequence, when
        ``prompt_tokens``, ``model`` and ``seconds`` say what the backend could not."""
        if completion is not None:
            if not self.pieces:  # a backend that did not stream: its whole text now
                self.feed_all(completion.raw_text)
            else:
                self._pass(self.raw[self.passed :])
                self._pass_end()
        return Reply(
            text="".join(self.text),
            thinking="".join(self.thinking).strip(),
            prompt_tokens=completion.prompt_tokens if completion else prompt_tokens,
            completion_tokens=completion.completion_tokens if completion else self.pieces,
            model=completion.model if completion else model,
            agent=agent,
            finish_reason=completion.finish_reason if completion else "stop",
            seconds=completion.seconds if completion else seconds,
        )

    def feed_all(self, raw: str) -> None:
        try:
            self.feed(raw)
        except Stopped:
            return
        self._pass(self.raw[self.passed :])
        self._pass_end()


def _partial_suffix(text: str, stop: str) -> int:
    """The length of the longest end of ``text`` that begins ``stop`` (held back: it may become a stop)."""
    for size in range(min(len(stop) - 1, len(text)), 0, -1):
        if text.endswith(stop[:size]):
            return size
    return 0


def stream_chunks(generate: Callable[[Emit], Reply]) -> Iterator[ChatGenerationChunk]:
    """Runs ``generate`` on a thread and yields its pieces as chunks as they come, then a last chunk with
    the usage; a consumer that stops early stops generation at the next token."""
    pieces: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
    gone = threading.Event()

    def emit(thinking: bool, text: str) -> None:
        if gone.is_set():
            raise Stopped
        pieces.put(("piece", (thinking, text)))

    def work() -> None:
        try:
            pieces.put(("done", generate(emit)))
        except BaseException as exc:  # handed to the consumer's thread
            pieces.put(("error", exc))

    worker = threading.Thread(target=work, name="qsm-chat-stream", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = pieces.get()
            if kind == "error":
                raise value
            if kind == "done":
                reply: Reply = value
                yield ChatGenerationChunk(
                    message=AIMessageChunk(
                        content="",
                        usage_metadata=reply.usage(),
                        response_metadata=reply.metadata(),
                        chunk_position="last",
                    )
                )
                return
            thinking, text = value
            chunk = (
                AIMessageChunk(content="", additional_kwargs={"reasoning_content": text})
                if thinking
                else AIMessageChunk(content=text)
            )
            yield ChatGenerationChunk(message=chunk)
    finally:
        gone.set()
