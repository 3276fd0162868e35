"""llama.cpp in process (llama-cpp-python): one shared base per GGUF, LoRA adapters switched per call.

A :class:`LlamaBase` loads a GGUF up to ``max_instances`` times so that several agents or candidates can
generate at once (the weights are mmapped, so the instances share their pages). Each call picks a free
instance, preferring the one that last served the same ``cache_key`` (normally the agent name) with the
same adapter, so llama.cpp's prefix reuse keeps that agent's system prompt warm. Switching an
instance's LoRA adapter clears its KV cache.

Loading never touches the process's stdout or stderr: llama-cpp-python silences a quiet load by pointing
file descriptors 1 and 2 at /dev/null and back (``suppress_stdout_stderr``), which is not thread-safe;
two loads at once (fan-out) could leave stdout at /dev/null for good, and whatever another thread printed
meanwhile (streamed tokens) was lost. :func:`_construct` loads one instance at a time, with that
redirection switched off; llama.cpp's own log still goes through llama-cpp-python's log callback, which
prints errors only.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qsm.agents.backend import (
    ChatMessage,
    Completion,
    FinishReason,
    ModelRequest,
    ensure_real_models_allowed,
    fit_prompt,
)
from qsm.agents.settings import Sampling
from qsm.agents.thinking import THINK_OPEN, ThinkStream, split_thinking
from qsm.errors import ModelCallError, ModelNotFoundError

__all__ = ["LlamaBase", "LlamaCppModel"]

FORCED_CLOSE = "\n</think>\n\n"
_CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@dataclass
class _Slot:
    llama: Any
    adapters: dict[Path, Any] = field(default_factory=dict)
    active: tuple[Path, float] | None = None
    last_key: str | None = None
    busy: bool = False
    used_at: float = 0.0


class LlamaBase:
    """One GGUF file, loaded on demand into up to ``max_instances`` llama.cpp contexts."""

    def __init__(
        self, path: Path, *, n_ctx: int, n_threads: int, n_gpu_layers: int = 0, max_instances: int = 4
    ) -> None:
        self.path = path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.n_gpu_layers = n_gpu_layers
        self.max_instances = max_instances
        self._slots: list[_Slot] = []
        self._cond = threading.Condition()
        self._formatter: Any = None
        self._formatters: dict[str, Any] = {}
        self._grammars: dict[str, Any] = {}
        self._token_cache: dict[str, tuple[list[int], list[str]]] = {}
        self.loads = 0

    # -- loading -------------------------------------------------------------------------------
    def _load(self) -> _Slot:
        ensure_real_models_allowed("llama.cpp")
        try:
            llama = _construct(
                model_path=str(self.path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                n_gpu_layers=self.n_gpu_layers,
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelNotFoundError(
                f"llama.cpp could not load {self.path}: {exc}",
                hint="check that the file is a complete GGUF model supported by this llama-cpp-python",
            ) from None
        self.loads += 1
        if self._formatter is None:
            self._formatter = _make_formatter(llama)
        return _Slot(llama=llama)

    @contextmanager
    def acquire(self, cache_key: str | None) -> Iterator[_Slot]:
        """Borrow an instance for ``cache_key`` (normally an agent), in this order of preference: the
        free instance that last served the same key (its prompt prefix is still in the KV cache); a
        free instance nobody has claimed yet; a new instance while under ``max_instances``; the free
        instance used least recently. Wait when all are busy."""
        with self._cond:
            while True:
                slot = self._choose(cache_key)
                if slot is not None:
                    break
                self._cond.wait()
            slot.busy = True
            slot.used_at = time.monotonic()
        try:
            if slot.llama is None:
                try:
                    loaded = self._load()
                except BaseException:
                    with self._cond:
                        self._slots.remove(slot)
                        self._cond.notify_all()
                    raise
                slot.llama = loaded.llama
            yield slot
        finally:
            with self._cond:
                slot.last_key = cache_key
                slot.busy = False
                self._cond.notify_all()

    def _choose(self, cache_key: str | None) -> _Slot | None:
        free = [s for s in self._slots if not s.busy]
        same = next((s for s in free if cache_key is not None and s.last_key == cache_key), None)
        if same is not None:
            return same
        unclaimed = next((s for s in free if s.last_key is None or s.last_key.startswith("__")), None)
        if unclaimed is not None:
            return unclaimed
        if len(self._slots) < self.max_instances:
            slot = _Slot(llama=None, busy=True)
            self._slots.append(slot)
            return slot
        return min(free, key=lambda s: s.used_at, default=None)

    def warm(self, instances: int = 1) -> None:
        """Load ``instances`` instances now (so no call's latency includes a load)."""
        from contextlib import ExitStack

        with ExitStack() as stack:
            for i in range(min(instances, self.max_instances)):
                stack.enter_context(self.acquire(f"__warm{i}__"))

    # -- prompts -------------------------------------------------------------------------------
    def format_prompt(
        self, messages: list[ChatMessage], template: str | None = None
    ) -> tuple[str, list[str]]:
        """The prompt text and stop strings, from the GGUF's chat template or ``template`` (Jinja)."""
        if self._formatter is None:
            self.warm()
        formatter = self._formatter
        if template is not None:
            if template not in self._formatters:
                self._formatters[template] = _make_formatter(self._first_loaded(), template)
            formatter = self._formatters[template]
        response = formatter(messages=list(messages))
        stops = response.stop if isinstance(response.stop, list) else [response.stop] if response.stop else []
        return response.prompt, stops

    def _first_loaded(self) -> Any:
        llama = next((s.llama for s in list(self._slots) if s.llama is not None), None)
        if llama is None:  # another thread is still loading the first instance
            self.warm()
            llama = next(s.llama for s in list(self._slots) if s.llama is not None)
        return llama

    def tokenize_chat(
        self, messages: list[ChatMessage], template: str | None = None
    ) -> tuple[list[int], list[str]]:
        """Prompt tokens and stop strings; cached, since the meter and the call both need them. Tokenizing
        only reads the vocabulary, so any loaded instance serves without being borrowed (which would
        break the instances' per-agent affinity)."""
        key = json.dumps([messages, template], sort_keys=True)
        cached = self._token_cache.get(key)
        if cached is not None:
            return cached
        prompt, stops = self.format_prompt(messages, template)
        result = (self._first_loaded().tokenize(prompt.encode("utf-8"), special=True), stops)
        with self._cond:
            self._token_cache[key] = result
            while len(self._token_cache) > 256:
                self._token_cache.pop(next(iter(self._token_cache)))
        return result

    def grammar_for(self, schema: dict[str, Any]) -> Any:
        from llama_cpp import LlamaGrammar

        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
        return self._grammars[key]

    def close(self) -> None:
        with self._cond:
            for slot in self._slots:
                if slot.llama is not None:
                    _free_adapters(slot)
                    slot.llama.close()
            self._slots.clear()


class LlamaCppModel:
    """A :class:`~qsm.agents.backend.ChatModel` over a shared :class:`LlamaBase`, with an optional
    LoRA adapter applied to every call it makes."""

    supports_tools = False

    def __init__(
        self,
        base: LlamaBase,
        adapter: Path | None = None,
        adapter_scale: float = 1.0,
        chat_template: str | None = None,
    ) -> None:
        self.base = base
        self.adapter = adapter
        self.adapter_scale = adapter_scale
        self.chat_template = chat_template
        self.context_window = base.n_ctx
        self.name = base.path.name + (f"+{adapter.name}" if adapter else "")

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return len(self.base.tokenize_chat(messages, self.chat_template)[0])

    def complete(self, request: ModelRequest) -> Completion:
        """Generate; with ``thinking_budget``, a ``<think>`` block longer than that many tokens is cut
        off, ``</think>`` is forced and generation continues with the answer (s1 budget forcing)."""
        ensure_real_models_allowed("llama.cpp")
        messages, sampling, json_schema = request.messages, request.sampling, request.json_schema
        tokens, stops = self.base.tokenize_chat(messages, self.chat_template)
        fit_prompt(self, request, counted=len(tokens))
        max_tokens = min(sampling.max_tokens, self.context_window - len(tokens))
        grammar = self.base.grammar_for(json_schema) if json_schema else None
        budget = request.thinking_budget if request.thinking_budget and json_schema is None else None
        think = ThinkStream()
        opened = self.base.format_prompt(messages, self.chat_template)[0].rstrip().endswith(THINK_OPEN)
        think.inside = budget is not None and opened
        pieces: list[str] = []
        started = time.perf_counter()
        first: list[float] = []
        thought = 0

        def take(text: str) -> bool:
            nonlocal thought
            if not first:
                first.append(time.perf_counter() - started)
            pieces.append(text)
            if request.on_token is not None:
                request.on_token(text)
            if budget is not None:
                think.feed(text)
                thought += think.inside
                return not (think.inside and thought >= budget)
            return True

        with self.base.acquire(request.cache_key) as slot:
            self._apply_adapter(slot)
            finish = self._stream(slot, tokens, max_tokens, sampling, stops, grammar, take, request.deadline)
            generated = max(0, slot.llama.n_tokens - len(tokens))
            if finish == "budget":
                take(FORCED_CLOSE)
                so_far = tokens + slot.llama.tokenize(
                    "".join(pieces).encode("utf-8"), add_bos=False, special=True
                )
                budget = None  # the rest is the answer
                room = max(1, max_tokens - generated)
                finish = self._stream(slot, so_far, room, sampling, stops, None, take, request.deadline)
                generated = max(0, slot.llama.n_tokens - len(tokens))
            completion_tokens = generated + (1 if finish == "stop" else 0)
        raw = "".join(pieces)
        thinking, answer = split_thinking(raw)
        return Completion(
            text=answer,
            raw_text=raw,
            thinking=thinking,
            prompt_tokens=len(tokens),
            completion_tokens=completion_tokens,
            seconds=time.perf_counter() - started,
            model=self.name,
            finish_reason=finish,
            first_token_seconds=first[0] if first else None,
        )

    @staticmethod
    def _stream(
        slot: _Slot,
        prompt: list[int],
        max_tokens: int,
        sampling: Sampling,
        stops: list[str],
        grammar: Any,
        take: Any,
        deadline: float | None,
    ) -> FinishReason:
        """Stream into ``take`` (which returns False to stop: the thinking budget is spent). Returns the
        finish reason: stop | length | deadline | budget."""
        try:
            _prime(slot.llama, prompt)
            stream = slot.llama.create_completion(
                prompt=prompt,
                max_tokens=max_tokens,
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                top_k=sampling.top_k,
                repeat_penalty=sampling.repeat_penalty,
                seed=sampling.seed,
                stop=stops,
                grammar=grammar,
                stream=True,
            )
            finish: FinishReason = "length"
            for chunk in stream:
                choice = chunk["choices"][0]
                if (text := choice["text"]) and not take(text):
                    stream.close()
                    return "budget"
                if choice.get("finish_reason"):
                    finish = "stop" if choice["finish_reason"] == "stop" else "length"
                if deadline is not None and time.monotonic() > deadline:
                    stream.close()
                    return "deadline"
            return finish
        except (RuntimeError, ValueError) as exc:
            raise ModelCallError(
                f"llama.cpp failed while generating: {exc}", hint="see the model's log"
            ) from exc

    def _apply_adapter(self, slot: _Slot) -> None:
        wanted = (self.adapter, self.adapter_scale) if self.adapter else None
        if slot.active == wanted:
            return
        import llama_cpp

        ctx = slot.llama._ctx.ctx
        if wanted is None:
            rc = llama_cpp.llama_set_adapters_lora(ctx, None, 0, None)
        else:
            path, scale = wanted
            if path not in slot.adapters:
                if not path.is_file():
                    raise ModelNotFoundError(
                        f"LoRA adapter {path} does not exist", hint="fix the agent's model.adapter path"
                    )
                handle = llama_cpp.llama_adapter_lora_init(slot.llama._model.model, str(path).encode("utf-8"))
                if not handle:
                    raise ModelNotFoundError(
                        f"llama.cpp could not load LoRA adapter {path}",
                        hint="the adapter must be a GGUF LoRA made for this base (convert_lora_to_gguf.py)",
                    )
                slot.adapters[path] = handle
            adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(slot.adapters[path])
            scales = (ctypes.c_float * 1)(scale)
            rc = llama_cpp.llama_set_adapters_lora(ctx, adapters, 1, scales)
        if rc:
            raise ModelCallError(
                f"llama.cpp refused to switch LoRA adapter (code {rc})", hint="check the adapter"
            )
        slot.llama.reset()  # the cached prefix was computed with other weights
        slot.active = wanted

    def close(self) -> None:
        """Views do not own the base; the pool closes it."""


_load_lock = threading.Lock()  # swapping the redirection out and back must not interleave between loads
_loaded: weakref.WeakSet[Any] = weakref.WeakSet()  # every llama.cpp context this process still holds


@atexit.register
def _close_loaded() -> None:
    """Free the contexts nobody closed while the interpreter can still run llama-cpp-python's cleanup (its
    own finaliser runs after module teardown and fails with a traceback on stderr)."""
    for llama in list(_loaded):
        with contextlib.suppress(Exception):
            llama.close()


_REDIRECT = "suppress_stdout_stderr"  # the name llama-cpp-python's modules import it under


class _KeepStreams:
    """Stands in for llama-cpp-python's ``suppress_stdout_stderr`` while qsm loads: leaves fd 1 and 2 be."""

    def __init__(self, disable: bool = True) -> None:
        pass

    def __enter__(self) -> _KeepStreams:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _construct(**params: Any) -> Any:
    """A quiet ``llama_cpp.Llama(**params)`` that leaves stdout and stderr alone (see the module), one load
    at a time in this process."""
    import llama_cpp._internals
    import llama_cpp.llama

    modules = [m for m in (llama_cpp.llama, llama_cpp._internals) if hasattr(m, _REDIRECT)]
    with _load_lock:
        saved = [getattr(m, _REDIRECT) for m in modules]
        for module in modules:
            setattr(module, _REDIRECT, _KeepStreams)
        try:
            llama = llama_cpp.llama.Llama(**params, verbose=False)
            _loaded.add(llama)
            return llama
        finally:
            for module, original in zip(modules, saved, strict=True):
                setattr(module, _REDIRECT, original)


def _prime(llama: Any, prompt: list[int]) -> None:
    """Evaluate all but the last prompt token unless the KV cache already holds them, so that the last
    token is always evaluated on its own: llama.cpp's batched and single-token paths round differently,
    and without this a warm (prefix-cached) call could answer differently from a cold one."""
    if len(prompt) < 2:
        return
    if llama.longest_token_prefix(llama._input_ids[: llama.n_tokens], prompt) >= len(prompt) - 1:
        return
    warmup = llama.generate(prompt[:-1], temp=0.0)
    next(warmup)  # evaluates the prefix (reusing whatever part is cached); the sampled token is discarded
    warmup.close()


def _make_formatter(llama: Any, template: str | None = None) -> Any:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = template or llama.metadata.get("tokenizer.chat_template") or _CHATML
    eos_id, bos_id = llama.token_eos(), llama.token_bos()
    eos = llama._model.token_get_text(eos_id) if eos_id != -1 else ""
    bos = llama._model.token_get_text(bos_id) if bos_id != -1 else ""
    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos, stop_token_ids=[eos_id])


def _free_adapters(slot: _Slot) -> None:
    import llama_cpp

    for handle in slot.adapters.values():
        llama_cpp.llama_adapter_lora_free(handle)
    slot.adapters.clear()
