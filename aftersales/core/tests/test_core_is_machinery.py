"""Issue 8 item 3: ``core`` holds the machinery (engine, registries, bulk
writers, text generators); the domain apps plug into it, never the reverse."""

import ast
from pathlib import Path

import aftersales.core

DOMAIN_APPS = ("accounts", "customers", "proposals", "policy", "notifications", "portal", "reports")
CORE = Path(aftersales.core.__file__).resolve().parent

# The few places where core reads a domain app, inside a function so that
# importing core never imports the domain: each reads one thing the
# machinery is defined to need.
ALLOWED_IN_A_FUNCTION = {
    # The engine's guards: "nobody acts in two roles, delegates included"
    # reads who stands in for whom (accounts.Delegation).
    ("workflow.py", "accounts"),
    # A deadline per state is a policy key, read from the policy in force.
    ("workflow.py", "policy"),
    # The one NinjaAPI's bearer tokens are accounts' API tokens.
    ("api.py", "accounts"),
    # After migrate: the roles, then policy version 1 with the regulation's defaults.
    ("roles.py", "policy"),
}


def _domain_app(module: str | None) -> str | None:
    parts = (module or "").split(".")
    if len(parts) >= 2 and parts[0] == "aftersales" and parts[1] in DOMAIN_APPS:
        return parts[1]
    return None


def _imports(tree: ast.AST, *, in_function: bool = False):
    """(domain app, line, inside a function?) for each import of a domain app."""
    for node in ast.iter_child_nodes(tree):
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if app := _domain_app(alias.name):
                    yield app, node.lineno, in_function
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if node.module == "aftersales":
                names = [f"aftersales.{a.name}" for a in node.names]
            for app in {_domain_app(name) for name in names} - {None}:
                yield app, node.lineno, in_function
        yield from _imports(node, in_function=inner)


def _core_sources():
    for path in sorted(CORE.rglob("*.py")):
        # Tests exercise core against real domain records; they are not core.
        if "tests" not in path.relative_to(CORE).parts:
            yield path


def test_nothing_in_core_imports_a_domain_app_at_module_level():
    found = [
        f"{path.relative_to(CORE)}:{line} imports aftersales.{app}"
        for path in _core_sources()
        for app, line, in_function in _imports(ast.parse(path.read_text()))
        if not in_function
    ]

    assert found == []


def test_core_reads_a_domain_app_inside_a_function_only_where_listed():
    unlisted = [
        f"{path.relative_to(CORE)}:{line} reads aftersales.{app}"
        for path in _core_sources()
        for app, line, in_function in _imports(ast.parse(path.read_text()))
        if in_function and (str(path.relative_to(CORE)), app) not in ALLOWED_IN_A_FUNCTION
    ]

    assert unlisted == []


def test_the_scan_sees_imports_at_module_level_and_inside_functions():
    source = (
        "from aftersales.accounts.models import Department\n"
        "from aftersales import customers\n"
        "import aftersales.proposals.services\n"
        "from aftersales.core.roles import Role\n"
        "def f():\n"
        "    from aftersales.policy.services import policy_in_force\n"
    )

    assert sorted(_imports(ast.parse(source))) == [
        ("accounts", 1, False),
        ("customers", 2, False),
        ("policy", 6, True),
        ("proposals", 3, False),
    ]
