"""IETF Token Status List (draft-ietf-oauth-status-list): the ``status_list`` object, the Status List Token JWT,
and the ``status.status_list`` reference an SD-JWT VC carries.

A Token Status List holds the same kind of bits as a Bitstring Status List, in another order: entry ``i`` of a
list whose entries are ``bits`` wide (1, 2, 4 or 8) occupies bits ``i*bits … i*bits+bits-1`` counted from the
*least* significant bit of each byte (a Bitstring Status List counts from the most significant one). The bytes
are DEFLATE-compressed in the ZLIB format (not GZIP) and written as base64url without padding (``lst``).
:func:`from_bitstring` turns a Bitstring Status List's bytes into a token list's, so a node keeps one set of
bits per list and publishes it in both forms.

Status values (the spec's registry): 0 VALID, 1 INVALID (revoked, irreversible), 2 SUSPENDED; 3 and 12-15
are application-specific.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from vcnode.credentials.model import is_url
from vcnode.jose import JoseError, VerifiedJws, sign_compact
from vcnode.keys.signer import Signer
from vcnode.status.bitstring import MAX_LIST_BYTES

TOKEN_TYP = "statuslist+jwt"
MEDIA_TYPE = "application/statuslist+jwt"
BIT_SIZES = (1, 2, 4, 8)
ZLIB_LEVEL = 9  # the spec recommends the highest level; a 16 KB list at 1 % density compresses in ~1 ms
VALID, INVALID, SUSPENDED = 0, 1, 2
STATUS_NAMES = {VALID: "valid", INVALID: "invalid", SUSPENDED: "suspended"}
MAX_TOKEN_BYTES = 4 * 1024 * 1024  # a status list token: base64url of a compressed list (16 MiB decoded at most)


class TokenStatusError(ValueError):
    """A status list, token or reference that cannot be used; ``code`` names why (``statusInvalid`` unless
    said otherwise)."""

    def __init__(self, message: str, code: str = "statusInvalid") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class StatusReference:
    """What a Referenced Token's ``status.status_list`` asks to read: entry ``idx`` of the list at ``uri``."""

    idx: int
    uri: str

    def to_json(self) -> dict[str, Any]:
        return {"idx": self.idx, "uri": self.uri}


@dataclass(frozen=True)
class TokenStatusList:
    """A verified Status List Token: its decoded bytes (least significant bit first), bits per entry, and the
    claims that govern its use."""

    uri: str
    issuer: str | None
    bits: int
    data: bytes
    iat: int
    exp: int | None = None
    ttl: int | None = None

    @property
    def size(self) -> int:
        """How many entries the list holds."""
        return len(self.data) * 8 // self.bits

    def status(self, idx: int) -> int:
        """The status value of entry ``idx``; :class:`TokenStatusError` outside the list."""
        return get_status(self.data, idx, self.bits)


# --- the bit array ---------------------------------------------------------------------------------------------


def _check_bits(bits: object) -> int:
    if isinstance(bits, bool) or bits not in BIT_SIZES:
        raise TokenStatusError(f"bits must be one of 1, 2, 4, 8 (not {str(bits)[:20]})")
    return bits  # type: ignore[return-value]


def new_status_list(entries: int, bits: int = 1) -> bytearray:
    """An all-VALID list of ``entries`` entries of ``bits`` bits."""
    return bytearray((entries * _check_bits(bits) + 7) // 8)


def get_status(data: bytes, idx: int, bits: int = 1) -> int:
    """The status of entry ``idx``: ``bits`` bits from the least significant end of its byte."""
    _check_bits(bits)
    per_byte = 8 // bits
    if isinstance(idx, bool) or not isinstance(idx, int) or idx < 0 or idx // per_byte >= len(data):
        raise TokenStatusError(f"status index {str(idx)[:20]} is outside a list of {len(data) * per_byte} entries")
    return (data[idx // per_byte] >> ((idx % per_byte) * bits)) & ((1 << bits) - 1)


def set_status(data: bytearray, idx: int, value: int, bits: int = 1) -> None:
    """Set entry ``idx`` to ``value`` (which must fit in ``bits`` bits)."""
    _check_bits(bits)
    get_status(data, idx, bits)  # the bounds check
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < (1 << bits):
        raise TokenStatusError(f"status value {str(value)[:20]} does not fit in {bits} bit(s)")
    per_byte = 8 // bits
    shift = (idx % per_byte) * bits
    mask = ((1 << bits) - 1) << shift
    data[idx // per_byte] = (data[idx // per_byte] & ~mask & 0xFF) | (value << shift)


@lru_cache(maxsize=len(BIT_SIZES))
def _reorder_table(bits: int) -> bytes:
    """For each byte value: the same ``bits``-wide groups in the opposite order within the byte (an involution:
    it maps most-significant-first entries to least-significant-first ones and back)."""
    per_byte, mask = 8 // bits, (1 << bits) - 1
    table = bytearray(256)
    for value in range(256):
        out = 0
        for group in range(per_byte):
            out |= ((value >> (group * bits)) & mask) << ((per_byte - 1 - group) * bits)
        table[value] = out
    return bytes(table)


def from_bitstring(data: bytes, bits: int = 1) -> bytes:
    """The bytes of a Token Status List holding the entries of a Bitstring Status List (``statusSize`` =
    ``bits``): the same entries, each byte's groups of bits in the token list's order. Also the inverse."""
    return bytes(data).translate(_reorder_table(_check_bits(bits)))


to_bitstring = from_bitstring  # reversing the order of groups twice is the identity


def encode_status_list(data: bytes, bits: int = 1) -> dict[str, Any]:
    """The JSON ``status_list`` object: ``{"bits", "lst"}`` (ZLIB-compressed, base64url without padding)."""
    compressed = zlib.compress(bytes(data), ZLIB_LEVEL)
    return {"bits": _check_bits(bits), "lst": base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")}


def decode_status_list(value: object) -> tuple[bytes, int]:
    """The bytes and bits per entry of a JSON ``status_list`` object; :class:`TokenStatusError` when malformed
    (bad ``bits``, ``lst`` not base64url or not ZLIB, a truncated stream, more than ``MAX_LIST_BYTES``)."""
    if not isinstance(value, dict):
        raise TokenStatusError("status_list must be an object with bits and lst")
    bits = _check_bits(value.get("bits"))
    lst = value.get("lst")
    if not isinstance(lst, str) or not lst:
        raise TokenStatusError("status_list.lst must be a non-empty base64url string")
    text = lst.rstrip("=")
    try:  # validate: a character outside the alphabet is an error, not skipped
        compressed = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except ValueError:
        raise TokenStatusError("status_list.lst is not base64url") from None
    inflater = zlib.decompressobj(zlib.MAX_WBITS)  # ZLIB format only: a GZIP or raw DEFLATE stream is refused
    try:
        data = inflater.decompress(compressed, MAX_LIST_BYTES + 1)
    except zlib.error:
        raise TokenStatusError("status_list.lst is not ZLIB-compressed (RFC 1950)") from None
    if len(data) > MAX_LIST_BYTES:
        raise TokenStatusError(f"the decoded status list is larger than {MAX_LIST_BYTES} bytes")
    if not inflater.eof:
        raise TokenStatusError("status_list.lst is a truncated ZLIB stream")
    if not data:
        raise TokenStatusError("the status list is empty")
    return data, bits


# --- the Referenced Token's claim ------------------------------------------------------------------------------


def status_claim(idx: int, uri: str) -> dict[str, Any]:
    """The ``status`` claim of a Referenced Token pointing at entry ``idx`` of the Status List Token at ``uri``."""
    return {"status_list": StatusReference(idx, uri).to_json()}


def parse_status_claim(value: object) -> StatusReference | None:
    """The ``status_list`` reference of a ``status`` claim; None when the claim names no status list (another
    mechanism); :class:`TokenStatusError` when the reference is malformed."""
    if not isinstance(value, dict):
        raise TokenStatusError("the status claim must be an object")
    reference = value.get("status_list")
    if reference is None:
        return None
    if not isinstance(reference, dict):
        raise TokenStatusError("status.status_list must be an object with idx and uri")
    idx, uri = reference.get("idx"), reference.get("uri")
    if isinstance(idx, bool) or not isinstance(idx, int) or idx < 0:
        raise TokenStatusError("status.status_list.idx must be a non-negative integer")
    if not is_url(uri):
        raise TokenStatusError("status.status_list.uri must be a URI")
    return StatusReference(idx, uri)


# --- the Status List Token -------------------------------------------------------------------------------------


def sign_status_list_token(data: bytes, bits: int, signer: Signer, *, uri: str, kid: str, iat: int,
                           issuer: str | None = None, exp: int | None = None, ttl: int | None = None) -> str:
    """A Status List Token (``typ: statuslist+jwt``) for ``data``: ``sub`` = ``uri`` (where it is served),
    ``iss`` = ``issuer`` (the DID of the tokens it covers), ``iat``, ``exp`` and ``ttl`` (seconds) when given,
    signed by ``signer`` through :func:`vcnode.jose.sign_compact`."""
    claims: dict[str, Any] = {"sub": uri, "iat": iat}
    if issuer is not None:
        claims["iss"] = issuer
    if exp is not None:
        claims["exp"] = exp
    if ttl is not None:
        if ttl <= 0:
            raise TokenStatusError("ttl must be a positive number of seconds")
        claims["ttl"] = ttl
    claims["status_list"] = encode_status_list(data, bits)
    return sign_compact(claims, signer, kid=kid, header={"typ": TOKEN_TYP})


def read_status_list_token(verified: VerifiedJws, *, uri: str, now: int, skew: int = 60) -> TokenStatusList:
    """The list a Status List Token carries, once its signature verified (:func:`vcnode.jose.verify_with_did`):
    ``typ`` must be ``statuslist+jwt``, ``sub`` the ``uri`` it was fetched for, ``iat`` present and not in the
    future, ``exp`` not passed (``skew`` seconds of clock difference allowed). :class:`TokenStatusError`
    otherwise."""
    if verified.header.get("typ") != TOKEN_TYP:
        raise TokenStatusError(f"a Status List Token's typ must be {TOKEN_TYP}, not "
                               f"{str(verified.header.get('typ'))[:40]}")
    try:
        claims = verified.claims()
    except JoseError as exc:
        raise TokenStatusError(f"the Status List Token's payload: {exc.detail}") from None
    if claims.get("sub") != uri:
        raise TokenStatusError(f"the Status List Token's sub {str(claims.get('sub'))[:200]!r} is not the URI it was "
                               f"fetched from ({uri[:200]})")
    iat, exp, ttl = claims.get("iat"), claims.get("exp"), claims.get("ttl")
    if not _is_time(iat):
        raise TokenStatusError("the Status List Token has no iat (a NumericDate)")
    if iat > now + skew:
        raise TokenStatusError("the Status List Token was issued in the future (iat)")
    if exp is not None and not _is_time(exp):
        raise TokenStatusError("the Status List Token's exp is not a NumericDate")
    if exp is not None and exp + skew < now:
        raise TokenStatusError("the Status List Token has expired (exp)")
    if ttl is not None and (not _is_time(ttl) or ttl <= 0):
        raise TokenStatusError("the Status List Token's ttl must be a positive number of seconds")
    issuer = claims.get("iss")
    if issuer is not None and (not isinstance(issuer, str) or (verified.controller is not None
                                                               and issuer != verified.controller)):
        raise TokenStatusError(f"the Status List Token's iss {str(issuer)[:120]!r} is not the DID whose key signed "
                               f"it ({str(verified.controller)[:120]})")
    issuer = verified.controller or issuer
    data, bits = decode_status_list(claims.get("status_list"))
    return TokenStatusList(uri, issuer, bits, data, int(iat), None if exp is None else int(exp),
                           None if ttl is None else int(ttl))


def _is_time(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
