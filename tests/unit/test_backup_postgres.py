"""The PostgreSQL part of backups that needs no server: passwords kept out of messages and command lines, the
client programs found (or one clear line when they are not installed), the dump's COPY data read back."""

from __future__ import annotations

import pytest

from vcnode.backup import BackupError, postgres


def test_a_password_is_never_shown_nor_put_on_a_command_line() -> None:
    url = "postgresql://node:p%40ss:word@db.internal:5432/vcnode?sslmode=require"
    assert postgres.redact(url) == "postgresql://node:***@db.internal:5432/vcnode?sslmode=require"
    assert postgres.redact("postgresql://node@db/vcnode") == "postgresql://node@db/vcnode"
    address, env = postgres._connection(url)
    assert address == "postgresql://node@db.internal:5432/vcnode?sslmode=require"
    assert env["PGPASSWORD"] == "p@ss:word"


def test_missing_client_programs_are_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: nothing on PATH
    monkeypatch.setattr(postgres.glob, "glob", lambda pattern: [])  # and no server packages installed
    with pytest.raises(BackupError) as caught:
        postgres.find_tool("pg_dump")
    assert "pg_dump not found" in str(caught.value) and "\n" not in str(caught.value)


def test_the_newest_installed_server_version_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    found = ["/usr/lib/postgresql/9/bin/pg_restore", "/usr/lib/postgresql/15/bin/pg_restore"]
    monkeypatch.setattr(postgres.glob, "glob", lambda pattern: found)
    assert postgres.find_tool("pg_restore") == "/usr/lib/postgresql/15/bin/pg_restore"


def test_copy_rows_are_read_with_their_escapes() -> None:
    script = ("SET statement_timeout = 0;\n"
              "COPY public.identities (did, label, is_default) FROM stdin;\n"
              "did:key:z6Mkone\tFaculty\\tof Law\t0\n"
              "did:web:issuer.example.edu\t\\N\t1\n"
              "\\.\n")
    rows = postgres._copy_rows(script, "identities")
    assert rows == [{"did": "did:key:z6Mkone", "label": "Faculty\tof Law", "is_default": "0"},
                    {"did": "did:web:issuer.example.edu", "label": None, "is_default": "1"}]
    assert postgres._copy_rows(script, "schema_migrations") == []
