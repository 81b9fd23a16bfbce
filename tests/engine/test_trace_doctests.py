"""The Examples sections of the engine's docstrings are tests too."""

import doctest
import importlib

import pytest

MODULES = [
    "scalar",
    "rules",
    "graph",
    "program",
    "network",
    "trace",
    "specs",
    "gradcheck",
    "depth",
    "variants",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"engine.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0
