"""The two key pairs behind backlog files, kept apart so no single copy can forge or read one.

* Each kiosk has an **Ed25519 signing key**, made on the kiosk (at enrolment, or the first
  time it needs one) and kept in a 0600 file beside its token. The centre keeps only the
  public half, registered over the token-authenticated link, so a copy of the centre's
  database cannot sign a file as any kiosk.
* The centre has an **X25519 encryption key**, whose private half is a 0600 file outside
  the database and whose public half it serves to its kiosks (at enrolment and over the
  sync link). A backlog file is sealed to it, so a lost USB stick reveals nothing.

Keys travel as URL-safe base64 of their 32 raw bytes, and are shown as a short
fingerprint (the first 16 hex digits of the SHA-256 of those bytes). The cryptography is
the ``cryptography`` package's; nothing here is hand-made.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
from pathlib import Path
from typing import TypeVar

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from kiosk.messages import WordedError, Words, os_words
from kiosk.private_files import FILE_MODE, hand_over, private_dir

KEY_BYTES = 32
_K = TypeVar("_K", Ed25519PrivateKey, X25519PrivateKey)
_RAW = {"encoding": serialization.Encoding.Raw, "format": serialization.PublicFormat.Raw}


class BadKey(WordedError, ValueError):
    """A key file or encoded key that cannot be used; ``key.*`` says which and why."""


def raw(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(**_RAW)


def encode(key: Ed25519PublicKey | X25519PublicKey | bytes) -> str:
    """Base64 (URL-safe) of the key's 32 raw bytes, as keys travel and are typed."""
    return base64.urlsafe_b64encode(key if isinstance(key, bytes) else raw(key)).decode("ascii")


def fingerprint(key: Ed25519PublicKey | X25519PublicKey | bytes) -> str:
    data = key if isinstance(key, bytes) else raw(key)
    return hashlib.sha256(data).hexdigest()[:16]


def _decode(text: object, what: str) -> bytes:
    """``what``: ``signing`` or ``centre``, the key's name in the catalogue (``key.*``)."""
    name = Words(f"key.{what}")
    if not isinstance(text, str):
        raise BadKey("key.not_text", what=name)
    try:
        data = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BadKey("key.not_base64", what=name) from None
    if len(data) != KEY_BYTES:
        raise BadKey("key.wrong_length", what=name, got=len(data), expected=KEY_BYTES)
    return data


def signing_public(text: object) -> Ed25519PublicKey:
    """A kiosk's public signing key from its base64 text; BadKey if malformed."""
    return Ed25519PublicKey.from_public_bytes(_decode(text, "signing"))


def encryption_public(text: object) -> X25519PublicKey:
    """The centre's public encryption key from its base64 text; BadKey if malformed."""
    return X25519PublicKey.from_public_bytes(_decode(text, "centre"))


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The kiosk's signing key from ``path``, made there (0600, atomically) if absent."""
    return _load_or_create(path, Ed25519PrivateKey)


def load_or_create_centre_key(path: Path) -> X25519PrivateKey:
    """The centre's encryption key from ``path``, made there (0600) if absent."""
    return _load_or_create(path, X25519PrivateKey)


def load_centre_key(path: Path) -> X25519PrivateKey:
    return _load(path, X25519PrivateKey)


def _load_or_create(path: Path, kind: type[_K]) -> _K:
    if not path.exists():
        _write_private(path, kind.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    return _load(path, kind)  # another process may have won the race: its key counts


def _load(path: Path, kind: type[_K]) -> _K:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise BadKey("key.unreadable", path=path, reason=os_words(exc)) from None
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise BadKey("key.not_pem", path=path) from None
    if not isinstance(key, kind):
        raise BadKey("key.wrong_kind", path=path, found=type(key).__name__,
                     expected=kind.__name__)
    return key


def _write_private(path: Path, data: bytes) -> None:
    """Write a new key file 0600 from its first byte; an existing file is never replaced."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        hand_over(temporary)
        with contextlib.suppress(FileExistsError):  # a key appeared meanwhile: keep that one
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
