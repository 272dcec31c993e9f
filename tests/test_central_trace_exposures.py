"""A busy person's trace lists each contact once, summed, and the per-exposure detail of the
highest ranked contacts only — every (visit, contact) exposure when asked for (the CLI's
``--all-exposures``, the API's ``"all_exposures": true``) — on a generated trace of 90 people
at three places: each contact's row is the aggregation of that full detail."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from central_support import central, database_url
from trace_support import Visit, number, store_scans

from kiosk.central import trace_formats, trace_service, tracing
from kiosk.central.backends import open_storage
from kiosk.central.storage import Storage
from kiosk.central.trace_api import request_from

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
MINUTE = dt.timedelta(minutes=1)
PLACES = ("CP-CHO", "CP-BENH-VIEN", "CP-BEN-XE")
OTHERS = 90


def generated(seed: int = 7) -> list[Visit]:
    """Person 0 at each place on each of the last three days (an hour); 90 others, each
    1–4 stays at a random place and day near the person's, some without an exit scanned."""
    rng = random.Random(seed)
    scans: list[Visit] = []
    visits = [(place, (NOW - dt.timedelta(days=day)).replace(hour=2 + 3 * n, minute=0,
                                                              second=0))
              for day in (1, 2, 3) for n, place in enumerate(PLACES)]
    for place, at in visits:
        scans += [Visit(0, "cccd", place, "in", at, kiosk=place),
                  Visit(0, "cccd", place, "out", at + 60 * MINUTE, kiosk=place)]
    for person in range(1, OTHERS + 1):
        for place, at in rng.sample(visits, rng.randint(1, 4)):
            entered = at + rng.randint(-100, 90) * MINUTE
            scans.append(Visit(person, "cccd", place, "in", entered, kiosk=place))
            if rng.random() < 0.8:
                scans.append(Visit(person, "cccd", place, "out",
                                   entered + rng.randint(5, 120) * MINUTE, kiosk=place))
    return scans


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = database_url("sqlite", tmp_path_factory.mktemp("exposures"))
    with open_storage(url) as storage:
        store_scans(storage, generated(), {})
    yield url


def traced(storage: Storage, *, all_exposures: bool = False) -> dict:
    return trace_service.run(storage, trace_service.Request(
        document=number(0), all_exposures=all_exposures), actor="bs.lan",
        reason="ca bệnh F0-1234", channel="cli", address=None)


def test_each_contact_row_is_the_sum_of_its_exposures_and_only_the_top_ones_are_listed(
        db: str) -> None:
    with open_storage(db) as storage:
        full, shown = traced(storage, all_exposures=True), traced(storage)
    contacts = full["contacts"]
    assert len(contacts) > trace_formats.EXPOSED_CONTACTS  # more than are listed in detail
    assert shown["contacts"] == contacts and shown["visits"] == full["visits"]
    place = {v["visit"]: v["checkpoint_id"] for v in full["visits"]}
    for contact in contacts:
        theirs = [e for e in full["exposures"] if e["rank"] == contact["rank"]]
        assert contact["visits_shared"] == len({e["visit"] for e in theirs})
        assert contact["checkpoints"] == sorted({place[e["visit"]] for e in theirs})
        assert contact["first_seen"] == min(e["their_entry"] for e in theirs)
        assert contact["last_seen"] == max(e["their_exit"] for e in theirs)
        assert contact["estimated"] == any(e["estimated"] for e in theirs)
        # each figure is rounded to 0.1 minute: the sum of the rounded within their error
        assert abs(contact["overlap_minutes"] - sum(e["overlap_minutes"] for e in theirs)) \
            <= 0.05 * (len(theirs) + 1)
    ranks = [c["overlap_minutes"] for c in contacts]
    assert ranks == sorted(ranks, reverse=True)  # none possible here: by time shared
    top = [e for e in full["exposures"] if e["rank"] <= trace_formats.EXPOSED_CONTACTS]
    assert shown["exposures"] == top
    assert shown["exposures_listed"] == {"contacts": trace_formats.EXPOSED_CONTACTS,
                                         "exposures": len(top),
                                         "all_exposures": len(full["exposures"])}
    assert full["exposures_listed"] == {"contacts": len(contacts),
                                        "exposures": len(full["exposures"]),
                                        "all_exposures": len(full["exposures"])}
    summary = {row["item"]: row["value"] for row in trace_formats.tables(shown)[-1][2]}
    assert summary["Chi tiết tiếp xúc liệt kê / exposures listed"] == \
        f"{len(top)} / {len(full['exposures'])}"


def test_the_cli_lists_every_exposure_when_asked_and_the_api_takes_a_plain_true(
        db: str, tmp_path: Path) -> None:
    answers = {}
    for name, extra in (("shown", ()), ("all", ("--all-exposures",))):
        out = tmp_path / f"{name}.json"
        central("trace", "--db", db, "--document", number(0), "--reason", "ca bệnh F0-1234",
                "-o", str(out), *extra)
        answers[name] = json.loads(out.read_text())
    total = answers["all"]["exposures_listed"]["all_exposures"]
    assert len(answers["all"]["exposures"]) == total > len(answers["shown"]["exposures"])
    assert {e["rank"] for e in answers["shown"]["exposures"]} == set(
        range(1, trace_formats.EXPOSED_CONTACTS + 1))
    assert request_from({"document": number(0), "all_exposures": True}).all_exposures
    assert not request_from({"document": number(0)}).all_exposures
    with pytest.raises(tracing.TraceError) as refused:
        request_from({"document": number(0), "all_exposures": 1})
    assert refused.value.words.code == "trace.all_exposures_bool"
