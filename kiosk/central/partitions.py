"""PostgreSQL's entries table, partitioned by day.

The partition key is the entry id itself: a UUIDv7 begins with its creation time (the
kiosk's clock at the scan, in milliseconds), so the ids of one UTC day form one text range,
and the primary key on ``id`` — the centre's idempotency — stays a single global constraint
(PostgreSQL requires a partitioned table's unique keys to contain the partition key; a key
on the scan day would not). Partitions are created ahead (:data:`AHEAD_DAYS`) and by ingest
for any day within :data:`BACKLOG_DAYS`; ids from clocks further off land in
``entries_default``. A partition created for a day whose rows are already in the default
partition takes them with it. Retention drops whole partitions.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from kiosk.central import derivation, document_matches, people, stays
from kiosk.central.id_days import bounds, day_of_id

if TYPE_CHECKING:  # the id arithmetic is used by the SQLite engine too, without psycopg
    import psycopg

    from kiosk.central.postgres_storage import PostgresStorage

AHEAD_DAYS = 3
BACKLOG_DAYS = 400
"""Ingest creates partitions this far back (a kiosk offline for a year still gets its own)."""
LOCK_KEY = 0x6B696F736B + 1
"""Advisory lock serialising partition changes across server processes."""
DEFAULT = "entries_default"
_NAME_RE = re.compile(r"entries_p(\d{8})")


def name(day: dt.date) -> str:
    return f"entries_p{day:%Y%m%d}"


class Partitions:
    """The partitions one server process knows to exist (a cache; the catalogue decides)."""

    def __init__(self) -> None:
        self.known: set[dt.date] = set()

    def refresh(self, conn: psycopg.Connection) -> None:
        rows = conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'entries'::regclass").fetchall()
        self.known = {dt.datetime.strptime(m.group(1), "%Y%m%d").date()
                      for (relname,) in rows if (m := _NAME_RE.fullmatch(relname))}

    def wanted(self, days: Iterable[dt.date], today: dt.date) -> list[dt.date]:
        """Days of ``days`` that should have a partition and are not known to."""
        low, high = today - dt.timedelta(days=BACKLOG_DAYS), today + dt.timedelta(days=AHEAD_DAYS)
        return sorted({d for d in days if low <= d <= high} - self.known)

    def ensure(self, conn: psycopg.Connection, days: Iterable[dt.date]) -> None:
        """Create the partitions of ``days`` (autocommit ``conn``; one short transaction
        each, so a busy ingest waits on the parent's lock for a moment only)."""
        for day in days:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock($1)", (LOCK_KEY,))
                if conn.execute("SELECT to_regclass($1)", (name(day),)).fetchone()[0]:
                    self.known.add(day)
                    continue
                low, high = bounds(day)
                table = name(day)
                # a batch storing a row of this day in the default partition meanwhile (a
                # process whose list still names the day a purge detached) commits first,
                # its row moved below; else ATTACH found it there and failed (23514)
                conn.execute(f"LOCK TABLE {DEFAULT} IN SHARE ROW EXCLUSIVE MODE")
                conn.execute(f"CREATE TABLE {table} (LIKE entries INCLUDING DEFAULTS)")
                conn.execute(f"WITH moved AS (DELETE FROM {DEFAULT} WHERE id >= $1 AND id < $2 "
                             f"RETURNING *) INSERT INTO {table} SELECT * FROM moved",
                             (low, high))
                conn.execute(f"ALTER TABLE entries ATTACH PARTITION {table} "
                             f"FOR VALUES FROM ('{low}') TO ('{high}')")
            self.known.add(day)

    def ahead(self, conn: psycopg.Connection, today: dt.date) -> None:
        """Partitions for today and the next days, and for any day the default partition
        holds that is within reach (after a migration, or ids from before this process)."""
        self.refresh(conn)
        held = {day_of_id(i) for (i,) in conn.execute(
            f"SELECT DISTINCT substr(id, 1, 13) FROM {DEFAULT}").fetchall()
            if len(i) == 13}
        days = {today + dt.timedelta(days=n) for n in range(-1, AHEAD_DAYS + 1)} | held
        self.ensure(conn, self.wanted(days, today))

    def drop_before(self, storage: PostgresStorage, conn: psycopg.Connection, cutoff: dt.date,
                    unfrozen: str) -> list[str]:
        """Drop every partition of a day before ``cutoff`` (UTC days of the ids), and delete
        rows received before it from the default partition (far-off clocks: their ids say
        nothing about their age); the tables dropped. The rows' pairs in the day sets of
        days ``unfrozen`` or later go too (:data:`people.FORGET`), and their document
        numbers' match keys (:data:`document_matches.FORGET`), while uploads go on:

        1. Each partition is detached first (a moment's lock on ``entries``, as dropping
           takes; it waits for the batches storing rows, and holds new ones back until it
           commits; :func:`briefly`, so that they never queue behind it for long). From
           then on no batch adds a row to it: a scan of its day arriving later goes to the
           default partition or a new partition of that day, kept until the next purge. So
           nothing a batch derives from a scan dropped is missed.
        2. Its pairs and matches are forgotten and it is dropped (nobody else reads it).
           A detached partition left by an interrupted purge is finished the same way.
        3. A batch storing a scan kept that stands for a match forgotten meanwhile (the same
           person, the same local day) may have committed after the deletion looked: the
           matches forgotten are kept in ``forgotten_matches`` by the deletion's
           transaction, and ``storage._settle``, a day's at a time, adds back, once such
           batches have ended, those an entry held stands for
           (:data:`document_matches.RESTORE`). What a purge that died left there is added
           back by the storage opened next.

        The default partition's rows go with their stays, tails and identities
        (:func:`stays.forget_scans`): the ids of those from a clock far ahead are past the
        cutoff by which the stays go (:func:`stays.forget_before`)."""
        self.refresh(conn)
        for day in sorted(d for d in self.known if d < cutoff):
            briefly(conn, lambda day=day: self._detach(conn, day))
            self.known.discard(day)
        dropped = []
        for (table,) in conn.execute(
                "SELECT relname FROM pg_class WHERE relname ~ $1 AND relkind = 'r' "
                "AND pg_table_is_visible(oid) ORDER BY relname", (f"^{_GONE}[0-9]+$",)
        ).fetchall():
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock($1)", (_PURGE_KEY,))
                if not conn.execute("SELECT to_regclass($1)", (table,)).fetchone()[0]:
                    continue  # another purge dropped it
                conn.execute(people.FORGET.format(entries=table, where="local_day >= $1"),
                             (unfrozen,))
                conn.execute(document_matches.noting(document_matches.FORGET.format(
                    entries=table, where="true", kept="true")))
                conn.execute(f"DROP TABLE {table}")
            dropped.append(table)
            storage._settle()
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock($1)", (LOCK_KEY,))  # ensure moves rows
            derivation.exclude(storage, conn)  # no step derives from a row deleted here
            received = f"{cutoff.isoformat()}T00:00:00.000000Z"
            conn.execute(people.FORGET.format(
                entries=DEFAULT, where="received_at < $1 AND local_day >= $2"),
                (received, unfrozen))
            conn.execute(document_matches.noting(document_matches.FORGET.format(
                entries=DEFAULT, where="received_at < $1",
                kept=f"NOT (e.tableoid = '{DEFAULT}'::regclass AND e.received_at < $1)")),
                (received,))
            gone = conn.execute(  # scans past the partitions' days: no later purge sees them
                f"WITH gone AS (DELETE FROM {DEFAULT} WHERE received_at < $1 RETURNING id, "
                f"match_key, checkpoint_id) SELECT id, match_key, checkpoint_id FROM gone "
                f"WHERE id >= $2 AND match_key IS NOT NULL", (received, bounds(cutoff)[0])
            ).fetchall()
            stays.forget_scans(storage, conn, gone)
        storage._settle()
        return dropped

    @staticmethod
    def _detach(conn: psycopg.Connection, day: dt.date) -> None:
        """Take ``day``'s partition out of ``entries``, under a name no partition has."""
        conn.execute("SELECT pg_advisory_xact_lock($1)", (LOCK_KEY,))
        oid = conn.execute("SELECT to_regclass($1)::oid", (name(day),)).fetchone()[0]
        if oid:
            conn.execute(f"ALTER TABLE entries DETACH PARTITION {name(day)}")
            conn.execute(f"ALTER TABLE {name(day)} RENAME TO {_GONE}{oid}")


BRIEF_WAIT = "500ms"
"""How long :func:`briefly` waits for a lock before it steps aside."""
BRIEF_PAUSE = 1.0
BRIEF_TRIES = 60


def briefly(conn: psycopg.Connection, work: Callable[[], object]) -> None:
    """Run ``work`` in a transaction of its own (autocommit ``conn``) whose lock waits give
    up after :data:`BRIEF_WAIT`, again after a pause until it gets its locks; the last try
    waits as long as the connection allows. A strong lock waited for (behind a long report
    reading ``entries``, or a long batch) holds back every upload queued behind it: this way
    for a moment each time, not for as long as that report."""
    from psycopg.errors import LockNotAvailable

    for _ in range(BRIEF_TRIES - 1):
        try:
            with conn.transaction():
                conn.execute(f"SET LOCAL lock_timeout = '{BRIEF_WAIT}'")
                work()
            return
        except LockNotAvailable:
            time.sleep(BRIEF_PAUSE)
    with conn.transaction():
        work()


_PURGE_KEY = LOCK_KEY + 1
"""Advisory lock: one purge at a time finishes a detached partition."""
_GONE = "entries_gone_"
"""A partition detached by a purge, to be dropped (named by its table's oid: a day's
partition made again after an interrupted purge is detached under another name)."""
