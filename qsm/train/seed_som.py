"""SOM seed tasks: budget JSON for plans (gold: complexity, and the drafter getting the largest weight) and
short answers to allocation, cost and capacity questions (gold: the number, or yes/no)."""

from __future__ import annotations

from qsm.agents.messages import Plan, UserRequest
from qsm.agents.roles import ROLE_PROMPTS, BudgetReply, Weights
from qsm.graph import prompts
from qsm.train.example import Example
from qsm.train.seed_common import Seeds, example, reply_json, unique_examples
from qsm.train.seed_vocab import COMPARISONS, CONCEPTS, COUNTRIES, PROJECTS, SERVICES, TEAMS, TOPICS

__all__ = ["GOLD_WEIGHTS", "resource_question", "som_examples"]

PlanTemplate = tuple[str, tuple[str, ...], str]  # goal, steps, drafter

LOW: tuple[PlanTemplate, ...] = (
    ("Name the capital of {country}", ("answer directly",), "WeQ"),
    ("Reply to a greeting", ("say hello back",), "WeQ"),
    ("Define {concept}", ("give a one-line definition",), "WeQ"),
    ("Convert {n} kilometres to metres", ("multiply by 1000",), "WeQ"),
    ("Say what day follows {day}", ("answer directly",), "WeQ"),
    ("Give the price of one call at {n} cents", ("state the price",), "SOM"),
    ("Find the {project} deadline", ("search the notes on {project}",), "WeQ"),
    ("Split {tokens} tokens evenly across {k} agents", ("divide the tokens",), "SOM"),
    ("Compute {n} plus {k}", ("add {n} and {k}",), "WeQ"),
    ("Answer in one word", ("find the answer", "reply with one word"), "WeQ"),
    ("Answer yes or no", ("check the claim", "reply yes or no"), "WeQ"),
    ("Check whether {tokens} tokens cover {k} calls", ("multiply calls by tokens", "compare"), "SOM"),
)
MEDIUM: tuple[PlanTemplate, ...] = (
    ("Explain {concept} simply", ("define {concept}", "give an example"), "WeQ"),
    ("Contrast {a} and {b}", ("describe both", "name the key difference"), "WeQ"),
    ("Summarise our notes on {topic}", ("search memory for {topic}", "summarise the notes"), "WeQ"),
    ("Estimate the daily cost of {n} agents", ("estimate calls per agent", "price the tokens"), "SOM"),
    ("Compare the cost of renting and buying a GPU", ("price renting", "price buying"), "SOM"),
    ("Explain how {service} works", ("describe its parts", "explain the flow"), "WeQ"),
    ("Write a short poem about {topic}", ("pick an image", "write four lines"), "WeQ"),
    ("Add {n} and {k}, then multiply by {k}", ("add {n} and {k}", "multiply by {k}"), "WeQ"),
    ("Answer from the notes given", ("read the notes", "cite the note"), "WeQ"),
)
HIGH: tuple[PlanTemplate, ...] = (
    ("Design {service} for {n} thousand users",
     ("gather requirements", "design the parts", "plan the rollout"), "WeQ"),
    ("Write a migration plan for the {project} project",
     ("list the systems", "order the moves", "plan rollback"), "WeQ"),
    ("Analyse the {team} team's costs and recommend cuts",
     ("collect the costs", "find the largest items", "recommend cuts"), "SOM"),
    ("Plan a {n}-week project to rebuild {service}",
     ("break down the work", "schedule the weeks", "assign owners"), "WeQ"),
    ("Build a yearly budget for the {project} project",
     ("estimate each cost", "add a reserve", "split by quarter"), "SOM"),
    ("Compare three designs for {service} and pick one",
     ("describe each design", "weigh their trade-offs", "recommend one"), "WeQ"),
    ("Review {topic} and propose a full rewrite",
     ("read the current version", "list the problems", "draft the rewrite"), "WeQ"),
)  # fmt: skip
BANKS = {"low": LOW, "medium": MEDIUM, "high": HIGH}
GOLD_WEIGHTS = {"low": (2, 5, 2), "medium": (2, 6, 3), "high": (3, 8, 5)}  # QSM, drafter, Ref
RATIONALES = {
    "low": (
        "A single short answer; little drafting and checking is needed.",
        "One quick step, so a small budget with most of it for the answer.",
    ),
    "medium": (
        "An explanation with a few parts; most of the work is drafting.",
        "Two steps of moderate work; drafting matters most, some checking.",
    ),
    "high": (
        "A multi-step task with several parts; drafting and checking both matter.",
        "Three substantial steps; the answer is long and needs careful review.",
    ),
}
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def som_examples(seeds: Seeds, count: int) -> list[Example]:
    answers = max(1, round(count * 0.25))
    return unique_examples(lambda: _budget(seeds), count - answers) + unique_examples(
        lambda: _answer(seeds), answers
    )


def _caps(seeds: Seeds) -> str:
    tokens = seeds.pick((3000, 4000, 6000, 8000, 12000))
    seconds = seeds.pick((60, 120, 300, 600))
    calls = seeds.pick((8, 12, 24, 40))
    return f"{tokens} tokens, {seconds} s, {calls} calls"


def _budget(seeds: Seeds) -> Example:
    complexity = seeds.pick(tuple(BANKS))
    index = seeds.number(0, len(BANKS[complexity]) - 1)
    goal_t, steps_t, drafter = BANKS[complexity][index]
    a, b = seeds.pick(COMPARISONS)
    slots = {
        "country": seeds.pick(COUNTRIES)[0],
        "concept": seeds.pick(CONCEPTS),
        "a": a,
        "b": b,
        "n": str(seeds.number(2, 12)),
        "k": str(seeds.number(2, 5)),
        "tokens": str(seeds.pick((2000, 4000, 6000, 9000))),
        "day": seeds.pick(DAYS),
        "project": seeds.pick(PROJECTS),
        "service": seeds.pick(SERVICES),
        "topic": seeds.pick(TOPICS),
        "team": seeds.pick(TEAMS),
    }
    plan = Plan(
        goal=goal_t.format(**slots),
        steps=[s.format(**slots) for s in steps_t],
        route_to=drafter,
    )
    messages = prompts.budget_prompt(
        ROLE_PROMPTS["SOM.budget"], plan, seeds.strength(), drafter, _caps(seeds)
    )
    qsm, draft, ref = GOLD_WEIGHTS[complexity]
    reply = BudgetReply(
        complexity=complexity,
        weights=Weights(QSM=qsm, WeQ=draft, Ref=ref),
        rationale=seeds.pick(RATIONALES[complexity]),
    )
    gold = {"complexity": complexity, "weights": [qsm, draft, ref]}
    return example(
        "SOM.budget", complexity, f"{complexity}:{index}:{plan.goal}", messages, reply_json(reply), gold
    )


def resource_question(seeds: Seeds) -> tuple[str, str, str, str]:
    """A question about budgets, costs, capacity or allocation: (kind, question, gold value, answer)."""
    kind = seeds.pick(("split", "daily", "left", "share", "gpu", "capacity", "enough", "fits", "calls"))
    value: int | str  # a number, or "yes"/"no"
    if kind == "split":
        k = seeds.number(2, 6)
        each = seeds.pick((250, 500, 750, 1000, 1500, 2000))
        question = f"We have {each * k} tokens for {k} agents. How many tokens does each agent get if we split evenly?"
        value, answer = each, f"Each agent gets {each} tokens ({each * k} / {k})."
    elif kind == "daily":
        cents, calls = seeds.number(2, 9), seeds.pick((100, 200, 300, 500, 1000))
        question = (
            f"One model call costs {cents} cents and we make {calls} calls a day. What do we spend per day?"
        )
        value, answer = (
            cents * calls,
            f"We spend {cents * calls} cents per day ({calls} calls x {cents} cents).",
        )
    elif kind == "left":
        budget = seeds.pick((4000, 6000, 8000, 10000, 12000))
        used = seeds.number(1, budget // 500 - 1) * 500
        question = f"Our run budget is {budget} tokens and we have used {used}. How many tokens are left?"
        value, answer = budget - used, f"{budget - used} tokens are left ({budget} - {used})."
    elif kind == "share":
        total = seeds.pick((1000, 2000, 4000, 5000))
        pct = seeds.pick((10, 20, 25, 40, 50, 75))
        question = f"WeQ used {total * pct // 100} of {total} tokens. What percentage of the tokens is that?"
        value, answer = pct, f"That is {pct}% of the tokens ({total * pct // 100} / {total})."
    elif kind == "gpu":
        price, hours = seeds.number(1, 6), seeds.number(2, 24)
        question = f"A GPU costs {price} dollars an hour. What does a {hours}-hour job cost?"
        value, answer = (
            price * hours,
            f"The job costs {price * hours} dollars ({hours} hours x {price} dollars).",
        )
    elif kind == "capacity":
        servers, rate = seeds.number(2, 8), seeds.pick((50, 100, 150, 200, 250))
        question = seeds.pick((
            f"Each server handles {rate} requests per second. How many can {servers} servers handle?",
            f"What is the total capacity of {servers} servers at {rate} requests per second each?",
        ))  # fmt: skip
        value, answer = servers * rate, f"{servers} servers handle {servers * rate} requests per second."
    elif kind == "enough":
        calls, each = seeds.number(2, 8), seeds.pick((300, 500, 800, 1000, 1500))
        budget = calls * each + seeds.pick((-1000, -500, -200, 200, 500, 1000))
        need = calls * each
        question = seeds.pick((
            f"Is a budget of {budget} tokens enough for {calls} calls of {each} tokens each?",
            f"We have {budget} tokens left. Can we afford {calls} more calls at {each} tokens per call?",
        ))  # fmt: skip
        yes = budget >= need
        value = "yes" if yes else "no"
        gap = f"{budget - need} tokens spare" if yes else f"{need - budget} tokens short"
        answer = f"{'Yes' if yes else 'No'}: {calls} x {each} = {need} tokens, {gap}."
    elif kind == "fits":
        gpus, mem = seeds.number(1, 4), seeds.pick((16, 24, 40, 80))
        model = seeds.pick((7, 13, 20, 30, 40, 70, 100, 140))
        question = f"Can {gpus} GPUs with {mem} GB each hold a model that needs {model} GB of memory?"
        total = gpus * mem
        value = "yes" if total >= model else "no"
        answer = (
            f"{'Yes' if total >= model else 'No'}: {gpus} x {mem} = {total} GB against {model} GB needed."
        )
    else:
        budget, each = seeds.pick((2000, 4000, 6000, 9000, 12000)), seeds.pick((200, 250, 300, 500))
        question = f"How many calls can we afford with {budget} tokens if a call uses {each} tokens?"
        value, answer = budget // each, f"We can afford {budget // each} calls ({budget} / {each})."
    return kind, question, str(value), answer


def _answer(seeds: Seeds) -> Example:
    kind, question, value, answer = resource_question(seeds)
    plan = Plan(
        goal="Answer the cost question", steps=["compute the number", "state it briefly"], route_to="SOM"
    )
    messages = prompts.draft_prompt(
        ROLE_PROMPTS["SOM.answer"], UserRequest(text=question), plan, seeds.strength()
    )
    return example("SOM.answer", kind, question, messages, answer, {"answer": value})
