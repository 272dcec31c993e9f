"""The numbered placeholders (``$1, $2, …``) of the centre's statements, which both engines
take as written: a leaf module, so that what storage imports (``stays``) can build statements
without importing storage back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec


def slots(count: int) -> str:
    """``$1, $2, …``: the placeholders of ``count`` values in a row (a ``VALUES`` list)."""
    return ", ".join(f"${n}" for n in range(1, count + 1))


class Params(list[Any]):
    """The parameters of a statement assembled from parts: :meth:`add` keeps a value and
    gives its placeholder, so no part needs to know how many came before it."""

    def add(self, value: Any) -> str:
        self.append(value)
        return f"${len(self)}"


def json_rows(rows: Sequence[Any]) -> str:
    """A batch's rows (or values) as one parameter, a JSON array, which a statement reads
    back one row per element from ``Storage._json_rows`` (of an array, ``p.value ->> 0`` is
    the first column as text on both engines). Why not arrays on PostgreSQL: psycopg dumps
    a list in Python, 1.2 µs a value, where this costs 0.1 µs a row (docs/benchmarks.md,
    the centre's CPU an entry)."""
    return msgspec.json.encode(rows).decode()
