"""``vcnode backup`` and ``vcnode restore`` of a node on PostgreSQL, against a real cluster: a ``pg_dump`` taken
while ``vcnode serve`` keeps issuing, restored into a new empty database and a new node directory, served
again (same DID, keys, tokens, credentials and status lists); a database that is not empty refused with one
line, and a URL's password never printed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_backup_restore import (
    RestoredNode,
    assert_refused,
    backup_while_serving,
    issue,
    members,
    revoke,
    vcnode,
    verify,
)
from tests.ops_node import OpsNode
from vcnode.backup.postgres import latest_schema


def test_backup_while_serving_then_restore_into_a_new_database(tmp_path: Path, postgres_cluster,
                                                                  postgres_url: str) -> None:
    original = OpsNode(tmp_path / "a", {"VCNODE_STORE_URL": postgres_url, "VCNODE_GOSSIP_INTERVAL": "0.1"})
    assert not (original.home / "vcnode.sqlite3").exists()  # the node lives in the database
    token = original.token("issue,status")
    archive = tmp_path / "node.vcbackup"
    served = backup_while_serving(original, token, archive, 1)
    made = served.made
    assert made.returncode == 0, made.stderr
    assert "store vcnode.pgdump (postgresql, schema" in made.stderr, made.stderr
    content = members(archive)
    assert sorted(content) == ["config.toml", "manifest.json", "store/vcnode.pgdump"]
    assert content["store/vcnode.pgdump"].startswith(b"PGDMP")  # pg_dump's custom format
    manifest = json.loads(content["manifest.json"])
    assert manifest["nodeDid"] == original.did and manifest["passphrase"] is None
    assert manifest["store"] == {"kind": "postgresql", "member": "store/vcnode.pgdump",
                                 "schemaVersion": latest_schema()}

    target = postgres_cluster.create_database()
    restored_root = tmp_path / "b"
    restored_root.mkdir()
    done = vcnode(restored_root / "node", "restore", str(archive), "--store-url", target)
    assert done.returncode == 0, done.stderr
    assert original.did in done.stdout and "SHA-256 matches" in done.stderr
    assert f'store_url = "{target}"' in (restored_root / "node" / "config.toml").read_text()
    assert not (restored_root / "node" / "vcnode.sqlite3").exists()

    restored = RestoredNode(restored_root, original.port, {})  # the store named by the restored config only
    assert restored.did == original.did
    restored.start()
    try:
        for credential in served.kept:  # everything issued before the backup started
            report = verify(restored, credential)
            if credential["id"] == served.revoked_id:
                assert [e["code"] for e in report["errors"]] == ["revoked"], report
            else:
                assert report["verified"], report
        # The keys unlock with the same passphrase, the token still works, and status changes go on.
        revoke(restored, token, served.kept[0]["id"])
        assert [e["code"] for e in verify(restored, served.kept[0])["errors"]] == ["revoked"]
        fresh = issue(restored, token, "urn:uuid:bac0ffee-0000-4000-8002-000000000100")
        assert verify(restored, fresh)["verified"]
    finally:
        restored.stop()


def test_restore_refuses_a_database_that_is_not_empty(tmp_path: Path, postgres_cluster, postgres_url: str) -> None:
    original = OpsNode(tmp_path / "a", {"VCNODE_STORE_URL": postgres_url})
    archive = tmp_path / "node.vcbackup"
    made = vcnode(original.home, "backup", str(archive))
    assert made.returncode == 0, made.stderr

    # The original's own database holds the node: refused, nothing written; the password is not printed.
    with_password = postgres_url.replace("vcnode@", "vcnode:s3cret-pw@")
    refused = vcnode(tmp_path / "t1", "restore", str(archive), env={"VCNODE_STORE_URL": with_password})
    assert_refused(refused, "is not empty")
    assert "s3cret-pw" not in refused.stderr + refused.stdout and "vcnode:***@" in refused.stderr
    assert not (tmp_path / "t1").exists()
    assert json.loads(original.cli("identity", "list", "--json"))[0]["did"] == original.did  # left as it was

    # A PostgreSQL backup without a database to go into; an SQLite store is no PostgreSQL backup's target.
    assert_refused(vcnode(tmp_path / "t2", "restore", str(archive)), "--store-url or VCNODE_STORE_URL")
    assert_refused(vcnode(tmp_path / "t3", "restore", str(archive), "--store-url", "sqlite:///x"),
                   "must be a postgresql:// URL")
    assert not (tmp_path / "t2").exists() and not (tmp_path / "t3").exists()
    # A new, empty database takes it.
    fresh = postgres_cluster.create_database()
    assert vcnode(tmp_path / "t4", "restore", str(archive), "--store-url", fresh).returncode == 0
