"""One candidate: WeQ (or SOM) drafts — with a tool when the request is a calculation or conversion, from
the note that fits when notes are pasted in, under a grammar when a format is stated —, Ref checks and
verifies, and a failed check drives the bounded repair loop with its concrete diagnosis."""

from __future__ import annotations

import re
from typing import Any

from langgraph.types import Command, Send

from qsm.agents.backend import ChatMessage
from qsm.agents.messages import (
    Diagnosis,
    Draft,
    Plan,
    RepairPlan,
    ToolCall,
    ToolResult,
    UserRequest,
    Verdict,
)
from qsm.agents.roles import DiagnosisReply, VerdictReply, chat, verdict_score
from qsm.agents.settings import Sampling
from qsm.agents.tools import Toolbox, ToolCallError, ToolError
from qsm.agents.tools.units import find_unit, units_named
from qsm.errors import BudgetExhausted, StructuredOutputError
from qsm.graph import prompts
from qsm.graph.agent_call import AgentCall, emit, envelope
from qsm.graph.envelope import Envelope
from qsm.graph.events import BudgetEvent, ChecksEvent, ToolEvent
from qsm.graph.human import apply_answer, approval_question, ask_user
from qsm.graph.recall import recall_lessons, recall_notes, write_lesson
from qsm.graph.state import add_costs
from qsm.graph.step_context import Update
from qsm.graph.team.analysis import RequestAnalysis
from qsm.graph.team.checks import Check, run_checks
from qsm.graph.team.context import TeamContext
from qsm.graph.team.explain import explanation
from qsm.graph.turns import earlier, resolved_text, with_history

__all__ = ["diagnose", "draft", "draft_messages", "judge_text", "note_answer", "verify"]

_CITE = re.compile(r"\[\d{1,2}\]")
_TOOL_PROMPT = (
    "You are {name}. Call one tool to answer the request exactly. For arithmetic write the expression with "
    "numbers and + - * / ** ( ) only; for conversions give value, from_unit and to_unit. Reply with JSON."
)


def _run_tool(ctx: TeamContext, call: ToolCall, agent: str, candidate: int) -> ToolResult:
    toolbox = ctx.toolbox
    if toolbox is None:
        raise RuntimeError("a tool step ran without the team's toolbox; callers check ctx.toolbox first")
    result = toolbox.run(call)
    emit(
        ToolEvent(
            node="draft",
            agent=agent,
            candidate=candidate,
            tool=call.tool,
            arguments=call.arguments,
            ok=result.ok,
            output=result.output if result.ok else result.error,
        )
    )
    return result


def _tool_answer(analysis: RequestAnalysis, call: ToolCall, result: ToolResult) -> str:
    fmt = analysis.answer_format
    if fmt is not None and fmt.kind in ("number", "one_word", "max_words") and result.value is not None:
        return result.output.split("=")[-1].split()[0] if call.tool == "convert_units" else result.output
    if call.tool == "calculator":
        expression = str(call.arguments.get("expression", "")).replace("**", "^")
        return f"{expression} = {result.output}"
    return result.output


class _Calculations:
    """The calculator as a function for the comparison and choice deciders, keeping each call and result
    (they go into the draft and the trace)."""

    def __init__(self, ctx: TeamContext, agent: str, candidate: int) -> None:
        self.ctx, self.agent, self.candidate = ctx, agent, candidate
        self.calls: list[ToolCall] = []
        self.results: list[ToolResult] = []

    def __call__(self, expression: str) -> float:
        call = ToolCall(tool="calculator", arguments={"expression": expression}, caller=self.agent)
        result = _run_tool(self.ctx, call, self.agent, self.candidate)
        self.calls.append(call)
        self.results.append(result)
        if not result.ok or result.value is None:
            raise ToolError(result.error or "no number")
        return result.value


def _decide(
    ctx: TeamContext, analysis: RequestAnalysis, agent: str, candidate: int
) -> tuple[str, list[ToolCall], list[ToolResult]] | None:
    """A yes/no comparison settled with the calculator: the answer and the calls that settled it."""
    if analysis.comparison is None:
        return None
    evaluate = _Calculations(ctx, agent, candidate)
    try:
        yes, explanation = analysis.comparison.decide(evaluate)
    except ToolError:
        return None
    return _yes_no_answer(analysis, yes, explanation), evaluate.calls, evaluate.results


def _choose(
    ctx: TeamContext, analysis: RequestAnalysis, agent: str, candidate: int
) -> tuple[str, list[ToolCall], list[ToolResult]] | None:
    """Which of two quantities is larger (or smaller), both computed with the calculator."""
    if analysis.choice is None:
        return None
    evaluate = _Calculations(ctx, agent, candidate)
    try:
        return analysis.choice.decide(evaluate), evaluate.calls, evaluate.results
    except ToolError:
        return None


def _yes_no_answer(analysis: RequestAnalysis, yes: bool, explanation: str) -> str:
    """The explanation, or a bare Yes / No when the request asks for nothing else."""
    fmt = analysis.answer_format
    if fmt is not None and fmt.kind == "yes_no" and fmt.strict:
        return "Yes" if yes else "No"
    return explanation


def _model_tool_call(
    ctx: TeamContext, call: AgentCall, analysis: RequestAnalysis, candidate: int
) -> tuple[ToolCall, ToolResult] | None:
    """WeQ writes the tool call itself (under the call grammar) when the request looks like arithmetic
    that the parser could not read; a malformed call is repaired or refused, never fatal."""
    toolbox = Toolbox([t for t in ctx.toolbox or () if t.name in ("calculator", "convert_units")])
    messages = chat(_TOOL_PROMPT.format(name=call.agent.name) + "\n" + toolbox.describe(), analysis.question)
    try:
        tool_call = call.tool_call(messages, toolbox)
    except ToolCallError as err:
        emit(
            ToolEvent(
                node="draft",
                agent=call.agent.name,
                candidate=candidate,
                tool="",
                arguments={},
                ok=False,
                output=err.message,
            )
        )
        return None
    if stray := _units_not_asked(tool_call, analysis.question) or _number_not_asked(
        tool_call, analysis.question
    ):
        emit(
            ToolEvent(
                node="draft",
                agent=call.agent.name,
                candidate=candidate,
                tool=tool_call.tool,
                arguments=tool_call.arguments,
                ok=False,
                output=f"not run: the question names no {stray}",
            )
        )
        return None
    result = _run_tool(ctx, tool_call, call.agent.name, candidate)
    return (tool_call, result) if result.ok else None


def _units_not_asked(tool_call: ToolCall, question: str) -> str | None:
    """A unit the model's conversion uses that the question never names ("16 km in miles" written for
    "And that plus 16?"), or None when the call is about what was asked."""
    if tool_call.tool != "convert_units":
        return None
    named = units_named(question)
    for key in ("from_unit", "to_unit"):
        unit = find_unit(str(tool_call.arguments.get(key, "")))
        if unit is not None and unit.symbol not in named:
            return unit.symbol
    return None


_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# numbers a calculation may bring that the question need not say: percent, time and metric steps
_CONSTANTS = frozenset({100.0, 60.0, 24.0, 7.0, 12.0, 365.0, 1000.0, 3600.0})


def _number_not_asked(tool_call: ToolCall, question: str) -> str | None:
    """A number the model's calculation uses that is neither in the question nor a common constant ("2 + 2"
    written for a word problem about 3 books), or None."""
    if tool_call.tool != "calculator":
        return None
    asked = {float(n) for n in _NUMBER.findall(question.replace(",", ""))}
    used = _NUMBER.findall(str(tool_call.arguments.get("expression", "")).replace(",", ""))
    return next((n for n in used if float(n) not in asked | _CONSTANTS), None)


ExactAnswer = tuple[str | None, list[ToolCall], list[ToolResult]]


def _exact_answer(
    ctx: TeamContext, call: AgentCall, analysis: RequestAnalysis, i: int, rnd: int
) -> ExactAnswer | None:
    """What a tool settles, in this order: a capacity check (SOM's), a comparison, a calculation or
    conversion the request plainly states, and, for arithmetic the parsers could not read, a tool call the
    author writes itself. The text is None when the tools ran but settled nothing."""
    agent = call.agent.name
    if analysis.capacity is not None:
        capacity_call = ToolCall(
            tool="check_capacity", arguments=analysis.capacity.model_dump(), caller=agent
        )
        result = _run_tool(ctx, capacity_call, agent, i)
        if result.ok and result.value is not None:
            return _yes_no_answer(analysis, result.value == 1.0, result.output), [capacity_call], [result]
    if analysis.comparison is not None:
        decided = _decide(ctx, analysis, agent, i)
        if decided is not None:
            return decided
    if analysis.choice is not None:
        chosen = _choose(ctx, analysis, agent, i)
        if chosen is not None:
            return chosen
    if analysis.tool_call is not None:
        result = _run_tool(ctx, analysis.tool_call, agent, i)
        text = _tool_answer(analysis, analysis.tool_call, result) if result.ok else None
        return text, [analysis.tool_call], [result]
    if analysis.math_like and analysis.notes is None and rnd == 0:
        done = _model_tool_call(ctx, call, analysis, i)
        if done is not None:
            return _tool_answer(analysis, *done), [done[0]], [done[1]]
    return None


def draft(ctx: TeamContext, branch: dict[str, Any]) -> Command:
    i, rnd = branch["candidate"], branch["round"]
    the_plan = Envelope.model_validate(branch["plan"]).message_as(Plan)
    author = ctx.drafter(the_plan)
    analysis = ctx.request_analysis(branch)
    repair_env, previous_env = envelope(branch.get("repair")), envelope(branch.get("draft"))
    call = ctx.steps.call(
        author,
        "draft",
        branch,
        share=ctx.fan_out if rnd == 0 else 1,
        candidate=i,
        toolbox=ctx.own_tools.get(author.name),  # the user's tools: a free answer comes after its tool loop
    )
    call.tool_step.inputs = [branch["task"]["id"]]
    if ctx.settings.greedy_first:
        call.settings = call.settings.model_copy(
            update={"sampling": _candidate_sampling(call.settings.sampling, i)}
        )
    tool_calls: list[ToolCall] = []
    tool_results: list[ToolResult] = []
    text: str | None = None
    thinking = ""
    notes: list[Any] = []
    try:
        trimmed = (
            _trimmed(ctx, analysis, previous_env, _topic(ctx, branch)) if repair_env is not None else None
        )
        exact = (
            _exact_answer(ctx, call, analysis, i, rnd)
            if ctx.toolbox is not None and trimmed is None
            else None
        )
        if trimmed is not None:
            text = trimmed
        if exact is not None:
            text, tool_calls, tool_results = exact
        if analysis.explain and trimmed is None:  # "Why?" after an answer the tools or notes settled
            text = explanation(analysis, text, tool_calls, tool_results)
        if text is None:
            text, thinking, notes = _write(
                ctx, call, author, branch, analysis, the_plan, repair_env, previous_env
            )
    except BudgetExhausted as exc:
        return _settle_exhausted(call, exc, i)
    used = call.tool_step.envelopes  # the calls of the user's tools, in order, with their results
    tool_calls += [e.message_as(ToolCall) for e in used if e.type == "ToolCall"]
    tool_results += [e.message_as(ToolResult) for e in used if e.type == "ToolResult"]
    result_draft = Draft(
        text=text,
        thinking=thinking,
        author=author.name,
        candidate=i,
        round=rnd,
        citations=notes,
        tool_calls=tool_calls,
        tool_results=tool_results,
    )
    parents = call.tool_step.parents([branch["task"]["id"]] + ([repair_env.id] if repair_env else []))
    env = ctx.steps.send(result_draft, author, ctx.reflector, parents, call, "draft")
    nxt = {**branch, "draft": env.model_dump(), "spent": add_costs(branch.get("spent"), call.spent_update())}
    return Command(
        update={
            "drafts": {str(i): env.model_dump()},
            "trace": [*call.tool_step.trace(), env.model_dump()],
            "spent": call.spent_update(),
        },
        goto=Send("Ref.verify", nxt),
    )


def _write(
    ctx: TeamContext,
    call: AgentCall,
    author: Any,
    branch: dict[str, Any],
    analysis: RequestAnalysis,
    the_plan: Plan,
    repair_env: Any,
    previous_env: Any,
) -> tuple[str, str, list[Any]]:
    """The author's own words: from the note that fits, under the stated format's grammar."""
    request = ctx.steps.request(branch)
    key = "SOM.answer" if author is ctx.economist else "WeQ.draft"
    notes = [] if analysis.notes else recall_notes(ctx.rt, request.text, request.user, author.name)
    fmt = analysis.answer_format
    task_strength = ctx.steps.book.strength(ctx.coordinator.name, author.name, "Task")
    prompt = draft_messages(
        call.system_prompt(ctx.prompt(key)),
        request,
        analysis,
        the_plan,
        task_strength,
        recalled=[f"{n.quote} (from {n.path})" for n in notes],
        repair=repair_env.message() if repair_env else None,
        previous=previous_env.message() if previous_env else None,
        repair_strength=ctx.steps.book.strength(ctx.reflector.name, author.name, "RepairPlan"),
    )
    messages = with_history(prompt, earlier(branch), task_strength)  # the turns before this one
    text = ""
    if fmt is not None and fmt.projectable:  # answer freely, then bring the answer into the format
        completion = call.text(messages)
        text = fmt.project(completion.text, analysis.question) or ""
    if fmt is not None and (not text or fmt.problem(text)):  # decode under the format's grammar
        value, completion = call.constrained(messages, fmt.json_schema())
        text = fmt.render(value)
    elif fmt is None:
        completion = call.text(messages)
        text = completion.text.strip()
    return note_answer(text, analysis), completion.thinking, notes


def draft_messages(
    system: str,
    request: UserRequest,
    analysis: RequestAnalysis,
    plan: Plan | None,
    task_strength: float,
    *,
    recalled: list[str] | None = None,
    repair: RepairPlan | None = None,
    previous: Draft | None = None,
    repair_strength: float = 1.0,
) -> list[ChatMessage]:
    """The chat an author drafts from: the request (or, when notes are pasted in, the one note that fits
    and the question), the plan, recalled notes, a repair, and the format the request states. The draft
    step and WeQ's training data (:mod:`qsm.train.notes_rs`) both build it here, so an adapter is trained
    on exactly the prompt the team sends."""
    best = analysis.best_note
    note = (best, analysis.notes.notes[best], analysis.question) if analysis.notes and best else None
    fmt = analysis.answer_format
    return prompts.draft_prompt(
        system,
        request,
        plan,
        task_strength,
        notes=recalled,
        repair=repair,
        previous=previous,
        repair_strength=repair_strength,
        note=note,
        answer_format=fmt.instruction() if fmt else "",
    )


def note_answer(text: str, analysis: RequestAnalysis) -> str:
    """An author's reply to a request with pasted notes as the team keeps it: its first sentence (when no
    format is stated), citing the note that fits when the reply cites none, and that note in place of any
    other it names (the author was shown that note alone; Ref still checks that it supports the claim).
    Other replies unchanged."""
    best = analysis.best_note
    if analysis.notes is None or not best:
        return text
    fmt = analysis.answer_format
    if fmt is None:  # one sentence from the note, citing it
        text = _first_sentence(text)
    text = _CITE.sub(f"[{best}]", text)
    if not _CITE.search(text) and (fmt is None or fmt.kind == "max_words"):
        text = f"{text.rstrip()} [{best}]"
    return text


def _candidate_sampling(sampling: Sampling, candidate: int) -> Sampling:
    """Candidate 0 decodes greedily (the model's most likely answer); the others sample at the agent's
    temperature, or at 0.7 where that is 0, so that a superposition holds different answers."""
    if candidate == 0:
        return sampling.model_copy(update={"temperature": 0.0})
    return sampling.model_copy(update={"temperature": sampling.temperature or 0.7, "seed": candidate})


def _trimmed(
    ctx: TeamContext, analysis: RequestAnalysis, previous_env: Envelope | None, topic: RequestAnalysis | None
) -> str | None:
    """The previous draft without the sentences Ref found unrelated and the citation marks that name no
    note, when that removal is the whole fix."""
    if previous_env is None:
        return None
    previous = previous_env.message_as(Draft)
    recalled = [c.quote for c in previous.citations]
    failed = [c for c in _checks(ctx, analysis, previous.text, recalled, topic) if not c.passed]
    if not failed or not all(c.drop or c.unmark for c in failed):
        return None
    text = previous.text
    for sentence in {s for c in failed for s in c.drop}:
        text = text.replace(sentence, " ")
    for mark in {m for c in failed for m in c.unmark}:
        text = re.sub(r"[ \t]*" + re.escape(mark), "", text)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return text or None


def _first_sentence(text: str) -> str:
    line = text.strip().split("\n")[0].strip()
    return re.split(r"(?<=[.!?])\s+(?=[A-Z\[])", line)[0].strip() or text.strip()


def _settle_exhausted(call: AgentCall, exc: BudgetExhausted, i: int) -> Command:
    emit(BudgetEvent(node=call.node, agent=call.agent.name, message=exc.message))
    return Command(
        update={"settled": {str(i): "exhausted"}, "exhausted": exc.message, "spent": call.spent_update()},
        goto="QSM.collapse",
    )


def _topic(ctx: TeamContext, branch: dict[str, Any]) -> RequestAnalysis | None:
    """What a follow-up's answer must be about: the request read with the turn before it (None on a
    thread's first turn, where that is the request itself)."""
    turns = earlier(branch)
    if turns is None:
        return None
    return ctx.analysis(resolved_text(turns, ctx.steps.request(branch).text))


def _checks(
    ctx: TeamContext,
    analysis: RequestAnalysis,
    text: str,
    recalled: list[str] | None = None,
    topic: RequestAnalysis | None = None,
) -> list[Check]:
    expected, decision = None, None
    if ctx.toolbox is not None and analysis.tool_call is not None:
        expected = ctx.toolbox.run(analysis.tool_call)  # Ref recomputes on its own
    decision = analysis.decision()  # Ref recomputes the yes/no on its own
    return run_checks(
        analysis,
        text,
        expected=expected,
        decision=decision,
        supports=ctx.supports,
        embed=ctx.semantic_embed(),
        recalled=recalled,
        topic=topic,
    )


def judge_text(ctx: TeamContext, request: str, text: str) -> list[Check]:
    """Ref's checks of an answer ``text`` to ``request`` (what its verdict rests on)."""
    return _checks(ctx, ctx.analysis(request), text)


def verify(ctx: TeamContext, branch: dict[str, Any]) -> Command:
    i, rnd = branch["candidate"], branch["round"]
    draft_env = Envelope.model_validate(branch["draft"])
    the_draft = draft_env.message_as(Draft)
    request = ctx.steps.request(branch)
    analysis = ctx.request_analysis(branch)
    call = ctx.steps.call(ctx.reflector, "Ref.verify", branch, candidate=i)
    checks = _checks(
        ctx, analysis, the_draft.text, [c.quote for c in the_draft.citations], _topic(ctx, branch)
    )
    failed = [c for c in checks if not c.passed]
    summary = [f"{c.name}: {'passed' if c.passed else 'failed'}" for c in checks]
    errors: list[str] = []
    if failed:
        decision = "revise" if rnd < ctx.repair_limit else "reject"
        verdict = Verdict(
            decision=decision,
            score=verdict_score(decision, "high"),
            reasons=[c.problem for c in failed][:3],
            candidate=i,
            round=rnd,
            checks=summary,
            judged_by="checks",
        )
    elif ctx.settings.ref_judge == "checks+model" and not any(c.decisive for c in checks):
        try:
            verdict = _model_verdict(ctx, call, branch, the_draft, summary, i, rnd)
        except StructuredOutputError as exc:
            errors.append(str(exc))
            verdict = Verdict(decision="accept", score=0.5, reasons=["Ref's verdict was unusable; checks passed"],
                              candidate=i, round=rnd, checks=summary, judged_by="checks")  # fmt: skip
        except BudgetExhausted as exc:
            return _settle_exhausted(call, exc, i)
    else:
        decisive = any(c.decisive for c in checks)
        verdict = Verdict(
            decision="accept",
            score=verdict_score("accept", "high" if decisive else "medium"),
            reasons=["verified: " + ", ".join(c.name for c in checks if c.decisive)]
            if decisive
            else ["no check found a fault (" + ", ".join(c.name for c in checks) + ")"],
            candidate=i,
            round=rnd,
            checks=summary,
            judged_by="checks",
        )
    emit(ChecksEvent(node="Ref.verify", agent=ctx.reflector.name, candidate=i, checks=summary))
    verdict = _user_approval(ctx, verdict)
    env = ctx.steps.send(verdict, ctx.reflector, ctx.coordinator, [draft_env.id], call, "Ref.verify")
    if verdict.decision == "reject":
        write_lesson(ctx.rt, request.text, the_draft, verdict, [draft_env.id, env.id], ctx.reflector.name)
    update: Update = {
        "verdicts": {str(i): env.model_dump()},
        "trace": [env.model_dump()],
        "spent": call.spent_update(),
        "errors": errors,
    }
    if verdict.decision == "revise" and rnd < ctx.repair_limit:
        nxt = {
            **branch,
            "verdict": env.model_dump(),
            "spent": add_costs(branch.get("spent"), call.spent_update()),
        }
        return Command(update=update, goto=Send("Ref.diagnose", nxt))
    update["settled"] = {str(i): verdict.decision}
    return Command(update=update, goto="QSM.collapse")


def _user_approval(ctx: TeamContext, verdict: Verdict) -> Verdict:
    """The verdict after the user's answer when the workflow's approvals ask about Ref's accepting below a
    score (:mod:`qsm.graph.human`): the run waits for the answer; yes accepts, anything else rejects. The
    step runs again from its start on resume (Ref's checks again; with ``ref_judge = "checks+model"`` its
    model judges again too)."""
    approval = next((a for a in ctx.workflow.approvals if a.agent == ctx.reflector.name), None)
    if approval is None or verdict.decision != "accept":
        return verdict
    if approval.below is not None and verdict.score >= approval.below:
        return verdict
    question = approval_question(ctx.reflector.name, verdict, approval.question)
    return apply_answer(verdict, ask_user(question, choices=["yes", "no"], node="Ref.verify"))


def _model_verdict(
    ctx: TeamContext,
    call: AgentCall,
    branch: dict[str, Any],
    the_draft: Draft,
    summary: list[str],
    i: int,
    rnd: int,
) -> Verdict:
    request = ctx.steps.request(branch)
    reply = call.structured(
        prompts.verify_prompt(
            call.system_prompt(ctx.prompt("Ref.verify")),
            request,
            the_draft,
            ctx.steps.book.strength(the_draft.author, ctx.reflector.name, "Draft"),
            lessons=recall_lessons(ctx.rt, request.text, ctx.reflector.name),
        ),
        VerdictReply,
    )
    return Verdict(
        decision=reply.decision,
        score=verdict_score(reply.decision, reply.confidence),
        reasons=reply.reasons,
        candidate=i,
        round=rnd,
        checks=summary,
        judged_by="model",
    )


def diagnose(ctx: TeamContext, branch: dict[str, Any]) -> Command:
    i, rnd = branch["candidate"], branch["round"]
    draft_env, verdict_env = (
        Envelope.model_validate(branch["draft"]),
        Envelope.model_validate(branch["verdict"]),
    )
    the_draft = draft_env.message_as(Draft)
    verdict = verdict_env.message_as(Verdict)
    request = ctx.steps.request(branch)
    call = ctx.steps.call(ctx.reflector, "Ref.diagnose", branch, candidate=i)
    if verdict.judged_by == "checks":  # the failed checks are the diagnosis: no model call needed
        recalled = [c.quote for c in the_draft.citations]
        failed = [
            c
            for c in _checks(ctx, ctx.request_analysis(branch), the_draft.text, recalled, _topic(ctx, branch))
            if not c.passed
        ]
        repair = RepairPlan(
            candidate=i,
            round=rnd + 1,
            instruction="; ".join(c.fix for c in failed) or "Address the reviewer's reasons.",
            diagnoses=[Diagnosis(problem=c.problem, solution=c.fix) for c in failed],
        )
    else:
        try:
            reply = call.structured(
                prompts.diagnose_prompt(
                    call.system_prompt(ctx.prompt("Ref.diagnose")), request, the_draft, verdict
                ),
                DiagnosisReply,
            )
            repair = RepairPlan(
                candidate=i,
                round=rnd + 1,
                instruction=reply.instruction or "Fix the problems.",
                diagnoses=[Diagnosis(problem=p.problem, solution=p.solution) for p in reply.problems],
            )
        except StructuredOutputError:
            repair = RepairPlan(
                candidate=i,
                round=rnd + 1,
                instruction="Address the reviewer's reasons.",
                diagnoses=[Diagnosis(problem=r, solution="fix this") for r in verdict.reasons],
            )
        except BudgetExhausted as exc:
            return _settle_exhausted(call, exc, i)
    env = ctx.steps.send(
        repair, ctx.reflector, the_draft.author, [draft_env.id, verdict_env.id], call, "Ref.diagnose"
    )
    nxt = {
        **branch,
        "repair": env.model_dump(),
        "round": rnd + 1,
        "spent": add_costs(branch.get("spent"), call.spent_update()),
    }
    return Command(
        update={"trace": [env.model_dump()], "spent": call.spent_update()}, goto=Send("draft", nxt)
    )
