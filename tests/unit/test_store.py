"""The store (SQLite and PostgreSQL, each test that is about the store's behaviour runs on both): migrations,
transactions, constraints. SQLite's own concerns (its write lock, migrations of old files) run on SQLite only."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from vcnode.errors import Conflict
from vcnode.identity.records import IdentityRecord, KeyRecord
from vcnode.store import is_postgres_url, open_store
from vcnode.store.sql import migrations


def key(did: str, n: int, active: bool = True) -> KeyRecord:
    return KeyRecord(f"{did}#k{n}", did, "Ed25519", f"z6Mk{n}", b"sealed", f"2026-01-0{n}T00:00:00Z", None, active)


async def test_migrations_apply_once_and_reopen(store_location: Path | str) -> None:
    store = await open_store(store_location)
    latest = max(number for number, _, _ in migrations("postgresql" if is_postgres_url(store_location) else "sqlite"))
    assert await store.schema_version() == latest
    await store.set_meta("x", "1")
    await store.close()
    store = await open_store(store_location)  # re-running migrations is a no-op
    assert await store.schema_version() == latest and await store.get_meta("x") == "1"
    assert await store.ping()
    await store.close()


async def test_identity_and_key_are_added_atomically(store_location: Path | str) -> None:
    store = await open_store(store_location)
    try:
        ident = IdentityRecord("did:web:a", "web", "a", "", True, "2026-01-01T00:00:00Z")
        await store.add_identity(ident, key("did:web:a", 1))
        clash = IdentityRecord("did:web:b", "web", "a", "b", False, "2026-01-01T00:00:00Z")  # same name
        with pytest.raises(Conflict):
            await store.add_identity(clash, key("did:web:b", 1))
        assert [i.did for i in await store.list_identities()] == ["did:web:a"]
        assert [k.id for k in await store.list_keys()] == ["did:web:a#k1"]  # b's key was rolled back
    finally:
        await store.close()


async def test_rotation_keeps_exactly_one_active_key(store_location: Path | str) -> None:
    store = await open_store(store_location)
    try:
        await store.add_identity(IdentityRecord("did:web:a", "web", "a", "", True, "t"), key("did:web:a", 1))
        retired = await store.rotate_key("did:web:a", key("did:web:a", 2), "2026-01-02T00:00:00Z")
        assert retired.id == "did:web:a#k1" and not retired.active and retired.valid_until == "2026-01-02T00:00:00Z"
        keys = await store.list_keys("did:web:a")
        assert [(k.id, k.active) for k in keys] == [("did:web:a#k2", True), ("did:web:a#k1", False)]
        with pytest.raises(Conflict):  # the same key id again
            await store.rotate_key("did:web:a", key("did:web:a", 2), "x")
        assert len(await store.list_keys("did:web:a")) == 2  # the failed rotation changed nothing
    finally:
        await store.close()


async def test_webvh_log_entries_are_stored_with_their_key_changes(store_location: Path | str) -> None:
    from vcnode.identity.records import WebvhEntryRecord

    did = "did:webvh:Qm1:example.com"
    store = await open_store(store_location)
    try:
        first = WebvhEntryRecord(did, 1, "1-Qma", "2026-01-01T00:00:00Z", '{"versionId":"1-Qma"}')
        await store.add_identity(IdentityRecord(did, "webvh", "a", "", True, "t"), key(did, 1), webvh_entry=first)
        second = WebvhEntryRecord(did, 2, "2-Qmb", "2026-01-02T00:00:00Z", '{"versionId":"2-Qmb"}')
        await store.rotate_key(did, key(did, 2), second.version_time, webvh_entry=second)
        assert await store.list_webvh_entries() == [first, second]
        # Another writer appending its own version 2 fails, and its key change with it: the log never forks.
        fork = WebvhEntryRecord(did, 2, "2-Qmc", "2026-01-03T00:00:00Z", '{"versionId":"2-Qmc"}')
        with pytest.raises(Conflict):
            await store.rotate_key(did, key(did, 3), fork.version_time, webvh_entry=fork)
        assert [k.id for k in await store.list_keys(did) if k.active] == [f"{did}#k2"]
        assert await store.list_webvh_entries() == [first, second]
    finally:
        await store.close()


@pytest.mark.parametrize("other_holds_the_lock", [False, True])
async def test_a_write_waits_for_an_open_read_while_another_process_writes(tmp_path: Path,
                                                                          other_holds_the_lock: bool) -> None:
    """A read of another task still open on the shared connection, and another process (the CLI) that has
    committed since (``SQLITE_BUSY_SNAPSHOT``) or holds the write lock (``SQLITE_BUSY``): SQLite does not wait
    by itself, the store does, and the write goes through once the read ends instead of failing."""
    store = await open_store(tmp_path / "db.sqlite3")
    other = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    try:
        await store.set_meta("a", "1")
        await store.set_meta("b", "1")
        cursor = await store.db.execute("SELECT key FROM meta")
        await cursor.fetchone()  # the read is open: its statement has more rows
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE meta SET value = '2' WHERE key = 'a'")
        if not other_holds_the_lock:
            other.execute("COMMIT")

        async def finish_elsewhere() -> None:
            await asyncio.sleep(0.05)
            await cursor.close()
            if other_holds_the_lock:
                other.execute("COMMIT")

        finishing = asyncio.create_task(finish_elsewhere())
        await store.set_meta("c", "1")
        await finishing
        assert await store.get_meta("a") == "2" and await store.get_meta("c") == "1"
    finally:
        other.close()
        await store.close()


async def test_used_openid_nonces_do_not_count_against_the_limit(store_location: Path | str) -> None:
    """A node handing out c_nonces steadily must not run out: only open nonces count towards the limit (used
    ones stay until they expire, so a replay is still told the nonce was used)."""
    store = await open_store(store_location)
    try:
        assert await store.add_oid4vci_nonce("a", 0.0, 100.0, 2) and await store.add_oid4vci_nonce("b", 0.0, 100.0, 2)
        assert not await store.add_oid4vci_nonce("c", 1.0, 100.0, 2)  # two open: full
        assert await store.consume_oid4vci_nonce("a", 2.0) == "consumed"
        assert await store.add_oid4vci_nonce("c", 3.0, 100.0, 2)  # one open again
        assert await store.consume_oid4vci_nonce("a", 4.0) == "used"  # the replay is still told
    finally:
        await store.close()


def _badge(credential_id: str, learner: str, achievement: str, *, learner_id: str = "did:example:learner",
           achievement_id: str = "urn:uuid:ach-1") -> str:
    import orjson
    return orjson.dumps({"id": credential_id, "name": achievement, "credentialSubject": {
        "id": learner_id, "name": learner, "identifier": [{"type": "IdentityObject", "hashed": True,
                                                             "identityHash": "sha256$ab", "salt": "s"}],
        "achievement": {"id": achievement_id, "type": ["Achievement"], "name": achievement}}}).decode()


@pytest.mark.parametrize("terms_first", [2000, 0], ids=["from-the-terms", "walking-the-credentials"])
async def test_issued_credentials_are_found_by_words_of_their_names_and_ids_a_page_at_a_time(
        store_location: Path | str, monkeypatch: pytest.MonkeyPatch, terms_first: int) -> None:
    from vcnode.credentials.records import CredentialRecord
    from vcnode.store import search
    from vcnode.store.search import email_term

    # Both ways of answering (few matching terms, many) give the same answers.
    monkeypatch.setattr(search, "SEARCH_TERMS_FIRST", terms_first)

    store = await open_store(store_location)
    try:
        rows = [("urn:uuid:0001", "did:web:a", "Chan Tai Man", "Introduction to Python", "2026-01-01T00:00:01"),
                ("urn:uuid:0002", "did:web:a", "陳大文", "數據分析入門", "2026-01-01T00:00:02"),
                ("urn:uuid:0003", "did:web:b", "Chan Siu Ming", "Python for Data", "2026-01-01T00:00:03")]
        async with store.issuance() as transaction:
            await transaction.save_credentials([
                CredentialRecord(cid, issuer, _badge(cid, learner, name, achievement_id=f"urn:uuid:ach-{issuer[-1]}"),
                                 created) for cid, issuer, learner, name, created in rows])

        async def ids(query: str | None = None, **options: object) -> list[str]:
            return [r.id for r in await store.search_credentials(query, **options)]  # type: ignore[arg-type]

        assert await ids() == ["urn:uuid:0003", "urn:uuid:0002", "urn:uuid:0001"]  # newest first
        assert await ids("python") == ["urn:uuid:0003", "urn:uuid:0001"]
        assert await ids("  CHAN  tai ") == ["urn:uuid:0001"]  # case and spaces do not matter; a phrase
        assert await ids("大文") == ["urn:uuid:0002"]  # inside a name written without spaces
        assert await ids("分析") == ["urn:uuid:0002"]
        assert await ids("urn:uuid:000") == ["urn:uuid:0003", "urn:uuid:0002", "urn:uuid:0001"]
        assert await ids("did:example:learner") == ["urn:uuid:0003", "urn:uuid:0002", "urn:uuid:0001"]
        assert await ids("sha256$ab") == []  # a hashed identifier is not a term
        assert await ids("python", issuers=["did:web:a"]) == ["urn:uuid:0001"]
        assert await ids("ython") == []  # words are found from their start
        # Keyset paging: the page after the last one shown.
        first = await store.search_credentials(limit=2)
        assert [r.id for r in first] == ["urn:uuid:0003", "urn:uuid:0002"]
        assert await ids(before=(first[-1].created, first[-1].id)) == ["urn:uuid:0001"]
        # An email, which the credential holds only salted and hashed, by the keyed term its issuer adds.
        secret = b"k" * 32
        await store.add_credential_terms([(email_term(secret, "Tai.Man@example.org"), "urn:uuid:0001")])
        assert await ids(terms=[email_term(secret, " tai.man@EXAMPLE.org")]) == ["urn:uuid:0001"]
        assert await ids("tai.man@example.org") == []  # the address itself is not in the index
        # The achievements each identity awarded, newest copy by id.
        assert [(issuer, aid) for issuer, aid, _ in await store.issued_achievements(["did:web:a"])] == [
            ("did:web:a", "urn:uuid:ach-a")]
        [(_, _, text)] = await store.issued_achievements(achievement_id="urn:uuid:ach-a")
        assert "數據分析入門" in text  # the newer of a's two credentials
    finally:
        await store.close()


async def test_the_search_index_covers_credentials_stored_before_it(tmp_path: Path) -> None:
    """Migration 0016 indexes the credentials already stored, in its own transaction."""
    path = tmp_path / "db.sqlite3"
    store = await open_store(path)
    await store.close()
    db = sqlite3.connect(path)
    db.execute("DELETE FROM schema_migrations WHERE version = 16")
    for table in ("credential_terms", "issued_achievements"):
        db.execute(f"DROP TABLE {table}")
    db.execute("DROP INDEX credentials_by_created")
    db.execute("INSERT INTO credentials (id, issuer, document, created) VALUES (?, ?, ?, ?)",
               ("urn:uuid:old", "did:web:a", _badge("urn:uuid:old", "Old Learner", "Old Badge"), "2025-01-01"))
    db.commit()
    db.close()
    store = await open_store(path)
    try:
        assert [r.id for r in await store.search_credentials("old badge")] == ["urn:uuid:old"]
        assert len(await store.issued_achievements()) == 1
    finally:
        await store.close()


async def test_the_audit_log_pages_and_filters_by_issuer(store_location: Path | str) -> None:
    from vcnode.status.records import StatusChange, StatusListSpec

    store = await open_store(store_location)
    try:
        allocated = {}
        async with store.issuance() as transaction:
            for issuer in ("did:web:a", "did:web:b"):
                [allocated[issuer]] = await transaction.allocate(issuer, StatusListSpec("suspension", entries=64),
                                                                 [f"urn:{issuer[-1]}"])
        for n in range(3):
            for issuer, allocation in allocated.items():
                await store.change_status(StatusChange(f"2026-01-0{n + 1}", "test", allocation.credential_id,
                                                       allocation.list_id, allocation.index, "suspension", 0,
                                                       (n + 1) % 2, f"{issuer} {n}"))
        everything = await store.status_changes()
        assert [c.reason for c in everything] == ["did:web:b 2", "did:web:a 2", "did:web:b 1", "did:web:a 1",
                                                  "did:web:b 0", "did:web:a 0"]
        assert everything[0].seq > everything[1].seq > 0
        page = await store.status_changes(limit=2, issuers=["did:web:a"])
        assert [c.reason for c in page] == ["did:web:a 2", "did:web:a 1"]
        assert [c.reason for c in await store.status_changes(limit=2, issuers=["did:web:a"], before=page[-1].seq)
                ] == ["did:web:a 0"]
        assert [c.reason for c in await store.status_changes("urn:b", before=everything[0].seq)] == [
            "did:web:b 1", "did:web:b 0"]
    finally:
        await store.close()
