"""Writing the technician's device list, and the language chosen on screen, back into
config.toml, safely.

* The new file is validated with ``kiosk.config.from_dict`` before anything is written: a
  refused list leaves the file untouched and the ConfigError names the key.
* Comments survive where they can (tomlkit): untouched devices and the other sections are
  byte-for-byte the same; a changed value keeps its inline comment; the comment lines that
  trail a removed device (the commented samples, in the shipped file) move to the device
  before it, or to the end of the file.
* The write is atomic: a temporary file in the same directory, fsync, rename, fsync of the
  directory; the previous version is kept as ``config.toml.bak``. A config.toml that is a
  link is written through: the file it names is replaced, in its own directory. A power
  cut leaves either the old or the new file, never half of one.
* Written as root, the file (and its .bak) goes to the owner of its folder: the kiosk
  account must still be able to read and rewrite it.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Comment, Table, Whitespace

from kiosk import config as config_mod
from kiosk.devices.kind import DeviceOptions
from kiosk.devices.registry import kinds
from kiosk.messages import os_words
from kiosk.private_files import hand_over, open_private, replace_file
from kiosk.toml_words import toml_refusal


@dataclass(frozen=True)
class DeviceDraft:
    """One device as the technician left it; ``origin`` is its id in the file (None: new)."""

    origin: str | None
    values: DeviceOptions


def defaults_for(kind: str) -> dict[str, Any]:
    schema = kinds()[kind].options.schema()
    return {k: o.default for k, o in schema.items() if not o.required}


def render(text: str, drafts: Sequence[DeviceDraft]) -> str:
    """The new config text: ``text`` with its devices replaced by ``drafts``, comments kept."""
    document = tomlkit.parse(text)
    tables: AoT | None = document.get("devices")  # type: ignore[assignment]
    existing: dict[str, Table] = {}
    if tables is not None:
        existing = {str(t.get("id")): t for t in tables}
    wanted = {d.origin for d in drafts if d.origin is not None}
    if set(existing) - wanted:
        for origin, table in list(existing.items()):
            if origin not in wanted:
                _remove(document, table)
        # Moving comment lines edits tomlkit's bodies directly: re-read to rebuild its index.
        document = tomlkit.parse(tomlkit.dumps(document))
        tables = document.get("devices")  # type: ignore[assignment]
        existing = {str(t.get("id")): t for t in tables} if tables is not None else {}
    for draft in drafts:
        table = existing.get(draft.origin) if draft.origin is not None else None
        if table is not None:
            _update(table, draft.values.as_dict())
        else:
            _append(document, draft.values.as_dict())
    return tomlkit.dumps(document)


def _update(table: Table, values: dict[str, Any]) -> None:
    defaults = defaults_for(values["type"])
    for key in [k for k in table if k not in values]:  # options of a former type
        del table[key]
    for key, value in values.items():
        if key in table:
            current = table.value.item(key).unwrap()
            if current != value or type(current) is not type(value):
                table[key] = value
        elif value != defaults.get(key, object()):
            table[key] = value


def _append(document: Any, values: dict[str, Any]) -> None:
    table = tomlkit.table()
    for key, value in values.items():
        table[key] = value
    tables = document.get("devices")
    if tables is None or len(tables) == 0:
        if tables is not None:
            del document["devices"]
        document.add(tomlkit.nl())
        document.append("devices", tomlkit.aot())
        tables = document["devices"]
    else:
        tables[-1].add(tomlkit.nl())
    tables.append(table)


def _trailing_comments(table: Table) -> list[Any]:
    """Pop the comment and blank lines after the table's last key (they describe what
    follows, not this device)."""
    body = table.value.body
    tail: list[Any] = []
    while body and body[-1][0] is None and isinstance(body[-1][1], Comment | Whitespace):
        tail.insert(0, body.pop()[1])
    return tail


def _remove(document: Any, table: Table) -> None:
    tables: AoT = document["devices"]
    index = next(i for i, t in enumerate(tables) if t is table)
    tail = _trailing_comments(table)
    del tables[index]
    if len(tables) and index > 0:
        for item in tail:
            tables[index - 1].value.append(None, item)
        return
    if len(tables):  # the first device went: its trailing lines now lead the next one
        tables[0].value.body[0:0] = [(None, item) for item in tail]
        return
    del document["devices"]
    for item in tail:
        document.append(None, item)


def _parsed(text: str, source: Path) -> tomlkit.TOMLDocument:
    """The text as tomlkit keeps it (its comments too). Refused first as ``kiosk config
    check`` refuses it when tomllib, which the kiosk reads it with, does not take it:
    tomlkit takes ``prefix = "\\x02"`` typed with one backslash, and ``kiosk enrol`` spent
    its code, then wrote a config the kiosk cannot start with."""
    try:
        tomllib.loads(text)
    except ValueError as refused:
        detail, where = toml_refusal(refused, text)
        raise config_mod.ConfigError("config.not_toml", path=source.name, detail=detail,
                                     where=where) from None
    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise config_mod.ConfigError("config.not_toml", path=source.name, detail=exc,
                                     where="") from None


def check(text: str, source: Path) -> config_mod.Config:
    """Validate config text exactly as ``kiosk.config.load`` would; ConfigError if refused."""
    return config_mod.from_dict(_parsed(text, source).unwrap(), source=source.resolve())


def real_target(path: Path) -> Path:
    """The file a write of ``path`` replaces, in its own folder: the one a link names. The
    installed config may be a link to a file on a persistent or managed partition, and a
    rename onto the link would leave that file stale and /etc holding a copy (lost at
    reboot on an overlay)."""
    return Path(os.path.realpath(path))


def not_writable(path: Path, exc: OSError) -> config_mod.ConfigError:
    return config_mod.ConfigError("config.not_writable", path=path, reason=os_words(exc))


def check_writable(path: Path, folder: Path | None = None) -> None:
    """ConfigError naming ``path`` unless a file can be made in ``folder`` (by default the
    one :func:`write_atomically` writes ``path`` in), tried with an anonymous temporary
    file that leaves nothing behind: for a caller that must know before it acts (an
    enrolment spends its one-time code first)."""
    try:
        with tempfile.TemporaryFile(dir=folder or real_target(path).parent):
            pass
    except OSError as exc:
        raise not_writable(path, exc) from None


def write_atomically(path: Path, text: str) -> None:
    """Replace the file ``path`` names, through a link (:func:`real_target`); the new file
    keeps the old one's mode, and is readable by its owner only until then (it may hold a
    token)."""
    path = real_target(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open_private(temporary, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        hand_over(temporary)
        if path.exists():
            shutil.copymode(path, temporary)
            _back_up(path)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _back_up(path: Path) -> None:
    """Keep the file as it was in ``NAME.bak`` (its mode and times too), readable by its
    owner only when it holds the kiosk's token inline (``[sync] token = "…"``): ``kiosk
    enrol`` moves the token out of the config, and a .bak readable by all would keep it."""
    old = path.read_bytes()
    found = path.stat()
    mode = stat.S_IMODE(found.st_mode)
    backup = path.with_name(path.name + ".bak")
    token = config_mod.holds_token(old.decode("utf-8", "replace"))
    replace_file(backup, old, mode=mode & ~0o077 if token else mode)
    os.utime(backup, ns=(found.st_atime_ns, found.st_mtime_ns))
    hand_over(backup)


def save_devices(path: Path, drafts: Sequence[DeviceDraft]) -> config_mod.Config:
    """Validate, then write; returns the config as the kiosk will now read it."""
    path = Path(path)
    text = render(config_mod.read_text(path), drafts)
    check(text, path)
    write_atomically(path, text)
    return config_mod.load(path)


def save_setting(path: Path, section: str, key: str, value: Any) -> config_mod.Config:
    """Set one ``[section] key`` (its inline comment and every other line kept), validate,
    then write; returns the config as the kiosk will now read it."""
    return save_settings(path, {section: {key: value}})


def settings_text(path: Path, values: dict[str, dict[str, Any]], *,
                  replays_off: bool = False) -> tuple[str, str]:
    """The file's text now (empty when missing) and with the ``[section] key``s of
    ``values`` set, every other line kept: the edit :func:`save_settings` makes, for a
    caller to check before it (ConfigError when the file cannot be read or is no TOML).
    ``replays_off``: every enabled replay device also gets ``enabled = false``
    (:func:`enabled_replays`)."""
    path = Path(path)
    try:  # not path.exists(): it raises PermissionError in a folder the account may not enter
        text = config_mod.read_text(path)
    except config_mod.ConfigError as exc:
        if exc.words.code != "file.not_found":
            raise
        text = ""
    document = _parsed(text, path)
    for section, settings in values.items():
        if section not in document:
            document.add(tomlkit.nl())
            document[section] = tomlkit.table()
        table: Any = document[section]
        for key, value in settings.items():
            if key not in table or table[key] != value:
                table[key] = value
    if replays_off:
        for table in _replays(document):
            table["enabled"] = False
    return text, tomlkit.dumps(document)


def enabled_replays(text: str, source: Path) -> list[str]:
    """The ids of the enabled replay devices in the config ``text``: the sample's ``demo``
    plays scripts/demo-payloads.txt, made-up people recorded as real entries wherever the
    kiosk stands, so an enrolment turns every one of them off."""
    return [str(table.get("id")) for table in _replays(_parsed(text, source))]


def _replays(document: Any) -> list[Any]:
    """The enabled replay tables; none from a ``devices`` that is no list of tables (the
    check that follows names that mistake)."""
    tables = document.get("devices", [])
    return [table for table in (tables if isinstance(tables, list) else [])
            if isinstance(table, dict) and table.get("type") == "replay"
            and table.get("enabled", True) is not False]


def save_settings(path: Path, values: dict[str, dict[str, Any]], *,
                  replays_off: bool = False) -> config_mod.Config:
    """Set several ``[section] key``s in one validated, atomic write (a missing file is
    started empty; ``replays_off``: as :func:`settings_text`); returns the config as the
    kiosk will now read it."""
    path = Path(path)
    text, new_text = settings_text(path, values, replays_off=replays_off)
    if new_text == text:
        return config_mod.load(path)
    check(new_text, path)
    write_atomically(path, new_text)
    return config_mod.load(path)
