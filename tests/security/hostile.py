"""Hostile cells: text that passes the parser's limits and then costs, overflows or breaks.

One table per class of the hardening issue, shared by ``tests/security`` and
``bench/hostile.py``. Every text here must grade to ``invalid`` or
``incorrect`` in its own cell, never ``error``, and never stop the other
cells of the same submission from being graded; every preview must answer
within its deadline.
"""

# (7**2360 + k)**(1/97): SymPy looks for perfect powers of 2,000-digit numbers.
NTH_ROOTS = "*".join(f"(7**2360+{k})**(1/97)" for k in range(1, 5))
SUM_500 = "+".join(["1"] * 500)
# Cube roots of 51-digit numbers: each passes every syntax check, and SymPy
# spends over 20 s combining and simplifying their product (only a deadline
# stops it).
CUBE_ROOTS = "*".join(f"({k}+10**50)^(1/3)" for k in range(1, 45))

# class -> texts (in the names of "Work this": x, y, b, u, v, z)
HOSTILE = {
    "slow SymPy construction": [
        NTH_ROOTS,
        CUBE_ROOTS,
        CUBE_ROOTS.replace("+10**50", "+v*0+10**50"),
        "(7**2360+1)**(1/97)*v",
        "(v*0+7**2360+1)**(1/97)",
    ],
    "number built too large by SymPy": [
        "(v*0+7)^((v*0+7)^((v*0+7)^(v*0+7)))",
        "(v*0+2)^(v*0+9999)",
        "(v-v+10)^(v-v+3000)",
        "(v*0+7)^(v*0+7)^(v*0+7)",
    ],
    "float overflow": [
        "1e400",
        "-1e400",
        "1e308*10",
        "10^300*10^300",
        "(v*0+10)^(v*0+300)*(v*0+10)^(v*0+300)",
    ],
    "mpmath overflow": [
        "exp(exp(exp(exp(v))))",
        "exp(v)^(v*0+10000)",
        "exp(v*0+800)",
        "relu(v)^relu(v)^relu(v)",
    ],
    "undefined found late": [
        "(v-v)**(-1)",
        "log(v-v)",
        "1/(u-u)",
        "(v-v)^(v-v)",
        "sqrt(v-v-1)",
        "log(-v)",
    ],
    "deep trees": [
        SUM_500,
        "-".join(["v"] * 500),
        "*".join(["v"] * 500),
        "/".join(["v"] * 400),
        "(" * 50 + "v" + ")" * 50,
    ],
    "large trig arguments": [
        "sin(v*0+10^300)",
        "tan(v*0+pi/2)",
        "cos(exp(v*0+700))",
    ],
}
HOSTILE_TEXTS = [text for texts in HOSTILE.values() for text in texts]

# Cells of "Work this" that take an expression (local) and a number (grad).
HOSTILE_STEPS = ["local:z/v", "grad:x"]

# Cells of the PyTorch network (matrices only).
HOSTILE_MATRICES = [
    "[[1e400, 1.1]]",
    "[[(v*0+7)^((v*0+7)^(v*0+7)), 1]]",
    f"[[{SUM_500}, 1]]",
    "[[exp(exp(exp(exp(9)))), 1]]",
    "[[(1-1)^(-1), 1]]",
]
