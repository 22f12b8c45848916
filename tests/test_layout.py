"""The layout of tests/: no module imports a test module (shared helpers live in non-test modules), and every
stand-in (a server speaking a protocol) is defined under tests/servers/."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SERVERS = TESTS / "servers"


def sources() -> list[Path]:
    """Every module under tests/, and the benches that borrow its helpers and stand-ins."""
    return sorted([*TESTS.rglob("*.py"), *(ROOT / "bench").rglob("*.py")])


def is_test_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" and any(part.startswith("test_") for part in parts)


def imports_of_test_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) of each import of a tests/**/test_*.py module; `from a import b` may import module a.b."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue  # tests/ uses absolute imports only
        hits = [name for name in names if is_test_module(name)]
        if hits:
            found.append((node.lineno, hits[0]))
    return found


def stand_ins(source: str) -> list[tuple[int, str]]:
    return [(node.lineno, node.name) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.endswith("StandIn")]


def test_the_import_check_sees_every_form() -> None:
    source = "\n".join([
        "from tests.slack import test_blocks",
        "from tests.slack.test_actions import thread",
        "import tests.e2e.test_run_process",
        "def f():\n    from tests.test_jobs import Recorder",
        "from tests.slack.helpers import thread",
        "from tests import mailgen",
        "import test_something_else",
    ])
    assert [line for line, _ in imports_of_test_modules(source)] == [1, 2, 3, 5]


def test_no_module_imports_a_test_module() -> None:
    found = [f"{path.relative_to(ROOT)}:{line} imports {name}"
             for path in sources() for line, name in imports_of_test_modules(path.read_text(encoding="utf-8"))]
    assert not found, "move what they share to a non-test module:\n" + "\n".join(found)


def test_every_stand_in_is_defined_under_tests_servers() -> None:
    found = [f"{path.relative_to(ROOT)}:{line} defines {name}"
             for path in sources() if SERVERS not in path.parents
             for line, name in stand_ins(path.read_text(encoding="utf-8"))]
    assert not found, "stand-ins belong in tests/servers/:\n" + "\n".join(found)
    under_servers = {name for path in SERVERS.rglob("*.py") for _, name in stand_ins(path.read_text(encoding="utf-8"))}
    assert {"SlackStandIn", "SocketStandIn"} <= under_servers, "the check should see the stand-ins it guards"
