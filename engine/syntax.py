"""The expression language's syntax tree: what the parser builds from student text.

Both the SymPy conversion (``engine.expressions``) and the computation-graph
builder (``engine.trace``) walk these nodes, so an author's program and a
student's answer are read by one grammar.

Nodes are frozen dataclasses; ``column`` is the 1-based column where the node
starts in the source text (for error messages).
"""

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Number:
    value: Fraction  # exact: "0.1" is Fraction(1, 10), "1.5e-3" is Fraction(3, 2000)
    text: str
    column: int = 0


@dataclass(frozen=True)
class Name:
    id: str  # a declared symbol
    column: int = 0


@dataclass(frozen=True)
class Constant:
    id: str  # "pi" or "e"
    column: int = 0


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "+"
    operand: "Node"
    column: int = 0


@dataclass(frozen=True)
class Binary:
    op: str  # "+", "-", "*", "/", "**"  (the parser maps "^", "·", "×", "−" onto these)
    left: "Node"
    right: "Node"
    column: int = 0


@dataclass(frozen=True)
class Call:
    func: str  # the canonical name of a record of engine.functions ("log" for "ln")
    args: tuple["Node", ...]  # one per argument: max and min take two
    column: int = 0


@dataclass(frozen=True)
class Matrix:
    rows: tuple[tuple["Node", ...], ...]
    column: int = 0
    flat: bool = False  # written ``[a, b]``: one row of entries with no orientation


Node = Number | Name | Constant | Unary | Binary | Call | Matrix
