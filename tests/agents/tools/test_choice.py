"""Which of two computable quantities is larger or smaller: read, computed and said exactly."""

from __future__ import annotations

import pytest

from qsm.agents.tools.calculator import evaluate
from qsm.agents.tools.choice import parse_choice


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Which is larger, 2^10 or 1000?", "2^10 = 1024 is larger than 1000."),
        ("Which is bigger: 3 * 17 or 50?", "3 × 17 = 51 is bigger than 50."),
        ("which is more, 12 squared or 150", "150 is more than 12^2 = 144."),
        ("Which is smaller, 0.3 or 1/3?", "0.3 is smaller than 1 / 3 = 0.3333333333."),
        ("What is larger, seven times eight or 55?", "7 × 8 = 56 is larger than 55."),
        ("Which is longer, 2 km or 1500 m?", "2 × 1000 = 2000 m is longer than 1500 m."),
        ("Which is greater, 6 * 7 or 42?", "Neither: 6 × 7 = 42 and 42 are equal."),
    ],
)
def test_a_choice_between_two_quantities_is_computed(text: str, answer: str) -> None:
    choice = parse_choice(text)
    assert choice is not None, text
    assert choice.decide(evaluate) == answer


@pytest.mark.parametrize(
    "text",
    [
        "Which is bigger, Paris or London?",  # not computable
        "Which is heavier, 2 kg or 3 m?",  # two dimensions
        "Which is longer, 2 km or 1500?",  # 1500 what?
        "Which is larger, 5 or 6 or 7?",  # three sides
        "Is 5 larger than 4?",  # a yes/no comparison (parse_comparison's)
        "Which planet is larger?",
    ],
)
def test_what_is_not_plainly_a_choice_is_left_alone(text: str) -> None:
    assert parse_choice(text) is None
