"""What measuring a JSON text's depth before parsing it costs (kiosk/json_depth.py), beside
the parse it guards: a centre's batch of ``--entries`` entries (the typed parse the centre
runs on it, ``protocol.batch_of``, which does not measure), the same with an escaped quote
in one name (every string then matched whole) and three 16 MiB hostile bodies
(``protocol.parse_json``, which does). Prints best-of-5 microseconds or milliseconds.

    .venv/bin/python scripts/bench_json_depth.py --entries 500
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_central import make_entries  # noqa: E402

from kiosk.ids import uuid7  # noqa: E402
from kiosk.json_depth import nested_too_deep  # noqa: E402
from kiosk.sync import protocol  # noqa: E402


def best(call: object, number: int) -> float:
    """Seconds a call, best of 5 rounds of ``number``."""
    return min(timeit.repeat(call, number=number, repeat=5)) / number


def refused_in(call: object) -> float:
    """Seconds ``parse_json`` takes on a body, refused or parsed (best of 3)."""
    def once() -> None:
        with contextlib.suppress(protocol.ProtocolError):
            call()
    return min(timeit.repeat(once, number=1, repeat=3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=500)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    raw = json.dumps(protocol.make_batch("k", uuid7(), make_entries(args.entries, "k")),
                     ensure_ascii=False).encode()
    measured, parsed = best(lambda: nested_too_deep(raw), 200), best(
        lambda: protocol.batch_of(raw), 20)
    print(f"batch of {args.entries} entries, {len(raw):,} B: depth {measured * 1e6:.0f} µs, "
          f"typed parse {parsed * 1e6:.0f} µs ({measured / parsed:.2f} of it)")
    quoted = raw.replace(b'"name": "', b'"name": "\\"', 1)  # one name with a quote in it
    assert quoted != raw
    measured = best(lambda: nested_too_deep(quoted), 50)
    print(f"the same, one name quoting: depth {measured * 1e6:.0f} µs "
          f"({measured / parsed:.2f} of the typed parse)")
    half = 8 << 20
    for label, body in (('"[" * 8 Mi + "]" * 8 Mi', b"[" * half + b"]" * half),
                        ('"[]" * 8 Mi (flat)', b"[" + b"[]," * (half - 1) + b"[]]"),
                        ('a 16 Mi string of "["', b'["' + b"[" * (2 * half) + b'"]')):
        depth = best(lambda body=body: nested_too_deep(body), 1)
        whole = refused_in(lambda body=body: protocol.parse_json(body))
        print(f"{label:26}: depth {depth * 1e3:5.0f} ms, parse_json whole {whole * 1e3:5.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
