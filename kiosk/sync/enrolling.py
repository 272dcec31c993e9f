"""Joining the centre with an enrolment code: the one-time secret exchanged for the kiosk's
token, the token and the config written, the link tested.

The kiosk's backlog signing key is made beside the token before the exchange and its public
half goes with the code, so the centre registers it with the enrolment; the centre's answer
carries its backlog encryption key, kept beside the token too (:mod:`kiosk.sync.kiosk_keys`).

Shared by ``kiosk enrol`` and the technician screen (where the code is scanned). Each step
is one call and the caller decides how to wait between attempts while the centre cannot be
reached: a terminal sleeps, the screen uses a timer and stays responsive.
"""

from __future__ import annotations

import logging
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import tomlkit

from kiosk import config as config_mod
from kiosk.config import SAMPLE_TITLE
from kiosk.enrolment import EnrolmentCode
from kiosk.messages import Words, both, os_words
from kiosk.private_files import hand_over, replace_file
from kiosk.sync.backlog_keys import BadKey
from kiosk.sync.client import Refused, ServerBusy, SyncClient, SyncError, Unreachable
from kiosk.sync.kiosk_keys import KioskKeys

if TYPE_CHECKING:
    from kiosk.upkeep import FileIdentity

log = logging.getLogger(__name__)

TOKEN_FILE = "sync-token"
"""Where the token goes, beside config.toml, unless told otherwise."""
ENROL_ALLOWS_PLAIN_HTTP = "`kiosk enrol --allow-plain-http`"
"""The explicit way to enrol at a plain ``http://`` centre on another machine (it then sets
``[sync] allow_plain_http = true``)."""
TRY_AGAIN = (Unreachable, ServerBusy)
"""Failures worth another attempt later (a kiosk often gets its network after its
technician)."""
FINAL = SyncError
"""Any other failure (used, expired, unknown code: :class:`Refused`/:class:`AuthRefused`) is
the centre's answer for good: catch :data:`TRY_AGAIN` first."""


@dataclass(frozen=True)
class Enrolled:
    config: config_mod.Config
    """The config as the kiosk now reads it (sync enabled, the centre's ids)."""
    token_path: Path
    replays_off: tuple[str, ...] = ()
    """The replay devices the enrolment turned off (:func:`install`)."""
    title_cut: Words | None = None
    """Said when the screen's title is the centre's name cut short (:func:`centre_title`)."""


def linked_elsewhere(sync: config_mod.SyncSettings, code: EnrolmentCode) -> str | None:
    """The centre the kiosk sends to when ``code`` points at another one, else None. Such a
    code is followed only when the technician confirms: a QR held up by anyone would
    otherwise hand the kiosk's unsent entries to whoever made it."""
    current = sync.server_url.rstrip("/")
    return current if sync.enabled and current != code.server_url.rstrip("/") else None


def left_behind(current: config_mod.Config, code: EnrolmentCode) -> dict[str, int]:
    """Pending entries of the store that a token for ``code``'s kiosk could not send, by
    kiosk id, when ``code`` names another id than the config's: they could then reach the
    centre only in a backlog file (:meth:`kiosk.store.Store.pending_elsewhere`), where a new
    token for the same id (``kiosk-central kiosks token``) keeps them flowing. Empty for the
    same id, or a store that is missing or cannot be read (the enrolment is not held up)."""
    import sqlite3

    from kiosk.store import Store, StoreError

    if current.kiosk.id == code.kiosk_id or not current.store_path.is_file():
        return {}
    try:
        store = Store(current.store_path, timezone=current.timezone, read_only=True)
    except (StoreError, OSError, sqlite3.Error):
        return {}
    try:
        return store.pending_elsewhere(code.kiosk_id)
    except (StoreError, sqlite3.Error):
        return {}
    finally:
        store.close()


def record_enrolment(config: config_mod.Config, detail: dict[str, str], actor: str) -> None:
    """The enrolment in the store's audit log (``kiosk.enrol``, as the technician screen
    records it), so that the id is known as enrolled for good (``kiosk sync
    discard-unenrolled`` refuses it); nothing when the kiosk has no store yet: the first
    open of the store with this id and token records it (``kiosk.configured``,
    :meth:`kiosk.store.Store.note_configured`)."""
    from kiosk.store import ENROL_ACTION, Store, StoreError

    try:
        store = Store(config.store_path, timezone=config.timezone, create=False)
    except StoreError as exc:
        if exc.words.code != "store.missing":
            log.warning("%s", both("enrol.log.not_recorded", reason=exc))
        return
    try:
        store.audit(actor, ENROL_ACTION, detail)
    except StoreError as exc:
        log.warning("%s", both("enrol.log.not_recorded", reason=exc))
    finally:
        store.close()


def preflight(config_path: Path, code: EnrolmentCode, token_path: Path | None = None,
              *, allow_plain_http: bool = False) -> config_mod.Config | None:
    """ConfigError for anything that would make :func:`install` refuse to save, asked
    before the exchange, which spends the one-time code: the same edit of config.toml
    checked as its write checks it (with the ids the code names, which the centre's answer
    carries), the folders the token and the config are written in, and the token's path
    (:func:`_token_target`). Returns the config
    as it reads now, for :func:`linked_elsewhere`: None when it is missing, or is valid only
    once the enrolment completes it (its ids not set yet). A code whose address is plain
    ``http://`` to another machine is refused first, unless ``allow_plain_http`` (``kiosk
    enrol --allow-plain-http``): its secret would cross the network readable."""
    from kiosk.ui.config_writer import check, check_writable, settings_text  # no Qt

    refusal = config_mod.plain_http_refusal(code.server_url, allow_plain_http,
                                            ENROL_ALLOWS_PLAIN_HTTP)
    if refusal is not None:
        raise config_mod.ConfigError(refusal.code, **refusal.params)

    config_path = Path(config_path)
    token_path = _token_path(config_path, token_path)
    settings = _settings(code, code.kiosk_id, code.checkpoint_id, token_path, allow_plain_http)
    # its read words its own failures
    text, edited = settings_text(config_path, settings, replays_off=True)
    try:
        check(edited, config_path)
    except config_mod.ConfigError as exc:  # named and placed in the file as `load` does
        refused = config_mod.in_file(config_path.name, exc.words, text)
        raise config_mod.ConfigError(refused.code, **refused.params) from None
    check_writable(config_path)
    folder = token_path.parent  # the token replaces a link there, not the file it names
    try:
        while not folder.exists():  # made by the write (private_files.replace_file)
            folder = folder.parent
    except OSError as exc:  # EACCES: a folder on the way the account may not enter
        raise _not_usable(token_path, exc) from None
    check_writable(token_path, folder)
    _token_target(token_path)
    try:
        return check(text, config_path) if text else None
    except config_mod.ConfigError:  # the edited text passed: the enrolment mends this
        return None


def _not_usable(path: Path, exc: OSError) -> config_mod.ConfigError:
    """A path the preflight cannot follow, worded as :func:`kiosk.config.read_text` words a
    config it cannot open: a local problem, found before the centre is asked."""
    code = "config.no_permission" if isinstance(exc, PermissionError) else "config.not_writable"
    return config_mod.ConfigError(code, path=path, reason=os_words(exc))


def _token_target(token_path: Path) -> None:
    """ConfigError naming what ``token_path`` is unless it is a file, a link or missing:
    the write renames the token onto it, which fails on a folder once the code is spent,
    and would silently replace a named pipe or a device node (as root, even /dev/null). A
    link is replaced itself, whatever it names."""
    try:
        kind = config_mod.NOT_REGULAR.get(stat.S_IFMT(token_path.lstat().st_mode))
    except OSError:  # missing: the write makes it (its folder was checked above)
        return
    if kind is not None:
        raise config_mod.ConfigError("enrol.token_not_file", path=token_path, kind=Words(kind))


def keys_for(config_path: Path, token_path: Path | None = None) -> KioskKeys:
    """The backlog key files of the kiosk that :func:`install` will write there."""
    return KioskKeys(_token_path(Path(config_path), token_path).parent)


def _token_path(config_path: Path, token_path: Path | None) -> Path:
    return token_path or config_path.parent / TOKEN_FILE


MAX_TITLE = 200
"""The most of the centre's kiosk name the screen's title keeps (:func:`centre_title`)."""


def centre_title(name: object) -> tuple[str | None, Words | None]:
    """The kiosk's name at the centre as the screen's title, and what to say when it is cut
    short: its blanks (a tab, a line break) made one space, characters no screen shows
    dropped, at most :data:`MAX_TITLE` characters, the last "…". A longer name was dropped
    whole, and the sample's "Chốt kiểm soát demo" stayed on the screen without a word.
    None: nothing to show (a centre of an earlier release sends no name)."""
    if not isinstance(name, str):
        return None, None
    title = "".join(c for c in " ".join(name.split()) if c.isprintable())
    if len(title) <= MAX_TITLE:
        return title or None, None
    cut = title[:MAX_TITLE - 1].rstrip() + "…"
    return cut, Words("enrol.title_cut", {"length": len(title), "kept": MAX_TITLE,
                                          "title": cut})


def own_title(config_path: Path, checkpoint_id: str) -> bool:
    """Whether config.toml's screen title is the technician's own for this checkpoint (not
    empty, not the sample's, and the kiosk stays at ``checkpoint_id``): a new token for the
    same kiosk (``kiosks token --qr``) then keeps it — the centre's kiosk name replaced a
    title set by hand. A kiosk moved to another checkpoint takes the centre's name."""
    try:
        kiosk = tomllib.loads(config_path.read_text(encoding="utf-8")).get("kiosk", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    title = kiosk.get("checkpoint_name")
    return (isinstance(title, str) and title.strip() not in ("", SAMPLE_TITLE)
            and kiosk.get("checkpoint_id") == checkpoint_id)


def _settings(code: EnrolmentCode, kiosk_id: str, checkpoint_id: str,
              token_path: Path, allow_plain_http: bool = False, title: str | None = None
              ) -> dict[str, dict[str, object]]:
    """What an enrolment sets in config.toml (``allow_plain_http`` only when the enrolment
    allowed it: a config allowing it already keeps it). ``title``: the kiosk's name at the
    centre (``kiosks add --name``, :func:`centre_title`), its screen's title from now on:
    the sample's "Chốt kiểm soát demo" stayed on an enrolled kiosk's screen, and the
    officers took it for a demonstration. None (a centre that sends no name, or a title of
    the technician's own: :func:`own_title`) leaves ``checkpoint_name`` as it is."""
    kiosk: dict[str, object] = {"id": kiosk_id, "checkpoint_id": checkpoint_id}
    if title:
        kiosk["checkpoint_name"] = title
    return {"kiosk": kiosk,
            "sync": {"enabled": True, "server_url": code.server_url, "token": "",
                     "token_file": str(config_mod.resolved(token_path)),
                     **({"allow_plain_http": True} if allow_plain_http else {})}}


def exchange(code: EnrolmentCode, keys: KioskKeys | None, *,
             allow_plain_http: bool = False) -> dict:
    """One attempt: the centre's ``{kiosk_id, checkpoint_id, token, backlog_key, centre_id}``
    for the code's secret, registering the public half of the kiosk's signing key in
    ``keys`` (made now if it has none; BadKey/OSError if that fails). Raises one of
    :data:`TRY_AGAIN` (try later) or else :data:`FINAL`."""
    signing_key = keys.public_signing_key() if keys is not None else None
    client = SyncClient(code.server_url, "", allow_plain_http=allow_plain_http)
    try:
        return client.enrol(code.secret, signing_key)
    finally:
        client.close()


def install(code: EnrolmentCode, answer: dict, config_path: Path,
            token_path: Path | None = None, same_as: FileIdentity | None = None, *,
            allow_plain_http: bool = False) -> Enrolled:
    """Write the token (0600) and set ``[kiosk] id/checkpoint_id`` and ``[sync]`` in
    config.toml in one validated write that keeps its comments, turning every replay device
    off in it: they play a file's codes (the sample's ``demo``: made-up people), which an
    enrolled kiosk would record and send as people at its real checkpoint. Turned off, not
    refused: the enrolment is where the sample becomes a real kiosk, and the technician
    holding up the QR should not have to edit the file by hand first. As root, both files go to
    the kiosk account (the config folder's owner). Call :func:`preflight` before the
    exchange: what fails here anyway (a full disk, a file changed meanwhile) comes after
    the code is spent: a ConfigError saying so (the centre has registered the kiosk), and
    for a token not written, to ask the centre for a new code; for one written, where it
    is and what to set by hand. ``same_as``: the store file of the kiosk running this
    enrolment (:attr:`kiosk.store.Store.identity`), the only one it may write to."""
    from kiosk.ui.config_writer import (  # tomlkit only: no Qt
        enabled_replays,
        not_writable,
        save_settings,
        settings_text,
    )

    config_path = Path(config_path)
    token_path = _token_path(config_path, token_path)
    title, title_cut = (None, None) if own_title(config_path, answer["checkpoint_id"]) \
        else centre_title(answer.get("name"))
    settings = _settings(code, answer["kiosk_id"], answer["checkpoint_id"], token_path,
                         allow_plain_http, title)
    by_hand = "; ".join(f"[{section}] " + ", ".join(
        f"{key} = {tomlkit.item(value).as_string()}" for key, value in pairs.items())
        for section, pairs in settings.items())
    try:  # atomic, 0600 from the first byte (a token must never be readable by others)
        replace_file(token_path, answer["token"].encode("utf-8") + b"\n")
    except OSError as exc:  # the token is kept nowhere: only a new code can help
        raise config_mod.ConfigError("enrol.token_not_saved", token=token_path,
                                     detail=os_words(exc)) from None
    try:
        hand_over(token_path)
    except OSError as exc:  # the token is there, but the kiosk account cannot read it
        raise config_mod.ConfigError("enrol.token_not_handed_over", token=token_path,
                                     config=config_path, detail=os_words(exc),
                                     settings=by_hand) from None
    try:
        replays = enabled_replays(settings_text(config_path, {})[0], config_path)
        config = save_settings(config_path, settings, replays_off=True)
    except (config_mod.ConfigError, OSError) as exc:  # the code is spent: say what to finish
        detail = exc if isinstance(exc, config_mod.ConfigError) else not_writable(
            config_path, exc)
        raise config_mod.ConfigError(
            "enrol.config_not_saved", token=token_path, config=config_path, detail=detail,
            settings=by_hand) from None
    keys = keys_for(config_path, token_path)
    try:  # the code is the administrator's word: it replaces a kept centre key
        if answer.get("backlog_key"):
            keys.remember({"centre_key": answer["backlog_key"],
                           "centre_id": answer.get("centre_id"),
                           "signing_key": keys.public_signing_key()}, enrolment=True)
        else:
            keys.forget_centre()
    except (BadKey, OSError) as exc:
        if keys.centre() is not None:
            # a kept key the code did not vouch for: files would be sealed to it and the
            # centre's next answer taken for a changed key, so fail rather than half enrol
            raise config_mod.ConfigError(
                "enrol.centre_key_not_saved", token=token_path, config=config_path,
                file=keys.centre_path,
                detail=os_words(exc) if isinstance(exc, OSError) else exc) from None
        log.warning("%s", both("enrol.log.centre_key_not_kept",
                               reason=os_words(exc) if isinstance(exc, OSError) else exc))
        if isinstance(exc, OSError):  # the system's English: -v
            log.info("the centre's backlog key was not kept: %s", exc)
    else:
        _clear_keys_alert(config, same_as)
    return Enrolled(config, token_path, tuple(replays), title_cut)


def _clear_keys_alert(config: config_mod.Config, same_as: FileIdentity | None) -> None:
    """Drop the saved backlog keys alert (``sync.backlog_keys_alert``): the code settled
    both things it can name. A centre key that changed is now the code's, or forgotten; a
    signing-key conflict is over, since the centre registered the signing key the exchange
    sent with the code (:meth:`kiosk.central.storage.Storage.redeem_enrolment_code`
    replaces the one it held). Left standing it would be shown, and noted on every export,
    until the kiosk next reached the centre; a running kiosk's worker and screens read the
    saved alert (:func:`kiosk.sync.status.saved_keys_alert`), so clearing it here, from the
    kiosk or from ``kiosk enrol`` beside it, ends it there too. When the keys were not kept
    the alert stays: the kiosk's next contact decides it. A kiosk that never ran has no
    store, and no alert. From a running kiosk, only its own file: another moved over it
    since shares that file's log, and a second writer's close would delete the log under
    the kiosk."""
    from kiosk.store import Store, StoreError
    from kiosk.sync.status import MetaKey

    try:
        store = Store(config.store_path, timezone=config.timezone, create=False,
                      same_as=same_as)
    except StoreError as exc:
        if exc.words.code != "store.missing":
            log.warning("%s", both("enrol.log.alert_not_cleared", reason=exc))
        return
    try:
        store.set_meta({MetaKey.KEYS_ALERT: None})
    except StoreError as exc:  # shown until the kiosk's next contact with the centre
        log.warning("%s", both("enrol.log.alert_not_cleared", reason=exc))
    finally:
        store.close()


def link_problem(server_url: str, token: str, *, allow_plain_http: bool = False
                 ) -> Words | None:
    """With the new token, ask for something only an enrolled kiosk may read (the trust
    list: 200, or 404 when the centre holds none, both mean the token is accepted); None
    when the link works, else what went wrong."""
    client = SyncClient(server_url, token, allow_plain_http=allow_plain_http)
    try:
        client.trust_list(None)
    except Refused as exc:
        if exc.status != 404:
            return exc.words
    except SyncError as exc:
        return exc.words
    finally:
        client.close()
    return None
