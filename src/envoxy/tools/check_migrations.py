"""``python -m envoxy.tools.check_migrations <versions_dir> [--prefix aux_]``

Reads every migration's ``upgrade()`` (as source, never importing it) and
reports, as ``file:line: message``:

- a ``create_table`` without the audit columns (id, created, updated, href), or
  whose table or constraint names break the prefix or the 63-character limit;
- a ``create_index`` on an existing table without ``postgresql_concurrently=True``
  (it locks writes for the whole build on PostgreSQL);
- a ``drop_column``, ``drop_table`` or an ``alter_column`` with ``type_=``
  (a table rewrite): data loss or long locks.

A line ending in ``# envoxy: allow-unsafe`` is accepted as a reviewed decision.
Exit status: 0 clean, 1 problems, 2 usage or missing directory, 3 no migrations.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from envoxy.db.orm.mixin import AUDIT_COLUMNS
from envoxy.tools.alembic_hooks import name_problem

__all__ = ["Problem", "check_directory", "check_source", "main"]

ALLOW_MARK = "# envoxy: allow-unsafe"
_CONSTRAINTS = frozenset(
    {
        "PrimaryKeyConstraint",
        "UniqueConstraint",
        "ForeignKeyConstraint",
        "CheckConstraint",
    }
)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _batch_tables(function: ast.FunctionDef) -> dict[str, str | None]:
    """``with op.batch_alter_table("t") as batch_op`` -> {"batch_op": "t"}."""
    aliases: dict[str, str | None] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                alias = item.optional_vars
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "batch_alter_table"
                    and isinstance(alias, ast.Name)
                ):
                    aliases[alias.id] = _text(_arg(call, 0, "table_name"))
    return aliases


def _op_calls(function: ast.FunctionDef) -> Iterator[tuple[str, ast.Call, str | None]]:
    """(operation, call, table of the enclosing batch or None) for op.* calls."""
    batches = _batch_tables(function)
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if isinstance(target, ast.Name) and target.id == "op":
                yield node.func.attr, node, None
            elif isinstance(target, ast.Name) and target.id in batches:
                yield node.func.attr, node, batches[target.id]


def _text(node: ast.AST | None) -> str | None:
    """A literal string, also inside ``op.f("...")``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "f"
    ):
        return _text(node.args[0]) if node.args else None
    return None


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _arg(call: ast.Call, index: int, name: str) -> ast.AST | None:
    return call.args[index] if len(call.args) > index else _keyword(call, name)


def _callee(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        return (
            func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        )
    return None


class _Checker:
    def __init__(self, path: str, source: str, prefix: str) -> None:
        self.path = path
        self.lines = source.splitlines()
        self.prefix = prefix
        self.problems: list[Problem] = []
        self.created: set[str] = set()

    def report(self, node: ast.AST, message: str, unsafe: bool = False) -> None:
        line = getattr(node, "lineno", 0)
        end = getattr(node, "end_lineno", line) or line
        window = self.lines[max(line - 1, 0) : end]
        if unsafe and any(ALLOW_MARK in text for text in window):
            return
        self.problems.append(Problem(self.path, line, message))

    def name(self, node: ast.AST, kind: str, value: str | None) -> None:
        problem = name_problem(kind, value, self.prefix)
        if problem:
            self.report(node, problem)

    def create_table(self, call: ast.Call) -> None:
        table = _text(_arg(call, 0, "table_name"))
        if table is None:
            return
        self.created.add(table)
        self.name(call, "table", table)
        columns = set()
        for item in call.args[1:]:
            kind = _callee(item)
            if kind == "Column" and isinstance(item, ast.Call):
                columns.add(_text(item.args[0]) if item.args else None)
            elif kind in _CONSTRAINTS and isinstance(item, ast.Call):
                self.name(item, "constraint", _text(_keyword(item, "name")))
        missing = [c for c in AUDIT_COLUMNS if c not in columns]
        if missing:
            self.report(
                call,
                f"create_table {table!r} lacks audit columns: {', '.join(missing)}",
            )

    def create_index(self, call: ast.Call, batch_table: str | None) -> None:
        self.name(call, "index", _text(_arg(call, 0, "index_name")))
        table = batch_table or _text(_arg(call, 1, "table_name"))
        concurrently = _keyword(call, "postgresql_concurrently")
        is_concurrent = (
            isinstance(concurrently, ast.Constant) and concurrently.value is True
        )
        if table not in self.created and not is_concurrent:
            self.report(
                call,
                f"create_index on existing table {table!r} without "
                "postgresql_concurrently=True (blocks writes while it builds)",
                unsafe=True,
            )

    def check(self, call_name: str, call: ast.Call, batch_table: str | None) -> None:
        if call_name == "create_table":
            self.create_table(call)
        elif call_name == "create_index":
            self.create_index(call, batch_table)
        elif call_name in (
            "create_unique_constraint",
            "create_foreign_key",
            "create_check_constraint",
        ):
            self.name(call, "constraint", _text(_arg(call, 0, "constraint_name")))
        elif call_name == "drop_column":
            self.report(
                call,
                "drop_column loses data; deploy code that stops using it first",
                unsafe=True,
            )
        elif call_name == "drop_table":
            self.report(call, "drop_table loses data", unsafe=True)
        elif call_name == "alter_column" and _keyword(call, "type_") is not None:
            self.report(
                call,
                "alter_column with type_= rewrites the table under a lock",
                unsafe=True,
            )


def check_source(
    source: str, path: str = "<migration>", prefix: str = "aux_"
) -> list[Problem]:
    """Problems in one migration file's ``upgrade()``."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return [Problem(path, exc.lineno or 0, f"not valid Python: {exc.msg}")]
    checker = _Checker(path, source, prefix)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "upgrade":
            calls = sorted(_op_calls(node), key=lambda item: item[1].lineno)
            for call_name, call, batch_table in calls:
                checker.check(call_name, call, batch_table)
    return checker.problems


def check_directory(directory: Path, prefix: str = "aux_") -> tuple[int, list[Problem]]:
    """(number of migration files, their problems)."""
    files = sorted(p for p in directory.glob("*.py") if p.name != "__init__.py")
    problems = [
        problem
        for path in files
        for problem in check_source(path.read_text(encoding="utf-8"), str(path), prefix)
    ]
    return len(files), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m envoxy.tools.check_migrations",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("versions_dir")
    parser.add_argument(
        "--prefix",
        default="aux_",
        help="table prefix names must start with (default aux_)",
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    directory = Path(args.versions_dir)
    if not directory.is_dir():
        print(f"Migrations directory not found: {directory}", file=sys.stderr)
        return 2
    count, problems = check_directory(directory, args.prefix)
    if not count:
        print(f"No migration files found in {directory}", file=sys.stderr)
        return 3
    for problem in problems:
        print(problem)
    print(f"{count} migration files checked in {directory}: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
