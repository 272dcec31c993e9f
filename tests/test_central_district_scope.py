"""What a district officer's pages tell of other districts: not which checkpoint ids exist
there (another district's point answers 404 with the very page an unknown id gets).
Province-wide roles see what they saw. A real `kiosk-central serve` on SQLite and on a real
PostgreSQL, read by httpx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from central_support import ENGINES, database_url
from web_support import Centre, add_users, signed_in, start_centre

OFFICERS = {"bl.officer": ("district", "Bình Long")}
PROVINCE = ("admin1", "viewer1", "tracer1")


@pytest.fixture(scope="module", params=ENGINES)
def centre(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Centre]:
    """The web tests' centre (kiosk-dx1 in Đồng Xoài, kiosk-bl1 in Bình Long) with a Bình
    Long officer too."""
    tmp = tmp_path_factory.mktemp("district-scope")
    running = start_centre(tmp, database_url(request.param, tmp))
    try:
        add_users(tmp, running.db, OFFICERS)
        yield running
    finally:
        running.server.stop()


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
