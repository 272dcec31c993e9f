"""A UUIDv7 names its day: the arithmetic partitions, stays, identities and purges share.

An entry id begins with its creation time (the kiosk's clock at the scan, in milliseconds),
so the ids of one UTC day form one text range. It lives apart from :mod:`partitions` so that
the modules built on it (stays, identities) need not import PostgreSQL's partition code,
which itself forgets stays when it drops a day.
"""

from __future__ import annotations

import datetime as dt

from kiosk.ids import id_prefix


def day_of_id(entry_id: str) -> dt.date:
    ms = int(entry_id[:8] + entry_id[9:13], 16)
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date()


def bounds(day: dt.date) -> tuple[str, str]:
    """The id range ``[low, high)`` of the UTC day ``day``."""
    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    return id_prefix(start), id_prefix(start + dt.timedelta(days=1))
