"""What a district officer's pages tell of other districts: not which checkpoint ids exist
there (another district's point answers 404 with the very page an unknown id gets), and no
count of the whole province's (their reports leave out ``not_derived``, the province's entries
its people counts are short of, which no number of theirs is). Province-wide roles see
what they saw. A real `kiosk-central serve` on SQLite and on a real PostgreSQL, read by
httpx."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from central_support import ENGINES, batch, central, database_url, enrol, kiosk_entries
from web_support import Centre, add_users, signed_in, start_centre, today_page_day

from kiosk.central import report_formats
from kiosk.central.backends import open_storage
from kiosk.sync import protocol

OFFICERS = {"bl.officer": ("district", "Bình Long")}
PROVINCE = ("admin1", "viewer1", "tracer1")
REFUSE_STAY = {  # by storage.postgresql: a constraint the stay of entry {id} breaks
    False: "CREATE TRIGGER refuse_stay BEFORE INSERT ON stays WHEN NEW.first_id = '{id}' "
           "BEGIN SELECT RAISE(ABORT, 'stay refused'); END",
    True: "ALTER TABLE stays ADD CONSTRAINT refuse_stay CHECK (first_id <> '{id}')"}
SET_ASIDE = {"pending_entries": 0, "set_aside_entries": 1}


@pytest.fixture(scope="module", params=ENGINES)
def centre(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Centre]:
    """The web tests' centre (kiosk-dx1 in Đồng Xoài, kiosk-bl1 in Bình Long) with a Bình
    Long officer too, and kiosk-bl9 at Bình Long's BP-BL-001 whose second entry cannot be
    derived (a constraint refuses its stay): set aside, so the province's reports of its day
    (:func:`set_aside_day`) say 1 entry is not counted."""
    tmp = tmp_path_factory.mktemp("district-scope")
    running = start_centre(tmp, database_url(request.param, tmp))
    try:
        add_users(running.db, OFFICERS)
        kiosk = enrol(running.db, "kiosk-bl9", "BP-BL-001")
        entries = kiosk_entries(tmp, "kiosk-bl9", 3, "BP-BL-001", start=900)
        with open_storage(running.db) as storage, storage._transaction() as tx:
            storage._execute(tx, REFUSE_STAY[storage.postgresql].format(id=entries[1]["id"]))
        answer = running.server.post(batch("kiosk-bl9", entries), token=kiosk.token)
        assert answer.status_code == 200, answer.text
        running.entries["kiosk-bl9"] = entries
        central("report", "daily", "--date", set_aside_day(running), "--db", running.db)
        yield running  # (the report derives it all)
    finally:
        running.server.stop()


def set_aside_day(centre: Centre) -> str:
    """The local day of the entry set aside: the day whose reports say so, named (a run
    may cross midnight after the module's centre was made)."""
    with open_storage(centre.db) as storage:
        return storage.calendar.day_of(protocol.parse_time(
            centre.entries["kiosk-bl9"][1]["scanned_at"])).isoformat()


def test_another_districts_point_answers_an_officer_as_an_unknown_one(
        centre: Centre) -> None:
    """A 403 "belongs to another district" for a point elsewhere, and a 404 for an id that is
    none, told an officer which ids exist in other districts."""
    points = ("BP-DX-001", "BP-BL-001", "BP-XX-999")  # Đồng Xoài's, Bình Long's, unknown
    seen = {name: {"BP-DX-001": 200, "BP-BL-001": 200, "BP-XX-999": 404} for name in PROVINCE}
    seen["dx.officer"] = {"BP-DX-001": 200, "BP-BL-001": 404, "BP-XX-999": 404}
    seen["bl.officer"] = {"BP-DX-001": 404, "BP-BL-001": 200, "BP-XX-999": 404}
    for name, statuses in seen.items():
        with signed_in(centre.url, name) as client:
            for lang in ("vi", "en"):
                client.get(f"/lang/{lang}")
                answers = {point: client.get(f"/checkpoints/{point}") for point in points}
                assert {p: a.status_code for p, a in answers.items()} == statuses, name
                # the very page of the unknown id (but for its own address, in the
                # language link): nothing of the point, nor that it is anywhere
                unknown = answers["BP-XX-999"].text
                assert [p for p, a in answers.items() if a.status_code == 404
                        and a.text.replace(p, "BP-XX-999") != unknown] == [], name
                assert ("Không tìm thấy." if lang == "vi" else "Not found.") in unknown


def test_an_officers_reports_carry_no_count_of_the_provinces_entries_not_derived(
        centre: Centre) -> None:
    """The province's reports say 1 entry (Bình Long's) is set aside, not counted in their
    people. An officer's report counts no people and carried the province's count anyway, in
    its JSON, its page, its files and Today (when of that day): now it leaves it out,
    whichever district."""
    day = set_aside_day(centre)
    of_day = f"date={day}", f"monthly=true&month={day[:7]}"
    reports = (f"/api/v1/reports/daily?{of_day[0]}", f"/api/v1/reports/monthly?month={day[:7]}")
    pages = tuple(f"/reports?{query}" for query in of_day)
    files = tuple(f"/reports/download?format=csv&{query}" for query in of_day)
    label = f"{report_formats.NOT_DERIVED['set_aside_entries']},1"
    for name in (*PROVINCE, "dx.officer", "bl.officer"):
        province = name in PROVINCE
        with signed_in(centre.url, name) as client:
            for url in reports:
                answer = client.get(url)
                assert answer.json().get("not_derived") == (SET_ASIDE if province else None), (
                    name, url)
                assert ('"people"' in answer.text) == province  # the numbers it qualifies
            for url in pages:
                page = client.get(url)
                assert page.status_code == 200
                assert ('id="not-derived"' in page.text) == province, (name, url)
            for url in files:
                text = client.get(url).content.decode("utf-8-sig")
                assert (label in text) == province, (name, url)
            today = client.get("/today").text  # the province's report of its day, cut
            shown = client.get(f"/api/v1/reports/daily?date={today_page_day(today)}").json()
            assert ('id="not-derived"' in today) == (
                province and any(shown.get("not_derived", {}).values())), name


def test_a_district_typed_with_combining_accents_is_the_same_district(tmp_path) -> None:
    """"Đồng Xoài" typed with a combining-accent input method ("Unicode tổ hợp", or a sheet
    saved on a Mac) is other code points that look the same: the reports listed the
    district twice, each with part of its points, and an officer whose account was so
    spelled saw only those. Names and places are stored composed (NFC), from the command
    line, a registry file and the accounts alike."""
    import unicodedata

    from kiosk.central.audit import Actor
    from kiosk.central.web import users as accounts

    composed = "Đồng Xoài"
    combining = unicodedata.normalize("NFD", composed)
    assert combining != composed
    url = database_url("sqlite", tmp_path)
    for point, district in (("DX-1", composed), ("DX-2", combining)):
        central("checkpoints", "add", point, "--name", f"Chốt {point}", "--district", district,
                "--kind", "market", "--set-up-on", "2026-11-01", "--db", url)
    (tmp_path / "points.csv").write_text(
        f"id,name,district,kind,set_up_on\nDX-3,Chợ {combining},{combining},market,2026-11-01\n",
        encoding="utf-8")
    central("checkpoints", "import", str(tmp_path / "points.csv"), "--db", url)
    report = json.loads(central("report", "daily", "--date", "2026-12-01", "--db", url).stdout)
    assert [(row["district"], row["points_set_up"]) for row in report["by_district"]] == [
        (composed, 3)]
    with open_storage(url) as storage:
        officer = accounts.add(storage, "dx.officer", "district", "Mật khẩu đủ dài 2026!",
                               by=Actor("root@centre", "cli"), district=combining)
        names = storage._query("SELECT name FROM checkpoints WHERE id = 'DX-3'")
    assert officer.district == composed
    assert names == [(f"Chợ {composed}",)]
