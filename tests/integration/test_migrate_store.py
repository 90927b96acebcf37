"""``vcnode migrate-store --to postgresql://…``: a node that has lived in SQLite (credentials with status, a
revocation, its anchor log, a token) moves into an empty PostgreSQL database, then serves from there as the
same node — and what it could not move into is refused with one line, leaving everything as it was."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_backup_restore import assert_refused, issue, revoke, vcnode, verify
from tests.ops_node import OpsNode
from tests.postgres import Reader


def test_an_sqlite_node_moves_into_postgresql_and_serves_from_there(tmp_path: Path, postgres_url: str) -> None:
    node = OpsNode(tmp_path, {"VCNODE_GOSSIP_INTERVAL": "0.1"})
    token = node.token("issue,status")
    node.start()
    try:
        issued = [issue(node, token, f"urn:uuid:0d15ea5e-0000-4000-8000-00000000000{n}") for n in range(4)]
        revoke(node, token, issued[2]["id"])
        # The list as revoked, signed (and so anchored in the node's log) before the node stops.
        url = issued[2]["credentialStatus"]["statusListCredential"]
        assert node.call("GET", "/status/" + url.rsplit("/", 1)[1]).status == 200
    finally:
        node.stop()

    moved = vcnode(node.home, "migrate-store", "--to", postgres_url)
    assert moved.returncode == 0, moved.stderr
    assert "copied" in moved.stdout and "config.toml now sets store_url" in moved.stdout, moved.stdout
    assert f'store_url = "{postgres_url}"' in (node.home / "config.toml").read_text()
    with Reader(postgres_url) as db:  # the rows are in PostgreSQL, the SQLite file left as it was
        assert {row[0] for row in db.execute("SELECT id FROM credentials")} == {c["id"] for c in issued}
        [(seq,)] = db.execute("SELECT seq FROM anchor_heads WHERE log = ?", (node.did,)).fetchall()
    assert seq >= 1 and (node.home / "vcnode.sqlite3").exists()

    (node.home / "vcnode.sqlite3").rename(node.home / "moved.sqlite3")  # nothing may read the old file now
    node.start()
    try:
        for credential in issued:
            report = verify(node, credential)
            if credential["id"] == issued[2]["id"]:
                assert [e["code"] for e in report["errors"]] == ["revoked"], report
            else:
                assert report["verified"], report
        # The token, the keys and the status lists go on: a new credential gets a position of its own in the
        # list the moved ones are in, and revoking an old one works.
        fresh = issue(node, token, "urn:uuid:0d15ea5e-0000-4000-8001-000000000000")
        positions = {(e["statusListCredential"], e["statusListIndex"]) for c in issued
                     for e in [c["credentialStatus"]]}
        entry = fresh["credentialStatus"]
        assert entry["statusListCredential"] in {url for url, _ in positions}
        assert (entry["statusListCredential"], entry["statusListIndex"]) not in positions
        revoke(node, token, issued[0]["id"])
        assert [e["code"] for e in verify(node, issued[0])["errors"]] == ["revoked"]
        assert verify(node, fresh)["verified"]
    finally:
        node.stop()


def test_what_migrate_store_cannot_do_is_refused_with_one_line(tmp_path: Path, postgres_cluster,
                                                               postgres_url: str) -> None:
    first = OpsNode(tmp_path / "a")
    assert_refused(vcnode(first.home, "migrate-store", "--to", "mysql://db/x"), "postgresql://")
    assert vcnode(first.home, "migrate-store", "--to", postgres_url).returncode == 0

    # Another node cannot move into a database that already holds one; nothing of it is written there.
    second = OpsNode(tmp_path / "b")
    refused = vcnode(second.home, "migrate-store", "--to", postgres_url)
    assert_refused(refused, "already holds a node")
    assert "store_url" not in (second.home / "config.toml").read_text()
    with Reader(postgres_url) as db:
        assert [row[0] for row in db.execute("SELECT did FROM identities")] == [first.did]

    # A node already in PostgreSQL has nothing to migrate.
    assert_refused(vcnode(first.home, "migrate-store", "--to", postgres_cluster.create_database()),
                   "already uses store_url")
    assert json.loads(first.cli("identity", "list", "--json"))[0]["did"] == first.did
