"""Nothing shown as accepted that the centre will refuse: the kiosk applies the centre's own
entry rules (kiosk.sync.protocol, the one description both sides import) before it records.

Real pipeline over a real store file; what it records is read back from the file and judged
by the same function the centre runs on every uploaded entry.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.payloads import identity
from kiosk.payloads.manual import ManualEntry
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan, Status
from kiosk.store import Store
from kiosk.sync import protocol

CCCD = "001099012345|123456789|{name}|01021990|Nam|{address}|10102021"


def recorded_row(store: Store, entry_id: str) -> dict[str, object]:
    with sqlite3.connect(store.path) as conn:
        conn.row_factory = sqlite3.Row
        return dict(conn.execute("SELECT * FROM entries WHERE id = ?", (entry_id,)).fetchone())


def count(store: Store, table: str) -> int:
    with sqlite3.connect(store.path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_nul_in_a_cccd_address_is_refused_on_the_spot_with_the_reason(make_pipeline):
    """(A NUL in the name is refused before: no Vietnamese name has a control character,
    ``scanner_code_page``.)"""
    pipeline = make_pipeline()
    payload = CCCD.format(name="Nguyễn Văn An", address="Số 1\x00 Phố Huế").encode()
    result = pipeline.submit(Scan(payload=payload, device_id="d1"))
    assert result.status is Status.REJECTED and not result.recorded
    assert result.reason_code == "centre_rules"
    assert result.words("en").startswith("The centre would refuse this entry, not recorded: ")
    assert result.words("en").endswith(": contains a NUL character")
    assert result.words("vi").startswith("Trung tâm sẽ từ chối lượt này, không ghi: ")
    assert count(pipeline.store, "entries") == 0
    assert count(pipeline.store, "refused_scans") == 1


def test_an_address_over_4096_characters_is_refused_not_left_stuck_in_quarantine(
        make_pipeline):
    pipeline = make_pipeline()
    payload = CCCD.format(name="Nguyễn Văn An", address="A" * 4097).encode()
    result = pipeline.submit(Scan(payload=payload, device_id="d1"))
    assert result.status is Status.REJECTED and result.reason_code == "centre_rules"
    assert "longer than 4096 characters" in result.words("en")
    manual = pipeline.submit_manual(ManualEntry(name="Trần Thị Bình", phone="0912345678",
                                                address="B" * 5000))
    assert manual.status is Status.REJECTED and manual.reason_code == "centre_rules"
    assert count(pipeline.store, "entries") == 0


def test_well_formed_scans_are_recorded_as_before(make_pipeline):
    pipeline = make_pipeline()
    payload = CCCD.format(name="Nguyễn Văn An", address="A" * 4096).encode()
    assert pipeline.submit(Scan(payload=payload, device_id="d1")).status is Status.ACCEPTED


def test_a_name_too_long_for_a_match_key_is_recorded_without_one(make_pipeline):
    """The match key holds the name, and the centre indexes at most MAX_KEY_CHARS of it: a
    319-character name (five times a long one in capitals) would have had the whole scan
    refused. The key is only an aid to matching: the entry is recorded without one, and the
    centre's rules take it."""
    pipeline = make_pipeline()
    name = " ".join(["TÔN NỮ HOÀNG THỊ PHƯƠNG THẢO NGUYỄN NGỌC BẢO KHÁNH LINH ANH THƯ"] * 5)
    result = pipeline.submit(Scan(payload=CCCD.format(name=name, address="Hà Nội").encode(),
                                  device_id="d1"))
    assert result.status is Status.ACCEPTED and result.recorded
    row = recorded_row(pipeline.store, result.entry_id)
    assert row["name"] == name and row["match_key"] is None
    assert protocol.validate_entry(protocol.entry_to_wire(row)) is None
    assert identity.MATCH_KEY_CHARS == protocol.MAX_KEY_CHARS


_field = st.text(st.characters(codec="utf-8"), max_size=20) | st.sampled_from(
    ["Nguyễn Văn An", "\x00", "A" * 4097, "x\x00y", ""])
_cccd_like = st.builds(
    lambda number, name, address, tail: "|".join(
        [number, "123456789", name, "01021990", "Nam", address, tail]).encode(),
    st.from_regex(r"\A0[0-9]{11}\Z") | _field, _field, _field,
    st.sampled_from(["10102021", "", "99999999"]))
_payloads = _cccd_like | st.binary(max_size=300) | st.text(max_size=300).map(
    lambda t: t.encode("utf-8", "surrogatepass"))


@settings(max_examples=300,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payloads=st.lists(_payloads, min_size=1, max_size=4),
       manual=st.lists(st.builds(ManualEntry, name=_field, phone=st.sampled_from(
           ["", "0912345678"]), address=_field, reason=_field), max_size=2))
def test_anything_the_pipeline_records_passes_the_centres_validation(payloads, manual):
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "kiosk.db")
        try:
            pipeline = Pipeline(store, Policy(checkpoint_id="CP-T", kiosk_id="kiosk-t",
                                              duplicate_policy="allow"))
            results = [pipeline.submit(Scan(payload=p, device_id="serial-1", lane="in",
                                            symbology="]Q1", source="serial"))
                       for p in payloads]
            results += [pipeline.submit_manual(m) for m in manual]
            for result in results:
                if result.recorded:
                    wire = protocol.entry_to_wire(recorded_row(store, result.entry_id))
                    assert protocol.validate_entry(wire) is None
        finally:
            store.close()



@settings(max_examples=500)
@given(moment=st.floats(-62135596800.0, 253402300799.0) | st.integers(0, 4 * 10**9))
def test_what_the_kiosk_checks_as_its_own_has_the_centres_patterns(moment):
    """The kiosk converts its entries as :class:`protocol.KioskEntry`, not matching the id's
    and the time's patterns: the id is the pipeline's placeholder, and the time
    ``utc_iso``'s text of any time a datetime can hold (0001–9999): each must pass the
    centre's rules for them, or an entry the centre refuses could be shown accepted."""
    from kiosk.ids import uuid7
    from kiosk.pipeline import _PLACEHOLDER_ID
    from kiosk.timestamps import utc_iso

    assert set(protocol.Entry.__struct_fields__) - set(protocol.KioskEntry.__annotations__) \
        == set(protocol.Entry.__struct_fields__) - {"id", "scanned_at"}
    for value in (_PLACEHOLDER_ID, uuid7()):
        assert protocol._UUID7_RE.fullmatch(value), value
    text = utc_iso(moment)
    assert protocol._TIME_RE.fullmatch(text) and protocol._real_time(text), text
