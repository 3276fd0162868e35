"""Budget enforcement: every model call goes through a :class:`MeteredModel` that checks what is left
(tokens, seconds, calls; overall and the agent's allocation), caps the call, and records its cost.

The meter is also where a step's prompt is measured: it needs the prompt's token count for the budget,
so it runs :func:`~qsm.agents.backend.fit_prompt` (count, and check against the context window) and
hands the count down on the request; the backend then neither counts nor checks again."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from qsm.agents.backend import ChatMessage, ChatModel, Completion, ModelRequest, fit_prompt
from qsm.agents.messages import Budget
from qsm.errors import BudgetExhausted
from qsm.graph.envelope import StepCost

__all__ = ["Limits", "MeteredModel", "spent_totals"]

_MIN_ANSWER_TOKENS = 8


@dataclass(frozen=True)
class Limits:
    """Caps for one run and, once SOM has spoken, each agent's token allocation."""

    tokens: int
    seconds: float
    calls: int
    allocation: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_budget(cls, budget: Budget) -> Limits:
        return cls(budget.tokens, budget.seconds, budget.calls, dict(budget.allocation))


def spent_totals(spent: dict[str, dict[str, Any]]) -> StepCost:
    total = StepCost()
    for cost in spent.values():
        total.calls += int(cost.get("calls", 0))
        total.prompt_tokens += int(cost.get("prompt_tokens", 0))
        total.completion_tokens += int(cost.get("completion_tokens", 0))
        total.seconds += float(cost.get("seconds", 0.0))
    return total


class MeteredModel:
    """Wraps an agent's model for one step. ``share`` divides what is left between parallel candidates."""

    def __init__(
        self,
        model: ChatModel,
        *,
        agent: str,
        limits: Limits,
        spent: dict[str, dict[str, Any]],
        share: int = 1,
    ) -> None:
        self.model = model
        self.agent = agent
        self.limits = limits
        self.share = max(1, share)
        self.name = model.name
        self.context_window = model.context_window
        self.supports_tools = model.supports_tools
        self.cost = StepCost()
        self._before = spent_totals(spent)
        self._agent_before = spent_totals({agent: spent.get(agent, {})})

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return self.model.count_tokens(messages)

    def _left(self) -> tuple[int, float, int]:
        tokens = self.limits.tokens - self._before.tokens - self.cost.tokens
        if (alloc := self.limits.allocation.get(self.agent)) is not None:
            tokens = min(tokens, alloc - self._agent_before.tokens - self.cost.tokens)
        seconds = self.limits.seconds - self._before.seconds - self.cost.seconds
        calls = self.limits.calls - self._before.calls - self.cost.calls
        return tokens // self.share, seconds / self.share if self.share > 1 else seconds, calls

    def complete(self, request: ModelRequest) -> Completion:
        tokens_left, seconds_left, calls_left = self._left()
        if calls_left <= 0:
            raise BudgetExhausted(f"{self.agent}: the run's model-call budget ({self.limits.calls}) is spent")
        if seconds_left <= 0:
            raise BudgetExhausted(
                f"{self.agent}: the run's time budget ({self.limits.seconds:.0f} s) is spent"
            )
        request = replace(request, cache_key=request.cache_key or self.agent)
        request, prompt_tokens = fit_prompt(self.model, request)
        room = tokens_left - prompt_tokens
        if room < _MIN_ANSWER_TOKENS:
            raise BudgetExhausted(
                f"{self.agent}: {max(0, tokens_left)} tokens left in its budget, the prompt alone needs {prompt_tokens}"
            )
        own_deadline = time.monotonic() + seconds_left
        completion = self.model.complete(
            replace(
                request,
                sampling=request.sampling.model_copy(
                    update={"max_tokens": min(request.sampling.max_tokens, room)}
                ),
                deadline=min(request.deadline, own_deadline) if request.deadline else own_deadline,
            )
        )
        self.cost.calls += 1
        self.cost.prompt_tokens += completion.prompt_tokens
        self.cost.completion_tokens += completion.completion_tokens
        self.cost.seconds += completion.seconds
        return completion

    def close(self) -> None:
        pass

    def spent_update(self) -> dict[str, dict[str, Any]]:
        return {self.agent: self.cost.model_dump()}
