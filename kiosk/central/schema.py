"""The central database schema, written once for both engines.

Each migration is a list of statements whose engine-dependent column types are left as
placeholders — ``{bigint}`` 64-bit integer, ``{float}`` double, ``{bytes}`` binary,
``{json}`` JSON document, ``{serial}`` auto-numbered primary key — that an engine fills in
with its own names, and records the version reached in its own way (SQLite
``user_version``, PostgreSQL ``central_meta``). The entries columns are spelled out rather
than generated from the wire protocol's field list: a migration is history, never edited,
and a new entry field arrives as a new migration.
"""

from __future__ import annotations

from kiosk.central.localdays import CLOCK_TOLERANCE_SECONDS

Statement = str | dict[str, str | None]
"""One statement, or where the engines' SQL differs (triggers), one per engine name (None:
nothing to do on that engine)."""

_ENTRY_INDEXES = {
    # every index of entries up to v6, as created there (v7 recreates them on the partitioned
    # table; a later index is added to entries, which PostgreSQL passes on to each partition)
    "entries_checkpoint_time": "CREATE INDEX entries_checkpoint_time ON entries "
                               "(checkpoint_id, scanned_at)",
    "entries_subject_time": "CREATE INDEX entries_subject_time ON entries "
                            "(subject_key, scanned_at)",
    "entries_day_subject": "CREATE INDEX entries_day_subject ON entries (local_day, subject_key)",
    "entries_match_time": "CREATE INDEX entries_match_time ON entries (match_key, scanned_at)",
    "entries_skewed": "CREATE INDEX entries_skewed ON entries (checkpoint_id, local_day) "
                      "WHERE clock_offset_seconds > 120 OR clock_offset_seconds < -120",
    "entries_unmatched": "CREATE INDEX entries_unmatched ON entries (checkpoint_id, scanned_at) "
                         "WHERE match_key IS NULL",
}

SKEWED = "(clock_offset_seconds > 120 OR clock_offset_seconds < -120)"
"""The scans whose kiosk clock was off by more than the centre's tolerance, filed by their
corrected local day: written as the partial index ``entries_skewed`` says it, so that both
planners read that index for it."""
ON_TIME = "(clock_offset_seconds IS NULL OR clock_offset_seconds BETWEEN -120 AND 120)"
"""The other scans, filed by their kiosk's time (``entries_checkpoint_time``)."""
assert CLOCK_TOLERANCE_SECONDS == 120, "entries_skewed's predicate must follow the tolerance"
assert _ENTRY_INDEXES["entries_skewed"].endswith(f"WHERE {SKEWED[1:-1]}")

MIGRATED_AHEAD = (
    "UPDATE batches SET least_offset_seconds = ahead.least_entry FROM (SELECT batch_id, kiosk_id, "
    "min(clock_offset_seconds) AS least_entry FROM entries "
    f"WHERE {SKEWED} AND clock_offset_seconds < -120 "
    "GROUP BY batch_id, kiosk_id) AS ahead "
    "WHERE ahead.batch_id = batches.batch_id AND ahead.kiosk_id = batches.kiosk_id "
    "AND batches.entry_offset_seconds > 120 "
    "AND ahead.least_entry < coalesce(batches.least_offset_seconds, 0)")
"""v25's second step: each batch whose v24 entry offset (behind) may hide an entry ahead
gets its entries' least offset, when one was ahead past the tolerance and further ahead than
the batch's. The entries are read once, grouped, by the skewed scans' partial index
(``SKEWED`` as it says it), and joined to the batches: an UPDATE ... FROM (SQLite 3.33+,
PostgreSQL), not a subquery per batch."""

MIGRATED_DUPLICATES = (
    "UPDATE checkpoint_days SET duplicates = held.duplicates, "
    "ins = CASE WHEN ins > held.duplicate_ins THEN ins - held.duplicate_ins ELSE 0 END, "
    "outs = CASE WHEN outs > held.duplicate_outs THEN outs - held.duplicate_outs ELSE 0 END "
    "FROM (SELECT local_day, checkpoint_id, count(*) AS duplicates, "
    "sum(CASE WHEN direction = 'in' THEN 1 ELSE 0 END) AS duplicate_ins, "
    "sum(CASE WHEN direction = 'in' THEN 0 ELSE 1 END) AS duplicate_outs "
    "FROM entries WHERE status = 'duplicate' GROUP BY local_day, checkpoint_id) AS held "
    "WHERE held.local_day = checkpoint_days.day "
    "AND held.checkpoint_id = checkpoint_days.checkpoint_id")
"""v31's correction: each (day, checkpoint) with duplicates among its raw entries held has
them counted, and taken out of the entries and exits they were counted in (never below
nought: a day partly purged lost some of the entries its counts were made of). The entries
are read once, grouped, and joined to the days (an UPDATE ... FROM, as v25's)."""

MIGRATED_NOBODY = (
    "UPDATE checkpoint_days SET nobody = held.nobody, "
    "ins = CASE WHEN ins > held.nobody_ins THEN ins - held.nobody_ins ELSE 0 END, "
    "outs = CASE WHEN outs > held.nobody_outs THEN outs - held.nobody_outs ELSE 0 END "
    "FROM (SELECT local_day, checkpoint_id, count(*) AS nobody, "
    "sum(CASE WHEN status <> 'duplicate' AND direction = 'in' THEN 1 ELSE 0 END) AS nobody_ins, "
    "sum(CASE WHEN status <> 'duplicate' AND direction <> 'in' THEN 1 ELSE 0 END) "
    "AS nobody_outs FROM entries WHERE kind = 'other' GROUP BY local_day, checkpoint_id) "
    "AS held WHERE held.local_day = checkpoint_days.day "
    "AND held.checkpoint_id = checkpoint_days.checkpoint_id")
"""v58's correction, as v31's (:data:`MIGRATED_DUPLICATES`): each (day, checkpoint) with codes
that name nobody among its raw entries held has them counted, and those not repeats taken
out of the entries and exits they were counted in (never below nought); their people are
recounted when a database reaches it (Storage._migrated)."""

SEED_HISTORY = (
    "INSERT INTO checkpoint_versions (checkpoint_id, from_day, province, district, commune, "
    "kind) SELECT id, '0001-01-01', province, district, commune, kind FROM checkpoints "
    "WHERE id NOT IN (SELECT checkpoint_id FROM checkpoint_versions)",
    "INSERT INTO checkpoint_periods (checkpoint_id, set_up_on, closed_on) "
    "SELECT id, set_up_on, closed_on FROM checkpoints WHERE set_up_on IS NOT NULL "
    "AND id NOT IN (SELECT checkpoint_id FROM checkpoint_periods)")
"""v35's statements giving each point of the registry without history its row as history
(also run by scripts/bench_reports.py after loading a registry straight into its table);
part of a migration: never edited."""

MIGRATIONS: list[list[Statement]] = [
    [
        """
        CREATE TABLE checkpoints (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        """
        CREATE TABLE kiosks (
            id TEXT PRIMARY KEY,
            checkpoint_id TEXT NOT NULL REFERENCES checkpoints (id),
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            file_key {bytes} NOT NULL,
            created_at TEXT NOT NULL,
            revoked_at TEXT,
            last_seen_at TEXT,
            last_clock_offset {float},
            entries {bigint} NOT NULL DEFAULT 0
        )""",
        """
        CREATE TABLE entries (
            id TEXT PRIMARY KEY,
            checkpoint_id TEXT NOT NULL,
            kiosk_id TEXT NOT NULL,
            device_id TEXT NOT NULL,
            lane TEXT,
            direction TEXT NOT NULL,
            status TEXT NOT NULL,
            duplicate_of TEXT,
            source TEXT NOT NULL,
            symbology TEXT NOT NULL,
            scanned_at TEXT NOT NULL,
            monotonic_ns {bigint} NOT NULL,
            boot_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject_key TEXT NOT NULL,
            match_key TEXT,
            document_number TEXT,
            name TEXT,
            birth_date TEXT,
            gender TEXT,
            address TEXT,
            issue_date TEXT,
            operator TEXT NOT NULL,
            extra {json} NOT NULL,
            payload {bytes} NOT NULL,
            received_at TEXT NOT NULL,
            clock_offset_seconds {float},
            batch_id TEXT NOT NULL
        )""",
        "CREATE INDEX entries_checkpoint_time ON entries (checkpoint_id, scanned_at)",
        "CREATE INDEX entries_subject_time ON entries (subject_key, scanned_at)",
        """
        CREATE TABLE batches (
            seq {serial},
            batch_id TEXT NOT NULL,
            kiosk_id TEXT NOT NULL,
            sent_at TEXT,
            received_at TEXT NOT NULL,
            clock_offset_seconds {float},
            entries INTEGER NOT NULL,
            accepted INTEGER NOT NULL,
            duplicate INTEGER NOT NULL,
            rejected INTEGER NOT NULL
        )""",
        "CREATE INDEX batches_kiosk ON batches (kiosk_id, seq)",
    ],
    [
        # v2: the checkpoint registry, kiosk health, and per-checkpoint per-day aggregates
        # (counts only, no personal data) that reports read and that outlive raw entries.
        "ALTER TABLE checkpoints ADD COLUMN province TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE checkpoints ADD COLUMN district TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE checkpoints ADD COLUMN commune TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE checkpoints ADD COLUMN kind TEXT NOT NULL DEFAULT 'other'",
        "ALTER TABLE checkpoints ADD COLUMN address TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE checkpoints ADD COLUMN latitude {float}",
        "ALTER TABLE checkpoints ADD COLUMN longitude {float}",
        "ALTER TABLE checkpoints ADD COLUMN set_up_on TEXT",
        "ALTER TABLE checkpoints ADD COLUMN closed_on TEXT",
        "UPDATE checkpoints SET set_up_on = substr(created_at, 1, 10)",
        "ALTER TABLE entries ADD COLUMN local_day TEXT",
        "CREATE INDEX entries_day_subject ON entries (local_day, subject_key)",
        "ALTER TABLE kiosks ADD COLUMN refused_attempts {bigint} NOT NULL DEFAULT 0",
        "ALTER TABLE kiosks ADD COLUMN last_refused_at TEXT",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "INSERT INTO settings (key, value) VALUES ('timezone', 'Asia/Ho_Chi_Minh')",
        """
        CREATE TABLE checkpoint_days (
            day TEXT NOT NULL,
            checkpoint_id TEXT NOT NULL,
            scans {bigint} NOT NULL,
            ins {bigint} NOT NULL,
            outs {bigint} NOT NULL,
            manual {bigint} NOT NULL,
            PRIMARY KEY (day, checkpoint_id)
        )""",
        """
        CREATE TABLE checkpoint_hours (
            day TEXT NOT NULL,
            checkpoint_id TEXT NOT NULL,
            hour INTEGER NOT NULL,
            scans {bigint} NOT NULL,
            PRIMARY KEY (day, checkpoint_id, hour)
        )""",
        """
        CREATE TABLE late_arrivals (
            received_on TEXT NOT NULL,
            day TEXT NOT NULL,
            checkpoint_id TEXT NOT NULL,
            entries {bigint} NOT NULL,
            PRIMARY KEY (received_on, day, checkpoint_id)
        )""",
        """
        CREATE TABLE refused_hours (
            kiosk_id TEXT NOT NULL,
            hour TEXT NOT NULL,
            refused {bigint} NOT NULL,
            PRIMARY KEY (kiosk_id, hour)
        )""",
        "CREATE INDEX refused_hours_hour ON refused_hours (hour)",
        """
        CREATE TABLE day_people (
            day TEXT PRIMARY KEY,
            people {bigint} NOT NULL,
            counted_at TEXT NOT NULL
        )""",
        """
        CREATE TABLE kiosk_health (
            kiosk_id TEXT PRIMARY KEY,
            received_at TEXT NOT NULL,
            clock_offset_seconds {float},
            software_version TEXT NOT NULL,
            pending {bigint} NOT NULL,
            oldest_pending_seconds {float},
            rejected {bigint} NOT NULL,
            free_disk_bytes {bigint},
            devices {json} NOT NULL
        )""",
        """
        CREATE TABLE kiosk_health_history (
            kiosk_id TEXT NOT NULL,
            received_at TEXT NOT NULL,
            report {json} NOT NULL
        )""",
        "CREATE INDEX kiosk_health_history_kiosk ON kiosk_health_history (kiosk_id, received_at)",
        "CREATE INDEX kiosk_health_history_time ON kiosk_health_history (received_at)",
    ],
    [
        # v3: the kiosk's verdict on an HC1 certificate (protocol field ``certificate``),
        # NULL for other kinds and for entries from kiosks that predate it.
        "ALTER TABLE entries ADD COLUMN certificate {json}",
    ],
    [
        # v4: contact tracing. A person's scans are found by subject_key (index of v1) or
        # match_key; scans at a checkpoint by time (v1), those of kiosks whose clock was off
        # (filed by corrected local day) by day. Traces are written to an append-only log.
        "CREATE INDEX entries_match_time ON entries (match_key, scanned_at)",
        "CREATE INDEX entries_skewed ON entries (checkpoint_id, local_day) "
        "WHERE clock_offset_seconds > 120 OR clock_offset_seconds < -120",
        """
        CREATE TABLE trace_audit (
            seq {serial},
            at TEXT NOT NULL,
            tracer TEXT NOT NULL,
            channel TEXT NOT NULL,
            reason TEXT NOT NULL,
            whom TEXT NOT NULL,
            period_from TEXT NOT NULL,
            period_to TEXT NOT NULL,
            visits {bigint} NOT NULL,
            contacts {bigint} NOT NULL
        )""",
        {"sqlite": "CREATE TRIGGER trace_audit_no_update BEFORE UPDATE ON trace_audit "
                   "BEGIN SELECT RAISE(ABORT, 'trace_audit is append-only'); END",
         "postgresql": "CREATE FUNCTION trace_audit_refuse() RETURNS trigger LANGUAGE plpgsql "
                       "AS $$ BEGIN RAISE EXCEPTION 'trace_audit is append-only'; END $$"},
        {"sqlite": "CREATE TRIGGER trace_audit_no_delete BEFORE DELETE ON trace_audit "
                   "BEGIN SELECT RAISE(ABORT, 'trace_audit is append-only'); END",
         "postgresql": "CREATE TRIGGER trace_audit_no_change BEFORE UPDATE OR DELETE ON "
                       "trace_audit FOR EACH ROW EXECUTE FUNCTION trace_audit_refuse()"},
        {"sqlite": None,  # no TRUNCATE in SQLite; a DELETE without WHERE fires the trigger
         "postgresql": "CREATE TRIGGER trace_audit_no_truncate BEFORE TRUNCATE ON trace_audit "
                       "FOR EACH STATEMENT EXECUTE FUNCTION trace_audit_refuse()"},
    ],
    [
        # v5: the dashboard's people (argon2 password hashes, never a password) and their
        # sessions (only a hash of each session id is kept).
        """
        CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            district TEXT,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            disabled_at TEXT,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT
        )""",
        """
        CREATE TABLE web_sessions (
            id_hash TEXT PRIMARY KEY,
            user_name TEXT NOT NULL REFERENCES users (name),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL
        )""",
        "CREATE INDEX web_sessions_user ON web_sessions (user_name)",
    ],
    [
        # v6: tracing reads the scans of the people near a visit by their match key (v4) and,
        # for scans without one (manual entries, other codes), by checkpoint and time.
        "CREATE INDEX entries_unmatched ON entries (checkpoint_id, scanned_at) "
        "WHERE match_key IS NULL",
    ],
    [
        # v7: retention, and PostgreSQL's entries partitioned by the day of their UUIDv7 ids
        # (kiosk.central.partitions): the table is renamed, its indexes with it, and its rows
        # copied into the partitioned one (they land in the default partition, which the
        # server splits into days when it opens the database).
        "INSERT INTO settings (key, value) VALUES ('retention_days', '0')",
        *({"sqlite": None, "postgresql": statement} for statement in (
            "ALTER TABLE entries RENAME TO entries_v6",
            "ALTER TABLE entries_v6 RENAME CONSTRAINT entries_pkey TO entries_v6_pkey",
            *(f"ALTER INDEX {index} RENAME TO {index}_v5" for index in _ENTRY_INDEXES),
            'ALTER TABLE entries_v6 ALTER COLUMN id TYPE TEXT COLLATE "C"',
            "CREATE TABLE entries (LIKE entries_v6 INCLUDING DEFAULTS) PARTITION BY RANGE (id)",
            "ALTER TABLE entries ADD PRIMARY KEY (id)",
            *_ENTRY_INDEXES.values(),
            "CREATE TABLE entries_default PARTITION OF entries DEFAULT",
            "INSERT INTO entries SELECT * FROM entries_v6",
            "DROP TABLE entries_v6",
        )),
    ],
    [
        # v8: one-time enrolment codes (kiosk-central kiosks add --qr): only the secret's
        # SHA-256 is kept; a code is used at most once, and not after it expires.
        """
        CREATE TABLE enrolment_codes (
            secret_hash TEXT PRIMARY KEY,
            kiosk_id TEXT NOT NULL REFERENCES kiosks (id),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT
        )""",
    ],
    [
        # v9: one audit log of every disclosure of personal data (kiosk.central.audit): a
        # trace (with its reason and counts) or a view of a page or listing that shows names
        # or document numbers, with who, when, from which address. It takes over the
        # trace_audit rows (same numbers) and, like it, refuses UPDATE, DELETE and TRUNCATE.
        """
        CREATE TABLE audit_log (
            seq {serial},
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            actor TEXT NOT NULL,
            channel TEXT NOT NULL,
            address TEXT,
            subject TEXT NOT NULL,
            reason TEXT,
            period_from TEXT,
            period_to TEXT,
            visits {bigint},
            contacts {bigint}
        )""",
        "CREATE INDEX audit_log_kind ON audit_log (kind, seq)",
        "INSERT INTO audit_log (seq, at, kind, actor, channel, subject, reason, period_from, "
        "period_to, visits, contacts) SELECT seq, at, 'trace', tracer, channel, whom, reason, "
        "period_from, period_to, visits, contacts FROM trace_audit ORDER BY seq",
        {"sqlite": None,
         "postgresql": "SELECT setval(pg_get_serial_sequence('audit_log', 'seq'), "
                       "coalesce(max(seq), 0) + 1, false) FROM audit_log"},
        "DROP TABLE trace_audit",
        {"sqlite": None, "postgresql": "DROP FUNCTION trace_audit_refuse()"},
        {"sqlite": "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
         "postgresql": "CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql "
                       "AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"},
        {"sqlite": "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
         "postgresql": "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON "
                       "audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()"},
        {"sqlite": None,
         "postgresql": "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                       "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()"},
    ],
    [
        # v10: the dashboard's login attempts per client address, shared by every serve
        # process and kept across restarts (kiosk.central.web.login_throttle).
        """
        CREATE TABLE login_attempts (
            address TEXT NOT NULL,
            at {float} NOT NULL
        )""",
        "CREATE INDEX login_attempts_address ON login_attempts (address, at)",
        "CREATE INDEX login_attempts_at ON login_attempts (at)",
    ],
    [
        # v11: tracing reads the scans of the people found near a visit at that checkpoint
        # only: by person and checkpoint, instead of every scan of each person (v4's index)
        # filtered afterwards. The new index serves v4's lookups by person too.
        "DROP INDEX entries_match_time",
        "CREATE INDEX entries_match_place ON entries (match_key, checkpoint_id, scanned_at)",
    ],
    [
        # v12: backlog files are signed with each kiosk's Ed25519 key, of which the centre keeps
        # only the public half (registered at enrolment or over the sync link); the HMAC key
        # that signed format-1 files, which let anyone reading this database forge one, goes.
        "ALTER TABLE kiosks ADD COLUMN signing_key {bytes}",
        "ALTER TABLE kiosks ADD COLUMN signing_key_at TEXT",
        "ALTER TABLE kiosks DROP COLUMN file_key",
    ],
    [
        # v13: contact tracing's stays kept at ingest (kiosk.central.stays): a visit reads the
        # stays overlapping it, one index range, instead of every scan near it. The rows are
        # built from the entries held when the database opens at v13 (Storage._migrated).
        """
        CREATE TABLE stays (
            seq {serial},
            person TEXT NOT NULL,
            checkpoint_id TEXT NOT NULL,
            first_at {float} NOT NULL,
            last_at {float} NOT NULL,
            estimated TEXT,
            first_id TEXT NOT NULL,
            last_id TEXT,
            oldest_id TEXT NOT NULL
        )""",
        {"sqlite": None, "postgresql": 'ALTER TABLE stays ALTER COLUMN oldest_id TYPE TEXT '
                                       'COLLATE "C"'},
        # what a trace reads, from the index alone (PostgreSQL: INCLUDE; SQLite: every column)
        {"sqlite": "CREATE INDEX stays_place ON stays (checkpoint_id, first_at, last_at, "
                   "estimated, person, first_id, last_id)",
         "postgresql": "CREATE INDEX stays_place ON stays (checkpoint_id, first_at) "
                       "INCLUDE (last_at, estimated, person, first_id, last_id)"},
        "CREATE INDEX stays_person ON stays (person, checkpoint_id, first_at)",
        "CREATE INDEX stays_oldest ON stays (oldest_id)",
    ],
    [
        # v14: distinct people per day counted at ingest (kiosk.central.people), so that no
        # report counts them from raw entries: each day's set of subject keys (personal data:
        # it follows the entries' retention and erasure), and per checkpoint-day how many of
        # the day's people were first counted there (a count: it outlives the entries).
        # day_people now holds only the frozen counts of days whose set is gone. The server
        # fills both from the entries held in the migration's transaction (people.recount).
        """
        CREATE TABLE day_subjects (
            day TEXT NOT NULL,
            subject_key TEXT NOT NULL,
            PRIMARY KEY (day, subject_key)
        )""",
        "ALTER TABLE checkpoint_days ADD COLUMN people {bigint} NOT NULL DEFAULT 0",
    ],
    [
        # v15: which document numbers went with which match keys, per local day, kept at
        # ingest (kiosk.central.document_matches): tracing joins a manual entry's typed
        # number to a card's match key with one index range per number, instead of a probe
        # of every day partition. Personal data: it follows the entries' retention and
        # erasure. The server fills it from the entries held in the migration's transaction.
        """
        CREATE TABLE document_matches (
            subject_key TEXT NOT NULL,
            day TEXT NOT NULL,
            match_key TEXT NOT NULL,
            PRIMARY KEY (subject_key, day, match_key)
        )""",
        "CREATE INDEX document_matches_match ON document_matches (match_key, day)",
    ],
    [
        # v16: where each person's scans at each checkpoint end (kiosk.central.stays.Tail), so
        # that a batch whose scans come after them extends the stays from this one row instead
        # of rebuilding them from the scans around. Filled from the entries held when the
        # database opens at v16 (Storage._migrated). Ids compared bytewise, as purge cuts them.
        """
        CREATE TABLE stay_tails (
            person TEXT NOT NULL,
            checkpoint_id TEXT NOT NULL,
            last_at {float} NOT NULL,
            last_id TEXT NOT NULL,
            last_direction TEXT NOT NULL,
            kept_at {float},
            kept_id TEXT,
            kept_direction TEXT,
            PRIMARY KEY (person, checkpoint_id)
        )""",
        {"sqlite": None, "postgresql": 'ALTER TABLE stay_tails ALTER COLUMN last_id TYPE TEXT '
                                       'COLLATE "C", ALTER COLUMN kept_id TYPE TEXT COLLATE "C"'},
    ],
    [
        # v17: the largest clock offset of any batch (LARGEST_CLOCK_OFFSET: how far tracing and
        # the stays' rebuild widen their windows) read from the end of this index on both
        # engines, instead of every row of the batch log, which nothing purges (~50,000 rows
        # a day for a province).
        "CREATE INDEX batches_offset ON batches ((abs(clock_offset_seconds)))",
    ],
    [
        # v18: what the scans of each stay say, stored once per distinct saying
        # (kiosk.central.identities): a trace names its contacts from the few thousand
        # identities of the stays it shared instead of tens of thousands of scans read from
        # every day partition. Personal data: an identity goes with the last scan saying it
        # (``last_day``: the UTC day of its id, as purge cuts ids). Every stay, tail and identity
        # is rebuilt from the entries held when the database opens at v18 (Storage._migrated).
        """
        CREATE TABLE identities (
            id {bigint} PRIMARY KEY,
            kind TEXT,
            name TEXT,
            birth_date TEXT,
            document_number TEXT,
            phone TEXT,
            last_day TEXT NOT NULL
        )""",
        {"sqlite": None, "postgresql": 'ALTER TABLE identities ALTER COLUMN last_day TYPE TEXT '
                                       'COLLATE "C"'},
        {"sqlite": "DELETE FROM stays", "postgresql": "TRUNCATE stays"},  # rebuilt below
        "ALTER TABLE stays ADD COLUMN first_identity {bigint}",
        "ALTER TABLE stays ADD COLUMN last_identity {bigint}",
        "DROP INDEX stays_place",
        {"sqlite": "CREATE INDEX stays_place ON stays (checkpoint_id, first_at, last_at, "
                   "estimated, person, first_id, last_id, first_identity, last_identity)",
         "postgresql": "CREATE INDEX stays_place ON stays (checkpoint_id, first_at) "
                       "INCLUDE (last_at, estimated, person, first_id, last_id, "
                       "first_identity, last_identity)"},
    ],
    [
        # v19: a report reads a day's aggregates from the primary key's B-tree alone, where
        # they lie together in day order, instead of fetching each row from the table, where
        # updates and reused space scatter a day's rows: fully cold at 10 M entries the daily
        # report read 6,396 of checkpoint_days' 12,349 pages and 18,273 of checkpoint_hours'
        # 24,292 for one day (2.6 s). PostgreSQL: the keys INCLUDE the counts (index-only
        # scans; autovacuum follows the tables' writes, not their size, so a finished day's
        # pages are marked all-visible soon after its last update). SQLite: the tables are
        # rebuilt WITHOUT ROWID, stored in their keys' order.
        *({"sqlite": None, "postgresql": statement} for statement in (
            "CREATE UNIQUE INDEX checkpoint_days_covering ON checkpoint_days (day, checkpoint_id) "
            "INCLUDE (scans, ins, outs, manual, people)",
            "ALTER TABLE checkpoint_days DROP CONSTRAINT checkpoint_days_pkey, ADD CONSTRAINT "
            "checkpoint_days_pkey PRIMARY KEY USING INDEX checkpoint_days_covering",
            "CREATE UNIQUE INDEX checkpoint_hours_covering ON checkpoint_hours "
            "(day, checkpoint_id, hour) INCLUDE (scans)",
            "ALTER TABLE checkpoint_hours DROP CONSTRAINT checkpoint_hours_pkey, ADD CONSTRAINT "
            "checkpoint_hours_pkey PRIMARY KEY USING INDEX checkpoint_hours_covering",
            *(f"ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0, "
              f"autovacuum_vacuum_threshold = 20000, autovacuum_vacuum_insert_scale_factor = 0, "
              f"autovacuum_vacuum_insert_threshold = 20000)"
              for table in ("checkpoint_days", "checkpoint_hours")))),
        *({"sqlite": statement, "postgresql": None} for statement in (
            """
            CREATE TABLE checkpoint_days_v19 (
                day TEXT NOT NULL,
                checkpoint_id TEXT NOT NULL,
                scans INTEGER NOT NULL,
                ins INTEGER NOT NULL,
                outs INTEGER NOT NULL,
                manual INTEGER NOT NULL,
                people INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (day, checkpoint_id)
            ) WITHOUT ROWID""",
            "INSERT INTO checkpoint_days_v19 (day, checkpoint_id, scans, ins, outs, manual, "
            "people) SELECT day, checkpoint_id, scans, ins, outs, manual, people "
            "FROM checkpoint_days",
            "DROP TABLE checkpoint_days",
            "ALTER TABLE checkpoint_days_v19 RENAME TO checkpoint_days",
            """
            CREATE TABLE checkpoint_hours_v19 (
                day TEXT NOT NULL,
                checkpoint_id TEXT NOT NULL,
                hour INTEGER NOT NULL,
                scans INTEGER NOT NULL,
                PRIMARY KEY (day, checkpoint_id, hour)
            ) WITHOUT ROWID""",
            "INSERT INTO checkpoint_hours_v19 (day, checkpoint_id, hour, scans) "
            "SELECT day, checkpoint_id, hour, scans FROM checkpoint_hours",
            "DROP TABLE checkpoint_hours",
            "ALTER TABLE checkpoint_hours_v19 RENAME TO checkpoint_hours")),
    ],
    [
        # v20: the tables derived from entries (day sets and people, document matches, stays,
        # tails, identities) are computed after the acknowledgement, many batches at a time
        # (kiosk.central.derivation): each ingest transaction queues the ids of the entries
        # it stored, one row, removed by the step that derives them. Ids only: nothing
        # personal. SQLite's AUTOINCREMENT never numbers a row below one removed, so a
        # reader's "up to the last row queued before me" stays meaningful.
        {"sqlite": """
            CREATE TABLE derive_queue (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                entries INTEGER NOT NULL,
                entry_ids TEXT NOT NULL
            )""",
         "postgresql": """
            CREATE TABLE derive_queue (
                seq BIGSERIAL PRIMARY KEY,
                entries INTEGER NOT NULL,
                entry_ids TEXT NOT NULL
            )"""},
    ],
    [
        # v21, SQLite: entries_day_subject (local_day, subject_key) served the distinct people
        # of a day, which the day sets keep since v14. Its keys put each batch's people all
        # over each day's range, a page written a person and batch: 1.4 KB of disk and 2-5 µs
        # of processor an entry at ingest (docs/benchmarks.md, sync). Tracing's first day held
        # reads the end of an index of the day as an expression (min(local_day || '')), whose
        # keys follow the batches; equality on local_day cannot use it, so forgetting a
        # document match (purge, erasure) finds the person's other scans by subject or match
        # key, not by reading the whole day. PostgreSQL keeps the index: its day partitions'
        # document matches are forgotten and added back through it (document_matches.FORGET,
        # RESTORE). IF EXISTS: tests take a database back to an older version and migrate it.
        {"sqlite": "DROP INDEX IF EXISTS entries_day_subject", "postgresql": None},
        {"sqlite": "CREATE INDEX IF NOT EXISTS entries_first_day ON entries ((local_day || ''))",
         "postgresql": None},
    ],
    [
        # v22: a derivation step that fails (a damaged row, a constraint, a bug) no longer
        # blocks every reader behind it: the step retries smaller parts down to the entries
        # that fail and sets those aside here, with the error, for the operator to see and
        # retry (``kiosk-central derivation``); readers say how many entries they could not
        # count. Each queued row also names the kiosk whose batch it is, so that the
        # derivation time is charged to that kiosk's share (kiosk.central.shares). Ids
        # only, as in derive_queue: nothing personal.
        "ALTER TABLE derive_queue ADD COLUMN kiosk_id TEXT",
        """
        CREATE TABLE derive_set_aside (
            seq {serial},
            kiosk_id TEXT,
            entries INTEGER NOT NULL,
            entry_ids TEXT NOT NULL,
            error TEXT NOT NULL,
            set_aside_at TEXT NOT NULL
        )""",
    ],
    [
        # v23, PostgreSQL: the document matches a purge deleted, kept in the transaction that
        # deletes them until it has added back those an entry held stands for
        # (kiosk.central.document_matches.RESTORE). They were kept in the purge's memory
        # only: a purge that died between the two lost for good the matches of scans stored
        # while it ran. Personal data, for seconds: the storage opened next finishes what a
        # purge left. The server rebuilds the matches from the entries held in the
        # migration's transaction, bringing back those a purge lost so before.
        {"sqlite": None, "postgresql": """
            CREATE TABLE forgotten_matches (
                subject_key TEXT NOT NULL,
                day TEXT NOT NULL,
                match_key TEXT NOT NULL,
                PRIMARY KEY (subject_key, day, match_key)
            )"""},
    ],
    [
        # v24: a batch's entries of the boot it was sent in are timed by their age on the
        # kiosk's monotonic clock (kiosk.sync.protocol.Timing), each by its own offset, which
        # may be larger than the batch's (scans made at 1970, sent once the clock was set).
        # The log keeps the largest of them, read like the batch's own from an index's end
        # (LARGEST_CLOCK_OFFSET), so that tracing still widens its reads far enough.
        "ALTER TABLE batches ADD COLUMN entry_offset_seconds {float}",
        "CREATE INDEX batches_entry_offset ON batches ((abs(entry_offset_seconds)))",
    ],
    [
        # v25: how far any kiosk clock ran ahead, read from this index's start
        # (LEAST_CLOCK_OFFSET): only a clock ahead files a scan before the day of its id, so
        # only that bounds the scans purge and erasure look for past their cutoff
        # (Storage.filed_before). The largest offset either way bounded them: since v24 one
        # scan timed at 1970 (+56 years) made every purge read every skewed scan held.
        # v24's entry offset is the largest either way, which in the same batch may hide an
        # entry ahead: the held entries ahead say how far, read in one grouped pass over the
        # skewed ones (through entries_skewed), never once per batch: entries has no index
        # by batch, and every v24 batch from a kiosk 2+ minutes behind has such an offset.
        "ALTER TABLE batches ADD COLUMN least_offset_seconds {float}",
        "UPDATE batches SET least_offset_seconds = CASE WHEN clock_offset_seconds IS NULL "
        "OR entry_offset_seconds < clock_offset_seconds THEN entry_offset_seconds "
        "ELSE clock_offset_seconds END",
        MIGRATED_AHEAD,
        "CREATE INDEX batches_least_offset ON batches (least_offset_seconds)",
    ],
    [
        # v26: the entries a batch sent that were filed before the latest purge's cut
        # (kiosk.sync.protocol.PAST_RETENTION) are answered duplicate yet neither stored nor
        # counted; the batch log counted them among its duplicates, telling whoever reads it
        # they are held at the centre. From now on they are counted apart: accepted +
        # duplicate + past_retention + rejected = entries. The batches logged before stay as
        # they were: their duplicates may include such entries, which cannot be told apart
        # after the fact (they are not held, nor is the cut of then), so their
        # past_retention reads 0. A constant default adds the column without rewriting or
        # reading the table on either engine (PostgreSQL 11+ keeps it in the catalogue):
        # the log holds ~50,000 rows a day for a province.
        "ALTER TABLE batches ADD COLUMN past_retention INTEGER NOT NULL DEFAULT 0",
    ],
    [
        # v27: why a kiosk that still reports its health sends no batches, as its latest
        # report says it (kiosk.sync.protocol.Health.uploads_paused: a code, worded by the
        # dashboard and the reports in their reader's language); NULL while it uploads, and
        # for every report before. A column with no default: added without rewriting.
        "ALTER TABLE kiosk_health ADD COLUMN uploads_paused TEXT",
    ],
    [
        # v28: the ids of the entries whose id is more than a day from their scanned_at
        # (kiosk.ids.uuid7 before BACK_STEP_MS kept a kiosk's ids at the time its clock
        # last read when the clock was set back while it ran: ids ahead of right scans). Purge and
        # erasure choose entries by id day, and past it only those of a clock ahead
        # (entries_skewed): such entries kept their names until their ids' day passed the
        # cutoff, a year for a year ahead (Storage.filed_before reads them here). Ids only,
        # written by ingest for the few such entries; entries stored before are not listed.
        {"sqlite": "CREATE TABLE IF NOT EXISTS entries_id_off (id TEXT PRIMARY KEY)",
         "postgresql": 'CREATE TABLE IF NOT EXISTS entries_id_off (id TEXT COLLATE "C" '
                       'PRIMARY KEY)'},  # ids compare as entries' do (v7)
    ],
    [
        # v29: a trace's second degree in its audit record (kiosk.central.audit): how many top
        # contacts it traced onward, and how many people that named beyond its first-degree
        # contacts (each once) — disclosed too, and counted nowhere before. NULL for the
        # other kinds and for the traces recorded before. Columns with no default: added
        # without rewriting the log (its triggers refuse only UPDATE, DELETE and TRUNCATE).
        "ALTER TABLE audit_log ADD COLUMN second_degree {bigint}",
        "ALTER TABLE audit_log ADD COLUMN second_contacts {bigint}",
    ],
    [
        # v30: the hashes of the tokens a kiosk no longer holds, replaced by a re-issue
        # (`kiosks token`) or an enrolment code redeemed, so that one still used is refused
        # as unknown yet counted and reported (replaced_token_in_use: a stolen machine still
        # knocking once its kiosk is restored on another), as a revoked kiosk's attempts are
        # on its row (v2); a revoked token stays there. Hashes only, no person; the newest
        # few of each kiosk (kiosk.central.storage.RETIRED_TOKENS_KEPT).
        """
        CREATE TABLE IF NOT EXISTS retired_tokens (
            token_hash TEXT PRIMARY KEY,
            kiosk_id TEXT NOT NULL REFERENCES kiosks (id),
            retired_at TEXT NOT NULL,
            attempts {bigint} NOT NULL DEFAULT 0,
            last_attempt_at TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS retired_tokens_kiosk ON retired_tokens (kiosk_id, retired_at)",
    ],
    [
        # v31: the scans a kiosk marked duplicate (the same person again within its
        # duplicate window) are counted apart, as ``kiosk stats`` counts them: still scans,
        # no longer entries or exits (kiosk.central.aggregates.Tally.add). The days counted
        # before are corrected from the raw entries held (MIGRATED_DUPLICATES); a day whose
        # entries were purged keeps its figures, its duplicates unknown (0). PostgreSQL: the
        # primary key's index INCLUDEs the new count too (v19: reports read the index alone).
        "ALTER TABLE checkpoint_days ADD COLUMN duplicates {bigint} NOT NULL DEFAULT 0",
        *({"sqlite": None, "postgresql": statement} for statement in (
            "CREATE UNIQUE INDEX checkpoint_days_covering ON checkpoint_days (day, checkpoint_id) "
            "INCLUDE (scans, ins, outs, manual, people, duplicates)",
            "ALTER TABLE checkpoint_days DROP CONSTRAINT checkpoint_days_pkey, ADD CONSTRAINT "
            "checkpoint_days_pkey PRIMARY KEY USING INDEX checkpoint_days_covering")),
        MIGRATED_DUPLICATES,
    ],
    [
        # v32: a day's people are counted by the identity tracing uses: day_subjects holds an
        # entry's match key beside its subject key (kiosk.central.people), so that a CCCD and
        # a masked PC-Covid code of one person count once. Nothing changes shape; the days
        # whose sets are held are recounted when a database reaches it (Storage._migrated),
        # frozen days keep their counts.
    ],
    [
        # v33: a trace by name and birth year reads only the scans that may carry them.
        # A match key is "m:" + 6 digits + "|" + folded name + "|" + year
        # (kiosk.payloads.identity.make_match_key), so substr(match_key, 10) is the name and
        # year: an equality served by an expression index (both engines), where the
        # match_key LIKE '%|NAME|YEAR' before read every scan of the period. The scans
        # without a match key (manual entries, certificates), whose names are folded in
        # Python, are read by day from a partial index (entries_unmatched leads with the
        # checkpoint); SQLite's holds what is read, so that no row is looked up (not
        # PostgreSQL's: a b-tree row holds 2,704 bytes, a name up to 4,096 characters). On
        # PostgreSQL each partition's index is built inside the migration's transaction,
        # the table locked against writes meanwhile: ~5 s for 2.5 M entries, a minute or
        # two for a province's month (docs/benchmarks.md), once.
        "CREATE INDEX IF NOT EXISTS entries_named ON entries (substr(match_key, 10), local_day)",
        {"sqlite": "CREATE INDEX IF NOT EXISTS entries_unmatched_day ON entries (local_day, "
                   "subject_key, name, birth_date, match_key) WHERE match_key IS NULL",
         "postgresql": "CREATE INDEX IF NOT EXISTS entries_unmatched_day ON entries (local_day) "
                       "WHERE match_key IS NULL"},
    ],
    [
        # v34: the backlog signing keys a kiosk no longer holds, replaced or cleared by an
        # administrator (`kiosks signing-key --set/--reset`) or by an enrolment code
        # redeemed, with when and why: a file the kiosk signed before (a stick in transit
        # when its disk died) still imports, its entries taken before the retirement only
        # (kiosk.central.importer). Public keys, no person.
        """
        CREATE TABLE IF NOT EXISTS retired_signing_keys (
            seq {serial},
            kiosk_id TEXT NOT NULL REFERENCES kiosks (id),
            fingerprint TEXT NOT NULL,
            signing_key {bytes} NOT NULL,
            registered_at TEXT,
            retired_at TEXT NOT NULL,
            reason TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS retired_signing_keys_kiosk ON retired_signing_keys "
        "(kiosk_id, fingerprint)",
    ],
    [
        # v35: the entries whose time is uncertain (kiosk.sync.protocol.Timing): sent by a
        # kiosk that does not say how long it slept, filed by their age on its monotonic
        # clock, which their kiosk clock says is later than they were scanned, by more than
        # a minute: a suspend between scan and send (the kiosk clock right) or that clock
        # set forward between them (the monotonic right). Each with the offset its kiosk
        # clock would have filed it by; the daily report lists the kiosks whose scans of
        # the day these are. Written by ingest for the few such entries.
        {"sqlite": "CREATE TABLE IF NOT EXISTS entries_time_uncertain (id TEXT PRIMARY KEY, "
                   "kiosk_clock_offset_seconds {float} NOT NULL)",
         "postgresql": 'CREATE TABLE IF NOT EXISTS entries_time_uncertain (id TEXT COLLATE "C" '
                       "PRIMARY KEY, kiosk_clock_offset_seconds {float} NOT NULL)"},
    ],
    [
        # v36: wrong passwords are counted per login name and client address, so that a
        # stranger's guesses lock the name from the stranger's address only; the row of
        # address '*' counts a name's failures from every address (the cap on guessing
        # spread over many). Any well-formed name has rows, known or not: a lock must not
        # tell which names exist. An address the name signed in from is remembered
        # (signed_in_at) for the cap (kiosk.central.web.users). users.failed_logins and
        # users.locked_until are no longer read (SQLite before 3.35 cannot drop a column).
        """
        CREATE TABLE IF NOT EXISTS login_failures (
            name TEXT NOT NULL,
            address TEXT NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0,
            failed_at TEXT,
            locked_until TEXT,
            signed_in_at TEXT,
            PRIMARY KEY (name, address)
        )""",
        # every attempt's prune (users._PRUNE) reads only the rows whose hour is over,
        # not every guessed name's: a million rows cost 44-99 ms of SQLite's write lock
        "CREATE INDEX IF NOT EXISTS login_failures_stale ON login_failures "
        "((coalesce(failed_at, '')))",
    ],
    [
        # v37: a day's people no longer depend on the order its entries arrive
        # in. A document number typed with no card that day is a person of its own until a
        # match key comes with it; day_subjects keeps where it was counted, so that the
        # card (the person perhaps counted already by a masked PC-Covid code) takes it out
        # there (kiosk.central.people.count_new). The days whose sets are held are
        # recounted when a database reaches it (Storage._migrated): before, a typed number,
        # then a masked code, then the card counted 2 people, and a number's two match
        # keys 1; frozen days keep their counts. The recount refills the sets from the
        # entries, so the table is made anew rather than altered (the same whether or not
        # a database taken back to an older version for a test still has the column).
        "DROP TABLE day_subjects",
        """
        CREATE TABLE day_subjects (
            day TEXT NOT NULL,
            subject_key TEXT NOT NULL,
            lone_checkpoint TEXT,
            PRIMARY KEY (day, subject_key)
        )""",
        "CREATE INDEX day_subjects_lone ON day_subjects (day, subject_key) "
        "WHERE lone_checkpoint IS NOT NULL",
    ],
    [
        # v38: an entry is late when it reached the centre after its day's 06:00
        # report was made (kiosk.central.localdays.REPORT_TIME), no longer from local
        # midnight: late_arrivals.received_on is the day whose report is the first made
        # after it arrived, and each row keeps the latest time one of its entries was
        # received, so that `report monthly --if-due` remakes a month's report made before.
        # The rows of the days whose raw entries are held are recounted by those rules
        # (aggregates.recount_late, Storage._migrated); a day purged before keeps its rows
        # as counted then (from midnight, its latest receipt unknown: NULL). The recount
        # reads each held day's entries received after its 06:00, grouped by minute of
        # receipt: 0.4 s for 1.5 M live-synced SQLite entries (docs/benchmarks.md), once.
        "ALTER TABLE late_arrivals ADD COLUMN last_received_at TEXT",
    ],
    [
        # v39: what reports group and count a point by, as it was on each
        # day: its place and kind from the local day an edit took effect
        # (checkpoint_versions), and each stretch of days it was set up (checkpoint_periods:
        # a reopening starts a new one, the closed one stays). A report for a past day reads
        # the point as it was then (kiosk.central.reports.Snapshot). Each point's history is
        # seeded from its row: what it was before the upgrade is not known.
        """
        CREATE TABLE IF NOT EXISTS checkpoint_versions (
            checkpoint_id TEXT NOT NULL REFERENCES checkpoints (id),
            from_day TEXT NOT NULL,
            province TEXT NOT NULL,
            district TEXT NOT NULL,
            commune TEXT NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (checkpoint_id, from_day)
        )""",
        """
        CREATE TABLE IF NOT EXISTS checkpoint_periods (
            checkpoint_id TEXT NOT NULL REFERENCES checkpoints (id),
            set_up_on TEXT NOT NULL,
            closed_on TEXT,
            PRIMARY KEY (checkpoint_id, set_up_on)
        )""",
        *SEED_HISTORY,
    ],
    [
        # v40: when each day's daily report was made by a `report daily --out-dir` run at
        # or after its 06:00 (the timer's, which starts up to a minute late, or hours late
        # when it catches up): the entries received from 06:00 until then are in that
        # report, not late (aggregates.report_made). A day not recorded: 06:00. (IF NOT
        # EXISTS: a test taking a database back to an older version keeps the table.)
        """
        CREATE TABLE IF NOT EXISTS daily_reports (
            day TEXT PRIMARY KEY,
            made_at TEXT NOT NULL
        )""",
    ],
    [
        # v41: the browsers a name signed in on (OWASP's device cookie): each sign-in gives
        # its browser a random id, kept here as its SHA-256 with the name, when it was
        # given and the wrong passwords typed with it. A browser whose cookie is here spares
        # that name's locks and hold; DEVICE_FAILURES wrong passwords, a year, a new
        # password, a disabling or an unlock end that (kiosk.central.web.users). Before, the
        # cookie was the name signed: one value for ever, never counted nor revoked.
        """
        CREATE TABLE IF NOT EXISTS login_devices (
            id_hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            issued_at TEXT NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX IF NOT EXISTS login_devices_name ON login_devices (name)",
        "CREATE INDEX IF NOT EXISTS login_devices_issued ON login_devices (issued_at)",
    ],
    [
        # v42: whom a trace showed, in its audit record (kiosk.central.audit.person_mark):
        # a hash of each person found's and each contact's key, so that "who was shown my
        # data?" can be answered (`audit list --disclosed`). NULL for the other kinds and
        # for the traces recorded before. No default: added without rewriting the log.
        "ALTER TABLE audit_log ADD COLUMN disclosed TEXT",
    ],
    [
        # v43: the highest batch log number (batches.seq) each making's snapshot saw: an
        # entry is in its day's report when its batch's number is at most that, whenever it
        # was received (a batch takes its receive time before it waits for a report being
        # made). A making recorded before: NULL, judged by its making time.
        "ALTER TABLE daily_reports ADD COLUMN batches_seen {bigint}",
    ],
    [
        # v44: a user's records by time, read before each of their traces (the hourly
        # limit counts their answers; a refusal is recorded once a minute at most): before,
        # every trace ever recorded was read through the kind's index.
        "CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor, at)",
    ],
    [
        # v45: the traces being answered now, one row each until its audit record is
        # written (kiosk.central.trace_service.within_limit): counted with those recorded
        # against a user's hourly limit by every serve process. Before, each process
        # counted its own, and a burst spread over --workers N passed it by up to N - 1.
        """
        CREATE TABLE IF NOT EXISTS trace_claims (
            id TEXT PRIMARY KEY,
            actor TEXT NOT NULL,
            claimed_at TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS trace_claims_actor ON trace_claims (actor)",
    ],
    [
        # v46: the report each making made, its JSON (counts, points and kiosks, no
        # person): a day's file made again is that report, its activity and the kiosks'
        # problems as they were then (kiosk.central.reports.made_daily). NULL for the
        # makings before: made again from the entries they counted, the rest as now.
        "ALTER TABLE daily_reports ADD COLUMN report TEXT",
    ],
    [
        # v47: the kept report zlib-compressed (kiosk.central.aggregates.pack_report): as
        # text it took ~370 KB a day at 2,000 points on SQLite, ~1.1 GB a year at 20,000,
        # kept as long as the counts (docs/central.md, "How long data stays"). The rows
        # held are compressed when a database reaches it (Storage._migrated); SQLite keeps
        # the column's declared TEXT, its values BLOBs (no table rebuilt for a type name).
        {"postgresql": "ALTER TABLE daily_reports ALTER COLUMN report TYPE BYTEA "
                       "USING convert_to(report, 'UTF8')",
         "sqlite": "UPDATE daily_reports SET report = CAST(report AS BLOB) "
                   "WHERE report IS NOT NULL"},
    ],
    [
        # v48: the centre's id, random, made once (kiosk.central.backlog_key.centre_id): it
        # is given to kiosks with the backlog key and sealed into every answer to a backlog
        # file, so that a kiosk refuses the answer of another database holding the same key
        # (a staging centre made with production's key file, a second `init --db`): before,
        # that answer acknowledged entries its own centre never received.
        {"postgresql": "INSERT INTO settings (key, value) VALUES "
                       "('centre_id', replace(gen_random_uuid()::text, '-', '')) "
                       "ON CONFLICT (key) DO NOTHING",
         "sqlite": "INSERT INTO settings (key, value) VALUES "
                   "('centre_id', lower(hex(randomblob(16)))) ON CONFLICT (key) DO NOTHING"},
    ],
    [
        # v49: where a kiosk's calls come from. A token copied from a stolen laptop or a
        # backup worked beside the genuine kiosk and the centre could not tell them apart:
        # each batch now keeps the kiosk's boot id (as sent, feature send-clock) and the
        # client's address, and ``kiosk_sources`` keeps each (token, boot id) the kiosk
        # was heard from: from which address, first and last heard, and that boot's own
        # health figures, so that two machines' reports never overwrite each other unseen
        # (kiosk.central.heartbeat). ``kiosk_health.sources``: the sources heard at
        # overlapping times under the kiosk's token (NULL: one), the Kiosks page's flag.
        "ALTER TABLE batches ADD COLUMN boot_id TEXT",
        "ALTER TABLE batches ADD COLUMN address TEXT",
        "ALTER TABLE kiosk_health ADD COLUMN sources {json}",
        """
        CREATE TABLE kiosk_sources (
            kiosk_id TEXT NOT NULL REFERENCES kiosks (id),
            token_hash TEXT NOT NULL,
            boot_id TEXT NOT NULL,
            address TEXT,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            heartbeats {bigint} NOT NULL DEFAULT 0,
            health_at TEXT,
            pending {bigint},
            oldest_pending_seconds {float},
            PRIMARY KEY (kiosk_id, token_hash, boot_id)
        )""",
    ],
    [
        # v50: a closed month's report as the dashboard built it once it was due
        # (kiosk.central.reports.kept_monthly), compressed as a kept daily report: each
        # view built it again, 8-11 s on a province. Built again when entries of the month
        # arrive late (its late list is no longer the one kept).
        """
        CREATE TABLE IF NOT EXISTS monthly_reports (
            month TEXT NOT NULL,
            timezone TEXT NOT NULL,
            made_at TEXT NOT NULL,
            report {bytes} NOT NULL,
            PRIMARY KEY (month, timezone)
        )""",
    ],
    [
        # v51: a manual entry without a document keyed by its phone in E.164 (+84…), not as
        # typed (0… and +84… were two people). No table changes: the entries held, and the
        # day sets, are keyed again when a database reaches it (Storage._migrated,
        # kiosk.central.manual_keys.rekey_held).
    ],
    [
        # v52: a copied token's entries set aside (kiosk.central.copied_sources). An admin
        # names a source the batch log shows (the kiosk and the boot id its batches came
        # from: kiosks sources); its entries move, whole, to ``entries_set_aside`` — out of
        # every count, day set, match, stay and trace, kept as evidence with the boot they
        # were set aside under — and back on ``kiosks bring-back``. ``set_aside_sources``
        # holds the sources set aside now (who, when, why: the audit log keeps each act),
        # so that a batch of one arriving later is set aside as it is stored. The copy of
        # entries takes their columns as they are now: a migration adding a column to
        # entries adds it here too (tests/test_central_set_aside.py compares them).
        """
        CREATE TABLE IF NOT EXISTS set_aside_sources (
            kiosk_id TEXT NOT NULL REFERENCES kiosks (id),
            boot_id TEXT NOT NULL,
            set_at TEXT NOT NULL,
            set_by TEXT NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (kiosk_id, boot_id)
        )""",
        {"sqlite": "CREATE TABLE IF NOT EXISTS entries_set_aside AS SELECT *, "
                   "CAST(NULL AS TEXT) AS set_aside_boot FROM entries WHERE 0",
         "postgresql": "CREATE TABLE IF NOT EXISTS entries_set_aside "
                       "(LIKE entries INCLUDING DEFAULTS)"},
        {"sqlite": None,
         "postgresql": "ALTER TABLE entries_set_aside ADD COLUMN IF NOT EXISTS set_aside_boot "
                       "TEXT"},
        "CREATE UNIQUE INDEX IF NOT EXISTS entries_set_aside_id ON entries_set_aside (id)",
        "CREATE INDEX IF NOT EXISTS entries_set_aside_source ON entries_set_aside "
        "(kiosk_id, set_aside_boot)",
    ],
    [
        # v53: a manual entry of another country's document keyed fdoc:<number>, apart from
        # the Vietnamese document of that number (doc:). No table changes: the entries held
        # are keyed again, and their day sets with them, when a database reaches it
        # (Storage._migrated, kiosk.central.manual_keys.rekey_foreign_held).
    ],
    [
        # v54: a password an administrator set for someone else (the Users page, users
        # reset-password) is changed by its owner at the next sign-in
        # (kiosk.central.web.users): the administrator no longer knows it for good.
        "ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0",
    ],
    [
        # v55: when a kiosk's refused count of each UTC hour was last stored or changed
        # (none: before this version): a kiosk offline at a month's end reports its refusals
        # of the last evening when it is back, after the month's report was due, and the
        # report kept or written then is stale (kiosk.central.reports.changed_since). The
        # months kept are built again once: they were kept without this rule, nor the
        # registry's (settings.registry_changed_at). (IF NOT EXISTS: a test taking a
        # database back to an older version keeps the table.)
        """
        CREATE TABLE IF NOT EXISTS refused_changes (
            hour TEXT PRIMARY KEY,
            changed_at TEXT NOT NULL
        )""",
        "DELETE FROM monthly_reports",
    ],
    [
        # v56: an entry held that a batch of another boot of its kiosk sent too (answered
        # duplicate), with that boot ('' for a batch naming none): a backup of the kiosk's
        # store restored elsewhere sends the outbox it holds first, and the genuine kiosk's
        # own send of those scans is acknowledged, never made again. Setting aside the boot
        # that stored such an entry keeps it in place: it is the other boot's as well
        # (kiosk.central.copied_sources). Ids only; purged with the entries.
        {"sqlite": "CREATE TABLE IF NOT EXISTS entries_sent_again (id TEXT NOT NULL, "
                   "boot_id TEXT NOT NULL, PRIMARY KEY (id, boot_id))",
         "postgresql": 'CREATE TABLE IF NOT EXISTS entries_sent_again (id TEXT COLLATE "C" '
                       "NOT NULL, boot_id TEXT NOT NULL, PRIMARY KEY (id, boot_id))"},
    ],
    [
        # v57: match keys with an eth (Ð: cp1258's Đ read as cp1252, in a PC-Covid code's
        # name) folded as D (kiosk.payloads.identity.fold_name): her code and her card were
        # two people. No table changes: the keys held that hold an eth, and what is derived
        # from them, are folded again when a database reaches it (Storage._migrated,
        # kiosk.central.eth_keys.refold_held); older kiosks' as they arrive.
    ],
    [
        # v58: a code that names nobody (kind 'other': a web address, a product or venue
        # code) is a scan counted apart (nobody), no longer an entry, an exit or a person
        # (kiosk.central.aggregates.Tally.add), as the kiosk's own counts since its store
        # v16. The days counted before are corrected from the raw entries held
        # (MIGRATED_NOBODY) and their people recounted (Storage._migrated); a day whose
        # entries were purged keeps its figures, its such codes unknown (0); the months
        # kept for the dashboard (v50) are built again, counted by the old days. PostgreSQL:
        # the primary key's index INCLUDEs the new count too (v19, v31).
        "ALTER TABLE checkpoint_days ADD COLUMN nobody {bigint} NOT NULL DEFAULT 0",
        *({"sqlite": None, "postgresql": statement} for statement in (
            "CREATE UNIQUE INDEX checkpoint_days_covering ON checkpoint_days (day, checkpoint_id) "
            "INCLUDE (scans, ins, outs, manual, people, duplicates, nobody)",
            "ALTER TABLE checkpoint_days DROP CONSTRAINT checkpoint_days_pkey, ADD CONSTRAINT "
            "checkpoint_days_pkey PRIMARY KEY USING INDEX checkpoint_days_covering")),
        MIGRATED_NOBODY,
        "DELETE FROM monthly_reports",
    ],
]
"""Forward-only: migration *n* takes the schema from version n to n+1. Append, never edit."""
FOREIGN_DOCUMENT_KEYS_VERSION = 53
"""The schema version from which a manual entry of another country's document is keyed
``fdoc:``: a database from before it has those it holds keyed again when it reaches it."""
LATE_AFTER_REPORT_VERSION = 38
"""The schema version from which an entry is late once its day's report was made: a
database from before it has its late arrivals recounted when it reaches it."""
BATCHES_SEEN_VERSION = 43
"""The schema version from which a daily report's making records the batches its snapshot
saw (``daily_reports.batches_seen``)."""
REPORT_KEPT_VERSION = 46
"""The schema version from which a daily report's making keeps the report it made
(``daily_reports.report``)."""
REPORT_PACKED_VERSION = 47
"""The schema version from which a kept report is stored zlib-compressed: a database from
before it has those it holds compressed when it reaches it."""
CENTRE_ID_VERSION = 48
"""The schema version from which a centre has its id (``settings.centre_id``)."""
KIOSK_SOURCES_VERSION = 49
"""The schema version from which batches and health reports record where they came from
(``batches.boot_id``, ``batches.address``, ``kiosk_sources``, ``kiosk_health.sources``)."""
MANUAL_PHONE_KEYS_VERSION = 51
"""The schema version from which a manual entry without a document is keyed by its phone
in E.164: a database from before it has those it holds keyed again when it reaches it."""
ETH_KEYS_VERSION = 57
"""The schema version from which a match key folds an eth (Ð) as D: a database from before it
has the keys it holds folded again when it reaches it."""
NOBODY_VERSION = 58
"""The schema version from which a code that names nobody is no entry, exit or person
(``checkpoint_days.nobody``): a database from before it has the people of the days it holds
recounted when it reaches it."""
DAY_SUBJECTS_VERSION = 14
"""The schema version that added the day sets: a database from before it is counted into them
when migrated (:meth:`kiosk.central.storage.Storage._migrated`)."""
PERSON_KEYS_VERSION = 37
"""The schema version whose day sets hold what a day's people are counted by (v32: the
match keys too; v37: where a lone document number was counted): a database from
before it has the days whose sets are held recounted when it reaches it."""
DOCUMENT_MATCHES_VERSION = 15
"""The schema version that added ``document_matches``: filled when a database reaches it."""
FORGOTTEN_MATCHES_VERSION = 23
"""The schema version that keeps what a PostgreSQL purge is to add back: a PostgreSQL
database from before it has its document matches rebuilt when it reaches it."""
IDENTITIES_VERSION = 18
"""The schema version that added the stays' identities: every stay, tail and identity is
rebuilt when a database reaches it (v13 added the stays, v16 their tails)."""
IDENTITY_DAYS_VERSION = 24
"""The first schema version whose identities go by the earlier of their scan's id day and
filed day (:func:`kiosk.central.identities.day_of`); before it, by the id's day alone: a
database reaching it has those a kiosk clock ahead dated past any right clock's id dated
again (:func:`kiosk.central.stays.redate_identities_ahead`)."""
LARGEST_CLOCK_OFFSET = (
    "SELECT max(o) FROM (SELECT max(abs(clock_offset_seconds)) AS o FROM batches "
    "UNION ALL SELECT max(abs(entry_offset_seconds)) FROM batches) AS largest")
"""The largest clock offset, either way, of any batch or of any entry timed by its age (v24;
NULL when none has one). Each half written as v17's index ``batches_offset`` and v24's
``batches_entry_offset`` spell it, so that both planners read it from those indexes' ends
(PostgreSQL's and SQLite's min/max optimisations both match the indexed expression)."""

LEAST_CLOCK_OFFSET = "SELECT min(least_offset_seconds) FROM batches"
"""The least clock offset of any batch or of any entry timed by its age (v25; NULL when
none has one): negative, how far the clock furthest ahead ran. Read from the start of the
index ``batches_least_offset`` alone on both engines."""


def statements(migration: list[Statement], types: dict[str, str]) -> list[str]:
    """A migration's statements in one engine's SQL; ``types`` maps every placeholder and
    names the engine (``types["engine"]``) for statements written once per engine."""
    chosen = (s[types["engine"]] if isinstance(s, dict) else s for s in migration)
    return [s.format_map(types) for s in chosen if s is not None]
