"""The centre's backlog encryption key: a 0600 file outside the database, its public half
recorded in the database.

Kiosks seal their backlog files to the public half (:mod:`kiosk.sync.backlog`); only the
holder of the file can open them, so a copy of the database reads no backlog file and a
lost USB stick reveals nothing. ``serve`` makes the key the first time (and records its
public half in ``settings``); from then on every ``serve`` and ``import`` must find that
same key, so a second server host without the file, or a file swapped by mistake, is
refused with the reason instead of handing kiosks a key nobody else can open.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.central.storage import Storage
from kiosk.messages import WordedError
from kiosk.sync.backlog_keys import (
    BadKey,
    encode,
    fingerprint,
    load_centre_key,
    load_or_create_centre_key,
)

FILE_NAME = "central-backlog.key"
ENVIRONMENT = "KIOSK_CENTRAL_BACKLOG_KEY"
SETTING = "backlog_public_key"
CENTRE_ID = "centre_id"
"""The setting holding the centre's id, made random by schema v48 (and so by ``init``)."""


class CentreKeyError(WordedError, RuntimeError):
    """The key file is missing, unreadable or not the one this database's kiosks were given."""


def default_path(db_url: str) -> Path | None:
    """``$KIOSK_CENTRAL_BACKLOG_KEY``, else beside the SQLite file; None for PostgreSQL
    (several hosts share one database: where their key lives must be said)."""
    if os.environ.get(ENVIRONMENT):
        return Path(os.environ[ENVIRONMENT])
    if db_url.startswith("sqlite:///"):
        return Path(db_url.removeprefix("sqlite:///")).parent / FILE_NAME
    return None


def key_path(option: str | None, db_url: str) -> Path:
    """``--backlog-key`` if given, else :func:`default_path`; CentreKeyError when neither
    says where the key is."""
    path = Path(option) if option else default_path(db_url)
    if path is None:
        raise CentreKeyError("centre_key.where", variable=ENVIRONMENT)
    return path


def open_key(storage: Storage, path: Path, *, create: bool) -> X25519PrivateKey:
    """The centre's key from ``path``, checked against the database's record of it.

    ``create`` (``serve``): make it when neither the file nor a record exists yet.
    """
    recorded = storage.optional_setting(SETTING)
    if not path.exists() and (recorded is not None or not create):
        raise CentreKeyError("centre_key.missing_given", path=path, given=_fp(recorded)
                             ) if recorded else CentreKeyError("centre_key.missing_first",
                                                               path=path)
    try:
        key = load_or_create_centre_key(path) if create else load_centre_key(path)
    except BadKey as exc:
        raise CentreKeyError(exc.words.code, **exc.words.params) from None
    public = encode(key.public_key())
    if recorded is None:
        storage.set_setting(SETTING, public)
    elif recorded != public:
        raise CentreKeyError("centre_key.other", path=path,
                             held=fingerprint(key.public_key()), given=_fp(recorded))
    return key


def centre_id(storage: Storage) -> str:
    """This centre's id: kiosks keep it with the backlog key and refuse an answer to a
    backlog file that names another (:mod:`kiosk.sync.refusals`). The key alone does not
    tell centres apart: a second database may be given the same key file (a staging centre
    made with production's, a second ``init --db``), and its answer, sealed under the same
    receipt key, acknowledged entries the kiosk's own centre never received."""
    return storage.setting(CENTRE_ID)


def _fp(encoded: str) -> str:
    from kiosk.sync.backlog_keys import encryption_public

    try:
        return fingerprint(encryption_public(encoded))
    except BadKey:
        return "?"
