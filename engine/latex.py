"""LaTeX for a syntax tree, kept as the student typed it ("interpreted as" preview).

Brackets appear only where precedence needs them, so ``1/2x`` style mistakes show
up plainly: ``a/b*c`` renders as ``\\frac{a}{b} \\cdot c``.
"""

import re

from engine.functions import FUNCTIONS
from engine.syntax import Binary, Call, Constant, Matrix, Name, Node, Number, Unary

PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "unary": 3, "**": 4, "atom": 5}
_ARGUMENT = re.compile(r"#([1-9])")


def tree_to_latex(node: Node) -> str:
    """Render a syntax tree as LaTeX.

    Examples
    --------
    >>> from engine.grammar import parse_syntax
    >>> tree_to_latex(parse_syntax("2x^2 - sigmoid(z1)/3", {"x", "z1"}))
    '2 \\\\cdot x^{2} - \\\\frac{\\\\sigma\\\\left(z_{1}\\\\right)}{3}'
    """
    if isinstance(node, Matrix):
        rows = " \\\\ ".join(
            " & ".join(tree_to_latex(e) for e in row) for row in node.rows
        )
        return f"\\begin{{bmatrix}} {rows} \\end{{bmatrix}}"
    return _latex(node)


def _latex(root: Node) -> str:
    """LaTeX of an expression tree, bottom-up with an explicit stack.

    No recursion: a 500-term sum ``1+1+...+1`` is a tree 500 levels deep.
    """
    texts: dict[int, str] = {}
    stack = [root]
    while stack:
        node = stack[-1]
        children = _children(node)
        pending = [c for c in children if id(c) not in texts]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        texts[id(node)] = _render(node, [texts[id(c)] for c in children])
    return texts[id(root)]


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Binary):
        return (node.left, node.right)
    return ()


def _render(node: Node, inner: list[str]) -> str:
    """One node's LaTeX, given the LaTeX of its children."""
    if isinstance(node, Number):
        return _number(node.text)
    if isinstance(node, Name):
        return _name(node.id)
    if isinstance(node, Constant):
        return "\\pi" if node.id == "pi" else "e"
    if isinstance(node, Unary):
        return node.op + _wrapped(node.operand, inner[0], PRECEDENCE["unary"])
    if isinstance(node, Call):
        template = FUNCTIONS[node.func].latex
        return _ARGUMENT.sub(lambda match: inner[int(match.group(1)) - 1], template)
    left, right = inner
    if node.op == "/":
        return f"\\frac{{{left}}}{{{right}}}"
    if node.op == "**":
        base = _wrapped(node.left, left, PRECEDENCE["atom"])
        return f"{base}^{{{right}}}"
    own = PRECEDENCE[node.op]
    left = _wrapped(node.left, left, own)
    # a - (b - c) and a * (b / c) keep their brackets on the right
    right = _wrapped(node.right, right, own + (node.op in "-+*"))
    symbol = {"+": " + ", "-": " - ", "*": " \\cdot "}[node.op]
    return left + symbol + right


def _precedence(node: Node) -> int:
    if isinstance(node, Binary):
        return PRECEDENCE["atom"] if node.op == "/" else PRECEDENCE[node.op]
    if isinstance(node, Unary):
        return PRECEDENCE["unary"]
    if isinstance(node, Number) and "e" in node.text.lower():
        return PRECEDENCE["*"]
    return PRECEDENCE["atom"]


def _wrapped(node: Node, text: str, needed: int) -> str:
    if _precedence(node) < needed:
        return f"\\left({text}\\right)"
    return text


def _number(text: str) -> str:
    match = re.fullmatch(r"([0-9.]+)[eE]([+-]?[0-9]+)", text)
    if match:
        mantissa, exponent = match.groups()
        return f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return text


def _name(name: str) -> str:
    match = re.fullmatch(r"([A-Za-z])_?([0-9]+)", name)
    if match:
        return f"{match.group(1)}_{{{match.group(2)}}}"
    if len(name) == 1:
        return name
    escaped = name.replace("_", "\\_")
    return f"\\mathrm{{{escaped}}}"
