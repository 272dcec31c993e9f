"""The centre's SQL is written once, with numbered placeholders (``$1, $2, …``), and given to
both engines as it is: PostgreSQL takes them natively (psycopg's ``RawCursor``), SQLite as
parameters named "1", "2"…. Nothing rewrites a statement's placeholders on the way.

The source check reads every string of ``kiosk/central`` that holds SQL: a ``?`` or ``%s``
placeholder there would be a statement PostgreSQL refuses (or one that needed rewriting), and
a ``.replace("?", …)`` would be the rewriting coming back. One kind of statement is bound
by position: SQLite's bulk insert of a batch's rows (entries, stays, tails), its counterpart
of COPY, which never reaches PostgreSQL (docs/architecture.md has the figures)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest
from central_support import ENGINES, database_url

from kiosk.central.backends import open_storage
from kiosk.central.placeholders import Params, slots
from kiosk.central.storage import StorageError

CENTRAL = Path(__file__).resolve().parent.parent / "kiosk" / "central"
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|WHERE|VALUES|LIMIT)\b")


def sql_strings(path: Path) -> list[tuple[int, str]]:
    """(line, source text) of each string in ``path`` that reads as SQL, adjacent literals
    (one statement split over lines) taken together."""
    out, group = [], []
    for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        if token.type == tokenize.STRING:
            group.append(token)
        elif token.type not in (tokenize.NL, tokenize.COMMENT) and group:
            text = " ".join(t.string for t in group)
            if SQL.search(text):
                out.append((group[0].start[0], text))
            group = []
    return out


def placeholder_problems(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        for line, text in sql_strings(path):
            if path.name == "sqlite_storage.py" and "INSERT INTO {table} (" in text:
                continue  # SQLite's bulk insert of a batch's rows, its COPY: by position
            if "?" in text or "%s" in text:
                problems.append(f"{path.relative_to(root)}:{line}: {text[:90]}")
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("replace", "sub") and node.args
                    and any(isinstance(a, ast.Constant) and a.value in ("?", "%", r"\?")
                            for a in node.args[:2])):
                problems.append(f"{path.relative_to(root)}:{node.lineno}: rewrites text "
                                f"(.{node.func.attr} of {ast.unparse(node.args[0])})")
    return problems


def test_no_centre_statement_uses_positional_placeholders_or_rewrites_them() -> None:
    assert sql_strings(CENTRAL / "storage.py"), "the check must see the storage's SQL"
    assert placeholder_problems(CENTRAL) == []


def test_the_check_catches_a_question_mark_statement_and_a_rewriting_helper(
        tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(
        'def kiosk(storage, kiosk_id):\n'
        '    return storage._query("SELECT name FROM kiosks "\n'
        '                          "WHERE id = ?", (kiosk_id,))\n\n\n'
        'def pyformat(sql):\n'
        '    return sql.replace("%", "%%").replace("?", "%s")\n')
    problems = placeholder_problems(tmp_path)
    assert [p.split(":")[:2] for p in problems] == [["bad.py", "2"], ["bad.py", "7"],
                                                    ["bad.py", "7"]]


def test_placeholders_are_built_by_number() -> None:
    assert slots(3) == "$1, $2, $3"
    params = Params()
    where = f"kind = {params.add('trace')} AND actor = {params.add('an')}"
    assert (where, params) == ("kind = $1 AND actor = $2", ["trace", "an"])


@pytest.fixture(params=ENGINES)
def storage(request: pytest.FixtureRequest, tmp_path: Path):
    with open_storage(database_url(request.param, tmp_path)) as opened:
        yield opened


def test_a_placeholder_is_bound_by_its_number_on_both_engines(storage) -> None:
    """Out of order and used twice: SQLite would bind a plain sequence in order of first
    appearance (``$2`` getting the first value), so the storage binds by name there."""
    rows = storage._query("SELECT CAST($2 AS TEXT), CAST($1 AS TEXT), CAST($2 AS TEXT)",
                          ("first", "second"))
    assert [tuple(r) for r in rows] == [("second", "first", "second")]


def test_a_literal_percent_needs_no_doubling_on_both_engines(storage) -> None:
    storage.set_setting("prefix", "doc:42")
    rows = storage._query("SELECT value FROM settings WHERE key = $1 AND value LIKE 'doc:%' "
                          "AND 7 % 3 = 1", ("prefix",))
    assert [tuple(r) for r in rows] == [("doc:42",)]


def test_postgresql_is_given_the_statement_as_written(tmp_path: Path) -> None:
    """No translation on the way: a ``?`` or ``%s`` statement is PostgreSQL's syntax error,
    reported as a storage error, not silently turned into something else."""
    with open_storage(database_url("postgresql", tmp_path)) as storage:
        for statement in ("SELECT value FROM settings WHERE key = ?",
                          "SELECT value FROM settings WHERE key = %s"):
            with pytest.raises(StorageError,
                               match=r"PostgreSQL could not run a statement \(42601\)"
                               ) as refused:
                storage._query(statement, ("timezone",))
            assert "syntax error" in str(refused.value.__cause__)  # its words: the log
        assert storage._query("SELECT value FROM settings WHERE key = $1",
                              ("timezone",)) == [("Asia/Ho_Chi_Minh",)]
