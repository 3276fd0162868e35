"""The teacher's soft labels for the student routers (QD-LLM distillation), from llama.cpp logprobs of the
shipped role adapters on the bundled base, each prompted exactly as it was trained and as runs call it:

* **Route** (WeQ or SOM): QSM's adapter plans the request (its chat template, the QSM.plan system prompt),
  with its reply forced up to the ``route_to`` value (see :func:`teacher_prompt`); the logits of the first
  token of each value, renormalised over the two, are the teacher's P(SOM).
* **Complexity** (low, medium or high): QSM's adapter never writes a complexity (its plan has none); the
  adapter that does is SOM's, whose ``SOM.budget`` training replies open with ``{"complexity": "``
  (:mod:`qsm.train.seed_som`). SOM's adapter gets the budget prompt runs send it (the SOM.budget system
  prompt, the plan of :func:`teacher_prompt` with the teacher's route as the drafter, a new channel's
  strength 0.5, the default run caps) and its reply forced up to the complexity value (see
  :func:`complexity_prompt`); the logits of the first token of each class, renormalised over the three, are
  the teacher's P(complexity).

Computed once with the real model (``qsm train router-teacher``) and cached beside the students as
``qsm/agents/data/router_teacher.json``; training and the tests read the cache.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from qsm.agents.messages import Plan, UserRequest
from qsm.agents.roles import ROLE_PROMPTS, BudgetReply
from qsm.agents.router import COMPLEXITIES
from qsm.errors import ModelNotFoundError
from qsm.graph import prompts
from qsm.graph.settings import BudgetSettings
from qsm.ids import file_sha256

__all__ = [
    "TeacherLabels",
    "complexity_prompt",
    "data_fingerprint",
    "label_complexity_with_teacher",
    "label_with_teacher",
    "shipped_teacher_path",
    "teacher_prompt",
]

_ROUTES = ("WeQ", "SOM")
_STRENGTH = 0.5  # a new channel's strength (qsm.graph.channels)


def shipped_teacher_path() -> Path:
    return Path(str(resources.files("qsm.agents") / "data" / "router_teacher.json"))


def data_fingerprint(texts: Sequence[str]) -> str:
    """A short hash of the routing texts, so a cache made for other data is never used."""
    return hashlib.sha256("\n\x00".join(texts).encode()).hexdigest()[:16]


@dataclass
class TeacherLabels:
    """The teacher's soft labels per routing text (in data order): P(SOM) from QSM's adapter and, when
    computed, P(low, medium, high) from SOM's adapter; the greedy classes and the scoring calls' times."""

    fingerprint: str
    p_som: list[float]
    route: list[str]
    seconds: list[float]
    model: str
    adapter: str
    p_complexity: list[list[float]] = field(default_factory=list)
    complexity: list[str] = field(default_factory=list)
    complexity_seconds: list[float] = field(default_factory=list)
    complexity_adapter: str = ""
    adapter_sha256: str = ""
    """The QSM adapter file the route labels were computed with (empty: not recorded)."""

    @property
    def has_complexity(self) -> bool:
        return len(self.p_complexity) == len(self.p_som) > 0

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__, separators=(",", ":")) + "\n")

    @classmethod
    def load(cls, path: Path | None = None) -> TeacherLabels:
        path = path or shipped_teacher_path()
        if not path.is_file():
            raise ModelNotFoundError(
                f"no teacher labels at {path}", hint="compute them with `qsm train router-teacher`"
            )
        return cls(**json.loads(path.read_text()))


def _teacher_plan(text: str, route: str = "WeQ") -> Plan:
    return Plan(goal=text[:120], steps=["answer the request"], route_to=route)


def teacher_prompt(formatter: Any, text: str) -> str:
    """QSM.plan's chat prompt for ``text`` (as runs send it) and the reply forced up to the route value:
    the request as the goal and one generic step, then ``"route_to": "``."""
    messages = prompts.plan_prompt(ROLE_PROMPTS["QSM.plan"], UserRequest(text=text))
    prefix = json.dumps({"goal": text[:120], "steps": ["answer the request"]})[:-1] + ', "route_to": "'
    return str(formatter(messages=[dict(m) for m in messages]).prompt) + prefix


def complexity_prompt(formatter: Any, text: str, route: str) -> str:
    """SOM.budget's chat prompt for the teacher's plan of ``text`` (drafted by ``route``), as runs send it,
    and the reply forced up to the complexity value: ``{"complexity": "`` (the reply's first field, as
    SOM's adapter was trained to write it)."""
    caps = BudgetSettings()
    limits = f"{caps.tokens} tokens, {caps.seconds:.0f} s, {caps.calls} calls"
    plan = _teacher_plan(text, route)
    messages = prompts.budget_prompt(ROLE_PROMPTS["SOM.budget"], plan, _STRENGTH, route, limits)
    first = next(iter(BudgetReply.model_fields))  # "complexity"
    prefix = json.dumps({first: ""})[:-2]  # '{"complexity": "'
    return str(formatter(messages=[dict(m) for m in messages]).prompt) + prefix


class _Scorer:
    """The bundled base with one adapter in llama.cpp: the next-token logits after a prompt, reusing the
    cached tokens the previous prompt shares with it (the system prompt)."""

    def __init__(self, model_path: Path, adapter_path: Path, threads: int) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        from qsm.agents.backend import ensure_real_models_allowed

        ensure_real_models_allowed("llama.cpp")
        self.llama = llama = Llama(
            model_path=str(model_path),
            lora_path=str(adapter_path),
            n_ctx=2048,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
        self.formatter = Jinja2ChatFormatter(
            template=llama.metadata["tokenizer.chat_template"],
            eos_token=llama._model.token_get_text(llama.token_eos()),
            bos_token=llama._model.token_get_text(llama.token_bos()),
        )

    def first_tokens(self, values: Sequence[str]) -> list[int]:
        """The first token of each value after the opening quote ("We", "S"; "low", "medium", "high")."""
        ids = [self.llama.tokenize(f'"{v}'.encode(), add_bos=False, special=False)[1] for v in values]
        if len(set(ids)) != len(ids):
            raise ModelNotFoundError(
                f"the values {list(values)} share their first token in this model's vocabulary",
                hint="the teacher reads one token per class; use a model whose tokenizer separates them",
            )
        return ids

    def logits(self, prompt: str) -> Any:
        import numpy as np

        llama = self.llama
        tokens = llama.tokenize(prompt.encode(), add_bos=False, special=True)
        shared = llama.longest_token_prefix(llama._input_ids[: llama.n_tokens].tolist(), tokens)
        shared = min(shared, len(tokens) - 1)  # always evaluate the request's own tokens
        llama.n_tokens = shared  # keep the cached system prompt, drop the previous request
        llama._ctx.kv_cache_seq_rm(-1, shared, -1)
        llama.eval(tokens[shared:])
        return np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(llama.n_vocab(),))

    def close(self) -> None:
        self.llama.close()


def _renormalised(logits: Any, ids: Sequence[int]) -> list[float]:
    values = [float(logits[i]) for i in ids]
    top = max(values)
    exp = [math.exp(v - top) for v in values]
    return [e / sum(exp) for e in exp]


def _score_all(
    prompts: Sequence[Callable[[Any], str]],
    values: Sequence[str],
    *,
    model_path: Path,
    adapter_path: Path,
    threads: int,
    what: str,
    log: Callable[[str], None],
) -> tuple[list[list[float]], list[float]]:
    """The adapter's probabilities of ``values`` (renormalised over their first tokens) after each prompt
    (built from the chat formatter), and the seconds each scoring call took."""
    scorer = _Scorer(model_path, adapter_path, threads)
    first = scorer.first_tokens(values)
    probs: list[list[float]] = []
    seconds: list[float] = []
    try:
        for n, prompt in enumerate(prompts):
            start = time.perf_counter()
            probs.append(_renormalised(scorer.logits(prompt(scorer.formatter)), first))
            seconds.append(round(time.perf_counter() - start, 4))
            if n % 50 == 0:
                shown = ", ".join(f"{v}={q:.2f}" for v, q in zip(values, probs[-1], strict=True))
                log(f"teacher {what} {n + 1}/{len(prompts)}: {shown} in {seconds[-1]:.2f} s")
    finally:
        scorer.close()
    return probs, seconds


def label_with_teacher(
    texts: Sequence[str],
    *,
    model_path: Path,
    adapter_path: Path,
    threads: int = 1,
    log: Callable[[str], None] = lambda _m: None,
) -> TeacherLabels:
    """Run QSM's adapter on every text (the plan prompt, forced up to the route) and read its route
    logprobs. Complexity labels are added by :func:`label_complexity_with_teacher`."""
    probs, seconds = _score_all(
        [partial(teacher_prompt, text=text) for text in texts],
        _ROUTES,
        model_path=model_path,
        adapter_path=adapter_path,
        threads=threads,
        what="route",
        log=log,
    )
    p_som = [round(p[1], 5) for p in probs]
    routes = ["SOM" if p[1] >= 0.5 else "WeQ" for p in probs]
    return TeacherLabels(
        fingerprint=data_fingerprint(texts),
        p_som=p_som,
        route=routes,
        seconds=seconds,
        model=model_path.name,
        adapter=f"qsm/adapters/qsm/{adapter_path.name}",
        adapter_sha256=file_sha256(adapter_path),
    )


def label_complexity_with_teacher(
    labels: TeacherLabels,
    texts: Sequence[str],
    *,
    model_path: Path,
    adapter_path: Path,
    threads: int = 1,
    log: Callable[[str], None] = lambda _m: None,
) -> TeacherLabels:
    """``labels`` (the route labels of ``texts``) with SOM's adapter's P(low, medium, high) added: the
    budget prompt of each text's teacher plan, forced up to the complexity value."""
    if labels.fingerprint != data_fingerprint(texts):
        raise ModelNotFoundError(
            "the route labels were computed for other routing data",
            hint="recompute them with `qsm train router-teacher` (same --seed and --per-template)",
        )
    probs, seconds = _score_all(
        [
            partial(complexity_prompt, text=text, route=route)
            for text, route in zip(texts, labels.route, strict=True)
        ],
        COMPLEXITIES,
        model_path=model_path,
        adapter_path=adapter_path,
        threads=threads,
        what="complexity",
        log=log,
    )
    classes = [COMPLEXITIES[max(range(len(p)), key=p.__getitem__)] for p in probs]
    return TeacherLabels(
        **{
            **labels.__dict__,
            "p_complexity": [[round(v, 5) for v in p] for p in probs],
            "complexity": classes,
            "complexity_seconds": seconds,
            "complexity_adapter": f"qsm/adapters/som/{adapter_path.name}",
        }
    )
