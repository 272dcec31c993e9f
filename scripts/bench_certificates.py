"""HC1 certificate verification: cost per scan, beside the plain pipeline, in one run.

Three measurements interleaved scan by scan in one process (so disk and load are shared):
a CCCD scan through the real pipeline and store (the plain path), an HC1 scan through the
same pipeline with its certificate checked, and the check alone (unpack, signature, claims,
verdict). The HC1 codes are the EU DCC test vectors' (ES256 on P-256 and P-384, PS256 with
2048- and 3072-bit RSA), checked against a trust list of EU size: their signers plus
generated ones up to ``--signers``.

    .venv/bin/python scripts/bench_certificates.py [--scans 5000] [--signers 600]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench_pipeline import cccd, percentile  # noqa: E402

from kiosk.certificates import cose, trustlist  # noqa: E402
from kiosk.certificates.verdicts import Checker  # noqa: E402
from kiosk.pipeline import Pipeline, Policy  # noqa: E402
from kiosk.scan import Scan  # noqa: E402
from kiosk.store import Store  # noqa: E402
from tests.certificate_support import make_issuer, vectors  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=5000)
    parser.add_argument("--signers", type=int, default=600, help="trust list size")
    parser.add_argument("--dir", default=".", help="folder on the disk to measure")
    args = parser.parse_args()

    codes = [(v.data["PREFIX"], cose.unpack(v.data["PREFIX"]).alg) for v in vectors()
             if v.data.get("PREFIX", "").startswith("HC1:")]
    ders = {v.signer_der for v in vectors()}
    signers = [trustlist.signer_from_der(d) for d in ders]
    signers += [trustlist.signer_from_der(make_issuer().der)
                for _ in range(max(0, args.signers - len(signers)))]
    checker = Checker(trustlist.build(signers, imported_at=dt.datetime.now(dt.UTC)),
                      max_age=dt.timedelta(days=14))
    now = time.time()

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-certificates-") as tmp:
        store = Store(Path(tmp) / "kiosk.db")
        pipeline = Pipeline(store, Policy(checkpoint_id="CP-BENCH", kiosk_id="k-bench",
                                          duplicate_policy="allow"), checker)
        received: list[float] = []
        pipeline.subscribe(lambda result: received.append(time.perf_counter()))
        plain, hc1 = [], []
        alone: dict[int, list[float]] = {}
        for i in range(args.scans):
            started = time.perf_counter()
            pipeline.submit(Scan(payload=cccd(i), device_id="bench", lane="in"))
            plain.append(received[-1] - started)
            code, alg = codes[i % len(codes)]
            started = time.perf_counter()
            result = pipeline.submit(Scan(payload=code.encode(), device_id="bench", lane="in"))
            hc1.append(received[-1] - started)
            assert result.certificate is not None and result.certificate.signature_verified
            started = time.perf_counter()
            checker.check(code, now)
            alone.setdefault(alg, []).append(time.perf_counter() - started)
        store.close()

    ms = 1000
    print(f"{args.scans} scans of each kind, {len(codes)} EU test vectors in turn, trust list of "
          f"{len(checker.trust_list)} signers; {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load avg {os.getloadavg()[0]:.2f}")
    rows = [("pipeline, CCCD scan (plain)", plain),
            ("pipeline, HC1 scan with its certificate checked", hc1),
            ("the check alone, all vectors", [s for v in alone.values() for s in v]),
            *((f"the check alone, {'ES256' if alg == -7 else 'PS256'} "
               f"({len(samples)} checks)", samples) for alg, samples in sorted(alone.items()))]
    print("| path | p50 ms | p99 ms | mean ms |\n|---|---|---|---|")
    for name, samples in rows:
        print(f"| {name} | {percentile(samples, .5) * ms:.3f} | "
              f"{percentile(samples, .99) * ms:.3f} | {statistics.fmean(samples) * ms:.3f} |")
    added = (percentile(hc1, .99) - percentile(plain, .99)) * ms
    print(f"added by the check at p99: {added:.3f} ms (HC1 scan − CCCD scan); "
          f"the check alone at p99: {percentile(rows[2][1], .99) * ms:.3f} ms (target ≤ 2 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
