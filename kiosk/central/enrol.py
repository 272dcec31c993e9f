"""Enrolling kiosks: a one-time token per kiosk, of which the centre keeps only derivations.

Either the token is shown once, or (``kiosks add --qr``) an enrolment code is: a one-time
secret, kept hashed, that expires, and that the kiosk exchanges for a token made at that
moment (:func:`redeem`) — the long-lived token then exists only on the kiosk. The centre
stores the token's SHA-256 (to recognise it) and the public half of the kiosk's backlog
signing key (to check exported files; the kiosk sends it with the code, or later over the
sync link), so a copy of the central database can neither upload nor sign as a kiosk.
"""

from __future__ import annotations

import datetime as dt
import secrets

from kiosk.central.storage import ID_RE, EnrolmentError, Kiosk, Storage
from kiosk.enrolment import EnrolmentCode
from kiosk.messages import Words
from kiosk.sync.protocol import format_time, token_hash

DEFAULT_CODE_HOURS = 24.0


def new_token() -> str:
    return secrets.token_urlsafe(32)


def enrol_kiosk(storage: Storage, *, checkpoint_id: str, name: str,
                kiosk_id: str | None = None, checkpoint_name: str | None = None
                ) -> tuple[Kiosk, str]:
    """Create the checkpoint if needed and the kiosk; returns (kiosk, token to hand over)."""
    kiosk_id = kiosk_id or f"kiosk-{secrets.token_hex(4)}"
    for label, value in (("checkpoint", checkpoint_id), ("kiosk", kiosk_id)):
        if not ID_RE.fullmatch(value):
            raise EnrolmentError("enrolment.bad_id", label=Words(f"enrolment.id.{label}"),
                                 value=repr(value))
    if not name.strip():
        raise EnrolmentError("enrolment.no_name")
    storage.add_checkpoint(checkpoint_id, checkpoint_name or checkpoint_id)
    token = new_token()
    kiosk = storage.add_kiosk(kiosk_id, checkpoint_id, name.strip(), token_hash(token))
    return kiosk, token


def enrolment_code(storage: Storage, kiosk: Kiosk, server_url: str, *,
                   valid_for: dt.timedelta = dt.timedelta(hours=DEFAULT_CODE_HOURS)
                   ) -> EnrolmentCode:
    """A new one-time code for ``kiosk``; the centre keeps only its secret's hash."""
    if valid_for <= dt.timedelta(0):
        raise EnrolmentError("enrolment.no_time")
    secret = secrets.token_urlsafe(32)
    expires_at = format_time(dt.datetime.now(dt.UTC) + valid_for)
    storage.add_enrolment_code(kiosk.id, token_hash(secret), expires_at)
    return EnrolmentCode(server_url.rstrip("/"), kiosk.id, kiosk.checkpoint_id, secret,
                         expires_at)


def redeem(storage: Storage, secret: str, signing_key: bytes | None = None
           ) -> tuple[Kiosk, str, bytes | None]:
    """Exchange a code's secret, once, for a new token (and register the kiosk's signing
    key if given); (kiosk, token, the signing key replaced). EnrolmentRefused otherwise."""
    token = new_token()
    kiosk, replaced = storage.redeem_enrolment_code(
        token_hash(secret), format_time(dt.datetime.now(dt.UTC)), token_hash(token), signing_key)
    return kiosk, token, replaced
