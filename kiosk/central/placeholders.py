"""The numbered placeholders (``$1, $2, …``) of the centre's statements, which both engines
take as written: a leaf module, so that what storage imports (``stays``) can build statements
without importing storage back."""

from __future__ import annotations

from typing import Any


def slots(count: int) -> str:
    """``$1, $2, …``: the placeholders of ``count`` values in a row (a ``VALUES`` list)."""
    return ", ".join(f"${n}" for n in range(1, count + 1))


class Params(list[Any]):
    """The parameters of a statement assembled from parts: :meth:`add` keeps a value and
    gives its placeholder, so no part needs to know how many came before it."""

    def add(self, value: Any) -> str:
        self.append(value)
        return f"${len(self)}"
