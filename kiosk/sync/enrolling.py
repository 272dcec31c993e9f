"""Joining the centre with an enrolment code: the one-time secret exchanged for the kiosk's
token, the token and the config written, the link tested.

Shared by ``kiosk enrol`` and the technician screen (where the code is scanned). Each step
is one call and the caller decides how to wait between attempts while the centre cannot be
reached: a terminal sleeps, the screen uses a timer and stays responsive.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kiosk import config as config_mod
from kiosk.enrolment import EnrolmentCode
from kiosk.private_files import hand_over, private_dir
from kiosk.sync.client import Refused, ServerBusy, SyncClient, SyncError, Unreachable

TOKEN_FILE = "sync-token"
"""Where the token goes, beside config.toml, unless told otherwise."""
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


def exchange(code: EnrolmentCode) -> dict:
    """One attempt: the centre's ``{kiosk_id, checkpoint_id, token}`` for the code's secret.
    Raises one of :data:`TRY_AGAIN` (try later) or else :data:`FINAL`."""
    client = SyncClient(code.server_url, "")
    try:
        return client.enrol(code.secret)
    finally:
        client.close()


def install(code: EnrolmentCode, answer: dict, config_path: Path,
            token_path: Path | None = None) -> Enrolled:
    """Write the token (0600) and set ``[kiosk] id/checkpoint_id`` and ``[sync]`` in
    config.toml in one validated write that keeps its comments. As root, both files go to
    the kiosk account (the config folder's owner)."""
    config_path = Path(config_path)
    token_path = token_path or config_path.parent / TOKEN_FILE
    write_token(token_path, answer["token"])
    from kiosk.ui.config_writer import save_settings  # tomlkit only: no Qt

    config = save_settings(config_path, {
        "kiosk": {"id": answer["kiosk_id"], "checkpoint_id": answer["checkpoint_id"]},
        "sync": {"enabled": True, "server_url": code.server_url, "token": "",
                 "token_file": str(token_path.resolve())},
    })
    return Enrolled(config, token_path)


def link_problem(server_url: str, token: str) -> str | None:
    """With the new token, ask for something only an enrolled kiosk may read (the trust
    list: 200, or 404 when the centre holds none, both mean the token is accepted); None
    when the link works, else what went wrong."""
    client = SyncClient(server_url, token)
    try:
        client.trust_list(None)
    except Refused as exc:
        if exc.status != 404:
            return str(exc)
    except SyncError as exc:
        return str(exc)
    finally:
        client.close()
    return None


def write_token(path: Path, token: str) -> None:
    """Atomically, 0600 from the first byte (a token must never be readable by others)."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(token + "\n")
            out.flush()
            os.fsync(out.fileno())
        hand_over(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
