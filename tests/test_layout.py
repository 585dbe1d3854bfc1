"""The package keeps its layers: SQL lives in the store only."""

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
