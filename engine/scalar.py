"""A scalar autograd value, compatible with micrograd's ``Value``.

Every operation makes a new ``Value`` that remembers its operands (``_prev``), the
operation (``_op``) and a ``_backward`` closure. The closure applies the chain
rule one step: it *adds* ``local derivative * out.grad`` into each operand's
``grad``, so a value used twice collects both paths. ``backward()`` seeds the
output with 1 and runs the closures in reverse topological order.

Local derivatives come from the one rule table in ``engine.rules``. Plain numbers
on either side of an operator are constants, not nodes: ``(a * 2)._prev == {a}``.
Every function of ``engine.functions`` is a method: ``x.sigmoid()``,
``x.gelu()``, ``x.max(y)`` (``relu`` keeps micrograd's ``_op`` name ``ReLU``).
"""

from numbers import Real

from engine.functions import TYPED
from engine.rules import FLOAT, RULES


class Value:
    """A scalar and the gradient of some output with respect to it.

    Examples
    ========

    >>> a, b = Value(2.0), Value(3.0)
    >>> c = a * b
    >>> c.backward()
    >>> a.grad, b.grad
    (3.0, 2.0)
    >>> x = Value(3.0)
    >>> y = x * x + x  # x is used three times; every path is summed
    >>> y.backward()
    >>> x.grad
    7.0
    """

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def __add__(self, other):
        return _apply("add", "+", self, other)

    def __radd__(self, other):
        return _apply("add", "+", other, self)

    def __sub__(self, other):
        return _apply("sub", "-", self, other)

    def __rsub__(self, other):
        return _apply("sub", "-", other, self)

    def __mul__(self, other):
        return _apply("mul", "*", self, other)

    def __rmul__(self, other):
        return _apply("mul", "*", other, self)

    def __truediv__(self, other):
        return _apply("div", "/", self, other)

    def __rtruediv__(self, other):
        return _apply("div", "/", other, self)

    def __pow__(self, other):
        symbol = "**" if isinstance(other, Value) else f"**{other}"
        return _apply("pow", symbol, self, other)

    def __rpow__(self, other):
        return _apply("pow", "**", other, self)

    def __neg__(self):
        return _apply("neg", "neg", self)

    def relu(self):
        return _apply("relu", "ReLU", self)

    def backward(self):
        """Fill ``grad`` of every value this one depends on (d self / d value)."""
        self.grad = 1.0
        for value in reversed(topological_order(self)):
            value._backward()

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"


def _function_method(name: str):
    def method(self, *others):
        return _apply(name, name, self, *others)

    method.__name__ = name
    method.__doc__ = f"{name} of this value (and ``others``), as a new Value."
    return method


for _record in TYPED.values():
    if not hasattr(Value, _record.name):
        setattr(Value, _record.name, _function_method(_record.name))


def _apply(op: str, symbol: str, *operands):
    """The output Value of primitive ``op``; numbers among ``operands`` are constants."""
    args, children = [], []
    for operand in operands:
        if isinstance(operand, Value):
            args.append(operand.data)
            children.append(operand)
        elif isinstance(operand, Real):
            args.append(operand)
        else:
            return NotImplemented
    rule = RULES[op]
    out = Value(rule.forward(FLOAT, *args), children, symbol)

    def _backward():
        # Chain rule, one step: upstream gradient times local derivative, added.
        for operand, partial in zip(operands, rule.partials):
            if isinstance(operand, Value):
                operand.grad += partial(FLOAT, out.data, *args) * out.grad

    out._backward = _backward
    return out


def topological_order(root: Value) -> list[Value]:
    """Every value ``root`` depends on, operands before results, ``root`` last.

    Iterative depth-first search, so a 100,000-step chain needs no recursion.

    Examples
    ========

    >>> a = Value(1.0)
    >>> b = a + 1
    >>> [v.data for v in topological_order(b * 2)]
    [1.0, 2.0, 4.0]
    """
    order: list[Value] = []
    visited: set[int] = set()
    stack = [(root, False)]
    while stack:
        value, operands_done = stack.pop()
        if operands_done:
            order.append(value)
            continue
        if id(value) in visited:
            continue
        visited.add(id(value))
        stack.append((value, True))
        stack.extend(
            (child, False) for child in value._prev if id(child) not in visited
        )
    return order
