"""Each kiosk's share of the centre's processor time, so one kiosk cannot slow the others.

A kiosk holding a valid token may legally send bodies that take the centre a second of
processor time each (a 32 MiB string, a million JSON values, 10,000 entries to refuse one
by one). Limits on a single body cannot stop it sending them back to back; what it costs
the other kiosks is the share of the (one) interpreter it takes. So the centre counts the
processor time each kiosk's batches used, decaying by half every ``half_life`` seconds, and
a kiosk whose recent use passes ``burst`` seconds is answered 429 with the ``Retry-After``
that brings it back under: on average no kiosk uses more than ``burst·ln 2 / half_life``
of a processor (≈ 0.17 by default). An honest kiosk uploading a 100-entry batch a second
uses ~0.004 (2 % of its share); one catching up after days offline in 10,000-entry batches
(~0.35 s each) is held to ~5,000 entries a second while others need the processor.

The hold is work-conserving: it applies only while the other kiosks together have used more
than ``busy`` processor seconds lately (decayed the same way: a hundredth of the burst,
i.e. the others using more than ~0.2 % of a processor). A kiosk catching up on a quiet centre is
served at full speed (a lone 1M-entry backlog: ~5 min held to its share, ~1 min free).

What is derived from a kiosk's entries after their acknowledgement (about half an entry's
work) is charged too, when a step of this process derives them
(:func:`kiosk.central.derivation.charge_to`): a kiosk is held to its share of both.

What a kiosk has the centre store is bounded apart, quiet centre or not (:class:`EntryBudget`):
an hour's worth of entries, so a copied token cannot fill the disk overnight (review 43 F1).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import threading
import time

CPU_BURST_SECONDS = 1.0
"""Processor seconds a kiosk may have used recently before its batches wait."""
CPU_HALF_LIFE_SECONDS = 4.0
"""How fast that use is forgotten."""
ENTRIES_PER_HOUR = 200_000
"""What one kiosk may have the centre store in an hour (:class:`EntryBudget`): a lane reads
at most a code a second (3,600 an hour), so this is a week's backlog of a busy kiosk within
the hour, and a stolen token's most: 200,000 entries or 400 MB an hour, not 45 MB a second."""
BUDGET_UNIT_BYTES = 2048
"""A batch or health report counts one entry per this many bytes of its decompressed body
when that is more than its entries (a kiosk's own entries are well under it)."""


class CpuShares:
    def __init__(self, burst: float = CPU_BURST_SECONDS,
                 half_life: float = CPU_HALF_LIFE_SECONDS) -> None:
        self.burst, self.half_life = burst, half_life
        self.busy = burst / 100
        self._used: dict[str, tuple[float, float]] = {}
        """kiosk id → (processor seconds used, as of this monotonic time)."""
        self._total: tuple[float, float] = (0.0, 0.0)
        """Every kiosk's use together, decayed alike: (seconds, as of this monotonic time)."""
        self._lock = threading.Lock()  # charged from worker threads, read on the event loop

    def used(self, kiosk_id: str, now: float | None = None) -> float:
        """The kiosk's recent processor time, decayed to ``now``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seconds, at = self._used.get(kiosk_id, (0.0, now))
        return seconds * 0.5 ** (max(0.0, now - at) / self.half_life)

    def others_used(self, kiosk_id: str, now: float | None = None) -> float:
        """What every other kiosk used lately, together (decayed as :meth:`used`)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seconds, at = self._total
        total = seconds * 0.5 ** (max(0.0, now - at) / self.half_life)
        return max(0.0, total - self.used(kiosk_id, now))

    def wait_seconds(self, kiosk_id: str, now: float | None = None) -> float:
        """0 when the kiosk may be served now, else how long until it may."""
        now = time.monotonic() if now is None else now
        used = self.used(kiosk_id, now)
        if used <= self.burst or self.others_used(kiosk_id, now) <= self.busy:
            return 0.0
        return self.half_life * math.log2(used / self.burst)

    def charge(self, kiosk_id: str, seconds: float, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        total = self.used(kiosk_id, now) + seconds
        with self._lock:
            everyone, at = self._total
            self._total = (everyone * 0.5 ** (max(0.0, now - at) / self.half_life) + seconds,
                           now)
            if total < 1e-3:
                self._used.pop(kiosk_id, None)  # forgotten: the table holds active kiosks
            else:
                self._used[kiosk_id] = (total, now)


class FairSlots:
    """At most ``size`` batches decoded and written at once. When one ends, the waiting
    batch whose kiosk used the least processor time lately (:class:`CpuShares`) goes next,
    not the one that came first: a kiosk sending costly bodies waits behind the others.
    Event-loop only (no locks)."""

    def __init__(self, size: int, shares: CpuShares) -> None:
        self.free, self.shares = size, shares
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    async def acquire(self, kiosk_id: str, timeout: float) -> bool:
        """True once a slot is held (give it back with :meth:`release`); False after
        ``timeout`` seconds without one."""
        if self.free > 0 and not self._waiting:
            self.free -= 1
            return True
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (self.shares.used(kiosk_id), next(self._arrivals), turn))
        try:
            await asyncio.wait_for(turn, timeout)
        except TimeoutError:
            return False  # wait_for cancelled ``turn``: release() skips it
        except BaseException:
            if turn.done() and not turn.cancelled():  # handed a slot just as it was cancelled
                self.release()
            raise
        return True

    def release(self) -> None:
        while self._waiting:
            turn = heapq.heappop(self._waiting)[2]
            if not turn.done():
                turn.set_result(None)
                return
        self.free += 1


class EntryBudget:
    """Each kiosk's allowance of what the centre stores for it: ``per_hour`` entries' worth
    (an entry, or :data:`BUDGET_UNIT_BYTES` of body, whichever counts more), drained
    evenly over the hour. A kiosk holding more than an hour's worth not yet drained waits
    (429 + Retry-After) until it is back to it: the batch that passes it is stored whole,
    the next ones are refused unread, and an honest kiosk keeps them pending and retries.

    Unlike :class:`CpuShares` it holds on a quiet centre too: what it bounds is the disk
    (and the day's counts) a copied token can fill while nobody watches, not the processor.
    Kept in memory, per ``serve`` process (each of ``--workers`` its own)."""

    def __init__(self, per_hour: int = ENTRIES_PER_HOUR) -> None:
        self.per_hour = per_hour
        self._drain = per_hour / 3600.0  # entries' worth a second
        self._held: dict[str, tuple[float, float]] = {}
        """kiosk id → (entries' worth not yet drained, as of this monotonic time): a row per
        enrolled kiosk at most."""
        self._lock = threading.Lock()  # charged from worker threads, read on the event loop

    def _held_now(self, kiosk_id: str, now: float) -> float:
        held, at = self._held.get(kiosk_id, (0.0, now))
        return max(0.0, held - max(0.0, now - at) * self._drain)

    def wait_seconds(self, kiosk_id: str, now: float | None = None) -> float:
        """0 when the kiosk may send now, else how long until it is back to an hour's
        worth."""
        now = time.monotonic() if now is None else now
        with self._lock:
            over = self._held_now(kiosk_id, now) - self.per_hour
        return over / self._drain if over > 0 else 0.0

    def charge(self, kiosk_id: str, entries: int, body_bytes: int,
               now: float | None = None) -> None:
        """A body of ``body_bytes`` decompressed was taken, and ``entries`` of it stored
        (its duplicates and rejected entries are not: they count by the bytes alone, which
        still bound a kiosk sending the same batch over and over)."""
        now = time.monotonic() if now is None else now
        worth = max(1, entries, math.ceil(body_bytes / BUDGET_UNIT_BYTES))
        with self._lock:
            self._held[kiosk_id] = (self._held_now(kiosk_id, now) + worth, now)
