"""The package keeps its layers (SQL lives in the store only), and the suite its backends."""

import ast
from pathlib import Path

from qualcode.store import schema

PACKAGE = Path(__file__).resolve().parents[1] / "qualcode"
TABLES = {table.name for table in schema.metadata.sorted_tables}


def outside_the_store():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] != "store":
            yield relative, ast.parse(path.read_text(encoding="utf-8"))


def test_only_the_store_and_project_import_sqlalchemy():
    found = []
    for relative, tree in outside_the_store():
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(name.split(".")[0] == "sqlalchemy" for name in names) and not relative.name.startswith("project"):
                found.append(f"{relative}:{node.lineno}")
    assert found == []


def test_no_module_outside_the_store_names_a_table():
    found = []
    for relative, tree in outside_the_store():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("qualcode.store"):
                found += [f"{relative}:{node.lineno} {alias.name}" for alias in node.names
                          if node.module == "qualcode.store.schema" or alias.name in TABLES | {"metadata"}]
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr in TABLES \
                    and node.value.id in {"store", "schema", "qualcode"}:
                found.append(f"{relative}:{node.lineno} {node.value.id}.{node.attr}")
    assert found == []


def test_the_table_names_are_the_ones_the_test_guards():
    assert TABLES == {"meta", "documents", "document_attributes", "turns", "segments", "codes", "coders",
                      "codings", "reviews", "memos", "audit", "decisions"}


def _shared_fixture(node) -> bool:
    """A function decorated ``@pytest.fixture(scope="module" | "session")``."""
    return any(isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.fixture"
               and any(keyword.arg == "scope" and getattr(keyword.value, "value", None) in ("module", "session")
                       for keyword in decorator.keywords)
               for decorator in node.decorator_list)


def test_a_shared_fixture_that_makes_a_project_asks_for_its_backend():
    """A module- or session-scoped fixture is made again for the server's tests only when it
    asks for ``backend`` (or a fixture bound to one): otherwise the server's tests that run after
    the SQLite ones on a worker silently reuse the SQLite project."""
    bound = {"backend", "new_project_file", "demo_run", "postgres_server"}
    found = []
    for path in sorted(Path(__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.FunctionDef) and _shared_fixture(node) and node.name not in bound
                    and "Project.init" in ast.unparse(node)):
                if not {arg.arg for arg in node.args.args} & bound:
                    found.append(f"{path.name}:{node.name}")
    assert found == []
