"""Which storage backend a database URL selects.

Kept apart from :mod:`kiosk.central.storage` (which the backends build on) so that nothing
imports in a circle; each backend is imported only when its URL is opened, so PostgreSQL's
driver (``psycopg``, "server" extra) is needed only by a centre that uses it.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.central.database_urls import without_password
from kiosk.central.storage import Storage, StorageError


def sqlite_file(url: str) -> str | None:
    """The database file a ``sqlite:///`` URL names; None for any other URL (PostgreSQL
    keeps no file of its own beside the commands)."""
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else None


def database_place(url: str) -> str:
    """Where ``url`` points, for messages: a SQLite file's absolute path (a relative one is
    read from the current folder, the usual mistake), else the URL without its password."""
    file = sqlite_file(url)
    return str(Path(file).absolute()) if file is not None else without_password(url)


def open_storage(url: str, *, busy_timeout: float = 10.0, pool_size: int = 8,
                 statement_timeout: float | None = None, create: bool = True) -> Storage:
    """``sqlite:///relative.db``, ``sqlite:////absolute.db`` or ``postgresql://…``.

    ``busy_timeout``: how long a write waits for a lock held elsewhere (another batch, an
    import) before giving up with StorageBusy, which the API answers with 503.
    ``pool_size``: PostgreSQL connections this process may hold at most (SQLite keeps one
    per thread). ``statement_timeout``: seconds one PostgreSQL statement may run (None:
    ``postgres_storage.STATEMENT_TIMEOUT``); SQLite has none. ``create``: make the
    database's tables (and its SQLite file) if there are none, else refuse with StorageError.
    """
    if url.startswith("sqlite:///"):
        from kiosk.central.sqlite_storage import SqliteStorage
        return SqliteStorage(url, busy_timeout=busy_timeout, create=create)
    if url.startswith(("postgresql://", "postgres://")):
        from kiosk.central.postgres_storage import PostgresStorage
        return PostgresStorage(url, busy_timeout=busy_timeout, pool_size=pool_size,
                               statement_timeout=statement_timeout, create=create)
    raise StorageError("storage.bad_url", url=repr(without_password(url)))

