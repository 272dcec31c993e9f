"""The pipeline decides as the previous program did: a recorded scan sequence replayed
through it gives the recorded decisions, entry for entry.

``tests/data/pipeline_decisions.json`` holds four runs of 150 scans (four people by their
chip ID, two PC-COVID codes, one masked, an unknown code, one the centre's rules refuse) on
two devices and every lane, with the wall clock set back (1.5 s, 5 s, an hour, a day) and
ahead, restarts (a new boot, the monotonic clock from near zero) and the officer's switch
moved; under the warn, block and allow duplicate policies. Each run's decisions (status,
direction, reason, which entry), what was stored (duplicate link, subject, status, the
clock-behind flag) and "inside now" were recorded by the program as it was before the
scan path was made cheaper (9416d39): ``python tests/test_pipeline_decisions.py >
tests/data/pipeline_decisions.json`` with that tree on PYTHONPATH. Same seeds, same steps.

Recorded again when the time since a person's last movement of the running boot came to
be told by both clocks (:func:`kiosk.clock.elapsed`), on a kiosk never suspended: 19
decisions of the 600 changed, each a scan of the same boot after the wall clock was
stepped (a card read twice minutes apart across a step back of a day is the double scan
it is; someone back 15 minutes later across a step ahead of two days goes out) or one
that follows such a scan of the same person; nothing else differed.

Recorded again when the time since an earlier boot's movement that the wall clock reads
before came to be unknown — neither recent nor a double scan — instead of the negative
interval taken as recent (:func:`kiosk.pipeline._since`): 6 decisions of the 600 changed,
all under warn-86400 (a day's window, which the restarts with the clock set back fall in),
each such a scan or one that follows it for the same person; nothing else differed.

Recorded again when a code that names nobody (kind ``other``: "hello world") came to count
as no one inside (schema v16): warn-86400's "inside now" went from 3 to 2, that code's last
movement being "in"; every decision and entry stayed the same (its last movement, which the
pipeline reads, is kept as before).

The code the centre's rules refuse held its NUL in the name until the kiosk came to refuse
a name with a control character itself (``scanner_code_page``, before the centre's rules):
it holds it in the address since, refused by the centre's rules as before; the decisions
were not recorded again, they are the same.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path

import pytest

from kiosk.pipeline import Pipeline, Policy
from kiosk.scan import Scan
from kiosk.store import Store

RECORDED = json.loads((Path(__file__).parent / "data/pipeline_decisions.json").read_text(
    encoding="utf-8"))


def named(run: dict) -> str:
    return "{duplicate_policy}-{duplicate_window_seconds}".format(**run["policy"])


@pytest.mark.parametrize("run", RECORDED["runs"], ids=named)
def test_a_recorded_scan_sequence_gets_the_recorded_decisions(run, tmp_path):
    assert RECORDED["payloads"] == PAYLOADS  # the codes the steps name by their index
    replayed = replay(run["policy"], run["steps"], tmp_path)
    assert replayed["decisions"] == run["decisions"]
    assert replayed["entries"] == run["entries"]
    assert replayed["inside"] == run["inside"]


NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Phạm Thị Hồng Nhung", "Lê Đức Anh"]
PAYLOADS = [f"0010990123{i:02d}|123456789|{name}|01021990|Nam|Số {i} Phố Huế, Hà Nội|10102021"
            for i, name in enumerate(NAMES)]
PAYLOADS += ["******012300|NGUYEN VAN AN|1990-**-**|0|162979388586171100|<1<00<0912345678",
             "001099012301|TRẦN THỊ BÌNH|1990-02-01|1|162979388586171100|",
             "hello world",
             "001099012345|123456789|An|01021990|Nam|HN\x00|10102021"]
"""The codes scanned (a step names one by its index)."""
POLICIES = [("warn", 300), ("block", 1200), ("allow", 0), ("warn", 86400)]


def steps(seed: int) -> list[list]:
    """A scan sequence: ["scan", code, device, lane, wall time, monotonic ns, boot] and
    ["direction", the officer's switch] steps."""
    rng = random.Random(seed)
    wall, monotonic, boot, out = 1_790_000_000.0, 10**12, 0, []
    for _ in range(150):
        draw = rng.random()
        if draw < 0.06:  # the clock set back
            wall -= rng.choice([3600, 1.5, 5, 86400])
        elif draw < 0.09:  # or ahead
            wall += rng.choice([2 * 86400, 3600, 7200])
        elif draw < 0.11:  # a restart: a new boot, its monotonic clock from near zero
            boot, monotonic = boot + 1, 10**9 * rng.randint(1, 100)
        elif draw < 0.14:
            out.append(["direction", rng.choice(["in", "out", "auto"])])
        gap = rng.choice([0.5, 3, 30, 200, 400, 1000])
        wall, monotonic = wall + gap, monotonic + int(gap * 1e9)
        out.append(["scan", rng.randrange(len(PAYLOADS)), rng.choice(["d1", "d2"]),
                    rng.choice(["in", "out", "auto", None]), wall, monotonic, f"boot-{boot}"])
    return out


def replay(policy: dict, steps: list[list], folder: Path) -> dict:
    """The steps through a real pipeline over a new store file: each scan's decision, each
    entry as stored (entries named by their order of writing) and "inside now" after."""
    store = Store(folder / f"{named({'policy': policy})}.db")
    pipeline = Pipeline(store, Policy(checkpoint_id="CP", kiosk_id="K",
                                      default_direction="auto", **policy))
    pipeline.suspended = lambda: 0.0  # never suspended: a wall clock run ahead is a step
    ids: dict[str, int] = {}
    decisions = []
    for step in steps:
        if step[0] == "direction":
            pipeline.set_direction(step[1])
            continue
        _, code, device, lane, wall, monotonic, boot = step
        pipeline.boot_id = boot
        result = pipeline.submit(Scan(payload=PAYLOADS[code].encode(), device_id=device,
                                      lane=lane, wall_time=wall, monotonic_ns=monotonic))
        if result.entry_id:
            ids[result.entry_id] = len(ids)
        decisions.append([result.status.value,
                          result.direction.value if result.direction else None,
                          result.reason_code, ids.get(result.entry_id)])
    rows = {row["id"]: row for row in store.entries(since="2000", until="2100")}
    stored = [[ids.get(rows[i]["duplicate_of"]), rows[i]["subject_key"], rows[i]["status"],
               json.loads(rows[i]["extra"]).get("clock_behind")] for i in ids]
    inside = store.inside_count("CP", now=wall + 1)
    store.close()
    return {"decisions": decisions, "entries": stored, "inside": inside}


if __name__ == "__main__":  # recording: see the module's docstring
    folder = Path(tempfile.mkdtemp())
    runs = []
    for seed, (duplicates, window) in enumerate(POLICIES):
        policy = {"duplicate_policy": duplicates, "duplicate_window_seconds": window}
        sequence = steps(seed)
        runs.append({"policy": policy, "steps": sequence, **replay(policy, sequence, folder)})
    json.dump({"payloads": PAYLOADS, "runs": runs}, sys.stdout, ensure_ascii=False)
