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

MIGRATIONS: list[list[str]] = [
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
]
"""Forward-only: migration *n* takes the schema from version n to n+1. Append, never edit."""


def statements(migration: list[str], types: dict[str, str]) -> list[str]:
    """A migration's statements in one engine's SQL; ``types`` maps every placeholder."""
    return [statement.format_map(types) for statement in migration]
