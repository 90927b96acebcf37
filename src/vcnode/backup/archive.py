"""The backup archive: a gzip-compressed tar whose first member is ``manifest.json`` (format, vcnode version,
the node's DID, when it was made, the store's kind and schema version, the SHA-256 and size of every other
member), then ``config.toml``, the store snapshot (an SQLite file, or a ``pg_dump`` of a PostgreSQL store:
:mod:`vcnode.backup.sqlite`, :mod:`vcnode.backup.postgres`) and, only when asked for, the passphrase file.

Writing is atomic (a 0600 file beside the target, renamed over it); restoring goes into a new or empty
directory only, member by member into a staging folder, each checked against the manifest before anything
takes its final name; a PostgreSQL store goes into an empty database (``store_url``), which the restored
``config.toml`` then names. The hashes detect a damaged or altered member; they are not a signature: whoever can
rewrite the archive can rewrite the manifest too, so keep archives where only operators can write.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, Any

import orjson

from vcnode import __version__
from vcnode.backup import BackupError, postgres, sqlite
from vcnode.clock import now_timestamp
from vcnode.config import CONFIG_FILE, update_config_file
from vcnode.private_files import PRIVATE_FILE, private_dir, replacing_privately

FORMAT = "vcnode-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 1 << 20
STORE_MEMBER = f"store/{sqlite.MEMBER}"
PG_STORE_MEMBER = f"store/{postgres.MEMBER}"
#: Each store kind: its member in the archive and the newest schema version this vcnode knows.
STORE_KINDS = {sqlite.KIND: (STORE_MEMBER, sqlite.latest_schema), postgres.KIND: (PG_STORE_MEMBER,
                                                                                 postgres.latest_schema)}
PASSPHRASE_PREFIX = "passphrase/"  # + the passphrase file's path inside the node directory
DATABASE_FILE = "vcnode.sqlite3"
STAGING = ".restoring"
CHUNK = 1 << 20

Say = Callable[[str], None]


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def passphrase_path(home: Path, passphrase_file: str) -> PurePosixPath:
    """The passphrase file's path relative to the node directory, for ``--include-passphrase``: only a file
    inside the node directory (like the generated ``secrets/passphrase``) can go into the backup."""
    if not passphrase_file:
        raise BackupError("--include-passphrase: this node's passphrase is not in a file (passphrase_file is not "
                          "set); there is nothing to include")
    path = Path(passphrase_file)
    absolute = path if path.is_absolute() else home / path
    try:
        relative = Path(os.path.realpath(absolute)).relative_to(os.path.realpath(home))
    except ValueError:
        raise BackupError(f"--include-passphrase: the passphrase file {absolute} is outside the node directory; "
                          "back it up on its own") from None
    return PurePosixPath(relative.as_posix())


def make_backup(home: Path, target: Path, *, passphrase_file: str = "", include_passphrase: bool = False,
                store_url: str = "", say: Say = lambda _: None) -> dict[str, Any]:
    """Write a backup of the node directory ``home`` (its store: the SQLite file in it, or the PostgreSQL
    database ``store_url``) to ``target`` (replaced atomically, mode 0600) and return its manifest; ``say``
    gets a line per member as it is taken."""
    database = home / DATABASE_FILE
    if not (home / CONFIG_FILE).exists() if store_url else not database.exists():
        raise BackupError(f"no node in {home}: nothing to back up")
    if not target.parent.is_dir():
        raise BackupError(f"cannot write {target}: {target.parent} is not a directory")
    small: dict[str, bytes] = {}  # member name -> content, for the small files
    config = home / CONFIG_FILE
    if config.exists():
        small[CONFIG_FILE] = config.read_bytes()
        say(f"{CONFIG_FILE}: {_size(len(small[CONFIG_FILE]))}")
    passphrase: str | None = None
    if include_passphrase:
        relative = passphrase_path(home, passphrase_file)
        passphrase = PASSPHRASE_PREFIX + str(relative)
        small[passphrase] = (home / Path(relative)).read_bytes()
        say(f"{relative}: included (the passphrase that unlocks the keys)")
    with tempfile.TemporaryDirectory(prefix=".vcnode-backup-", dir=target.parent) as scratch:  # 0700
        kind = postgres.KIND if store_url else sqlite.KIND
        store_member = STORE_KINDS[kind][0]
        copy = Path(scratch) / PurePosixPath(store_member).name
        started = time.monotonic()
        stored = postgres.dump(store_url, copy) if store_url else sqlite.snapshot(database, copy)
        if stored.node_did is None:
            raise BackupError("the store holds no node identity: nothing to back up")
        say(f"store {copy.name} ({kind}, schema {stored.schema_version}): {_size(stored.size)} "
            f"in {time.monotonic() - started:.1f} s")
        members = {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                   for name, data in small.items()}
        members[store_member] = {"sha256": _sha256_file(copy), "size": stored.size}
        manifest = {
            "format": FORMAT, "formatVersion": FORMAT_VERSION, "vcnodeVersion": __version__,
            "created": now_timestamp(),
            "nodeDid": stored.node_did,
            "store": {"kind": kind, "member": store_member, "schemaVersion": stored.schema_version},
            "passphrase": passphrase, "members": members}
        _write_archive(target, manifest, small, {store_member: copy})
    return manifest


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, PRIVATE_FILE, int(time.time())
    return info


def _write_archive(target: Path, manifest: dict[str, Any], small: dict[str, bytes], files: dict[str, Path]) -> None:
    """The archive into a new 0600 file beside ``target``, flushed to disk, then renamed over it."""
    with replacing_privately(target) as raw, tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        encoded = orjson.dumps(manifest, option=orjson.OPT_INDENT_2)
        tar.addfile(_tar_info(MANIFEST, len(encoded)), io.BytesIO(encoded))
        for name, data in small.items():
            tar.addfile(_tar_info(name, len(data)), io.BytesIO(data))
        for name, path in files.items():
            with path.open("rb") as handle:
                tar.addfile(_tar_info(name, path.stat().st_size), handle)
    _sync_directory(target.parent)


def _sync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_manifest(manifest: Any) -> dict[str, Any]:
    """The manifest, when this vcnode can restore what it describes; a :class:`BackupError` saying why not."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("not a vcnode backup (its manifest names no vcnode-backup format)")
    if not isinstance(manifest.get("formatVersion"), int) or manifest["formatVersion"] > FORMAT_VERSION:
        raise BackupError(f"backup format version {manifest.get('formatVersion')!r} is newer than this vcnode "
                          f"reads ({FORMAT_VERSION}): restore it with a newer vcnode")
    store = manifest.get("store")
    members = manifest.get("members")
    if not isinstance(store, dict) or not isinstance(members, dict):
        raise BackupError("the backup's manifest is malformed (no store or members)")
    kind = store.get("kind")
    if kind not in STORE_KINDS:
        raise BackupError(f"the backup holds a {str(kind)[:40]!r} store; this vcnode restores "
                          f"{' and '.join(STORE_KINDS)} stores only")
    store_member, latest_schema = STORE_KINDS[kind]
    schema, latest = store.get("schemaVersion"), latest_schema()
    if not isinstance(schema, int) or schema > latest:
        raise BackupError(f"the backup's schema version {schema!r} is newer than this vcnode supports ({latest}): "
                          "restore it with a newer vcnode")
    if store.get("member") != store_member or store_member not in members:
        raise BackupError("the backup's manifest is malformed (no store member)")
    for name, facts in members.items():
        if name != PG_STORE_MEMBER or kind != postgres.KIND:  # a dump goes into the database, not a file
            _final_path(name)
        if not (isinstance(facts, dict) and isinstance(facts.get("sha256"), str)
                and isinstance(facts.get("size"), int)):
            raise BackupError(f"the backup's manifest is malformed (member {name[:80]!r})")
    passphrase = manifest.get("passphrase")
    if passphrase is not None and passphrase not in members:
        raise BackupError("the backup's manifest is malformed (passphrase member missing)")
    return manifest


def _final_path(name: Any) -> PurePosixPath:
    """Where a member goes in the node directory; only the members a backup makes, never a path outside."""
    if name == CONFIG_FILE:
        return PurePosixPath(CONFIG_FILE)
    if name == STORE_MEMBER:
        return PurePosixPath(DATABASE_FILE)
    if isinstance(name, str) and name.startswith(PASSPHRASE_PREFIX):
        relative = PurePosixPath(name[len(PASSPHRASE_PREFIX):])
        if (relative.parts and not relative.is_absolute() and ".." not in relative.parts
                and relative.parts[0] not in (CONFIG_FILE, DATABASE_FILE, STAGING, "")):
            return relative
    raise BackupError(f"the backup holds an unexpected member {str(name)[:80]!r}")


def restore_backup(archive: Path, home: Path, *, store_url: str = "", say: Say = lambda _: None) -> dict[str, Any]:
    """Restore ``archive`` into ``home``, which must not exist or be empty, and (for a PostgreSQL backup) into
    the empty database ``store_url``; returns the manifest. Nothing takes its final name until every member
    matched the manifest; on any failure what was written is removed."""
    created = not home.exists()
    if not created:
        if not home.is_dir():
            raise BackupError(f"{home} is not a directory")
        if any(home.iterdir()):
            raise BackupError(f"{home} is not empty: restore only into a new or empty node directory")
    with archive.open("rb") as handle:  # before creating anything: a missing archive leaves no directory behind
        if store_url:
            postgres.check_empty(store_url)
        private_dir(home)
        staging = home / STAGING
        placed: list[Path] = []
        try:
            private_dir(staging)
            manifest, staged = _unpack(handle, archive, staging, say)
            kind = manifest["store"]["kind"]
            store_member = STORE_KINDS[kind][0]
            if kind == postgres.KIND and not store_url:
                raise BackupError("the backup holds a PostgreSQL store: name the new, empty database to restore it "
                                  "into with --store-url or VCNODE_STORE_URL")
            if kind != postgres.KIND and store_url:
                raise BackupError("the backup holds an SQLite store, restored into the node directory: leave out "
                                  "--store-url and VCNODE_STORE_URL (to move a node to PostgreSQL, see "
                                  "'vcnode migrate-store')")
            dump = staged.pop(store_member)
            copy = postgres.inspect(dump) if kind == postgres.KIND else sqlite.inspect(dump)
            if copy.schema_version != manifest["store"]["schemaVersion"] or copy.node_did != manifest.get("nodeDid"):
                raise BackupError("the store in the backup does not match its manifest (schema version or DID)")
            if kind == postgres.KIND:
                say(f"restoring the store into {postgres.redact(store_url)}")
                postgres.restore(dump, store_url)
                dump.unlink()
            else:
                staged[store_member] = dump
            # The store last: a directory with vcnode.sqlite3 (or a config.toml naming a restored database) in it
            # is a node.
            last = CONFIG_FILE if kind == postgres.KIND else STORE_MEMBER
            for name in sorted(staged, key=lambda member: member == last):
                final = home / Path(_final_path(name))
                private_dir(final.parent)
                os.replace(staged[name], final)
                placed.append(final)
            if kind == postgres.KIND:
                placed.append(update_config_file(home, store_url=store_url))  # the database it now lives in
            staging.rmdir()
            _sync_directory(home)
        except BaseException:
            for path in placed:
                path.unlink(missing_ok=True)
            shutil.rmtree(staging, ignore_errors=True)
            if created:
                shutil.rmtree(home, ignore_errors=True)
            raise
    return manifest


def _unpack(handle: IO[bytes], archive: Path, staging: Path, say: Say) -> tuple[dict[str, Any], dict[str, Path]]:
    """Read the archive in one pass: the manifest first, then each member into ``staging``, hashed as it is
    written and compared with the manifest."""
    staged: dict[str, Path] = {}
    manifest: dict[str, Any] | None = None
    try:
        with tarfile.open(fileobj=handle, mode="r:gz") as tar:
            for member in tar:
                if manifest is None:
                    if member.name != MANIFEST or not member.isreg() or member.size > MAX_MANIFEST_BYTES:
                        raise BackupError(f"{archive} is not a vcnode backup (it does not start with a manifest)")
                    source = tar.extractfile(member)
                    try:
                        manifest = check_manifest(orjson.loads(source.read() if source else b""))
                    except orjson.JSONDecodeError:
                        raise BackupError(f"{archive}: the manifest is not valid JSON") from None
                    say(f"manifest: node {manifest.get('nodeDid')}, schema {manifest['store']['schemaVersion']}, "
                        f"made {manifest.get('created')} by vcnode {manifest.get('vcnodeVersion')}")
                    continue
                expected = manifest["members"].get(member.name)
                if expected is None or member.name in staged or not member.isreg():
                    raise BackupError(f"the backup holds an unexpected member {member.name[:80]!r}")
                staged[member.name] = _stage(tar, member, staging / f"{len(staged)}.part", expected)
                say(f"{member.name}: {_size(member.size)}, SHA-256 matches the manifest")
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(f"{archive} is not a vcnode backup or is damaged: {exc}") from None
    if manifest is None:
        raise BackupError(f"{archive} is not a vcnode backup (it is empty)")
    missing = sorted(set(manifest["members"]) - set(staged))
    if missing:
        raise BackupError(f"the backup is incomplete: {', '.join(missing)[:200]} missing")
    return manifest, staged


def _stage(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path, expected: dict[str, Any]) -> Path:
    source = tar.extractfile(member)
    digest = hashlib.sha256()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        while source is not None and (chunk := source.read(CHUNK)):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != expected["sha256"] or member.size != expected["size"]:
        raise BackupError(f"{member.name} does not match the SHA-256 in the backup's manifest: the archive was "
                          "altered or damaged; nothing restored")
    return path
