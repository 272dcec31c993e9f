"""The failures storage raises that a caller tells apart: busy (try again later) or not.

Kept apart from :mod:`kiosk.central.storage` so that the modules storage itself builds on
(:mod:`kiosk.central.derivation`, whose background step waits out a busy store) can name
them without importing in a circle.
"""

from __future__ import annotations

from kiosk.messages import WordedError


class StorageError(WordedError, RuntimeError):
    """A storage failure that is not the client's fault (``storage.*``)."""


class StorageBusy(StorageError):
    """Storage is locked or overloaded right now; the request may be retried (HTTP 503)."""

    def __init__(self, code: str, /, retry_after: int = 2, **params: object) -> None:
        super().__init__(code, **params)
        self.retry_after = retry_after
