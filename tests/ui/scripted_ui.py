"""Serve the app (as `qsm ui` does) with the fake backend scripted for a conversation that can be checked:
WeQ answers a follow-up about "there" or "it" only when the turn about France's capital is in its prompt.

    python -m tests.ui.scripted_ui PORT

Streamlit runs the app in this process, so the fake's automatic reply for text calls is replaced here (JSON
calls keep the schema sample). Used by tests/ui/test_browser_conversation.py.
"""

from __future__ import annotations

import sys

from qsm.agents import fake
from qsm.agents.fake import FakeCall
from qsm.ui.launch import streamlit_command

CAPITAL, PEOPLE, RIVER = (
    "What is the capital of France?",
    "How many people live there?",
    "Which river flows through it?",
)
PARIS = "Paris is the capital of France."
LIVE = "About 2.1 million people live in Paris."
SEINE = "The Seine flows through Paris."
LOST = "Where do you mean?"
ITALY = "What is the capital of Italy?"
ROME = "Rome is the capital of Italy [1]."  # [1]: the note from memory the edited turn is given

_automatic = fake._auto_reply


def scripted(call: FakeCall) -> str:
    if call.json_schema is not None:
        return _automatic(call)
    asked = call.messages[-1]["content"] if call.messages else ""
    earlier = " ".join(m["content"] for m in call.messages[:-1])
    if ITALY in asked:  # first: the request may bring notes from memory about France's capital
        return ROME
    if CAPITAL in asked:
        return PARIS
    if PEOPLE in asked:
        return LIVE if "Paris" in earlier else LOST
    if RIVER in asked:
        return SEINE if "Paris" in earlier else LOST
    return _automatic(call)


if __name__ == "__main__":
    fake._auto_reply = scripted
    from streamlit.web import cli

    sys.argv = streamlit_command("127.0.0.1", int(sys.argv[1]))[2:]
    sys.exit(cli.main())
