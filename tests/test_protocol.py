"""The shared wire protocol (kiosk/sync/protocol.py): entries, envelopes, bodies, tokens.

Entries are produced by a real kiosk pipeline and store, so the protocol is checked against
what a kiosk really holds, not against a hand-written sample.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
import zstandard
from central_support import cccd, kiosk_entries
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk import messages
from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store
from kiosk.sync import protocol
from tests.certificate_support import make_issuer, vaccination


@pytest.fixture
def entry(tmp_path: Path) -> dict[str, Any]:
    return kiosk_entries(tmp_path, "kiosk-p", 1)[0]


# -- entries ------------------------------------------------------------------------------
def test_a_kiosk_store_row_round_trips_through_the_wire_unchanged(tmp_path: Path) -> None:
    """entry_to_wire then wire_to_row gives back the store's own columns, byte for byte —
    including ``extra`` as the very JSON text the kiosk stored."""
    store = Store(tmp_path / "k.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="k1"))
    pipeline.submit(Scan(payload=b"\xef\xbb\xbf" + cccd(7) + b"\r\n", device_id="serial-1"))
    pipeline.submit(Scan(payload=b"\x00\x01 binary \xff", device_id="cam"))
    pipeline.submit(Scan(payload=make_issuer().sign(vaccination(), issued=1e9, expires=2e9)
                         .encode(), device_id="cam"))
    rows = store.pending(10)
    store.close()
    assert len(rows) == 3
    for row in rows:
        wire = protocol.entry_to_wire(row)
        assert protocol.validate_entry(wire) is None
        sent = set(protocol.ENTRY_FIELDS) - (set() if row["certificate"]
                                             else protocol.OPTIONAL_FIELDS)
        assert set(wire) == sent
        assert json.loads(json.dumps(wire)) == wire  # plain JSON, nothing Python-only
        back = protocol.wire_to_row(wire)
        assert back == {c: row[c] for c in protocol.ROW_COLUMNS}


def _set(field: str, value: Any):
    return lambda e: e.__setitem__(field, value)


@pytest.mark.parametrize(("change", "reason"), [
    (lambda e: e.pop("boot_id"), "boot_id: missing field"),
    (_set("colour", "red"), "colour: unknown field"),
    (_set("id", "01a200b3-6972-4184-a3c6-0b3ee4f5d2af"), "id: expected a lowercase UUIDv7"),
    (_set("id", "01A200B3-6972-7184-A3C6-0B3EE4F5D2AF"), "id: expected a lowercase UUIDv7"),
    (_set("id", "01a200b3-6972-7184-a3c6-0b3ee4f5d2af\n"), "id: expected a lowercase UUIDv7"),
    (_set("checkpoint_id", ""), "checkpoint_id: must not be empty"),
    (_set("kiosk_id", None), "kiosk_id: expected a string, got null"),
    (_set("lane", 1), "lane: expected a string or null, got a number"),
    (_set("direction", "IN"), 'direction: expected "in" or "out", got "IN"'),
    (_set("status", "rejected"), 'status: expected "accepted" or "duplicate", got "rejected"'),
    (_set("scanned_at", "2024-05-01T08:30:00Z"), "scanned_at: expected UTC time like"),
    (_set("scanned_at", "2024-13-01T08:30:00.000000Z"), "scanned_at: expected UTC time like"),
    (_set("scanned_at", "2024-05-01T08:30:00.000000Z\n"), "scanned_at: expected UTC time like"),
    (_set("monotonic_ns", -1), "monotonic_ns: expected an integer from 0 to 2^63-1"),
    (_set("monotonic_ns", 2**63), "monotonic_ns: expected an integer from 0 to 2^63-1"),
    (_set("monotonic_ns", True), "monotonic_ns: expected an integer"),
    (_set("monotonic_ns", 1.5), "monotonic_ns: expected an integer"),
    (_set("name", "A\x00B"), "name: contains a NUL character"),
    (_set("address", "lone \ud800 surrogate"), "address: not valid Unicode"),
    (_set("name", "x" * (protocol.MAX_TEXT_CHARS + 1)), "name: longer than 4096 characters"),
    (_set("extra", []), "extra: expected an object, got an array"),
    (_set("extra", {"k": "a\x00"}), "extra: contains a NUL character"),
    (_set("extra", {"k": float("nan")}), "extra: not representable as JSON"),
    (_set("extra", {"k": "x" * protocol.MAX_EXTRA_CHARS}), "extra: larger than"),
    (_set("payload_b64", "not base64!"), "payload_b64: not valid base64"),
    (_set("payload_b64", "QUJD"[:3]), "payload_b64: not valid base64"),
    (_set("payload_b64", ""), "payload_b64: empty payload"),
    (_set("payload_b64", base64.b64encode(b"x" * (protocol.MAX_PAYLOAD_BYTES + 3)).decode()),
     "payload_b64: payload larger than 65536 bytes"),
])
def test_each_kind_of_bad_field_is_named_in_the_reason(
        entry: dict[str, Any], change: Any, reason: str) -> None:
    change(entry)
    refusal = protocol.validate_entry(entry)
    assert (refusal or "").startswith(reason)
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.wire_to_row(entry)
    assert caught.value.status == 422
    # the code and its parameters say the same in either language, the field named as sent
    assert refusal is not None and refusal.code and refusal.answer()["reason"] == refusal
    words = messages.refusal(refusal.code, refusal.params)
    assert words is not None and words("en") == refusal
    field = reason.partition(":")[0]
    assert words("vi").startswith(f"{field}: ") and words("vi") != words("en")


def test_a_literal_backslash_u0000_in_extra_is_text_not_a_nul(entry: dict[str, Any]) -> None:
    entry["extra"] = {"note": "\\u0000 typed by a person"}
    assert protocol.validate_entry(entry) is None


_STORABLE_OR_NOT = st.text(st.sampled_from(["a", "Z", "ă", "ễ", "Đ", "é", "\x00", "\ud800",
                                             "\udfff", "\U0001d538", "\ufffd"])
                          | st.characters(), max_size=12)


@settings(max_examples=500)
@given(text=_STORABLE_OR_NOT)
def test_a_text_no_database_can_hold_is_named_for_its_nul_first(text: str) -> None:
    """What ``text_problem`` says of a text, whatever its width (ASCII, a Vietnamese name,
    a letter beyond the BMP): a NUL anywhere, even beside a lone surrogate, is
    ``nul_character``; a surrogate without one ``lone_surrogate``; anything else holds."""
    expected = "nul_character" if "\x00" in text else "lone_surrogate" if any(
        "\ud800" <= char <= "\udfff" for char in text) else None
    assert protocol.text_problem(text) == expected
    assert protocol.text_problem("Nguyễn Văn An " + text) == expected


_ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True), st.text(max_size=20), st.just(""), st.just("in"),
    st.just("accepted"), st.just("2024-05-01T08:30:00.000000Z"),
    st.just("01a200b3-6972-7184-a3c6-0b3ee4f5d2af"), st.just("QUJD"),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.text(max_size=3),
                                                         max_size=2),
)


@settings(max_examples=300)
@given(field=st.sampled_from(sorted(protocol.ENTRY_FIELDS)), value=_ODD_VALUES)
def test_the_fast_check_and_the_reason_always_agree(field: str, value: Any) -> None:
    """Any single-field change is either accepted, or refused with a reason naming that very
    field — the fast path never refuses something the detailed check cannot explain."""
    entry = _SAMPLE.copy()
    entry[field] = value
    row, reason = protocol.entry_row(entry)
    if row is None:
        assert reason is not None and reason.startswith(f"{field}:"), reason
    else:
        assert reason is None
        assert dict(zip(protocol.ROW_COLUMNS, row, strict=True))["id"] == entry["id"]


_SAMPLE = {
    "id": "01a200b3-6972-7184-a3c6-0b3ee4f5d2af", "checkpoint_id": "CP", "kiosk_id": "k1",
    "device_id": "serial-1", "lane": None, "direction": "in", "status": "accepted",
    "duplicate_of": None, "source": "serial", "symbology": "]Q1",
    "scanned_at": "2024-05-01T08:30:00.000000Z", "monotonic_ns": 1, "boot_id": "b",
    "kind": "cccd", "subject_key": "doc:1", "match_key": None, "document_number": "1",
    "name": "Nguyễn Văn An", "birth_date": None, "gender": None, "address": None,
    "issue_date": None, "extra": {}, "operator": "", "payload_b64": "QUJD",
}


def _both_ways(body: Any) -> tuple[Any, Any]:
    """A batch body judged by :func:`protocol.decode_batch` (typed when all is valid) and by
    plain decoding + :func:`protocol.validate_batch`: each entry's (row, refusal), or the
    error that refused the whole body."""
    data = json.dumps(body).encode()  # NaN and lone surrogates as JSON writes them

    def judged(decode: Any) -> Any:
        try:
            batch = decode(data)
        except protocol.ProtocolError as exc:
            return exc.status, exc.words.code, exc.words.params
        return [protocol.entry_row(e) for e in batch["entries"]], batch["kiosk_id"]

    def plain(data: bytes) -> Any:
        batch = protocol.decode_body(data)
        protocol.validate_batch(batch)
        return batch
    return judged(protocol.decode_batch), judged(plain)


@settings(max_examples=300)
@given(field=st.sampled_from(sorted(protocol.ENTRY_FIELDS)), value=_ODD_VALUES,
       envelope=st.sampled_from([{}, {"kiosk_id": "k\x00"}, {"kiosk_id": "k\ud800"},
                                 {"sent_at": "2024-13-01T08:30:00.000000Z"},
                                 {"health": {"pending": 1}}, {"colour": "red"}]))
def test_a_batch_parsed_straight_into_entries_is_judged_as_one_parsed_as_json(
        field: str, value: Any, envelope: dict[str, Any]) -> None:
    """The typed parse is only a faster way to the same verdicts: whatever one field of one
    entry holds, or a broken envelope, every entry gets the same row or the same worded
    refusal, and a refused body the same error."""
    odd = {**_SAMPLE, field: value, "id": "01a200b3-6972-7184-a3c6-0b3ee4f5d2b0"}
    body = {**protocol.make_batch("k1", "01a200b3-6972-7184-a3c6-0b3ee4f5d2af",
                                  [_SAMPLE, odd], dt.datetime(2024, 5, 1, 8, 31, tzinfo=dt.UTC)),
            **envelope}
    typed, plain = _both_ways(body)
    assert typed == plain


@pytest.mark.parametrize(("field", "value"), [
    ("id", "01a200b3-6972-7184-a3c6-0b3ee4f5d2b0\n01a200b3-6972-7184-a3c6-0b3ee4f5d2b1"),
    ("id", "01a200b3-6972-7184-a3c6-0b3ee4f5d2b0\n"),
    ("id", "01A200B3-6972-7184-A3C6-0B3EE4F5D2B0"),
    ("scanned_at", "2023-02-29T08:30:00.000000Z"), ("scanned_at", "2024-02-29T08:30:00.000000Z"),
    ("scanned_at", "2024-13-01T08:30:00.000000Z"), ("scanned_at", "2024-05-01T24:00:00.000000Z"),
    ("scanned_at", "2024-05-01T08:60:00.000000Z"), ("scanned_at", "2024-05-01T08:30:60.000000Z"),
    ("scanned_at", "0000-05-01T08:30:00.000000Z"),
    ("scanned_at", "2024-05-01T0\u0668:30:00.000000Z"),
    ("scanned_at", "2024-05-01T08:30:00.000000Z\n"),
    ("name", "An\x00"), ("name", "An\\u0000"), ("address", "Phố 😀"),
    ("extra", {"k": "\x00"}), ("extra", {"\x00": "v"}), ("extra", {"b": "1", "a": "Huế"}),
])
def test_what_the_typed_parse_judges_for_a_whole_batch_is_judged_as_each_entry_alone(
        field: str, value: Any) -> None:
    """The typed parse checks the ids' and times' patterns, real dates and storable texts
    once for the whole batch; a batch where any of them fails is judged entry by entry, so
    every entry still gets exactly the verdict it gets alone."""
    odd = {**_SAMPLE, "id": "01a200b3-6972-7184-a3c6-0b3ee4f5d2c0", field: value}
    body = protocol.make_batch("k1", "01a200b3-6972-7184-a3c6-0b3ee4f5d2af", [_SAMPLE, odd],
                               dt.datetime(2024, 5, 1, 8, 31, tzinfo=dt.UTC))
    typed, plain = _both_ways(body)
    assert typed == plain
    assert typed[0][0] == protocol.entry_row(_SAMPLE)
    assert typed[0][1] == protocol.entry_row(odd)


@pytest.mark.parametrize(("field", "value", "code"), [
    ("id", "01a200b3-6972-7184-a3c6-0b3ee4f5d2b0\n", "not_uuid7"),
    ("scanned_at", "2024-05-01T08:30:00.000000Z\n", "not_utc_time"),
])
def test_a_value_with_a_newline_after_it_is_refused_both_ways(
        field: str, value: str, code: str) -> None:
    """Python's ``$`` also matches before a final newline: an id sent as ``uuid + "\\n"`` was
    stored, a second copy of an entry under an id no kiosk made. Both the typed parse and the
    plain one refuse it now, with the words of any other malformed value."""
    odd = {**_SAMPLE, "id": "01a200b3-6972-7184-a3c6-0b3ee4f5d2c0", field: value}
    body = protocol.make_batch("k1", "01a200b3-6972-7184-a3c6-0b3ee4f5d2af", [_SAMPLE, odd],
                               dt.datetime(2024, 5, 1, 8, 31, tzinfo=dt.UTC))
    typed, plain = _both_ways(body)
    assert typed == plain
    refusal = protocol.validate_entry(odd)
    assert refusal is not None and refusal.code == code
    assert typed[0][1] == protocol.entry_row(odd) == (None, refusal)
    with pytest.raises(protocol.ProtocolError):
        protocol.wire_to_row(odd)


@pytest.mark.parametrize("field", ["batch_id", "sent_at"])
def test_an_envelope_value_with_a_newline_after_it_refuses_the_batch(field: str) -> None:
    body = protocol.make_batch("k1", "01a200b3-6972-7184-a3c6-0b3ee4f5d2af", [_SAMPLE],
                               dt.datetime(2024, 5, 1, 8, 31, tzinfo=dt.UTC))
    body[field] += "\n"
    typed, plain = _both_ways(body)
    assert typed == plain
    assert typed[0] == 422 and typed[2]["field"] == field


def test_a_batch_carries_the_boots_monotonic_clock_only_when_asked_and_both_or_neither(
        ) -> None:
    """``send_clock`` (for a centre listing ``send-clock``) adds the clock entries are
    stamped with and this boot's id, read as the batch is made; either member alone
    refuses the batch, the same way whether it is parsed typed or plain."""
    import time

    from kiosk.ids import boot_id

    plain = protocol.make_batch("k1", "01a200b3-6972-7184-a3c6-0b3ee4f5d2af", [_SAMPLE])
    assert {"sent_monotonic_ns", "boot_id"}.isdisjoint(plain)
    before = time.monotonic_ns()
    body = protocol.make_batch("k1", "01a200b3-6972-7184-a3c6-0b3ee4f5d2af", [_SAMPLE],
                               send_clock=True)
    assert before <= body["sent_monotonic_ns"] <= time.monotonic_ns()
    assert body["boot_id"] == boot_id()
    decoded = protocol.decode_batch(json.dumps(body).encode())
    assert (decoded["sent_monotonic_ns"], decoded["boot_id"]) == (body["sent_monotonic_ns"],
                                                                  body["boot_id"])
    for missing in ("sent_monotonic_ns", "boot_id"):
        half = {k: v for k, v in body.items() if k != missing}
        typed, plain_way = _both_ways(half)
        assert typed == plain_way == (422, "refusal.missing_field", {"field": missing})


def test_a_batch_says_how_long_the_boot_slept_only_to_a_centre_that_takes_it() -> None:
    """``send_suspended`` (for a centre listing ``send-suspended``) adds, with the send
    clock, how long the boot has been suspended by then; never without the send clock,
    and a batch carrying it without ``sent_monotonic_ns`` is refused either way it is
    parsed."""
    from kiosk.clock import suspended_now

    batch_id = "01a200b3-6972-7184-a3c6-0b3ee4f5d2af"
    assert "sent_suspended_ns" not in protocol.make_batch("k1", batch_id, [_SAMPLE],
                                                          send_clock=True)
    assert "sent_suspended_ns" not in protocol.make_batch("k1", batch_id, [_SAMPLE],
                                                          send_suspended=True)
    body = protocol.make_batch("k1", batch_id, [_SAMPLE], send_clock=True,
                               send_suspended=True)
    slept = suspended_now()[1]
    assert slept is not None  # Linux: CLOCK_BOOTTIME
    assert 0 <= body["sent_suspended_ns"] <= slept + 10**9  # a second's read-to-read drift
    assert protocol.decode_batch(json.dumps(body).encode())["sent_suspended_ns"] == body[
        "sent_suspended_ns"]
    alone = {k: v for k, v in body.items() if k not in ("sent_monotonic_ns", "boot_id")}
    typed, plain_way = _both_ways(alone)
    assert typed == plain_way == (422, "refusal.missing_field", {"field": "sent_monotonic_ns"})


def test_the_time_a_boot_slept_is_boot_time_less_monotonic_time() -> None:
    """Readings as Linux gives them on a laptop woken after its lid was shut for 8 h, 20
    minutes after booting: ``CLOCK_BOOTTIME`` ran on through the night, ``CLOCK_MONOTONIC``
    stopped. The two are read a moment apart, boot time first, so on a machine that never
    slept the later monotonic read can pass it: that is no negative sleep."""
    from kiosk.clock import suspended_ns

    boottime, monotonic = 29_999_870_412_033, 1_199_868_991_502
    assert suspended_ns(boottime, monotonic) == 28_800_001_420_531  # 8 h and 1.4 ms
    assert suspended_ns(1_200_000_000_000, 1_200_000_004_311) == 0


def test_a_refused_hour_with_a_newline_after_it_is_refused() -> None:
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.validate_health({"refused_by_hour": {"2026-11-28T13\n": 1}})
    assert caught.value.status == 422


def test_a_valid_batch_is_parsed_straight_into_entries(entry: dict[str, Any]) -> None:
    body = protocol.make_batch("kiosk-p", "01a200b3-6972-7184-a3c6-0b3ee4f5d2af", [entry])
    batch = protocol.decode_batch(json.dumps(body).encode())
    assert all(isinstance(e, protocol.Entry) for e in batch["entries"])
    assert protocol.entry_row(batch["entries"][0]) == protocol.entry_row(entry)


# -- envelope and answer ------------------------------------------------------------------
def test_validate_batch_returns_the_kiosk_send_time(entry: dict[str, Any]) -> None:
    sent = dt.datetime(2024, 5, 1, 8, 30, 0, 123456, tzinfo=dt.UTC)
    body = protocol.make_batch("kiosk-p", "01a200b3-6972-7184-a3c6-0b3ee4f5d2af", [entry], sent)
    assert body["sent_at"] == "2024-05-01T08:30:00.123456Z"
    assert protocol.validate_batch(body) == sent
    received = sent + dt.timedelta(seconds=90, microseconds=5)
    assert protocol.clock_offset_seconds(received, sent) == 90.000005


def test_a_refusal_is_worded_from_its_code_and_an_unknown_or_missing_code_shows_the_reason(
        ) -> None:
    """The kiosk words a code it knows in its reader's language; from an older centre (no
    code) or a newer one (a code this kiosk does not know, or a blank left unfilled) it shows
    the centre's English reason as sent."""
    answer = {"results": [
        {"id": "a", "status": "rejected", "reason": "id: already stored with different content",
         "code": "id_conflict", "params": {"field": "id"}},
        {"id": "b", "status": "rejected", "reason": "name: …"},
        {"id": "c", "status": "rejected", "reason": "lane: closed", "code": "lane_closed",
         "params": {"field": "lane"}},
        {"id": "d", "status": "rejected", "reason": "kiosk_id: …", "code": "other_kiosk",
         "params": {"field": "kiosk_id"}}]}
    _, rejected = protocol.validate_response(answer, ["a", "b", "c", "d"])
    known = rejected["a"].words()
    assert isinstance(known, messages.Words)
    assert known("vi") == "id: trung tâm đã lưu một lượt khác cùng mã này"
    assert [rejected[i].words() for i in "bcd"] == ["name: …", "lane: closed", "kiosk_id: …"]


@pytest.mark.parametrize(("refusal", "unquoted"), [
    (protocol.Refusal("not_allowed", field="direction", allowed=["in", "out"],
                      got='"Nguyễn Văn An"'),
     'direction: expected "in" or "out", got a string'),
    (protocol.Refusal("not_integer", field="monotonic_ns", min=0, max="2^63-1", got="-1"),
     "monotonic_ns: expected an integer from 0 to 2^63-1, got a number"),
    (protocol.Refusal("not_json", field="extra", detail="Out of range float values: nan"),
     "extra: not representable as JSON (…)"),
    (protocol.Refusal("not_string", field="name", got="number"),
     "name: expected a string, got a number"),
    (protocol.Refusal("reserved", field="subject_key", got='"erased"'),
     'subject_key: "erased" is the key of an entry whose identity the centre erased, not '
     "one a kiosk sends"),
    (protocol.Refusal("other_checkpoint", field="checkpoint_id", kiosk="k1",
                      enrolled="CP-A", checkpoint="CP-B"),
     "checkpoint_id: kiosk 'k1' is enrolled at checkpoint 'CP-A', not 'CP-B'"),
    (protocol.Refusal.from_answer({"reason": 'name: "Nguyễn Văn An" is wrong'}),
     "rejected without a reason"),
])
def test_a_refusal_unquoted_keeps_no_value_of_the_entry_and_still_words_why(
        refusal: protocol.Refusal, unquoted: str) -> None:
    """What ``FILE.refused`` carries on a stick in clear (the backlog file beside it is
    sealed): the type of a value quoted, no exception's words, and the rest as it was —
    field names, limits, the centre's constant, checkpoint ids."""
    assert refusal.unquoted() == unquoted
    assert "Nguyễn" not in json.dumps(refusal.unquoted().answer(), ensure_ascii=False)


def test_the_client_refuses_an_answer_that_does_not_match_what_it_sent() -> None:
    """A confused answer must never acknowledge an entry (502, nothing marked)."""
    ids = ["a", "b"]
    good = {"results": [{"id": "a", "status": "accepted"},
                        {"id": "b", "status": "rejected", "reason": "name: …"}]}
    assert protocol.validate_response(good, ids) == (["a"], {"b": "name: …"})
    bad_answers = [
        {"results": [{"id": "a", "status": "accepted"}]},
        {"results": [{"id": "b", "status": "accepted"}, {"id": "a", "status": "accepted"}]},
        {"results": [{"id": "a", "status": "accepted"}, {"id": "b", "status": "stored"}]},
        {"error": "x"},
        [],
    ]
    for answer in bad_answers:
        with pytest.raises(protocol.ProtocolError) as caught:
            protocol.validate_response(answer, ids)
        assert caught.value.status == 502


# -- bodies -------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["zstd", "gzip", "identity"])
def test_bodies_round_trip_in_every_encoding(entry: dict[str, Any], encoding: str) -> None:
    body = protocol.make_batch("kiosk-p", "01a200b3-6972-7184-a3c6-0b3ee4f5d2af", [entry])
    data, used = protocol.encode_body(body, encoding)
    assert used == encoding
    assert protocol.decode_body(data, used) == body


def test_the_default_encoding_is_zstd_when_installed() -> None:
    assert protocol.encode_body({"a": 1})[1] == "zstd"


@pytest.mark.parametrize("encoding", ["gzip", "zstd"])
def test_a_zip_bomb_is_stopped_at_the_limit(encoding: str) -> None:
    """64 MiB of zeros compress to a few kB; decoding stops just past the 1 MiB limit."""
    raw = b'{"x": "' + b"0" * (64 << 20) + b'"}'
    data = (gzip.compress(raw) if encoding == "gzip"
            else zstandard.ZstdCompressor().compress(raw))
    assert len(data) < 200_000
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.decode_body(data, encoding, max_decoded=1 << 20)
    assert caught.value.status == 413
    assert caught.value.reason == f"body: larger than {1 << 20} bytes once decompressed"


def test_multi_member_gzip_and_multi_frame_zstd_are_read_whole() -> None:
    first, second = b'{"a": [1, ', b"2]}"
    assert protocol.decode_body(gzip.compress(first) + gzip.compress(second), "gzip") == \
        {"a": [1, 2]}
    z = zstandard.ZstdCompressor()
    assert protocol.decode_body(z.compress(first) + z.compress(second), "zstd") == {"a": [1, 2]}


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_the_values_are_refused_one_past_the_limit_however_the_body_is_cut(encoding: str) -> None:
    """A body is only counted once its bytes could hold too many values, yet the limit is
    the same: a body whose separators count n values passes a limit of n, not one of n - 1,
    decompressed in one piece or 1 MiB at a time (here 3 MiB of text before the values)."""
    body = b'{"pad": "' + b"x" * (3 << 20) + b'", "v": [' + b"1," * 2_999 + b"1]}"
    data = gzip.compress(body) if encoding == "gzip" else body
    counted = protocol.json_values_at_most(body)
    assert counted == 3_002  # the object, its second member, the array, 2,999 commas
    assert protocol.decode_body(data, encoding, max_values=counted)["v"] == [1] * 3_000
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.decode_body(data, encoding, max_values=counted - 1)
    assert (caught.value.status, caught.value.words.code) == (413, "wire.too_many_values")


def test_identity_bodies_are_limited_too() -> None:
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.decode_body(b"[" + b"1," * 1000 + b"1]", "identity", max_decoded=100)
    assert caught.value.status == 413


@pytest.mark.parametrize(("data", "encoding", "status", "reason"), [
    (b"{", None, 400, "body: malformed JSON"),
    (b'{"n": Infinity}', None, 400, "body: malformed JSON (invalid character (byte 6))"),
    (b"[1e999]", None, 400, "body: malformed JSON (Number out of range"),
    (b"[" * 100_000 + b"]" * 100_000, None, 400, "body: JSON nested too deeply"),
    (b'"\xc3\x28"', None, 400, "body: not UTF-8 text"),
    (zlib.compress(b"{}"), "gzip", 400, "body: not valid gzip data"),
    (b"{}", "compress", 415, "Content-Encoding: unsupported 'compress'"),
])
def test_undecodable_bodies_raise_with_status_and_reason(
        data: bytes, encoding: str | None, status: int, reason: str) -> None:
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.decode_body(data, encoding)
    assert caught.value.status == status
    assert caught.value.reason.startswith(reason)


# -- tokens -------------------------------------------------------------------------------
def test_token_derivations_match_independent_implementations() -> None:
    """Vectors computed with coreutils, for anyone writing another client:
    printf 'test-token-0123456789' | sha256sum"""
    token = "test-token-0123456789"
    assert protocol.token_hash(token) == \
        "93b01915ef217ed9eb776b2e473270b00418b7bfc8c89d30696ece5eb5d91240"


def test_an_entry_from_before_the_certificate_field_is_still_accepted() -> None:
    """Old kiosks and old backlog files leave ``certificate`` out: it means null."""
    row = protocol.wire_to_row(_SAMPLE)
    assert row["certificate"] is None
    verdict = {"status": "expired", "facts": {"name": "Văn An Nguyễn", "dose": 2}}
    row = protocol.wire_to_row({**_SAMPLE, "certificate": verdict})
    assert json.loads(row["certificate"]) == verdict
    assert protocol.validate_entry({**_SAMPLE, "certificate": "valid"}) == \
        "certificate: expected an object, got a string"


def test_entry_schema_requires_every_field_but_the_later_optional_ones() -> None:
    schema = protocol.entry_json_schema()
    assert schema["required"] == [f for f in protocol.ENTRY_FIELDS
                                  if f not in protocol.OPTIONAL_FIELDS]
    assert set(schema["properties"]) == set(protocol.ENTRY_FIELDS)
    assert schema["additionalProperties"] is False


def test_the_documented_entry_table_names_exactly_the_described_fields() -> None:
    """docs/protocol.md's table is prose for people; the Struct is the rule. They list the
    same fields, so a field added to one and not the other fails here."""
    doc = (Path(__file__).parent.parent / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = doc.split("### Entry", 1)[1].split("###", 1)[0]
    documented = {name for line in section.splitlines() if line.startswith("| `")
                  for name in re.findall(r"`(\w+)`", line.split("|")[1])}
    assert documented == set(protocol.ENTRY_FIELDS)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=30)


@given(json_values, st.integers(0, 300))
def test_an_extra_is_called_too_long_without_writing_it_out_only_when_it_is(
        value: object, limit: int) -> None:
    """The early count is a lower bound of the JSON text's length: it never refuses an
    ``extra`` the canonical text would accept."""
    if protocol._longer_than(value, limit):
        assert len(protocol._canonical_json(value)) > limit


def test_a_huge_extra_is_refused_after_a_bounded_count(entry: dict[str, Any]) -> None:
    row, reason = protocol.entry_row({**entry, "extra": {"x": [[]] * 2_000_000}})
    assert row is None and reason is not None
    assert (reason.code, reason.params) == ("json_too_long", {
        "field": "extra", "limit": protocol.MAX_EXTRA_CHARS})
