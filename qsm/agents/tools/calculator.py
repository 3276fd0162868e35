"""The calculator tool: arithmetic on numbers, evaluated by walking Python's AST (never ``eval``).

Allowed: integer and decimal numbers, ``+ - * / // % **``, unary ``+``/``-`` and parentheses (``×``,
``÷``, ``−`` and ``^`` are read as ``*``, ``/``, ``-`` and ``**``; a trailing ``=`` or ``?`` is ignored).
Everything else (names, attributes, calls, subscripts, strings, comparisons, comprehensions, ...) is
refused with a :class:`ToolError` that names what was found. Limits keep a call cheap: at most
:data:`MAX_EXPRESSION_CHARS` characters, exponents of magnitude at most :data:`MAX_EXPONENT`, and no
number (input, intermediate or result) beyond :data:`MAX_MAGNITUDE`.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from qsm.agents.tools.base import ToolOutput
from qsm.agents.tools.errors import ToolError
from qsm.agents.tools.numbers import format_number

__all__ = [
    "MAX_EXPONENT",
    "MAX_EXPRESSION_CHARS",
    "MAX_MAGNITUDE",
    "Calculator",
    "CalculatorArgs",
    "evaluate",
]

MAX_EXPRESSION_CHARS = 500
MAX_EXPONENT = 1000
MAX_MAGNITUDE = 1e300
Number = int | float
_ALLOWED = "only numbers, + - * / // % ** and parentheses are allowed"
_BINARY: dict[type[ast.operator], Callable[[Number, Number], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_SPELLINGS = {"×": "*", "÷": "/", "−": "-", "–": "-", "^": "**"}
_REFUSED: dict[type[ast.AST], str] = {
    ast.Name: "names",
    ast.Attribute: "attributes",
    ast.Call: "function calls",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators",
    ast.IfExp: "conditional expressions",
    ast.List: "lists",
    ast.Tuple: "commas and tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "strings",
    ast.Starred: "starred expressions",
    ast.NamedExpr: "assignments",
    ast.Await: "await",
}


def evaluate(expression: str) -> Number:
    """The value of an arithmetic ``expression``; :class:`ToolError` saying why when it is not one."""
    if not isinstance(expression, str):
        raise ToolError(f"the expression must be text, not {type(expression).__name__}")
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolError(
            f"the expression is {len(expression)} characters long; at most {MAX_EXPRESSION_CHARS} are allowed"
        )
    text = expression.strip().rstrip("?").rstrip().rstrip("=").strip()
    for spelling, symbol in _SPELLINGS.items():
        text = text.replace(spelling, symbol)
    if not text:
        raise ToolError("the expression is empty; give arithmetic such as 17 + 25")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        shown = expression if len(expression) <= 80 else expression[:77] + "..."
        raise ToolError(f"not an arithmetic expression ({exc.msg}): {shown!r}; {_ALLOWED}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ToolError(f"the expression is nested too deeply: {_ALLOWED}") from None
    try:
        return _eval(tree.body)
    except RecursionError:
        raise ToolError(f"the expression is nested too deeply: {_ALLOWED}") from None


def _eval(node: ast.AST) -> Number:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            what = "strings" if isinstance(value, str | bytes) else f"{type(value).__name__} values"
            raise ToolError(f"{what} are not allowed (found {value!r}): {_ALLOWED}")
        return _checked(value)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return -_eval(node.operand)
        if isinstance(node.op, ast.UAdd):
            return +_eval(node.operand)
        raise ToolError(f"the operator {_op_text(node.op)} is not allowed: {_ALLOWED}")
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow):
            return _power(left, right)
        function = _BINARY.get(type(node.op))
        if function is None:
            raise ToolError(f"the operator {_op_text(node.op)} is not allowed: {_ALLOWED}")
        try:
            return _checked(function(left, right))
        except ZeroDivisionError:
            raise ToolError("division by zero") from None
        except OverflowError:
            raise ToolError(f"the result is too large (beyond {MAX_MAGNITUDE:g})") from None
    refused = next((label for kind, label in _REFUSED.items() if isinstance(node, kind)), None)
    if refused is None:
        refused = f"{type(node).__name__} expressions"
    raise ToolError(f"{refused} are not allowed (found {ast.unparse(node)[:40]!r}): {_ALLOWED}")


def _power(base: Number, exponent: Number) -> Number:
    if abs(exponent) > MAX_EXPONENT:
        raise ToolError(
            f"the exponent {format_number(exponent)} is too large (at most {MAX_EXPONENT} in size)"
        )
    if base == 0 and exponent < 0:
        raise ToolError("division by zero (zero to a negative power)")
    if base < 0 and not float(exponent).is_integer():
        raise ToolError("a negative number to a fractional power is not a real number")
    if abs(base) > 1 and exponent > 0 and exponent * math.log10(abs(base)) > math.log10(MAX_MAGNITUDE):
        raise ToolError(f"the result is too large (beyond {MAX_MAGNITUDE:g})")
    try:
        return _checked(base**exponent)
    except OverflowError:
        raise ToolError(f"the result is too large (beyond {MAX_MAGNITUDE:g})") from None
    except ZeroDivisionError:
        raise ToolError("division by zero (zero to a negative power)") from None


def _checked(value: Number) -> Number:
    if isinstance(value, complex):
        raise ToolError("the result is not a real number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ToolError(f"the result is too large (beyond {MAX_MAGNITUDE:g})")
    if abs(value) > MAX_MAGNITUDE:
        raise ToolError(f"a number in the calculation is too large (beyond {MAX_MAGNITUDE:g})")
    return value


def _op_text(op: ast.AST) -> str:
    symbols: dict[type[ast.AST], str] = {
        ast.BitXor: "^ (xor)",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.Invert: "~",
        ast.Not: "not",
        ast.MatMult: "@",
    }
    return symbols.get(type(op), type(op).__name__)


class CalculatorArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The pattern is in the JSON schema only: it keeps a constrained model's string to the characters of
    # arithmetic, while validation stays lenient so that evaluate() says exactly what it refuses (and
    # checks the length: a length limit here would bloat the grammar).
    expression: str = Field(
        min_length=1,
        description="arithmetic with numbers, + - * / // % ** and parentheses, e.g. (17 + 25) * 2",
        json_schema_extra={"pattern": r"^[-(0-9][-+*/%^(). 0-9]*$"},
    )


class Calculator:
    """The ``calculator`` tool: evaluates an arithmetic expression exactly (integers stay integers)."""

    name: str = "calculator"
    description: str = (
        "Evaluate an arithmetic expression with numbers, + - * / // % ** and parentheses; "
        "e.g. 17 + 25 or (100 - 37) * 2 or 81 ** 0.5."
    )
    args_model: type[BaseModel] = CalculatorArgs
    timeout_s: float = 2.0

    def run(self, args: CalculatorArgs) -> ToolOutput:
        value = evaluate(args.expression)
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            value = int(value)
        return ToolOutput(format_number(value), value)
