"""What ``kiosk export -o FILE`` (and ``kiosk sync export --to FILE``) does with the file it
is asked to write, run as the technician runs it (the real command, a real store).

- The store itself, its log or the log's index, by any name (a slip in the data folder,
  a hard link, a symbolic link), is never written over: the command refuses before opening
  anything for writing, and every entry stays.
- An export of identities leaves the kiosk only with its audit row: the row is written
  before the file; a final row the store refuses removes the file, and says so.
- A stick that fills as the file is finished (its last buffered bytes) leaves no file
  holding the first rows only.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import CCCD_AN
from tests.test_cli_store_words import kiosk, write_config

REFUSED = {
    "vi": "{path} là tệp kho dữ liệu của trạm ({store}): không ghi đè lên tệp này, không xuất "
          "gì; hãy chọn một tên tệp khác",
    "en": "{path} is the kiosk's store ({store}): it is not written over, nothing exported; "
          "choose another file name",
}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_store_by_any_name_is_never_an_export_file(tmp_path: Path, language: str) -> None:
    store = tmp_path / "kiosk.db"
    config = write_config(tmp_path, store, language)
    assert kiosk(config, "scan", CCCD_AN).returncode == 0
    (tmp_path / "linked.csv").hardlink_to(store)
    (tmp_path / "pointer.csv").symlink_to(store)
    reader = sqlite3.connect(store)  # the running kiosk: its log and index stay there
    try:
        reader.execute("SELECT count(*) FROM entries").fetchone()
        before = {name: digest(tmp_path / name) for name in ("kiosk.db", "kiosk.db-wal")}
        for name, side in (("kiosk.db", "kiosk.db"), ("kiosk.db-wal", "kiosk.db-wal"),
                           ("kiosk.db-shm", "kiosk.db-shm"), ("linked.csv", "kiosk.db"),
                           ("pointer.csv", "kiosk.db")):
            target = tmp_path / name
            said = REFUSED[language].format(path=target, store=tmp_path / side)
            for command in (("export", "-o", str(target)),
                            ("export", "--format", "xlsx", "-o", str(target))):
                proc = kiosk(config, *command)
                assert (proc.returncode, proc.stderr) == (2, said + "\n"), command
            proc = kiosk(config, "sync", "export", "--to", str(target), "--force")
            assert proc.returncode == 1
            assert proc.stderr == {"vi": "Không xuất được tệp: ", "en": "Export failed: "
                                   }[language] + said + "\n"
        assert {name: digest(tmp_path / name) for name in before} == before
    finally:
        reader.close()
    with sqlite3.connect(store) as conn:  # every entry, still pending
        assert conn.execute("SELECT count(*) FROM entries WHERE sync_state = 'pending'"
                            ).fetchone() == (1,)
    proc = kiosk(config, "export", "-o", str(tmp_path / "kiosk.csv"))  # another name: written
    assert proc.returncode == 0, proc.stderr
    assert "001099012345" in (tmp_path / "kiosk.csv").read_text(encoding="utf-8-sig")
