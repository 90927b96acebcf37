"""Shared fixtures: the official vectors, and real nodes in temporary directories."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from vcnode.config import load_config
from vcnode.keys.vault import Vault
from vcnode.node import Node, initialise

ROOT = Path(__file__).resolve().parents[1]
VECTORS = Path(os.environ.get("VCNODE_VECTORS", ROOT.parent / "shared" / "vectors"))
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="session")
def vectors() -> Path:
    """The official test vectors (``../shared/vectors``; ``VCNODE_VECTORS`` to point elsewhere)."""
    if not VECTORS.is_dir():
        pytest.fail(f"test vectors not found at {VECTORS}; set VCNODE_VECTORS")
    return VECTORS


def clean_env() -> dict[str, str]:
    """Environment for a node under test (the passphrase; no inherited VCNODE_* settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VCNODE_")}
    env["VCNODE_PASSPHRASE"] = PASSPHRASE
    return env


@pytest.fixture
def node_env() -> dict[str, str]:
    """Environment for a node under test (the passphrase; no inherited VCNODE_* settings)."""
    return clean_env()


@pytest.fixture(scope="session")
def web_node_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Vault]:
    """A did:web node directory (domain example.edu, encrypted key store) initialised once per session, and
    its unlocked key vault: ``web_node`` copies the directory and opens the copy with that vault (the same
    passphrase and salt), so each test pays for neither key making nor Argon2id. Unlocking is tested where
    nodes are opened from scratch (the CLI and server tests)."""
    home = tmp_path_factory.mktemp("template") / "node"
    env = clean_env()

    async def make() -> Vault:
        config = load_config(home, environ=env, overrides={"domain": "example.edu", "allow_http_hosts": ["127.0.0.1"]})
        node = await initialise(config, did_method="web", environ=env)
        await node.close()
        return node.vault

    return home, asyncio.run(make())


@pytest.fixture
async def web_node(tmp_path: Path, node_env: dict[str, str], web_node_template: tuple[Path, Vault]
                   ) -> AsyncIterator[Node]:
    """A did:web node (domain example.edu) with an encrypted key store, in its own directory: a copy of
    ``web_node_template`` (its own store, the template's keys)."""
    template, vault = web_node_template
    home = tmp_path / "node"
    shutil.copytree(template, home)
    node = await Node.open(load_config(home, environ=node_env), environ=node_env, vault=vault)
    try:
        yield node
    finally:
        await node.close()


EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


@pytest.fixture(scope="session")
def test_registry():
    """Pinned contexts plus the W3C examples context the official vectors use (a test fixture only)."""
    import json

    from vcnode.jsonld import default_registry

    examples = json.loads((ROOT / "tests" / "fixtures" / "contexts" / "credentials-examples-v2.jsonld").read_text())
    return default_registry().with_contexts({EXAMPLES_V2: examples})


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL cluster for the session (tests/postgres.py)."""
    from tests.postgres import start_cluster

    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster) -> str:
    """The URL of a new empty database on the session's cluster."""
    return postgres_cluster.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store a store-level test runs against: each such test runs once for each (issue 16)."""
    return request.param


@pytest.fixture
def new_store_location(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest):
    """A maker of locations of new, empty stores of ``store_kind``: an SQLite file in the test's directory, or a
    new database on the session's PostgreSQL cluster. Each call gives another store."""
    made = iter(range(1_000_000))

    def make() -> Path | str:
        if store_kind == "sqlite":
            return tmp_path / f"store-{next(made)}.sqlite3"
        return request.getfixturevalue("postgres_cluster").create_database()

    return make


@pytest.fixture
def store_location(new_store_location) -> Path | str:
    """The location of a new empty store, for ``open_store``: once an SQLite file, once a PostgreSQL URL."""
    return new_store_location()
