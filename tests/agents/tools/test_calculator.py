"""The calculator evaluates arithmetic and refuses everything else with a clear error."""

from __future__ import annotations

import pytest

from qsm.agents.tools import Calculator, CalculatorArgs, ToolError, evaluate, format_number


@pytest.mark.parametrize(
    ("expression", "text"),
    [
        ("17 + 25", "42"),
        ("(100 - 37) * 2", "126"),
        ("144 / 12", "12"),
        ("7 / 2", "3.5"),
        ("1 / 3", "0.3333333333"),
        ("0.1 + 0.2", "0.3"),
        ("2 ** 10", "1024"),
        ("2 ^ 10", "1024"),
        ("81 ** 0.5", "9"),
        ("17 // 5", "3"),
        ("17 % 5", "2"),
        ("-3 + +4", "1"),
        ("-(2 + 3) * 4", "-20"),
        ("6 × 7", "42"),
        ("84 ÷ 2", "42"),
        ("17 + 25 =", "42"),
        ("(3+4)*2=?", "14"),
        ("2 ** -2", "0.25"),
        ("1e20 * 1", "100000000000000000000"),
        ("10 ** 20", "100000000000000000000"),
        ("123456789 * 987654321", "121932631112635269"),
        ("100 / 3 * 3", "100"),
        ("5 / 100 * 80", "4"),
        ("2.5 * 4", "10"),
        ("1 / 1000000000", "1e-09"),
        ("0 * -1", "0"),
    ],
)
def test_evaluates_arithmetic(expression: str, text: str) -> None:
    output = Calculator().run(CalculatorArgs(expression=expression))
    assert output.text == text
    assert float(output.value) == pytest.approx(float(text), rel=1e-9)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("x + 1", "names are not allowed"),
        ("pi * 2", "names are not allowed"),
        ("__import__('os').system('true')", "function calls are not allowed"),
        ("abs(-3)", "function calls are not allowed"),
        ("(1).real", "attributes are not allowed"),
        ("().__class__", "attributes are not allowed"),
        ("[1, 2][0]", "subscripts are not allowed"),
        ("[x for x in (1, 2)]", "comprehensions are not allowed"),
        ("'a' * 3", "strings are not allowed"),
        ("lambda: 1", "lambdas are not allowed"),
        ("1 < 2", "comparisons are not allowed"),
        ("1 if 1 else 2", "conditional expressions are not allowed"),
        ("1, 000", "commas and tuples are not allowed"),
        ("True + 1", "bool values are not allowed"),
        ("1j * 2", "complex values are not allowed"),
        ("3 & 1", "the operator & is not allowed"),
        ("~3", "the operator ~ is not allowed"),
        ("(y := 3)", "assignments are not allowed"),
        ("2 ** 100000", "the exponent 100000 is too large"),
        ("2 ** 1001", "the exponent 1001 is too large"),
        ("10 ** 999", "the result is too large"),
        ("9 ** 9 ** 9", "too large"),
        ("1e300 * 1e300", "too large"),
        ("9" * 400, "too large"),
        ("1 / 0", "division by zero"),
        ("5 // 0", "division by zero"),
        ("5 % 0", "division by zero"),
        ("0 ** -1", "division by zero"),
        ("(-8) ** 0.5", "not a real number"),
        ("1 +", "not an arithmetic expression"),
        ("import os", "not an arithmetic expression"),
        ("", "the expression is empty"),
        ("1 + " * 200 + "1", "at most 500 are allowed"),
        ("(" * 300 + "1" + ")" * 300, "at most 500"),
    ],
)
def test_refuses_anything_but_arithmetic(expression: str, message: str) -> None:
    with pytest.raises(ToolError) as info:
        evaluate(expression)
    assert message in info.value.message


def test_deep_nesting_within_the_length_limit_is_a_clear_error() -> None:
    with pytest.raises(ToolError) as info:
        evaluate("(" * 240 + "1" + ")" * 240)
    assert "too many nested parentheses" in info.value.message and len(info.value.message) < 250
    with pytest.raises(ToolError, match="the exponent 65536 is too large"):
        evaluate("2**" * 160 + "1")
    assert evaluate("-" * 400 + "1") == 1


def test_never_calls_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    def forbidden(*_: object) -> None:
        raise AssertionError("eval/exec must never be used")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert evaluate("(2 + 3) * 4") == 20


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (42, "42"),
        (42.0, "42"),
        (-0.0, "0"),
        (3.14159265358979, "3.141592654"),
        (37.77777777777783, "37.77777778"),
        (1e15, "1000000000000000"),
        (123456789012.5, "123456789000"),
        (0.000123, "0.000123"),
        (1.5e-9, "1.5e-09"),
        (2.5e22, "2.5e+22"),
        (10**30, "1000000000000000000000000000000"),
    ],
)
def test_number_formatting(value: float, text: str) -> None:
    assert format_number(value) == text
