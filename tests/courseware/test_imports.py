"""Courseware and the grader import the project's modules at the top of each module.

An import inside a function hides a cycle (``services`` <-> ``content_io``)
instead of removing it; the shared piece belongs in a module of its own.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = {"config", "courseware", "engine", "grader"}

# (module path, imported module) -> why it is imported at call time.
ALLOWED = {
    ("courseware/apps.py", "courseware"): (
        "AppConfig.ready connects the signal handlers and tasks once Django's "
        "apps are loaded; at import time the models are not ready yet"
    ),
    ("grader/apps.py", "grader"): (
        "AppConfig.ready, as courseware's: the models are not ready at import time"
    ),
}


def function_level_imports(source: str) -> list[tuple[int, str]]:
    """``(line, module)`` of every import of a project module inside a function."""
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            if in_function and isinstance(child, ast.Import | ast.ImportFrom):
                if isinstance(child, ast.ImportFrom):
                    names = ["." * child.level + (child.module or "")]
                else:
                    names = [alias.name for alias in child.names]
                for name in names:
                    if name.startswith(".") or name.split(".")[0] in PROJECT_PACKAGES:
                        found.append((child.lineno, name))
            visit(child, inner)

    visit(ast.parse(source), False)
    return found


def courseware_modules() -> list[Path]:
    return sorted(
        path
        for package in ("courseware", "grader")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_the_check_finds_an_import_inside_a_function():
    source = (
        "import json\n"
        "def f():\n"
        "    import ast\n"
        "    from courseware import content_io\n"
        "    from . import services\n"
    )
    assert function_level_imports(source) == [
        (4, "courseware"),
        (5, "."),
    ]


@pytest.mark.parametrize(
    "path", courseware_modules(), ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_courseware_module_imports_project_modules_inside_functions(path):
    relative = str(path.relative_to(ROOT))
    hidden = [
        f"{relative}:{line}: {module}"
        for line, module in function_level_imports(path.read_text(encoding="utf-8"))
        if (relative, module) not in ALLOWED
    ]
    assert not hidden, (
        f"{hidden}: import these at the top of the module; if that makes a cycle, "
        "move the shared piece into a module of its own (or add it to ALLOWED "
        "with the reason)"
    )
