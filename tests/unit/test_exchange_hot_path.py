"""What the exchanges' hot path was made cheaper in keeps doing: starting an exchange (one ``UPDATE … RETURNING``),
reading exchanges (one call per 500 ids), the claimed credential (a copy of the template), the QR codes (one
code, two renderings). A real store: an SQLite file in a temporary
directory, and a PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import segno

from tests.builders import badge
from vcnode.exchanges.claim import claimed_credential
from vcnode.exchanges.links import qr_code, qr_png, qr_svg
from vcnode.exchanges.records import ExchangeRecord
from vcnode.store import open_store

NOW = 1_800_000_000.0


def record(n: int, *, state: str = "pending", expires: float = NOW + 60) -> ExchangeRecord:
    return ExchangeRecord(f"x{n}", "claim", state, 0, NOW - 10, expires, f"challenge-{n}", "https://node.example",
                          None, "{}", f"hash-{n}")


async def test_start_moves_only_an_open_pending_exchange_and_returns_it(store_location: Path | str) -> None:
    store = await open_store(store_location)
    try:
        await store.add_exchanges([record(1), record(2, state="active"), record(3, expires=NOW - 1),
                                   record(4, state="complete"), record(5, state="invalid")])
        started = await store.start_exchange("x1", NOW)
        assert started is not None and (started.state, started.sequence) == ("active", 1)
        assert started == await store.get_exchange("x1")
        again = await store.start_exchange("x1", NOW)  # a wallet asking again: unchanged
        assert again == started
        for n, state in ((2, "active"), (3, "pending"), (4, "complete"), (5, "invalid")):
            unchanged = await store.start_exchange(f"x{n}", NOW)
            assert unchanged is not None and (unchanged.state, unchanged.sequence) == (state, 0), n
        assert await store.start_exchange("nope", NOW) is None
    finally:
        await store.close()


async def test_exchanges_are_read_back_past_the_parameter_chunk(store_location: Path | str) -> None:
    store = await open_store(store_location)
    try:
        records = [record(n) for n in range(1203)]
        assert await store.add_exchanges(records) == records
        assert await store.add_exchanges(records) == records  # created again: found, not inserted
        assert await store.get_exchange("x1202") == records[-1]
    finally:
        await store.close()


def test_the_claimed_credential_is_a_copy_about_the_holder() -> None:
    template = badge("did:web:example.edu")
    del template["id"]
    before = repr(template)
    credential = claimed_credential(template, "did:key:z6Mkholder", "exchange-1")
    assert repr(template) == before  # the template is not touched
    assert credential["credentialSubject"]["id"] == "did:key:z6Mkholder"
    assert credential["credentialSubject"]["achievement"] == template["credentialSubject"]["achievement"]
    assert credential["id"] == claimed_credential(template, "did:key:z6Mkother", "exchange-1")["id"]


def test_both_qr_renderings_are_the_code_of_the_text() -> None:
    text = "https://node.example/interactions/abc?iuv=1"
    code = qr_code(text)
    assert qr_svg(text, code) == qr_svg(text) and qr_png(text, code=code) == qr_png(text)
    # …and that is segno's code of the text with the chosen error correction, whatever mask it picked.
    assert qr_svg(text) == qr_svg(text, segno.make(text, error="m", micro=False))
