"""At most :data:`LIMIT` login attempts per client address in any :data:`WINDOW` seconds, on
top of each account's lock-out, so one address cannot try many names quickly.

The attempts are kept in the centre's database (``login_attempts``, schema v10), not in a
process: every ``serve`` process on the database shares them, and a restart does not give an
address a fresh allowance. Only allowed attempts are kept (a refused one costs nothing and is
not stored), so the table holds at most LIMIT rows per address and is pruned on every attempt.
Times are the wall clock, read once the write transaction is held: a request that read it
before waiting for the lock would be behind the attempts stored meanwhile. A row dated more
than a WINDOW after now (the clock stepped back) is pruned, so a clock jump cannot lock an
address out; one dated less after now (another process's clock a little ahead, a small step
back) is kept and counted, so attempts are never forgotten early.
"""

from __future__ import annotations

import time

from kiosk.central.storage import Storage

LIMIT = 30
WINDOW = 60.0


_LOCK_CLASS = 0x6B696F73
"""The first half of the PostgreSQL advisory lock on one address's attempts (the second:
the address's hash); apart from the centre's other advisory locks, which take one key."""


class LoginThrottle:
    def __init__(self, storage: Storage, limit: int = LIMIT, window: float = WINDOW) -> None:
        self.storage, self.limit, self.window = storage, limit, window

    def allow(self, client: str, *, now: float | None = None) -> bool:
        """Whether ``client`` may try to log in now; an allowed attempt is counted.

        One address's attempts are counted one at a time: SQLite has one writer; on
        PostgreSQL (read committed), where attempts checked at once would not see each
        other's rows and an address could pass the limit by as many as are in flight (each
        ``serve`` process's request threads), an advisory lock on the address is held to the
        end of the transaction (other addresses are not held up)."""
        with self.storage._transaction() as tx:
            if self.storage.postgresql:
                self.storage._execute(tx, "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                                      (_LOCK_CLASS, client))
            now = time.time() if now is None else now  # after the lock wait, not before
            since = now - self.window
            # "after now" is never a lock wait's few seconds: pruning those deleted every
            # attempt stored while this one waited, for all addresses
            self.storage._execute(tx, "DELETE FROM login_attempts WHERE at < $1 OR at > $2",
                                  (since, now + self.window))
            made = self.storage._execute(
                tx, "SELECT count(*) FROM login_attempts WHERE address = $1 AND at >= $2",
                (client, since)).fetchone()[0]
            if made >= self.limit:
                return False
            self.storage._execute(tx, "INSERT INTO login_attempts (address, at) VALUES ($1, $2)",
                                  (client, now))
        return True
