"""A database URL as messages say it: never with its password.

Apart from :mod:`kiosk.central.backends` (which opens the PostgreSQL backend, which names its
URL too) so that nothing imports in a circle; it needs no database driver.
"""

from __future__ import annotations

import re

_GIVEN_PASSWORD = re.compile(  # before the '@' ([scheme:/]user:PASSWORD@), or password=…
    r"^((?:[^:/?#@]*:/+)?[^:/?#@]*:)[^/?#]*@|(?i:(\bpassword\s*=\s*))('(?:[^'\\]|\\.)*'|[^&\s]*)")


def without_password(url: str) -> str:
    """``url`` for messages (the operator's terminal, serve's log, an administrator's page),
    any password in it shown as ``***``: given before the '@' or as ``password=``. A URL
    libpq reads is said as libpq reads it (``user=… password=*** host=…``); any other (a
    mistyped scheme, or no PostgreSQL driver installed) is masked as text."""
    try:
        from psycopg import ProgrammingError
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
    except ImportError:  # the "server" extra is not installed: a SQLite-only centre
        return _GIVEN_PASSWORD.sub(_masked, url)
    try:
        given = "password" in conninfo_to_dict(url)
    except ProgrammingError:  # not a URL libpq reads
        return _GIVEN_PASSWORD.sub(_masked, url)
    return make_conninfo(url, password="***") if given else url


def _masked(found: re.Match[str]) -> str:
    return f"{found[1]}***@" if found[1] is not None else f"{found[2]}***"
