"""Enrolling kiosks: a one-time token per kiosk, of which the centre keeps only derivations.

Either the token is shown once, or (``kiosks add --qr``) an enrolment code is: a one-time
secret, kept hashed, that expires, and that the kiosk exchanges for a token made at that
moment (:func:`redeem`) — the long-lived token then exists only on the kiosk. The centre
stores the token's SHA-256 (to recognise it) and the public half of the kiosk's backlog
signing key (to check exported files; the kiosk sends it with the code, or later over the
sync link), so a copy of the central database can neither upload nor sign as a kiosk.
A kiosk whose token is lost, or a revoked one back in safe hands, is given a new token or
code under its own id (``kiosks token``: :func:`prepare_reissue`, :func:`reissue`), so its
unsent entries, which carry that id, are still accepted.
"""

from __future__ import annotations

import datetime as dt
import difflib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.central import audit
from kiosk.central.storage import ID_RE, EnrolmentError, Kiosk, Storage
from kiosk.enrolment import EnrolmentCode
from kiosk.messages import Words
from kiosk.sync.protocol import format_time, token_hash

DEFAULT_CODE_HOURS = 24.0


def new_token() -> str:
    return secrets.token_urlsafe(32)


def enrol_kiosk(storage: Storage, *, checkpoint_id: str, name: str, by: audit.Actor,
                kiosk_id: str | None = None, checkpoint_name: str | None = None,
                new_checkpoint: bool = False) -> tuple[Kiosk, str]:
    """Create the checkpoint if needed and the kiosk, recorded in the audit log as enrolled
    ``by`` whom (``kiosk-enrol``, in the kiosk's transaction: a token that uploads was
    handed to someone); returns (kiosk, token to hand over).

    Once the province's points are in the registry (a point with a district), a checkpoint
    id it lacks is refused unless ``new_checkpoint``: a typo made a point of no district,
    its kiosk's scans outside every district's reports and the ratio of points scanning."""
    kiosk_id = kiosk_id or f"kiosk-{secrets.token_hex(4)}"
    for label, value in (("checkpoint", checkpoint_id), ("kiosk", kiosk_id)):
        if not ID_RE.fullmatch(value):
            raise EnrolmentError("enrolment.bad_id", label=Words(f"enrolment.id.{label}"),
                                 value=repr(value))
    if not name.strip():
        raise EnrolmentError("enrolment.no_name")
    if not new_checkpoint:
        _check_registered(storage, checkpoint_id)
    created = storage.add_checkpoint(checkpoint_id, checkpoint_name or checkpoint_id)
    token = new_token()
    subject = (f"kiosk {kiosk_id} ({name.strip()}) at checkpoint {checkpoint_id}"
               + (" (checkpoint created)" if created else ""))
    kiosk = storage.add_kiosk(kiosk_id, checkpoint_id, name.strip(), token_hash(token),
                              record=lambda tx: audit.append_account(
                                  storage, "kiosk-enrol", by=by, subject=subject, tx=tx))
    return kiosk, token


def revoke_kiosk(storage: Storage, kiosk: Kiosk, *, by: audit.Actor) -> bool:
    """Refuse ``kiosk``'s token from now on, recorded as revoked ``by`` whom
    (``kiosk-revoke``, in the revocation's transaction); False if already revoked."""
    subject = (f"kiosk {kiosk.id} ({kiosk.name}) at checkpoint {kiosk.checkpoint_id}: "
               f"token refused from now on")
    return storage.revoke_kiosk(kiosk.id, record=lambda tx: audit.append_account(
        storage, "kiosk-revoke", by=by, subject=subject, tx=tx))


def registry_in_use(storage: Storage) -> bool:
    """Whether the province's points are in the registry: a point has a district."""
    return bool(storage._query("SELECT 1 FROM checkpoints WHERE district <> '' LIMIT 1"))


def _check_registered(storage: Storage, checkpoint_id: str) -> None:
    """Refuse ``checkpoint_id`` when the registry is in use and lacks it, naming the
    nearest ids it holds."""
    ids = [row[0] for row in storage._query("SELECT id FROM checkpoints")]
    if checkpoint_id in ids or not registry_in_use(storage):
        return
    near = difflib.get_close_matches(checkpoint_id, ids, n=3, cutoff=0.6)
    raise EnrolmentError("enrolment.unregistered_checkpoint", checkpoint=repr(checkpoint_id),
                         near=", ".join(near) or "—")


def enrolment_code(storage: Storage, kiosk: Kiosk, server_url: str, *,
                   valid_for: dt.timedelta = dt.timedelta(hours=DEFAULT_CODE_HOURS)
                   ) -> EnrolmentCode:
    """A new one-time code for ``kiosk``; the centre keeps only its secret's hash."""
    code = _new_code(kiosk, server_url, valid_for)
    storage.add_enrolment_code(kiosk.id, token_hash(code.secret), code.expires_at)
    return code


def _new_code(kiosk: Kiosk, server_url: str, valid_for: dt.timedelta) -> EnrolmentCode:
    if valid_for <= dt.timedelta(0):
        raise EnrolmentError("enrolment.no_time")
    return EnrolmentCode(server_url.rstrip("/"), kiosk.id, kiosk.checkpoint_id,
                         secrets.token_urlsafe(32),
                         format_time(dt.datetime.now(dt.UTC) + valid_for))


@dataclass(frozen=True)
class Reissue:
    """What ``kiosk-central kiosks token`` hands over for a kiosk: a token, or a one-time
    code the kiosk exchanges for one (``kiosk enrol``, keeping its id)."""
    kiosk: Kiosk
    token: str | None
    code: EnrolmentCode | None


def prepare_reissue(kiosk: Kiosk, server_url: str | None = None, *,
                    valid_for: dt.timedelta = dt.timedelta(hours=DEFAULT_CODE_HOURS)
                    ) -> Reissue:
    """A new token for ``kiosk``, or with ``server_url`` a new enrolment code, not yet
    stored (:func:`reissue` does)."""
    if server_url is None:
        return Reissue(kiosk, new_token(), None)
    return Reissue(kiosk, None, _new_code(kiosk, server_url, valid_for))


def reissue(storage: Storage, prepared: Reissue, *,
            record: Callable[[Any, str | None], object] | None = None) -> str | None:
    """Store ``prepared`` in one transaction (:meth:`Storage.reissue_token`, which calls
    ``record`` in it to audit the act): the old token is refused from now on, even when a
    code is handed over instead (the kiosk uploads again once it has used the code: a token
    lost or stolen is never left usable meanwhile), a revoked kiosk is restored, every
    earlier unused code of it expires. When the kiosk had been revoked; None if not."""
    code = prepared.code
    token = prepared.token if prepared.token is not None else new_token()  # with a code: a
    # token nobody holds until the kiosk redeems it
    return storage.reissue_token(
        prepared.kiosk.id, token_hash(token),
        None if code is None else (token_hash(code.secret), code.expires_at), record=record)


def redeem(storage: Storage, secret: str, signing_key: bytes | None = None
           ) -> tuple[Kiosk, str, bytes | None]:
    """Exchange a code's secret, once, for a new token (and register the kiosk's signing
    key if given); (kiosk, token, the signing key replaced). EnrolmentRefused otherwise."""
    token = new_token()
    kiosk, replaced = storage.redeem_enrolment_code(
        token_hash(secret), format_time(dt.datetime.now(dt.UTC)), token_hash(token), signing_key)
    return kiosk, token, replaced
