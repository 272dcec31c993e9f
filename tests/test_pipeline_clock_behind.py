"""A kiosk whose clock is far behind (a flat RTC battery boots at 1970; a clock set back by
hand) still takes real cards: a CCCD's dates are checked against the earliest the real date
can be — the release, the newest entry's day — not only against the clock, and a
certificate is judged no earlier than that. Real pipeline over a real store file; the scan's
wall time is injected, the machine's clock never moved."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from kiosk import RELEASED
from kiosk.app import certificate_checker, policy_from
from kiosk.certificates import trustlist, verdicts
from kiosk.pipeline import Pipeline
from kiosk.scan import Scan, Status
from kiosk.store import Store
from tests.certificate_support import lab_test, make_issuer, trust_list_of, vaccination
from tests.conftest import make_config

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
FLAT_BATTERY = 0.0
"""1970-01-01 00:00 UTC: where an RTC without power starts."""


def card(number: str, issued: dt.date) -> bytes:
    return (f"{number}|123456789|Nguyễn Văn An|01021990|Nam|Số 1 Phố Huế|"
            f"{issued:%d%m%Y}").encode()


def at(day: dt.date, hour: int = 10) -> float:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=HANOI).timestamp()


def test_released_is_not_later_than_the_real_date() -> None:
    """The release floor is moved on by hand: one set in the future would accept cards that
    really are dated in the future — in any kiosk's zone, so by the zone furthest behind."""
    assert dt.datetime.now(dt.timezone(dt.timedelta(hours=-12))).date() >= RELEASED


def test_a_kiosk_at_1970_accepts_a_card_issued_last_year_and_records_it(make_pipeline
                                                                       ) -> None:
    pipeline = make_pipeline()
    result = pipeline.submit(Scan(payload=card("001099012345", RELEASED - dt.timedelta(365)),
                                  device_id="d1", lane="in", wall_time=FLAT_BATTERY))
    assert result.status is Status.ACCEPTED
    assert [r["id"] for r in pipeline.store.entries(subject="001099012345")] == [
        result.entry_id]


def test_after_a_power_cut_the_newest_entry_dates_the_cards_and_the_entry_is_flagged(
        make_pipeline) -> None:
    """Entries up to a real day well after the release; the power goes, the kiosk restarts at
    1970. A card issued the day before that newest entry is taken, its entry flagged as written
    while the clock was behind; one issued after the newest entry's day (and the release) is
    still refused as in the future."""
    before = make_pipeline(duplicate_window_seconds=0)
    newest_day = RELEASED + dt.timedelta(days=400)
    assert before.submit(Scan(payload=card("001099000001", RELEASED), device_id="d1",
                              lane="in", wall_time=at(newest_day))).status is Status.ACCEPTED
    restarted = Pipeline(before.store, before.policy)

    taken = restarted.submit(Scan(payload=card("001099012345",
                                               newest_day - dt.timedelta(days=1)),
                                  device_id="d1", lane="in", wall_time=FLAT_BATTERY))
    assert taken.status is Status.ACCEPTED
    [row] = restarted.store.entries(subject="001099012345")
    assert "clock_behind" in json.loads(row["extra"])

    future = restarted.submit(Scan(payload=card("001099054321",
                                                newest_day + dt.timedelta(days=1)),
                                   device_id="d1", lane="in", wall_time=FLAT_BATTERY))
    assert (future.status, future.reason_code) == (Status.REJECTED, "cccd_bad_field")
    assert "in the future" in future.reason_in("en")
    assert restarted.store.entries(subject="001099054321") == []


def test_the_day_a_kiosk_records_on_dates_the_next_cards(make_pipeline) -> None:
    """A scan recorded at a real time moves the floor at once (kept in memory, no query):
    the clock then set back by hand still takes a card issued that day."""
    pipeline = make_pipeline(duplicate_window_seconds=0)
    day = RELEASED + dt.timedelta(days=30)
    pipeline.submit(Scan(payload=card("001099000001", RELEASED), device_id="d1", lane="in",
                         wall_time=at(day)))
    result = pipeline.submit(Scan(payload=card("001099012345", day), device_id="d1",
                                  lane="in", wall_time=at(day - dt.timedelta(days=20))))
    assert result.status is Status.ACCEPTED


def test_a_clock_ahead_is_unchanged_the_scan_own_day_counts(make_pipeline) -> None:
    """A clock ahead of the floor: a card issued by the scan's own day is taken, one issued
    the day after is refused."""
    pipeline = make_pipeline()
    day = RELEASED + dt.timedelta(days=3000)
    assert pipeline.submit(Scan(payload=card("001099012345", day), device_id="d1",
                                lane="in", wall_time=at(day))).status is Status.ACCEPTED
    later = pipeline.submit(Scan(payload=card("001099054321", day + dt.timedelta(days=1)),
                                 device_id="d1", lane="in", wall_time=at(day)))
    assert (later.status, later.reason_code) == (Status.REJECTED, "cccd_bad_field")
    assert "in the future" in later.reason_in("en")


def test_at_1970_a_certificate_that_started_before_the_release_is_valid(tmp_path) -> None:
    """Under ``require-valid`` a kiosk booting at 1970 judged every certificate "not yet valid"
    and refused everyone going in. One that started before the earliest the real time can be
    (the release, the newest entry's day) is not "not yet valid"; expiry still goes by the
    clock alone (below)."""
    pipeline = certificate_pipeline(tmp_path)
    released = at(RELEASED, hour=0)
    valid = pipeline.submit(certificate(released - 30 * DAY, released + 365 * DAY,
                                        wall_time=FLAT_BATTERY))
    pipeline.store.close()
    assert valid.status is Status.ACCEPTED and valid.certificate.status == verdicts.VALID


def test_at_1970_a_certificate_that_expired_before_the_release_is_still_expired(tmp_path
                                                                               ) -> None:
    """The release is a time the real one is surely past, remembered from no clock: a
    certificate that expired before it was judged at 1970 alone and passed as valid, its
    holder let in under ``require-valid``."""
    pipeline = certificate_pipeline(tmp_path)
    released = at(RELEASED, hour=0)
    lapsed = pipeline.submit(certificate(released - 400 * DAY, released - 30 * DAY,
                                         wall_time=FLAT_BATTERY))
    pipeline.store.close()
    assert lapsed.certificate.status == verdicts.EXPIRED
    assert (lapsed.status, lapsed.reason_code) == (Status.REJECTED, "certificate_not_valid")


def test_a_day_remembered_from_a_clock_once_ahead_never_calls_a_certificate_expired(
        tmp_path) -> None:
    """A clock that jumped a year ahead for one scan, then was set right: the newest entry's
    day is next year's, and stays so until it is purged. Only the lenient side uses it — a
    certificate valid today is still valid, not judged at next year's date and expired."""
    pipeline = certificate_pipeline(tmp_path)
    now = at(RELEASED + dt.timedelta(days=10))
    assert pipeline.submit(Scan(payload=card("001099000001", RELEASED), device_id="d1",
                                lane="in", wall_time=now + 365 * DAY)).status \
        is Status.ACCEPTED
    restarted = Pipeline(pipeline.store, pipeline.policy, pipeline.certificates)
    today = restarted.submit(certificate(now - 30 * DAY, now + 30 * DAY, wall_time=now))
    pipeline.store.close()
    assert today.status is Status.ACCEPTED and today.certificate.status == verdicts.VALID


def test_a_test_certificate_from_this_morning_is_valid_after_a_restart_at_1970(tmp_path
                                                                               ) -> None:
    """A negative test taken at 08:00; the kiosk recorded someone at 14:00, then lost power
    and came back at 1970. The newest entry proves the real time is past 14:00, so the
    certificate issued at 08:00 has started: judged at that day's midnight it was "not yet
    valid" and the person refused going in under ``require-valid``."""
    pipeline = certificate_pipeline(tmp_path)
    day = RELEASED + dt.timedelta(days=10)
    assert pipeline.submit(Scan(payload=card("001099000001", RELEASED), device_id="d1",
                                lane="in", wall_time=at(day, hour=14))).status \
        is Status.ACCEPTED
    restarted = Pipeline(pipeline.store, pipeline.policy, pipeline.certificates)
    tested = restarted.submit(Scan(
        payload=ISSUER.sign(lab_test(), issued=at(day, hour=8),
                            expires=at(day, hour=8) + 2 * DAY).encode(),
        device_id="cam", lane="in", wall_time=FLAT_BATTERY))
    pipeline.store.close()
    assert tested.status is Status.ACCEPTED and tested.certificate.status == verdicts.VALID


DAY = 86400
ISSUER = make_issuer()


def certificate_pipeline(tmp_path) -> Pipeline:
    """As the kiosk builds it under ``require-valid``, trusting :data:`ISSUER`."""
    config = make_config(tmp_path, certificates={"policy": "require-valid"})
    trustlist.save(trust_list_of(ISSUER.der), config.trust_list_path)
    return Pipeline(Store(config.store_path), policy_from(config), certificate_checker(config))


def certificate(issued: float, expires: float, *, wall_time: float) -> Scan:
    return Scan(payload=ISSUER.sign(vaccination(), issued=issued, expires=expires).encode(),
                device_id="cam", lane="in", wall_time=wall_time)
