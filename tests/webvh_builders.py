"""did:webvh logs for tests, built with the node's own pure functions and deterministic keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from vcnode.identity.webvh import append_entry, create_entry, node_document, to_jsonl
from vcnode.keys.ed25519 import Ed25519KeyPair
from vcnode.webvh.identifier import did_for

START = datetime(2025, 1, 1, tzinfo=UTC)


def key(n: int) -> Ed25519KeyPair:
    """A deterministic key pair (seed n as 32 big-endian bytes)."""
    return Ed25519KeyPair.from_seed(n.to_bytes(32, "big"))


def at(day: int) -> str:
    """2025-01-01 plus ``day`` days, as a versionTime."""
    return (START + timedelta(days=day)).isoformat().replace("+00:00", "Z")


class LogBuilder:
    """A did:webvh log under construction: ``create`` then ``update`` as often as needed."""

    def __init__(self, domain: str = "example.com", path: tuple[str, ...] = ()) -> None:
        self.template = did_for(domain, path)
        self.entries: list[dict[str, Any]] = []

    @property
    def did(self) -> str:
        return self.entries[0]["state"]["id"]

    def create(self, signer: Ed25519KeyPair, parameters: dict[str, Any] | None = None, day: int = 0,
               document_key: Ed25519KeyPair | None = None) -> LogBuilder:
        parameters = {"updateKeys": [signer.public_multikey], **(parameters or {})}
        state = node_document(self.template, (document_key or signer).public_multikey)
        self.entries = [create_entry(state, parameters, signer, at(day))]
        return self

    def update(self, signer: Ed25519KeyPair, parameters: dict[str, Any] | None = None, day: int | None = None,
               document_key: Ed25519KeyPair | None = None, state: dict[str, Any] | None = None,
               version_time: str | None = None) -> LogBuilder:
        previous = self.entries[-1]
        if state is None:
            state = node_document(self.did, (document_key or signer).public_multikey)
        time = version_time or at(len(self.entries) if day is None else day)
        self.entries.append(append_entry(previous, state, parameters or {}, signer, time))
        return self

    def jsonl(self) -> bytes:
        return to_jsonl(self.entries)

    @staticmethod
    def jsonl_of(entries: list[dict[str, Any]]) -> bytes:
        return to_jsonl(entries)
