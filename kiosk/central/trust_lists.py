"""The certificate trust list the centre holds and serves to its kiosks.

Kept in the ``settings`` table (both engines, every server process sees the same list) in
the kiosks' own file format, so what a kiosk downloads is byte for byte what it stores and
its age is the age of the centre's import. Served with a strong ETag: a kiosk that already
holds it gets 304 and no body. No web framework here, so the CLI can use it without one.
"""

from __future__ import annotations

import json

from kiosk.central.storage import Storage
from kiosk.certificates.trustlist import etag
from kiosk.messages import WordedError
from kiosk.sync.protocol import refusal_body

SETTING = "trust_list"


def held(storage: Storage) -> bytes | None:
    text = storage.optional_setting(SETTING)
    return text.encode("utf-8") if text is not None else None


def store(storage: Storage, data: bytes) -> None:
    storage.set_setting(SETTING, data.decode("utf-8"))


def answer(data: bytes | None, if_none_match: str | None
           ) -> tuple[int, bytes, dict[str, str]]:
    """(HTTP status, body, headers) for a GET with this If-None-Match."""
    if data is None:
        return 404, json.dumps(refusal_body(WordedError("api.no_trust_list"))).encode(), {}
    tag = etag(data)
    asked = {t.strip().removeprefix("W/") for t in (if_none_match or "").split(",")}
    headers = {"ETag": tag, "Cache-Control": "no-cache"}
    if tag in asked or "*" in asked:
        return 304, b"", headers
    return 200, data, headers
