"""The words a student reads: one short function or table entry per situation.

Messages explain what to check in the lesson's terms and never contain the
expected value (that is ``StepResult.expected``, shown only when the problem's
reveal policy allows). They may quote the student's own values.
"""

from collections.abc import Mapping

import numpy as np

from engine.explain import number
from engine.graph import StepId

CORRECT = "Correct."
MISSING = "No answer given."
NOT_A_CHOICE = "{given!r} is not one of the options; choose from {keys}."
NUMBER_EXPECTED = (
    "This step asks for a number, but the answer uses the name '{name}' at column "
    "{column}: work out its value and write the number."
)
EXPRESSION_EXPECTED = (
    "This step asks for the derivative as an expression in the graph's node names, "
    "not as a number."
)
NOT_REAL = "This does not evaluate to a real number (check for division by zero)."
TOO_COMPLEX = (
    "This answer is too complex to check: simplify it (work out the numbers, "
    "drop terms that cancel) and submit again."
)
TOO_LARGE = (
    "This number is too large to work with (beyond about 1e308): check the exponent."
)
WRONG_SHAPE = "This is {given}, but this step needs {needed}."
HINTED = "(You took a hint on this step, so it earns part of its credit.)"
NEAR_MISS = (
    "Close, but not within this step's tolerance: keep more digits ({digits}) "
    "and round only at the end."
)
EXP_OWN_VALUE = (
    "exp is its own derivative, so reusing the forward value of {node} is the right "
    "idea; but your {node} is not right, and this takes its error along: recompute "
    "{node} = exp({parent})."
)
SAME_FACTOR_TWICE = (
    "{parent} is both factors of {node} = {parent}·{parent}, so it reaches {node} "
    "along two paths: add the contribution of each factor (or use the power rule on "
    "{parent}²)."
)
UNDECIDED = (
    "This expression could not be checked automatically: try writing it more simply."
)
SYSTEM_ERROR = (
    "Grading failed on our side, not because of your answers. Submit again in a "
    "minute; if it keeps failing, contact course staff."
)
TOO_SLOW = (
    "Grading took too long and was stopped. Submit again; if it keeps happening, "
    "contact course staff."
)
GAVE_UP = (
    "Grading this submission failed several times in a row. Course staff have been "
    "told; contact them if you need this attempt counted."
)
NOTHING_READABLE = (
    "None of the answers could be read, so this submission was not graded. Fix the "
    "marked cells and submit again."
)

# Why a step is wrong, one entry per misconception code of contract 3.
MISCONCEPTIONS: Mapping[str, str] = {
    "upstream_dropped": (
        "This is the local derivative on its own. A layer multiplies the upstream "
        "gradient by its local derivative: apply the chain rule."
    ),
    "fanout_not_summed": (
        "{node} feeds more than one node, and this counts only one of its paths. "
        "Gradients from two paths add: sum the contribution of every path."
    ),
    "local_swapped": (
        "For a product, the derivative with respect to one factor is the other "
        "factor; this uses the factor itself."
    ),
    "power_rule": (
        "Check the power rule, d(v^n)/dv = n·v^(n-1): the factor or the exponent "
        "is off."
    ),
    "sign_error": (
        "The size is right but the sign is not: check the sign of each local "
        "derivative along the path (a subtraction contributes -1)."
    ),
    "forward_value_for_derivative": (
        "This is the forward value of {node}, not a derivative. The backward pass "
        "uses the cached forward values, but a gradient is a different number."
    ),
    "activation_derivative_missing": (
        "The activation's derivative is missing: the gradient reaching z is the "
        "upstream gradient multiplied (element-wise) by σ'(z)."
    ),
    "activation_value_for_derivative": (
        "This uses the activation's value σ(z) where its derivative σ'(z) belongs "
        "(for sigmoid σ'(z) = σ(z)(1 - σ(z)); for tanh 1 - tanh²(z))."
    ),
    "relu_derivative": (
        "Check ReLU's derivative: look at the sign of its input. ReLU passes the "
        "upstream gradient through unchanged or blocks it entirely."
    ),
    "transpose": (
        "Check the orientation: the backward pass multiplies by the transpose Wᵀ, and "
        "a gradient has the same shape as the thing it is the gradient of."
    ),
    "loss_derivative_factor": (
        "The derivative of a squared error (a - t)² is 2(a - t): the factor 2 is "
        "missing."
    ),
}

WRONG_BY_FAMILY: Mapping[str, str] = {
    "forward": "Not right: recompute {node} from the forward values of its inputs.",
    "local": (
        "Not right: differentiate {node} with respect to {parent} alone, treating "
        "its other inputs as constants."
    ),
    "grad": (
        "Not right: for every path from {node} towards the output, multiply the "
        "upstream gradient by the local derivative, and add the paths."
    ),
    "answer": "Not right.",
}


# A number or matrix as a student would write it: ``8``, ``-0.05``, ``[[1, 2]]``.
format_value = number


def shape_name(shape: tuple[int, ...]) -> str:
    """``(2, 1)`` -> "a 2x1 matrix (one column)"; ``()`` -> "a single number".

    Examples
    ========
    >>> shape_name((1, 3)), shape_name((2, 2)), shape_name((2,))
    ('a 1x3 matrix (one row)', 'a 2x2 matrix', 'a list of 2 numbers')
    """
    if int(np.prod(shape)) == 1:
        return "a single number"
    if len(shape) == 1:
        return f"a list of {shape[0]} numbers"
    rows, columns = shape[0], shape[1]
    if rows == 1:
        return f"a 1x{columns} matrix (one row)"
    if columns == 1:
        return f"a {rows}x1 matrix (one column)"
    return f"a {rows}x{columns} matrix"


def wrong_shape(given: tuple[int, ...], needed: tuple[int, ...]) -> str:
    return WRONG_SHAPE.format(given=shape_name(given), needed=shape_name(needed))


def near_miss(digits: str) -> str:
    return NEAR_MISS.format(digits=digits)


def misconception(code: str, node: str = "") -> str:
    return MISCONCEPTIONS[code].format(node=node)


def wrong(step_id: str) -> str:
    step = StepId.parse(step_id)
    template = WRONG_BY_FAMILY.get(step.family, WRONG_BY_FAMILY["answer"])
    return template.format(node=step.node, parent=step.parent)


def carried(nearest: str, nearest_value, root: str, root_value, output: str) -> str:
    """The message of a step that is right for the student's own earlier values."""
    near, first = StepId.parse(nearest), StepId.parse(root)
    where = f"the error is in {first.named(output)}."
    if nearest == root:
        return (
            f"Consistent with your {near.label(output)} = "
            f"{format_value(root_value)}; {where}"
        )
    return (
        f"Consistent with your {near.label(output)} = {format_value(nearest_value)}, "
        f"which follows from your {first.label(output)} = {format_value(root_value)}; "
        f"{where}"
    )
