import math

import pytest
import sympy

from engine.scalar import Value, topological_order


def test_lesson_micrograd_product():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    c.backward()
    assert (c.data, a.grad, b.grad) == (6.0, 3.0, 2.0)


def test_micrograd_sanity_check():
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert (y.data, x.grad) == (-20.0, 46.0)


def test_micrograd_more_ops_agree_with_sympy():
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    # The same function by hand (both relus here are at known signs: b+a < 0, b-a > 0).
    sa, sb = sympy.symbols("a b")
    sc = 4 * (sa + sb) + 3 - sa
    sd = 3 * (sa * sb + sb**3)
    sd = 4 * sd + (sb - sa)
    sg = (sc - sd) ** 2 / 2 + 10 / (sc - sd) ** 2
    at = {sa: -4, sb: 2}
    assert g.data == pytest.approx(float(sg.subs(at)))
    assert a.grad == pytest.approx(float(sg.diff(sa).subs(at)))
    assert b.grad == pytest.approx(float(sg.diff(sb).subs(at)))


def test_grad_fanout():
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0


def test_grad_const():
    x = Value(3.0)
    y = x * 2 + 5
    y.backward()
    assert x.grad == 2.0
    assert y._prev != {x} and len(y._prev) == 1


def test_numbers_on_either_side():
    x = Value(2.0)
    for expr, value, grad in [
        (lambda v: 1 - v, -1.0, -1.0),
        (lambda v: 8 / v, 4.0, -2.0),
        (lambda v: v / 4, 0.5, 0.25),
        (lambda v: 2**v, 4.0, 4.0 * math.log(2)),
        (lambda v: v**3, 8.0, 12.0),
        (lambda v: -v, -2.0, -1.0),
    ]:
        x.grad = 0.0
        out = expr(x)
        out.backward()
        assert out.data == pytest.approx(value)
        assert x.grad == pytest.approx(grad)


def test_value_exponent():
    a, b = Value(2.0), Value(3.0)
    c = a**b
    c.backward()
    assert (c.data, a.grad) == (8.0, 12.0)
    assert b.grad == pytest.approx(8.0 * math.log(2.0))


@pytest.mark.parametrize(
    "method, at, value, grad",
    [
        ("relu", 2.0, 2.0, 1.0),
        ("relu", -2.0, 0.0, 0.0),
        ("relu", 0.0, 0.0, 0.0),  # as PyTorch: relu'(0) = 0
        ("tanh", 0.5, math.tanh(0.5), 1 - math.tanh(0.5) ** 2),
        ("exp", 1.0, math.e, math.e),
        ("log", 2.0, math.log(2.0), 0.5),
        ("sigmoid", 0.0, 0.5, 0.25),
    ],
)
def test_unary_ops(method, at, value, grad):
    x = Value(at)
    y = getattr(x, method)()
    y.backward()
    assert y.data == pytest.approx(value)
    assert x.grad == pytest.approx(grad)


def test_sigmoid_does_not_overflow():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


def test_gradients_accumulate_across_backward_calls():
    x = Value(1.0)
    (x * 3).backward()
    (x * 4).backward()
    assert x.grad == 7.0


def test_long_chain_needs_no_recursion():
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    assert (y.data, x.grad) == (100_001.0, 1.0)
    assert len(topological_order(y)) == 100_001


def test_operations_with_other_types_are_refused():
    with pytest.raises(TypeError):
        Value(1.0) + "1"
