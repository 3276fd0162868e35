"""Scripting qsm from Python: the default team, then a custom pipeline declared in code.

Run: .venv/bin/python examples/script.py
"""

from qsm import Agent, Channel, Workflow, run, stream

# 1. The default team (QSM -> SOM -> WeQ -> Ref -> QSM), streaming what each agent says.
for event in stream(Workflow.default(), "What is 2+2?"):
    if event.type == "token" and not event.thinking:
        print(event.text, end="", flush=True)
    elif event.type == "step":
        print(f"\n[{event.agent} {event.node}] ", end="")
    elif event.type == "done":
        print("\n\nfinal:", event.result.text, event.result.final_id)

# 2. A pipeline of your own: two agents joined by a typed channel.
pipeline = Workflow(
    name="summarise-then-check",
    kind="pipeline",
    agents=[
        Agent(name="summariser", role="communicator", system_prompt="Summarise the request in one sentence."),
        Agent(name="checker", role="custom", produces="Note", system_prompt="Say whether the summary is faithful."),
    ],
    channels=[
        Channel(source="user", target="summariser", type="UserRequest"),
        Channel(source="user", target="checker", type="UserRequest"),
        Channel(source="summariser", target="checker", type="Draft", strength=0.9),
        Channel(source="checker", target="user", type="Note"),
    ],
).check()
result = run(pipeline, "Merkle trees let anyone prove that a leaf belongs to a set with a short path of hashes.")
print(result.text)
