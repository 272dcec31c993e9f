"""What an administrator can get wrong with an account, and what the centre now says: a
district the registry does not have, a disabling at one tap, a weak password — with real
`kiosk-central users` commands and a real `kiosk-central serve` on SQLite, the sample
registry imported."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from central_support import CENTRAL, CentralServer, central
from markupsafe import escape
from web_support import SAMPLE, csrf

PASSWORD = "a long enough secret"


def users(db: str, *args: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess:
    """`kiosk-central users …` with the password on standard input (as a script gives it)."""
    extra = ["--password-file", "-"] if password is not None else []
    return subprocess.run([*CENTRAL, "users", *args, *extra, "--db", db], input=(
        f"{password}\n" if password is not None else ""), capture_output=True, text=True,
        timeout=60)


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A centre with the sample registry (districts Bình Long, Chơn Thành, Đồng Xoài) and
    one administrator, admin1."""
    db = f"sqlite:///{tmp_path}/central.db"
    central("init", "--db", db)
    central("checkpoints", "import", str(SAMPLE), "--db", db)
    assert users(db, "add", "admin1", "--role", "admin").returncode == 0
    return db


@pytest.fixture
def server(db: str) -> Iterator[CentralServer]:
    server = CentralServer(db)
    yield server
    server.stop()


@pytest.fixture
def admin(server: CentralServer) -> Iterator[httpx.Client]:
    """admin1 signed in, in English."""
    with httpx.Client(base_url=server.url, timeout=30, cookies={"kc_lang": "en"}) as client:
        answer = client.post("/login", data={"csrf_token": csrf(client.get("/login").text),
                                             "name": "admin1", "password": PASSWORD})
        assert answer.status_code == 303, answer.text[:300]
        yield client


def post(client: httpx.Client, path: str, **form: str) -> httpx.Response:
    """A form of the Users page sent as the browser sends it (with its token)."""
    return client.post(path, data={"csrf_token": csrf(client.get("/users").text), **form})


def names(db: str) -> list[str]:
    listed = central("users", "list", "--json", "--db", db).stdout
    return [user["name"] for user in json.loads(listed)]


# -- a district the registry does not have ---------------------------------------------------
@pytest.mark.parametrize("typed", ["Dong Xoai", "Đồng  Xoài", "dong xoai"])
def test_a_mistyped_district_is_refused_naming_the_one_meant(db: str, typed: str) -> None:
    added = users(db, "add", "dx.officer", "--role", "district", "--district", typed)
    assert added.returncode == 1
    assert "Đồng Xoài" in added.stderr and "not in the checkpoint registry" in added.stderr
    assert "dx.officer" not in names(db)
    assert users(db, "add", "dx.officer", "--role", "viewer").returncode == 0
    moved = users(db, "set-role", "dx.officer", "--role", "district", "--district", typed,
                  password=None)
    assert moved.returncode == 1 and "Đồng Xoài" in moved.stderr
    assert users(db, "set-role", "dx.officer", "--role", "district", "--district", "Đồng Xoài",
                 password=None).returncode == 0


def test_the_users_page_offers_the_registrys_districts_and_refuses_another(
        admin: httpx.Client, db: str) -> None:
    page = admin.get("/users").text
    assert ('<datalist id="districts"><option value="Bình Long"><option value="Chơn Thành">'
            '<option value="Đồng Xoài"></datalist>') in page
    assert 'name="district" id="add-district" list="districts"' in page
    refused = post(admin, "/users/add", name="dx.officer", role="district",
                   district="Dong Xoai", password=PASSWORD)
    assert refused.status_code == 422
    assert escape("district 'Dong Xoai' is not in the checkpoint registry; nearest: "
                  "Đồng Xoài") in refused.text
    assert "dx.officer" not in names(db)
    added = post(admin, "/users/add", name="dx.officer", role="district",
                 district="Đồng Xoài", password=PASSWORD)
    assert added.status_code == 200 and "dx.officer added." in added.text
