"""A kiosk token in the wrong hands, after the kiosk was given a new one.

`kiosk-central kiosks token` (a revoked kiosk restored on a replacement machine, a lost
token) and an enrolment code redeemed replace a kiosk's token. The old one is refused from
then on as any unknown token is (the same 401 and words: whoever holds it learns nothing),
yet the centre keeps its hash, counts its use as it counts a revoked kiosk's (at most one
write an interval, :mod:`kiosk.central.refused`) and the daily report lists it
(``replaced_token_in_use``): a stolen laptop knocking with the token of a kiosk restored
under its id is seen. On SQLite and a real PostgreSQL; the app served by uvicorn on
127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest
from central_support import (
    ENGINES,
    database_url,
    serving,
    set_schema_version,
    undo_duplicates,
)

from kiosk.central import enrol, reports
from kiosk.central.app import create_app
from kiosk.central.backends import open_storage
from kiosk.central.refused import RefusedAttempts
from kiosk.central.storage import RETIRED_TOKENS_KEPT
from kiosk.sync import protocol

STOLEN = "stolen-laptop-token-" + "x" * 30
NEW = "replacement-machine-token-" + "y" * 30


@pytest.fixture(params=ENGINES)
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    with open_storage(database_url(request.param, tmp_path)) as opened:
        opened.add_checkpoint("CP-R", "Chốt R")
        opened.add_kiosk("k1", "CP-R", "Máy 1", protocol.token_hash(STOLEN))
        yield opened


def post(url: str, token: str) -> httpx.Response:
    return httpx.post(url + protocol.BATCHES_PATH, content=b"{}", timeout=30, headers={
        "Content-Type": "application/json", **protocol.bearer(token)})


def listed(storage: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """The token problems of today's report: {(problem, kiosk): params}."""
    wrong = reports.daily(storage, storage.today())["scanning_wrongly"]
    return {(r["problem"], r["kiosk_id"]): r["params"] for r in wrong
            if r["problem"] in ("replaced_token_in_use", "revoked_still_trying")}


def test_a_revoked_kiosk_restored_elsewhere_has_its_stolen_token_refused_and_reported(
        storage: Any) -> None:
    """The thief gets the words a never-issued token gets; the administrator sees every
    knock in the day's report, the first at once, the rest once the server has written
    them (here at its shutdown), as for a revoked kiosk."""
    storage.revoke_kiosk("k1")
    storage.reissue_token("k1", protocol.token_hash(NEW))  # restored on a new machine
    app = create_app(storage, refused=RefusedAttempts(storage, interval=3600))
    with serving(app) as url:
        first = post(url, STOLEN)
        assert listed(storage)[("replaced_token_in_use", "k1")]["attempts"] == 1
        never = post(url, "never-issued-token-" + "z" * 30)
        assert (first.status_code, first.json()) == (never.status_code, never.json())
        assert (first.status_code, first.json()["code"]) == (401, "api.unknown_token")
        for _ in range(4):
            post(url, STOLEN)
        last_knock = dt.datetime.now(dt.UTC)
        assert post(url, NEW).status_code != 401  # the replacement machine is let in
    params = listed(storage)[("replaced_token_in_use", "k1")]
    assert params["attempts"] == 5
    assert protocol.parse_time(params["last_attempt_at"]) <= last_knock
    assert ("revoked_still_trying", "k1") not in listed(storage)


def test_a_token_replaced_by_an_enrolment_code_redeemed_is_counted_too(storage: Any) -> None:
    code = enrol.enrolment_code(storage, storage.kiosk("k1"), "https://central.example.vn")
    enrol.redeem(storage, code.secret)
    app = create_app(storage, refused=RefusedAttempts(storage, interval=3600))
    with serving(app) as url:
        assert post(url, STOLEN).status_code == 401
    assert listed(storage)[("replaced_token_in_use", "k1")]["attempts"] == 1


def test_a_replaced_and_a_revoked_token_of_one_kiosk_are_counted_apart(storage: Any) -> None:
    """Re-issued (the first token replaced), then revoked (the second refused on its row):
    knocks with each are reported as what they are, neither count taking the other's."""
    storage.reissue_token("k1", protocol.token_hash(NEW))
    storage.revoke_kiosk("k1")
    app = create_app(storage, refused=RefusedAttempts(storage, interval=3600))
    with serving(app) as url:
        for token, times in ((STOLEN, 3), (NEW, 2)):
            for _ in range(times):
                assert post(url, token).status_code == 401
    counts = {key: params.get("attempts", params.get("refused_attempts"))
              for key, params in listed(storage).items()}
    assert counts == {("replaced_token_in_use", "k1"): 3, ("revoked_still_trying", "k1"): 2}


def test_a_kiosk_keeps_its_newest_replaced_tokens_only(storage: Any) -> None:
    """Re-issued over and over: the oldest replaced tokens are forgotten (unknown, no longer
    counted), the newest RETIRED_TOKENS_KEPT still watched."""
    tokens = [STOLEN] + [f"token-{n}-" + "w" * 30 for n in range(RETIRED_TOKENS_KEPT + 1)]
    for token in tokens[1:]:
        storage.reissue_token("k1", protocol.token_hash(token))
    replaced = tokens[:-1]  # the last is held
    assert [storage.token_retired(protocol.token_hash(t)) for t in replaced] == (
        [False] * (len(replaced) - RETIRED_TOKENS_KEPT) + [True] * RETIRED_TOKENS_KEPT)
    assert storage._query("SELECT count(*) FROM retired_tokens")[0][0] == RETIRED_TOKENS_KEPT


@pytest.mark.parametrize("engine", ENGINES)
def test_a_v29_database_keeps_the_tokens_replaced_once_migrated(engine: str,
                                                                tmp_path: Path) -> None:
    db = database_url(engine, tmp_path)
    with open_storage(db) as storage:
        storage.add_checkpoint("CP-R", "Chốt R")
        storage.add_kiosk("k1", "CP-R", "Máy 1", protocol.token_hash(STOLEN))
        with storage._transaction() as tx:  # as v29 left it
            undo_duplicates(storage, tx)  # v31
            storage._execute(tx, "DROP TABLE retired_tokens")
            set_schema_version(storage, tx, 29)
    with open_storage(db) as storage:
        storage.reissue_token("k1", protocol.token_hash(NEW))
        assert storage.token_retired(protocol.token_hash(STOLEN))
