"""QSM seed tasks: plan-and-route JSON for requests (gold: route_to, needs_memory) and merging candidate
answers (gold: the answer most candidates agree on). General requests of every kind (facts, arithmetic, unit
conversion, definitions, how-to, stated formats, notes in the request, multi-step) go to WeQ with a short,
relevant plan; budget, cost, price and capacity questions go to SOM."""

from __future__ import annotations

from collections.abc import Callable

from qsm.agents.messages import Draft, UserRequest
from qsm.agents.roles import ROLE_PROMPTS, PlanReply
from qsm.graph import prompts
from qsm.train.example import Example
from qsm.train.seed_common import Seeds, example, reply_json, unique_examples
from qsm.train.seed_general import general_task
from qsm.train.seed_som import resource_question
from qsm.train.seed_vocab import (
    AGENT_TEAMS,
    COMPARISONS,
    CONCEPTS,
    COUNTRIES,
    HOWTOS,
    PEOPLE,
    PROJECTS,
    SERVICES,
    TOPICS,
    VENDORS,
    WRITING,
)

__all__ = ["qsm_examples"]

# (request, goal, steps): one entry per template; {slots} are filled from the pools below.
Template = tuple[str, str, tuple[str, ...]]

WEQ_GENERAL: tuple[Template, ...] = (
    ("Explain {concept} in simple words.", "Explain {concept} simply",
     ("define {concept}", "give an example")),
    ("What is {concept}?", "Say what {concept} is", ("define {concept}",)),
    ("Give me an everyday example of {concept}.", "Give an example of {concept}", ("pick a familiar case",)),
    ("Summarise the idea of {concept} in two sentences.", "Summarise {concept}",
     ("state the core idea", "keep it to two sentences")),
    ("What is the difference between {a} and {b}?", "Contrast {a} and {b}",
     ("describe {a}", "describe {b}", "name the key difference")),
    ("How do I {howto}?", "Explain how to {howto}", ("list the steps", "add one tip")),
    ("Write a short {genre} about {topic}.", "Write a {genre} about {topic}", ("draft the {genre}",)),
    ("What is the capital of {country}?", "Name the capital of {country}", ("answer directly",)),
    ("Can you help me understand {concept}? I keep getting confused.", "Clarify {concept}",
     ("explain {concept} step by step", "give an example")),
)  # fmt: skip
WEQ_MEMORY: tuple[Template, ...] = (
    ("What did we decide about {topic} in the last meeting?", "Recall the decision on {topic}",
     ("search memory for {topic}", "report the decision")),
    ("According to my notes, who owns the {project} project?", "Find the owner of {project}",
     ("search the notes on {project}", "name the owner")),
    ("Remind me what {person} said about {topic}.", "Recall {person}'s view on {topic}",
     ("search memory for {person}", "summarise what was said")),
    ("What is the deadline of the {project} project in our notes?", "Find the {project} deadline",
     ("search the notes on {project}", "state the deadline")),
    ("Look up what we stored about {topic} and explain it.", "Explain our notes on {topic}",
     ("search memory for {topic}", "explain the notes")),
    ("Using the documents I saved, explain how {service} works.", "Explain {service} from our documents",
     ("search the saved documents", "explain how it works")),
    ("What was my earlier question about {concept}?", "Recall the user's question on {concept}",
     ("search the chat history",)),
    ("Check our knowledge base: which team runs {service}?", "Find the team behind {service}",
     ("search the knowledge base", "name the team")),
)  # fmt: skip
SOM_GENERAL: tuple[Template, ...] = (
    ("How much would it cost to run {n} agents for a day?", "Estimate the daily cost of {n} agents",
     ("estimate calls per agent", "price the tokens")),
    ("How should I split {tokens} tokens between {k} agents?", "Split {tokens} tokens across {k} agents",
     ("weigh each agent's work", "allocate the tokens")),
    ("What budget should we give a run that {job}?", "Set a budget for a run that {job}",
     ("estimate the work", "set token and time limits")),
    ("Is it cheaper to {opt_a} or {opt_b}?", "Compare the cost of two options",
     ("price option one", "price option two", "compare")),
    ("Estimate the monthly price of hosting {service} for {users} users.", "Estimate hosting costs for {service}",
     ("estimate the load", "price the servers")),
    ("How many GPU hours do we need to {job}?", "Estimate GPU hours needed",
     ("estimate the work", "convert it to GPU hours")),
    ("What is a fair price per call if a model costs {price} dollars an hour?", "Price one model call",
     ("estimate calls per hour", "divide the hourly cost")),
    ("How can we cut the cost of {service}?", "Find savings for {service}",
     ("list the main costs", "suggest cheaper options")),
    ("What will {n} million tokens cost at {price} dollars per million?", "Price {n} million tokens",
     ("multiply tokens by the price",)),
    ("How many calls can we afford with {tokens} tokens if a call uses {k} hundred tokens?",
     "Count affordable calls",
     ("divide the budget by the cost per call",)),
    ("Should we give more budget to {team} or to {service}?", "Decide where the budget goes",
     ("compare the needs", "recommend a split")),
    ("Which agent should get the most tokens when the task is {job_short}?", "Decide the token allocation",
     ("weigh the agents' work", "pick the largest share")),
)  # fmt: skip
SOM_MEMORY: tuple[Template, ...] = (
    ("How much of the {project} budget have we spent so far?", "Report spending on {project}",
     ("search the cost records", "compare with the budget")),
    ("What did we pay {vendor} last month, according to our records?", "Find last month's {vendor} bill",
     ("search the cost records",)),
    ("Based on our stored costs, is the {project} project over budget?", "Check {project} against its budget",
     ("search the cost records", "compare with the budget")),
    ("Check our notes: how many tokens did {team} use yesterday?", "Report yesterday's token use of {team}",
     ("search the usage notes", "sum the tokens")),
    ("What price did we agree with {vendor} in our notes?", "Recall the price agreed with {vendor}",
     ("search the notes on {vendor}",)),
    ("From our saved invoices, what does {service} cost us per month?", "Find the monthly cost of {service}",
     ("search the saved invoices", "state the monthly cost")),
    ("Look at the usage we logged for {service}: what did it cost last week?", "Report last week's cost of {service}",
     ("search the usage log", "price the usage")),
    ("What hourly rate did {person} quote us for the {project} work?", "Recall the quoted rate",
     ("search the notes on {project}",)),
)  # fmt: skip
JOBS = (
    ("summarises a long report", "summarising a report"), ("answers a simple greeting", "a greeting"),
    ("writes a detailed project plan", "a detailed plan"), ("checks a short answer", "checking an answer"),
    ("translates a document", "a translation"), ("fine-tunes a small model", "fine-tuning"),
)  # fmt: skip
OPTIONS = (
    ("rent a GPU by the hour", "buy one"), ("run the model locally", "call a hosted API"),
    ("keep the logs for a year", "archive them to cold storage"),
     ("use one big model", "use four small ones"),
)  # fmt: skip


def qsm_examples(seeds: Seeds, count: int) -> list[Example]:
    merges = max(1, round(count * 0.12))
    return unique_examples(lambda: _plan(seeds), count - merges) + unique_examples(
        lambda: _merge(seeds), merges
    )


def _slots(seeds: Seeds) -> dict[str, str]:
    a, b = seeds.pick(COMPARISONS)
    genre, topic = seeds.pick(WRITING)
    opt_a, opt_b = seeds.pick(OPTIONS)
    job, job_short = seeds.pick(JOBS)
    return {
        "concept": seeds.pick(CONCEPTS),
        "a": a,
        "b": b,
        "howto": seeds.pick(HOWTOS),
        "genre": genre,
        "topic": topic if seeds.chance(0.5) else seeds.pick(TOPICS),
        "country": seeds.pick(COUNTRIES)[0],
        "project": seeds.pick(PROJECTS),
        "person": seeds.pick(PEOPLE),
        "service": seeds.pick(SERVICES),
        "vendor": seeds.pick(VENDORS),
        "team": seeds.pick(AGENT_TEAMS),
        "n": str(seeds.number(2, 12)),
        "k": str(seeds.number(2, 5)),
        "tokens": str(seeds.pick((2000, 4000, 6000, 8000, 12000, 20000))),
        "users": str(seeds.pick((50, 200, 1000, 5000))),
        "price": str(seeds.pick((1, 2, 3, 4, 8))),
        "opt_a": opt_a,
        "opt_b": opt_b,
        "job": job,
        "job_short": job_short,
    }


_BANKS: dict[tuple[str, bool], tuple[Template, ...]] = {
    ("WeQ", False): WEQ_GENERAL,
    ("WeQ", True): WEQ_MEMORY,
    ("SOM", False): SOM_GENERAL,
    ("SOM", True): SOM_MEMORY,
}


# Which kind of request a plan example is drawn from, by weight: general requests (to WeQ) are the most common,
# and resource questions (to SOM) carry numbers as often as arithmetic does, so numbers alone never decide.
_SOURCES = (("general", 9), ("WeQ", 2), ("WeQ+memory", 3), ("SOM", 4), ("SOM.question", 3), ("SOM+memory", 2))
_DRAW = tuple(name for name, weight in _SOURCES for _ in range(weight))


def _plan(seeds: Seeds) -> Example:
    source = seeds.pick(_DRAW)
    if source == "general":
        task = general_task(seeds)
        reply = PlanReply(goal=task.goal[:200], steps=[s[:120] for s in task.steps], route_to="WeQ",
                          needs_memory=False)  # fmt: skip
        request, category, group = seeds.phrase(task.request), f"WeQ.{task.kind}", task.group
    elif source == "SOM.question":
        kind, question, _, _ = resource_question(seeds)
        steps = (
            ["compute the number", "answer yes or no"]
            if kind in ("enough", "fits")
            else ["compute the number"]
        )
        reply = PlanReply(
            goal="Answer the resource question", steps=steps, route_to="SOM", needs_memory=False
        )
        request, category, group = seeds.phrase(question), f"SOM.{kind}", f"som:{question}"
    else:
        route, memory = source.split("+")[0], source.endswith("+memory")
        index = seeds.number(0, len(_BANKS[route, memory]) - 1)
        request_t, goal_t, steps_t = _BANKS[route, memory][index]
        slots = _slots(seeds)
        fill: Callable[[str], str] = lambda text: text.format(**slots)  # noqa: E731
        request = seeds.phrase(fill(request_t))
        reply = PlanReply(
            goal=fill(goal_t)[:200],
            steps=[fill(s)[:120] for s in steps_t],
            route_to=route,
            needs_memory=memory,
        )
        category = f"{route}{'+memory' if memory else ''}"
        first_slot = next((k for k in slots if "{" + k + "}" in request_t), "none")
        group = f"{category}:{index}:{slots.get(first_slot, '')}"
    messages = prompts.plan_prompt(ROLE_PROMPTS["QSM.plan"], UserRequest(text=request))
    gold = {"route_to": reply.route_to, "needs_memory": reply.needs_memory}
    return example("QSM.plan", category, group, messages, reply_json(reply), gold)


def _merge(seeds: Seeds) -> Example:
    kind = seeds.pick(("times", "plus", "capital"))
    if kind == "capital":
        (country, right), (_, wrong) = seeds.sample(COUNTRIES, 2)
        request = f"What is the capital of {country}?"
        say = (f"The capital of {country} is {{}}.", "It is {}.", "{} is the capital of " + country + ".")
    else:
        x, y = seeds.number(2, 12), seeds.number(2, 12)
        value = x * y if kind == "times" else x + y
        right, wrong = str(value), str(value + seeds.pick((-2, -1, 1, 2, 10)))
        request = f"What is {x} {kind} {y}?"
        say = (f"{x} {kind} {y} is {{}}.", "The answer is {}.", "It is {}.")
    phrasing = seeds.sample(say, 3)
    texts = [phrasing[0].format(right), phrasing[1].format(right), phrasing[2].format(wrong)]
    seeds.shuffle(texts)
    drafts = [Draft(text=t, author="WeQ", candidate=i) for i, t in enumerate(texts)]
    messages = prompts.merge_prompt(ROLE_PROMPTS["QSM.merge"], UserRequest(text=request), drafts)
    target = say[0].format(right)  # one fixed wording: only the value depends on the candidates
    gold = {"answer": right, "wrong": wrong}
    return example("QSM.merge", "majority", request, messages, target, gold)
