"""The kiosk's side of the backlog keys: its signing key and what it knows of the centre's.

Both files live in one folder beside the kiosk's token (the token file's folder, or the
config file's when the token is written in the config):

``backlog-signing.key``
    the kiosk's Ed25519 private key, PEM, 0600; made the first time it is needed
    (``kiosk enrol``, the first contact with a centre that takes it, or an export).
``centre-backlog.json``
    what the centre said: its public encryption key, its id, and the signing key it has
    registered for this kiosk (so ``kiosk sync export`` can warn when the centre does not
    know this kiosk's key yet).

The centre's encryption key is trusted on first use: once kept, a different key from
whatever answers at ``server_url`` is neither saved nor used (:class:`CentreKeyChanged`).
The link is not necessarily authenticated (``http://`` on a local network, a spoofed name
or hotspot), and a file sealed to an impostor's key hands it the names and document
numbers. Only an enrolment code, the centre administrator's word, replaces a kept key
(:meth:`KioskKeys.remember` with ``enrolment=True``). The centre's id is kept the same way
(an answer to a backlog file naming another, or none, is refused:
:func:`kiosk.sync.refusals.load`); a kiosk that kept none (enrolled before centres had
ids, or at a centre older than them) takes the first one its centre gives at
``server_url`` — never one a backlog file's answer names, which may come from a staging
centre holding production's key.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import json_depth
from kiosk.config import Config, ConfigError, holds_token, read_text
from kiosk.messages import Words, both, os_words
from kiosk.private_files import exposure, hand_over, replace_file

if TYPE_CHECKING:  # the cryptography is loaded when a key is used, not for a path
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

log = logging.getLogger(__name__)

SIGNING_KEY_FILE = "backlog-signing.key"
CENTRE_FILE = "centre-backlog.json"


class CentreKeyChanged(Exception):
    """The server offered another centre key than the one kept; nothing was saved."""

    def __init__(self, kept: str, offered: str) -> None:
        super().__init__(f"the centre's backlog key {kept} is kept; {offered} offered")
        self.kept, self.offered = kept, offered
        """Fingerprints of the kept key and of the one offered."""


@dataclass(frozen=True)
class CentreKnowledge:
    centre_key: X25519PublicKey
    registered_signing_key: str | None
    """Fingerprint of the signing key the centre holds for this kiosk, None if none."""
    checked_at: str
    centre_id: str | None = None
    """The centre's id (:func:`kiosk.central.backlog_key.centre_id`); None if none learnt."""


def token_path(config: Config) -> Path | None:
    """``[sync] token_file`` as a path (relative to the config's folder); None without one."""
    if not config.sync.token_file:
        return None
    token = Path(config.sync.token_file).expanduser()
    base = config.source.parent if config.source else None
    return base / token if not token.is_absolute() and base is not None else token


def token_setting(config: Config) -> str:
    """Where the token is set, as the operator must change it: ``[sync] token``, else the
    file ``[sync] token_file`` names (a kiosk configured with one has no ``token`` line)."""
    path = None if config.sync.token else token_path(config)
    return "[sync] token" if path is None else f"{path} ([sync] token_file)"


def resolve_token(config: Config) -> str:
    """``[sync] token``, else the text of ``token_file`` (:func:`token_path`); "" when
    neither gives one (a file that cannot be read is logged, naming why)."""
    token, problem = read_token(config)
    if problem is not None and problem.code == "sync.token_unreadable":
        log.error("%s", both("sync.log.token_unreadable", **problem.params))
    return token


def read_token(config: Config) -> tuple[str, Words | None]:
    """The token (:func:`resolve_token`) and, when there is none, why, naming the file:
    ``sync.token_unreadable`` (``[sync] token_file`` names a file that cannot be read),
    ``sync.token_empty`` (it holds nothing) or ``sync.no_token`` (neither ``token`` nor
    ``token_file`` is set). Nothing logged: ``kiosk doctor`` says it on its own line."""
    if config.sync.token:
        return config.sync.token.strip(), None
    path = token_path(config)
    if path is None:
        return "", Words("sync.no_token", {})
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        log.info("sync token file %s: %s", path, exc)  # the system's English: -v
        return "", Words("sync.token_unreadable", {"path": path, "reason": os_words(exc)})
    except UnicodeDecodeError as exc:  # no token either: the same as a file not there
        return "", Words("sync.token_unreadable", {"path": path, "reason": Words(
            "sync.log.not_text", {"reason": exc.reason, "byte": exc.start})})
    return token, None if token else Words("sync.token_empty", {"path": path})


def kept_files(config: Config) -> list[Path]:
    """The files a kiosk keeps beside its store, which no output of a command may be written
    over (:func:`kiosk.private_files.output_over_kept`): its config, its token, its signing
    key (the centre would have to be told a new one) and the centre's key it keeps (lost, the
    next server answering at ``server_url`` would be believed)."""
    keys = KioskKeys.for_config(config)
    token = token_path(config)
    return [path for path in (config.source, token, keys.signing_key_path, keys.centre_path)
            if path is not None]


def exposures(config: Config) -> list[Words]:
    """The store, the token file and the backlog signing key when group or others may read
    them (kiosk.db holds identities, the others the kiosk's credentials), the config itself
    when it holds the token inline (``[sync] token = "…"``, as ``kiosk-central kiosks add``
    printed it), and the config.toml.bak beside it when that does: each named with its mode
    and the fix."""
    paths = [config.store_path]
    if (token := token_path(config)) is not None:
        paths.append(token)
    paths.append(KioskKeys.for_config(config).signing_key_path)
    found = [Words("files.readable_by_others", {"path": str(path), "mode": mode})
             for path in paths if (mode := exposure(path))]
    if config.source is None:
        return found
    if config.sync.token.strip() and (mode := exposure(config.source)):
        found.append(Words("files.token_inline_readable",
                                    {"path": str(config.source), "mode": mode}))
    backup = config.source.with_name(config.source.name + ".bak")
    if (mode := exposure(backup)) and _holds_token(backup):
        found.append(Words("files.token_backup_readable",
                                    {"path": str(backup), "mode": mode}))
    return found


def _holds_token(path: Path) -> bool:
    """Whether the config file ``path`` (an earlier one kept as config.toml.bak: before this
    version always with the config's mode) sets ``[sync] token``; not when it cannot be
    read as a config file is."""
    try:
        return holds_token(read_text(path))
    except ConfigError:
        return False


class KioskKeys:
    """The key files of one kiosk, in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def for_config(cls, config: Config) -> KioskKeys:
        """Beside the token file, else beside the config file, else (a config made in
        memory) beside the store: never in whatever folder the process happens to run in."""
        token = token_path(config)
        if token is not None:
            return cls(token.parent)
        return cls(config.source.parent if config.source else config.store_path.parent)

    @property
    def signing_key_path(self) -> Path:
        return self.folder / SIGNING_KEY_FILE

    @property
    def centre_path(self) -> Path:
        return self.folder / CENTRE_FILE

    def signing_key(self) -> Ed25519PrivateKey:
        """This kiosk's signing key, made now if it has none (BadKey if the file is bad)."""
        from kiosk.sync import backlog_keys

        return backlog_keys.load_or_create_signing_key(self.signing_key_path)

    def public_signing_key(self) -> str:
        from kiosk.sync import backlog_keys

        return backlog_keys.encode(self.signing_key().public_key())

    def centre(self) -> CentreKnowledge | None:
        """What the centre last said, None if it never did, or the file is unreadable or
        damaged (its key no longer matches the fingerprint written beside it)."""
        from kiosk.sync import backlog_keys

        try:
            saved = json_depth.loads(self.centre_path.read_bytes())
            centre_key = backlog_keys.encryption_public(saved["centre_key"])
            written = saved.get("centre_key_fingerprint")
            if (found := backlog_keys.fingerprint(centre_key)) != written:
                # a changed character still decodes to a key, one no centre holds
                log.error("%s", both("sync.log.centre_key_unreadable", path=self.centre_path,
                                     reason=Words("sync.log.centre_key_damaged",
                                                  {"found": found, "written": written})))
                return None
            centre_id = saved.get("centre_id")
            return CentreKnowledge(centre_key, saved.get("registered_signing_key"),
                                   saved["checked_at"],
                                   centre_id if isinstance(centre_id, str) else None)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.error("%s", both("sync.log.centre_key_unreadable", path=self.centre_path,
                                 reason=os_words(exc) if isinstance(exc, OSError)
                                 else Words("sync.log.not_centre_answer")))
            log.info("%s unreadable: %r", self.centre_path, exc)  # its own English: -v
            return None

    def summary(self) -> dict[str, object]:
        """Fingerprints of the kiosk's signing key and of the centre's key, whether the
        centre said it holds the former, and the centre's id; None where there is none yet
        (nothing is made)."""
        from kiosk.sync import backlog_keys

        own = None
        if self.signing_key_path.exists():
            try:
                own = backlog_keys.fingerprint(self.signing_key().public_key())
            except backlog_keys.BadKey as exc:
                log.error("%s", exc)
        centre = self.centre()
        return {"signing_key": own,
                "registered": centre is not None and own is not None
                and centre.registered_signing_key == own,
                "centre_key": backlog_keys.fingerprint(centre.centre_key) if centre else None,
                "centre_id": centre.centre_id if centre else None}

    def forget_centre(self) -> None:
        """Drop the kept centre key (an enrolment whose centre gave none vouches for none)."""
        self.centre_path.unlink(missing_ok=True)

    def remember(self, answer: dict[str, object], *, enrolment: bool = False
                 ) -> CentreKnowledge:
        """Keep the centre's answer (enrolment's ``backlog_key``, or the backlog-keys
        endpoint's); BadKey if it holds no usable key, CentreKeyChanged (nothing saved) if
        its key is not the one kept, unless it came with an ``enrolment`` code. Its
        ``centre_id`` is kept when none was, or with an enrolment code; another than the one
        kept is logged and not kept (an answer from a second database holding the same key:
        the kept id is the kiosk's centre, whose answers to backlog files it takes)."""
        from kiosk.sync import backlog_keys

        centre_key = backlog_keys.encryption_public(
            answer.get("centre_key", answer.get("backlog_key")))
        held = answer.get("signing_key")
        registered = (backlog_keys.fingerprint(backlog_keys.signing_public(held))
                      if isinstance(held, str) else None)
        previous = self.centre()
        if previous and backlog_keys.raw(previous.centre_key) != backlog_keys.raw(centre_key):
            kept, offered = (backlog_keys.fingerprint(previous.centre_key),
                             backlog_keys.fingerprint(centre_key))
            if not enrolment:
                raise CentreKeyChanged(kept, offered)
            log.warning("%s", both("sync.log.centre_key_replaced", kept=kept,
                                   offered=offered))
        offered_id = answer.get("centre_id")
        centre_id = offered_id if isinstance(offered_id, str) and offered_id else None
        if not enrolment and previous is not None and previous.centre_id is not None:
            if centre_id is not None and centre_id != previous.centre_id:
                log.error("%s", both("sync.log.centre_id_changed", kept=previous.centre_id,
                                     offered=centre_id))
            centre_id = previous.centre_id
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self._save(CentreKnowledge(centre_key, registered, now, centre_id))

    def _save(self, knowledge: CentreKnowledge) -> CentreKnowledge:
        from kiosk.sync import backlog_keys

        replace_file(self.centre_path, json.dumps({
            "centre_key": backlog_keys.encode(knowledge.centre_key),
            "centre_key_fingerprint": backlog_keys.fingerprint(knowledge.centre_key),
            "centre_id": knowledge.centre_id,
            "registered_signing_key": knowledge.registered_signing_key,
            "checked_at": knowledge.checked_at}, indent=1).encode() + b"\n")
        hand_over(self.centre_path)
        return knowledge

