"""The dashboard's Tracing form refuses a margin it cannot use — not a number, not finite
(``inf``, ``nan``, ``1e309``: Python's float reads them), below 0 or beyond 24 hours (the
range of ``kiosk-central trace --margin`` and of the API) — with the page's worded refusal
(422, as for every field of the form the page refuses) in the reader's language, runs no
trace and records none. A real `kiosk-central serve` on SQLite, a tracer signed in over
HTTP. The trace API refuses a reason that is not a string the same way (422, named)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from central_support import central
from web_support import Centre, csrf, signed_in, start_centre

NOT_MINUTES = {"vi": "khoảng đệm: cần số phút", "en": "margin: expected minutes"}
OUT_OF_RANGE = {"vi": "khoảng đệm: cần từ 0 đến 24 giờ", "en": "margin: expected 0 to 24 hours"}


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    running = start_centre(tmp_path_factory.mktemp("tracing-form"))
    try:
        yield running
    finally:
        running.server.stop()


def traces(db: str) -> list[dict]:
    return json.loads(central("audit", "list", "--db", db, "--kind", "trace", "--json").stdout)


@pytest.mark.parametrize("path", ["/tracing", "/tracing/export?format=csv"])
def test_a_margin_not_finite_or_out_of_range_is_refused_worded(centre: Centre,
                                                               path: str) -> None:
    logged = len(traces(centre.db))
    with signed_in(centre.url, "tracer1") as tracer:
        for lang in ("vi", "en"):
            tracer.get(f"/lang/{lang}")
            for margin, said in (("inf", NOT_MINUTES), ("-inf", NOT_MINUTES),
                                 ("nan", NOT_MINUTES), ("NaN", NOT_MINUTES),
                                 ("infinity", NOT_MINUTES), ("1e309", NOT_MINUTES),
                                 ("abc", NOT_MINUTES), ("15m", NOT_MINUTES),
                                 ("-1", OUT_OF_RANGE), ("1441", OUT_OF_RANGE),
                                 ("1e9", OUT_OF_RANGE)):
                answer = tracer.post(path, data={
                    "csrf_token": csrf(tracer.get("/tracing").text),
                    "document": "001099000101", "margin": margin, "reason": "ca bệnh F0-9001"})
                assert answer.status_code == 422, (margin, answer.status_code)
                assert f'<p class="error" role="alert">{said[lang]}</p>' in answer.text, margin
                assert "001099000102" not in answer.text  # no contact shown: no trace run
    assert len(traces(centre.db)) == logged
    with signed_in(centre.url, "tracer1") as tracer:  # the range's ends are margins
        for margin in ("0", "1440", "7.5", ""):
            answer = tracer.post("/tracing", data={
                "csrf_token": csrf(tracer.get("/tracing").text),
                "document": "001099000101", "margin": margin, "reason": "ca bệnh F0-9001"})
            assert answer.status_code == 200, (margin, answer.text[:300])
    assert len(traces(centre.db)) == logged + 4


def test_a_trace_api_reason_or_setting_of_the_wrong_type_is_refused_naming_it(
        centre: Centre) -> None:
    """``POST /api/v1/trace`` with a reason that is not a string (a number, a list, an
    object) answers 422 naming it (``trace.strings``), runs no trace and records none;
    before, the reason reached the audit check as it was and the server answered 500
    (AttributeError: 'int' object has no attribute 'split')."""
    logged = len(traces(centre.db))
    with signed_in(centre.url, "tracer1") as tracer:
        token = csrf(tracer.get("/tracing").text)
        for reason in (12345, ["ca", "bệnh"], {"case": "F0-9001"}, True):
            answer = tracer.post("/api/v1/trace", headers={"X-CSRF-Token": token},
                                 json={"document": "001099000101", "reason": reason})
            assert answer.status_code == 422, (reason, answer.status_code, answer.text[:200])
            assert answer.json() == {
                "error": "document, name, birth_year, reason: expected strings",
                "code": "trace.strings", "params": {}}, reason
            assert "001099000102" not in answer.text
    assert len(traces(centre.db)) == logged


def test_a_trace_api_answer_is_never_stored_by_a_cache(centre: Centre) -> None:
    """The trace over the API names people (contacts' names, document numbers, phones): its
    answer says ``Cache-Control: no-store``, as the Tracing page and its exports do (and the
    counts-only report JSON); before, it said nothing of caching."""
    with signed_in(centre.url, "tracer1") as tracer:
        answer = tracer.post("/api/v1/trace", json={
            "document": "001099000101", "reason": "ca bệnh F0-9001"},
            headers={"X-CSRF-Token": csrf(tracer.get("/tracing").text)})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["contacts"], "the sample trace names no contact: nothing to protect"
    assert answer.headers.get("cache-control") == "no-store"
