"""Reading and validating ``config.toml`` into frozen, typed values.

Each table is a ``Section`` (``kiosk.schema``): a frozen dataclass whose fields carry their
type, default and allowed values, so a wrong file is refused before anything starts, with a
message that names the key path, the value and what was expected; the same declarations
drive the technician's forms and are checked against the shipped sample. A ``[[devices]]``
table is validated by the options of its ``type``, taken from the device kinds' registry
(``kiosk.devices.registry``: pure descriptions, no hardware library).

Adding a section: declare its dataclass here and add a field of that type to ``Config``.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import re
import stat
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.devices.kind import DeviceOptions
from kiosk.devices.registry import device_kind, kinds
from kiosk.ids import ENROLMENT_ID_RE, RESERVED_DEVICE_IDS
from kiosk.messages import Number, Words, os_words
from kiosk.schema import REQUIRED, ConfigError, Opt, Section, opt, show
from kiosk.timestamps import DEFAULT_TIMEZONE
from kiosk.toml_words import key_line, toml_refusal

__all__ = ["MAX_CONFIG_BYTES", "REQUIRED", "CertificateSettings", "Config", "ConfigError",
           "DeviceOptions", "KioskSettings", "Opt", "PolicySettings", "Section",
           "StoreSettings", "SyncSettings", "device_warning", "device_warnings", "from_dict",
           "in_file", "load", "read_text", "sections", "stated_language", "validate_device"]

MAX_CONFIG_BYTES = 1 << 20
"""A config.toml is a few kilobytes, even with every option and many devices: a bigger
one (a link to /dev/zero, a file gone huge on a damaged file system) is refused after
reading this much, never read whole into the kiosk's memory."""

NOT_REGULAR = {stat.S_IFIFO: "config.kind.fifo", stat.S_IFDIR: "config.kind.directory",
               stat.S_IFCHR: "config.kind.device", stat.S_IFBLK: "config.kind.device",
               stat.S_IFSOCK: "config.kind.socket"}
"""What a config.toml that is no regular file is, for the refusal's words."""


SAMPLE_TITLE = "Chốt kiểm soát demo"
"""The sample config.toml's ``[kiosk] checkpoint_name``, which ``install-kiosk.sh`` copies:
here, not with the enrolment that replaces it, so that ``kiosk doctor`` names it on a
kiosk installed without the ``ui`` extra's tomlkit."""


@dataclass(frozen=True, kw_only=True)
class KioskSettings(Section):
    id: str = opt(expected="config.expect.kiosk_id")
    checkpoint_id: str = opt()
    checkpoint_name: str = opt("")
    language: str = opt("vi", choices=("vi", "en"))
    timezone: str = opt(DEFAULT_TIMEZONE)
    operator: str = opt("")
    pin: str = opt("1234")
    fullscreen: bool = opt(False)
    screen_dpi: int = opt(0, minimum=0, maximum=600)
    """0: the screen's own figure (EDID); set it for a panel that reports none or a wrong one."""
    result_seconds: int = opt(15, minimum=1, maximum=600)
    """How long a scan's answer stays on the card before it reads READY again: a red or
    green card left up is read as the answer for whoever stands there next."""
    technician_idle_seconds: int = opt(120, minimum=1, maximum=3600)
    """The screens behind the PIN (technician and sync) go back to the officer's after this
    long without a touch, a click or a typed key (unsaved edits dropped, the PIN asked
    again): the kiosk stands at a queue, a screen left open answered no one, and an open
    sync screen exports the backlog to anyone. One setting for both, under its first name:
    the technician opens both."""

    def check(self, path: str) -> None:
        if 0 < self.screen_dpi < 60:
            raise ConfigError("config.screen_dpi", key=f"{path}.screen_dpi",
                              got=self.screen_dpi)
        for key in ("id", "checkpoint_id"):
            value = getattr(self, key)
            if not ENROLMENT_ID_RE.fullmatch(value):
                got = repr(value[:40]) if len(value) <= 40 else Words(
                    "config.value_cut", {"value": repr(value[:40]), "length": len(value)})
                raise ConfigError("config.bad_id", key=f"{path}.{key}", got=got)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):  # "Asia": a folder
            raise ConfigError("config.bad_timezone", key=f"{path}.timezone",
                              got=show(self.timezone)) from None


@dataclass(frozen=True, kw_only=True)
class StoreSettings(Section):
    path: str = opt("data/kiosk.db")
    retention_days: int = opt(21, minimum=1, maximum=3650)

    def check(self, path: str) -> None:
        _home_found(f"{path}.path", self.path)


@dataclass(frozen=True, kw_only=True)
class PolicySettings(Section):
    duplicate_window_seconds: int = opt(300, minimum=0, maximum=86400)
    duplicate_policy: str = opt("warn", choices=("warn", "block", "allow"))
    default_direction: str = opt("in", choices=("in", "out", "auto"))


@dataclass(frozen=True, kw_only=True)
class SyncSettings(Section):
    enabled: bool = opt(False)
    server_url: str = opt("http://127.0.0.1:8765")
    allow_plain_http: bool = opt(False)
    token: str = opt("")
    token_file: str = opt("")
    batch_size: int = opt(2000, minimum=1, maximum=10000)
    batch_max_bytes: int = opt(1_000_000, minimum=10_000, maximum=64_000_000)
    interval_seconds: float = opt(30.0, minimum=1, maximum=86400)
    timeout_seconds: float = opt(15.0, minimum=1, maximum=600)
    max_backoff_seconds: float = opt(300.0, minimum=1, maximum=86400)

    def check(self, path: str) -> None:
        if not _usable_url(self.server_url):
            raise ConfigError("config.bad_server_url", key=f"{path}.server_url",
                              got=show(self.server_url))
        _home_found(f"{path}.token_file", self.token_file)


@dataclass(frozen=True, kw_only=True)
class CertificateSettings(Section):
    policy: str = opt("record", choices=("record", "require-valid"))
    trust_list: str = opt("data/trust-list.json")
    max_age_days: int = opt(14, minimum=1, maximum=3650)

    def check(self, path: str) -> None:
        _home_found(f"{path}.trust_list", self.trust_list)


def _usable_url(url: str) -> bool:
    """http(s) with a host, and a port (if any) a connection can use. ``urlsplit`` raises
    ValueError on a bracket left open (``http://[::1``), ``port`` on one out of range or
    not a number: met otherwise at each push, as a cause the kiosk cannot name."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        return False


def names_this_machine(url: str) -> bool:
    """Whether ``url``'s host is this machine as the tests and a centre on the kiosk name
    it: 127.0.0.0/8, ``::1`` or ``localhost`` — by the name written, not by what it
    resolves to (a name's address can be spoofed)."""
    import ipaddress

    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.rstrip(".").lower() == "localhost"


def plain_http(url: str) -> bool:
    """Whether ``url`` is ``http://`` to another machine than this one
    (:func:`names_this_machine`): the token, the enrolment secret and people's names and
    document numbers would cross a network in clear, and whatever answers there is believed
    (an "accepted" takes entries out of the pending set)."""
    try:
        scheme = urlsplit(url.strip()).scheme
    except ValueError:
        return False  # not a usable address at all: refused as such (config.bad_server_url)
    return scheme.lower() == "http" and not names_this_machine(url)


def plain_http_refusal(url: str, allowed: bool, setting: str = "[sync] allow_plain_http = true"
                       ) -> Words | None:
    """Why nothing may be sent to ``url`` (:func:`plain_http`), naming ``setting``, the
    explicit way to allow it; None when it may (https, this machine, or ``allowed``)."""
    if allowed or not plain_http(url):
        return None
    return Words("sync.plain_http", {"url": url, "setting": setting})


def _home_found(key: str, text: str) -> None:
    """A path starting ``~account`` for an account this machine does not know is refused
    naming the key: ``expanduser`` raises a bare RuntimeError where the path is used."""
    try:
        Path(text).expanduser()
    except RuntimeError:
        raise ConfigError("config.no_home", key=key, home=text.split("/")[0],
                          got=show(text)) from None


@dataclass(frozen=True, kw_only=True)
class Config:
    """The validated file: one typed section per table, every default filled in."""

    kiosk: KioskSettings
    store: StoreSettings = StoreSettings()
    policy: PolicySettings = PolicySettings()
    sync: SyncSettings = SyncSettings()
    certificates: CertificateSettings = CertificateSettings()
    devices: tuple[DeviceOptions, ...] = ()
    source: Path | None = None

    @property
    def store_path(self) -> Path:
        return self._beside_file(self.store.path)

    @property
    def trust_list_path(self) -> Path:
        return self._beside_file(self.certificates.trust_list)

    def _beside_file(self, text: str) -> Path:
        """A configured path; a relative one is relative to the config file."""
        path = Path(text).expanduser()
        if not path.is_absolute() and self.source is not None:
            path = self.source.parent / path
        return path

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.kiosk.timezone)

    def to_toml_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: getattr(self, name).as_dict() for name in sections()}
        return {**data, "devices": [d.as_dict() for d in self.devices]}


def sections() -> dict[str, type[Section]]:
    """Table name → its section class, in file order (the fields of ``Config``)."""
    hints = typing.get_type_hints(Config)
    return {f.name: hints[f.name] for f in dataclasses.fields(Config)
            if isinstance(hints[f.name], type) and issubclass(hints[f.name], Section)}


def validate_device(index: int, data: Any) -> DeviceOptions:
    """One ``[[devices]]`` table, typed by the options of its kind; one that could never be
    opened (:meth:`DeviceOptions.unusable`) refused only while it is enabled."""
    path = f"devices[{index}]"
    if not isinstance(data, dict):
        raise ConfigError("config.expected", key=path, expected=Words("config.expect.dict"),
                          got=show(data))
    kind = device_kind(data.get("type"))
    if kind is None:
        raise ConfigError("config.expected", key=f"{path}.type", expected=Words(
            "config.expect.one_of", {"values": ", ".join(kinds())}), got=show(data.get("type")))
    device = kind.options.validate(path, data)
    unusable = device.unusable(path)
    if unusable is not None and device.enabled:
        raise unusable
    return device


def device_warning(index: int, device: DeviceOptions) -> Words | None:
    """What the file check lets pass but the technician must hear of: a disabled device
    that could not be opened if it were enabled (:meth:`DeviceOptions.unusable`)."""
    unusable = device.unusable(f"devices[{index}]")
    if unusable is None or device.enabled:
        return None
    return Words("config.disabled_unusable", {"problem": unusable.words})


def device_warnings(config: Config) -> list[Words]:
    """:func:`device_warning` of each device of the file."""
    return [warning for index, device in enumerate(config.devices)
            if (warning := device_warning(index, device)) is not None]


def from_dict(data: dict[str, Any], source: Path | None = None) -> Config:
    tables = sections()
    top = {*tables, "devices"}
    unknown = sorted(set(data) - top)
    if unknown:
        raise ConfigError("config.unknown_section", key=unknown[0], known=", ".join(sorted(top)))
    values = {name: cls.validate(name, data.get(name, {})) for name, cls in tables.items()}
    devices_data = data.get("devices", [])
    if isinstance(devices_data, dict):  # the likeliest slip: one pair of brackets
        raise ConfigError("config.devices_one_table")
    if not isinstance(devices_data, list):
        raise ConfigError("config.expected", key="devices",
                          expected=Words("config.expect.device_list"), got=show(devices_data))
    devices = tuple(validate_device(i, d) for i, d in enumerate(devices_data))
    seen: set[str] = set()
    for i, device in enumerate(devices):
        if device.id in seen:
            raise ConfigError("config.device_id_twice", key=f"devices[{i}].id", id=device.id)
        if device.id in RESERVED_DEVICE_IDS:
            raise ConfigError("config.device_id_reserved", key=f"devices[{i}].id", id=device.id)
        seen.add(device.id)
    return Config(**values, devices=devices, source=source)


def read_text(path: str | Path) -> str:
    """The text of a config.toml, read the one way every reader of it uses (``load``, the
    language its refusal is worded in, the technician's forms): only a regular file, told
    by ``os.stat`` before any open (opening a serial port resets the controller on it,
    opening /dev/watchdog arms it) and again by ``fstat`` after (it may have been swapped
    in between); opened without blocking, so a named pipe with no writer cannot hang every
    command; at most ``MAX_CONFIG_BYTES``; a byte-order mark dropped and any line ends read
    as ``\\n``, as text mode read them (Windows Notepad, old Mac editors). Every failure is
    a ConfigError naming the file and why."""
    path = Path(path)
    try:
        _refuse_unless_regular(path, os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    try:
        _refuse_unless_regular(path, os.fstat(fd).st_mode)
        # blocking again: a file system answering EAGAIN must not end the read short
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        with open(fd, "rb", closefd=False) as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            size = max(os.fstat(fd).st_size, len(data))
            raise ConfigError("config.too_big", path=path, size=Number(size),
                              limit=Number(MAX_CONFIG_BYTES))
    except OSError as exc:
        raise _unreadable(path, exc) from None
    finally:
        os.close(fd)
    try:
        text = data.decode("utf-8")  # not utf-8-sig: its error counts bytes after the mark
    except UnicodeDecodeError as exc:
        raise ConfigError("config.not_utf8", path=path, value=f"0x{data[exc.start]:02X}",
                          byte=exc.start) from None  # not Python's English reason
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def holds_token(text: str) -> bool:
    """Whether a config's text sets ``[sync] token``, the kiosk's credential inline; a
    text that cannot be read as TOML is taken to (it may)."""
    try:
        sync = tomllib.loads(text.removeprefix("\ufeff")).get("sync")
    except ValueError:
        return True
    return isinstance(sync, dict) and bool(sync.get("token"))


def _refuse_unless_regular(path: Path, mode: int) -> None:
    kind = NOT_REGULAR.get(stat.S_IFMT(mode))
    if kind is not None:
        raise ConfigError("config.not_regular", path=path, kind=Words(kind))


def _unreadable(path: Path, exc: OSError) -> ConfigError:
    """The refusal of a config.toml the command cannot open or read: a missing one, one
    the account may not read (``sudo nano`` leaves it root's), or another OS failure."""
    if isinstance(exc, FileNotFoundError):
        return ConfigError("file.not_found", path=path)
    code = "config.no_permission" if isinstance(exc, PermissionError) else "file.unreadable"
    return ConfigError(code, path=path, reason=os_words(exc))


def resolved(path: Path) -> Path:
    """``path`` with its links followed (a relative one from the working folder). A link
    that loops back on itself is a ConfigError naming the path: ``resolve`` raises a bare
    RuntimeError there, whose English a front end would show untranslated."""
    try:
        return path.resolve()
    except RuntimeError:
        raise ConfigError("config.path_loops", path=path) from None


def stated_language(path: str | Path) -> str | None:
    """The ``kiosk.language`` a file states even when it is refused for something else:
    the language to word its refusal in; None when it states none that can be read."""
    try:
        kiosk = _tables(Path(path)).get("kiosk")
    except ConfigError:
        return None
    language = kiosk.get("language", "vi") if isinstance(kiosk, dict) else None
    return language if language in KioskSettings.schema()["language"].choices else None


def load(path: str | Path) -> Config:
    """Read and validate; every failure is a ConfigError that starts with the file's name
    (and the place of the device it names: :func:`in_file`)."""
    path = Path(path)
    text = read_text(path)
    data = _tables(path, text)
    try:
        return from_dict(data, source=path.resolve())
    except ConfigError as exc:
        refused = in_file(path.name, exc.words, text)
        raise ConfigError(refused.code, **refused.params) from None


def in_file(name: str, problem: Words, text: str) -> Words:
    """``problem`` found in the file ``name`` whose ``text`` it is; a problem with a device
    (a key ``devices[2]…``, nested too) says where that table is: its line (the key's, else
    the table's ``[[devices]]``), which table it is counting from 1, of how many, and its
    id. ``devices[2]`` counts from 0 and ``tomllib`` keeps no line, while a technician
    editing the file by hand looks for "the third scanner"."""
    key = _device_key(problem)
    found = re.match(r"devices\[(\d+)\]", key)
    try:
        devices = tomllib.loads(text).get("devices") if found else None
    except ValueError:
        devices = None
    if found is None or not isinstance(devices, list) or int(found[1]) >= len(devices):
        return Words("config.in_file", {"file": name, "problem": problem})
    index = int(found[1])
    device = devices[index]
    ident = device.get("id") if isinstance(device, dict) else None
    shown = isinstance(ident, str) and ENROLMENT_ID_RE.fullmatch(ident)  # never a code
    line = key_line(text, key)
    place = Words("config.device_at_line" if line else "config.device_table", {
        "line": line, "n": index + 1, "count": len(devices),
        "id": f', id "{ident}"' if shown else ""})
    return Words("config.in_file", {"file": Words("config.file_at", {"file": name,
                                                                      "place": place}),
                                    "problem": problem})


def _device_key(words: Words) -> str:
    """The first ``key`` of ``words`` (nested too) that names a device, else ""."""
    key = words.params.get("key")
    if isinstance(key, str) and key.startswith("devices["):
        return key
    for value in words.params.values():
        if isinstance(value, Words) and (nested := _device_key(value)):
            return nested
    return ""


def _tables(path: Path, text: str | None = None) -> dict[str, Any]:
    """The file (its ``text`` when read already) as TOML; ConfigError if it is none. Not
    only TOMLDecodeError: an integer of more than Python's 4300 digits is a bare ValueError
    from ``tomllib``."""
    text = read_text(path) if text is None else text
    try:
        return tomllib.loads(text)
    except ValueError as exc:
        detail, where = toml_refusal(exc, text)
        raise ConfigError("config.not_toml", path=path, detail=detail, where=where) from None
