"""How long a refused login takes for a known name (wrong password) and for an unknown one.

``users.authenticate`` on a fresh centre database (SQLite, or PostgreSQL in a cluster of its
own), the two kinds of guess taken in turn ``--rounds`` times (the failures counted, per name
and address and per name, forgotten between rounds, untimed, so neither name locks). What
differs between the two is this call: the rest of POST /login (form, CSRF, throttle, page) is
the same for both. Both read the name's failures before the verify and count one after it
(``login_failures``, schema v36). Also timed: the name's lookup alone, what an unknown name
would cost if it skipped the argon2 verify, and that reading and counting of its failures
alone, what they add to the verify.

    PYTHONPATH=$PWD nice -n 19 .venv/bin/python scripts/bench_login.py --rounds 200
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from benchsupport import PASSWORD, central_database

from kiosk.central import audit
from kiosk.central.backends import open_storage
from kiosk.central.storage import Storage
from kiosk.central.web import users

BENCH = audit.Actor(audit.command_actor(), "cli")
"""Who adds the benchmark's users, as the audit log records it."""


def timed(call: Callable[[], object]) -> float:
    """Milliseconds ``call`` took, a refusal (UserError) being its answer."""
    start = time.perf_counter()
    with contextlib.suppress(users.UserError):
        call()
    return (time.perf_counter() - start) * 1000


def count_alone(storage: Storage) -> None:
    """What authenticate does for a wrong password besides the lookup and the verify."""
    now = dt.datetime.now(dt.UTC)
    users._check_lock(users._failures(storage, None, "no.such.user", "?"), now)
    users._count_failure(storage, "no.such.user", "?", now)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    print(f"{platform.node()} {os.cpu_count()} cpu, load {os.getloadavg()[0]:.1f}, argon2id "
          f"time cost {hasher.time_cost}, {hasher.memory_cost // 1024} MiB, "
          f"{hasher.parallelism} lanes")
    for engine in args.engines.split(","):
        with central_database(engine) as url, open_storage(url) as storage:
            users.add(storage, "an.nguyen", "admin", PASSWORD, by=BENCH)
            # argon2 loaded
            timed(lambda: users.authenticate(storage, "x", "warm-up", address=None))
            times: dict[str, list[float]] = {"known, wrong password": [], "unknown name": [],
                                             "lookup alone": [], "failures counted alone": []}
            for _ in range(args.rounds):
                times["known, wrong password"].append(timed(
                    lambda: users.authenticate(storage, "an.nguyen", "wrong guess!",
                                               address=None)))
                times["unknown name"].append(timed(
                    lambda: users.authenticate(storage, "no.such.user", "wrong guess!",
                                               address=None)))
                times["lookup alone"].append(timed(lambda: storage._query(
                    "SELECT name, password_hash FROM users WHERE name = $1",
                    ("no.such.user",))))
                times["failures counted alone"].append(timed(lambda: count_alone(storage)))
                with storage._transaction() as tx:
                    storage._execute(tx, "DELETE FROM login_failures", ())
            for label, values in times.items():
                values.sort()
                print(f"{engine:10} {label:23} median {statistics.median(values):8.3f} ms  "
                      f"p10 {values[len(values) // 10]:8.3f}  "
                      f"p90 {values[9 * len(values) // 10]:8.3f}")


if __name__ == "__main__":
    main()
