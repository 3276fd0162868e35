"""The teacher's soft route labels for the quantum student (QD-LLM distillation): QSM's shipped adapter on
the bundled base, through llama.cpp, plans each routing request exactly as runs call it (its chat template,
its system prompt), with its reply forced up to the ``route_to`` value (see :func:`teacher_prompt`); the
llama.cpp logits of the first token of each value (WeQ or SOM), renormalised over the two, are the teacher's
probability of sending the request to SOM.

Computed once with the real model (``qsm train router-teacher``) and cached beside the student as
``qsm/agents/data/router_teacher.json``; training and the tests read the cache.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from qsm.agents.messages import UserRequest
from qsm.agents.roles import ROLE_PROMPTS
from qsm.errors import ModelNotFoundError
from qsm.graph import prompts

__all__ = ["TeacherLabels", "data_fingerprint", "label_with_teacher", "shipped_teacher_path"]

_ROUTES = ("WeQ", "SOM")


def shipped_teacher_path() -> Path:
    return Path(str(resources.files("qsm.agents") / "data" / "router_teacher.json"))


def data_fingerprint(texts: Sequence[str]) -> str:
    """A short hash of the routing texts, so a cache made for other data is never used."""
    return hashlib.sha256("\n\x00".join(texts).encode()).hexdigest()[:16]


@dataclass
class TeacherLabels:
    """The teacher's P(SOM) per routing text (in data order), its greedy route, and its call times."""

    fingerprint: str
    p_som: list[float]
    route: list[str]
    seconds: list[float]
    model: str
    adapter: str

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


def teacher_prompt(formatter: Any, text: str) -> str:
    """QSM.plan's chat prompt for ``text`` (as runs send it) and the reply forced up to the route value:
    the request as the goal and one generic step, then ``"route_to": "``."""
    messages = prompts.plan_prompt(ROLE_PROMPTS["QSM.plan"], UserRequest(text=text))
    prefix = json.dumps({"goal": text[:120], "steps": ["answer the request"]})[:-1] + ', "route_to": "'
    return str(formatter(messages=[dict(m) for m in messages]).prompt) + prefix


def label_with_teacher(
    texts: Sequence[str],
    *,
    model_path: Path,
    adapter_path: Path,
    threads: int = 1,
    log: Callable[[str], None] = lambda _m: None,
) -> TeacherLabels:
    """Run the teacher on every text (greedy, under the plan reply's schema) and read its route logprobs."""
    import numpy as np
    from llama_cpp import Llama

    from qsm.agents.backend import ensure_real_models_allowed

    ensure_real_models_allowed("llama.cpp")
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    llama = Llama(
        model_path=str(model_path),
        lora_path=str(adapter_path),
        n_ctx=2048,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    formatter = Jinja2ChatFormatter(
        template=llama.metadata["tokenizer.chat_template"],
        eos_token=llama._model.token_get_text(llama.token_eos()),
        bos_token=llama._model.token_get_text(llama.token_bos()),
    )
    # the first token of each route value after the opening quote ("We", "S")
    first = {r: llama.tokenize(f'"{r}'.encode(), add_bos=False, special=False)[1] for r in _ROUTES}
    p_som: list[float] = []
    routes: list[str] = []
    seconds: list[float] = []
    for n, text in enumerate(texts):
        start = time.perf_counter()
        tokens = llama.tokenize(teacher_prompt(formatter, text).encode(), add_bos=False, special=True)
        shared = llama.longest_token_prefix(llama._input_ids[: llama.n_tokens].tolist(), tokens)
        shared = min(shared, len(tokens) - 1)  # always evaluate the request's own tokens
        llama.n_tokens = shared  # keep the cached system prompt, drop the previous request
        llama._ctx.kv_cache_seq_rm(-1, shared, -1)
        llama.eval(tokens[shared:])
        logits = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(llama.n_vocab(),))
        weq, som = float(logits[first["WeQ"]]), float(logits[first["SOM"]])
        p = 1.0 / (1.0 + math.exp(weq - som))
        seconds.append(round(time.perf_counter() - start, 4))
        p_som.append(round(p, 5))
        routes.append("SOM" if p >= 0.5 else "WeQ")
        if n % 50 == 0:
            log(f"teacher {n + 1}/{len(texts)}: P(SOM)={p:.3f} in {seconds[-1]:.2f} s")
    return TeacherLabels(
        fingerprint=data_fingerprint(texts),
        p_som=p_som,
        route=routes,
        seconds=seconds,
        model=model_path.name,
        adapter=f"qsm/adapters/qsm/{adapter_path.name}",
    )
