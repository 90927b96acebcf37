"""The desk's signed session cookie and CSRF tokens."""

from __future__ import annotations

from vcnode.web.session import SessionSigner


def test_sessions_round_trip_and_refuse_tampering_and_expiry() -> None:
    now = [1_000_000.0]
    signer = SessionSigner(b"k" * 32, clock=lambda: now[0])
    session = signer.new("ab" * 32, seconds=60)
    cookie = signer.encode(session)
    decoded = signer.decode(cookie)
    assert decoded is not None and (decoded.id, decoded.token_hash) == (session.id, session.token_hash)
    version, payload, mac = cookie.split(".")
    assert signer.decode(f"{version}.{payload}.{mac[::-1]}") is None
    assert signer.decode(f"{version}.{payload[:-1]}A.{mac}") is None
    assert signer.decode("v2." + payload + "." + mac) is None
    assert SessionSigner(b"other" * 8, clock=lambda: now[0]).decode(cookie) is None  # another node's secret
    assert signer.decode("x" * 5000) is None and signer.decode("") is None and signer.decode(None) is None
    now[0] += 61
    assert signer.decode(cookie) is None


def test_csrf_tokens_belong_to_one_session() -> None:
    signer = SessionSigner(b"k" * 32)
    first, second = signer.new(), signer.new()
    assert first.id != second.id
    token = signer.csrf_token(first)
    assert signer.csrf_ok(first, token)
    assert not signer.csrf_ok(second, token)
    assert not signer.csrf_ok(first, None) and not signer.csrf_ok(first, "")
