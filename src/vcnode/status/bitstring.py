"""Bitstrings of status entries: reading and writing entries, and the compressed ``encodedList`` form.

Bitstring Status List v1.0: entry ``i`` of a list whose entries are ``size`` bits wide occupies bits
``i*size … i*size+size-1``, counting from the left-most (most significant) bit of the first byte. The list
is GZIP-compressed and written as multibase base64url (``u…``, no padding). StatusList2021 uses the same
bits written as plain base64url.
"""

from __future__ import annotations

import base64
import gzip
import zlib

MIN_ENTRIES = 131_072  # the spec's minimum list length, for herd privacy
MAX_LIST_BYTES = 16 * 1024 * 1024  # a decoded list larger than this is refused (a GZIP bomb otherwise)
GZIP_LEVEL = 6  # level 9 costs ~9 ms on a 16 KB list at 1 % density for no useful gain


class BitstringError(ValueError):
    """An encoded list that cannot be decoded, or an entry outside the list."""


def new_bitstring(entries: int, size: int = 1) -> bytearray:
    """An all-zero bitstring for ``entries`` entries of ``size`` bits."""
    return bytearray((entries * size + 7) // 8)


def get_entry(bits: bytes, index: int, size: int = 1) -> int:
    """The value of entry ``index`` (``size`` bits, most significant first)."""
    start = index * size
    if index < 0 or start + size > len(bits) * 8:
        raise BitstringError(f"status index {index} is outside a list of {len(bits) * 8 // size} entries")
    if size == 1:
        return (bits[start >> 3] >> (7 - (start & 7))) & 1
    value = 0
    for bit in range(start, start + size):
        value = (value << 1) | ((bits[bit >> 3] >> (7 - (bit & 7))) & 1)
    return value


def set_entry(bits: bytearray, index: int, value: int, size: int = 1) -> None:
    """Set entry ``index`` to ``value`` (which must fit in ``size`` bits)."""
    start = index * size
    if index < 0 or start + size > len(bits) * 8:
        raise BitstringError(f"status index {index} is outside a list of {len(bits) * 8 // size} entries")
    if not 0 <= value < (1 << size):
        raise BitstringError(f"status value {value} does not fit in {size} bit(s)")
    for offset, bit in enumerate(range(start, start + size)):
        mask = 1 << (7 - (bit & 7))
        if (value >> (size - 1 - offset)) & 1:
            bits[bit >> 3] |= mask
        else:
            bits[bit >> 3] &= ~mask & 0xFF


def encode_list(bits: bytes) -> str:
    """The ``encodedList`` of a Bitstring Status List (deterministic: no timestamp in the GZIP header)."""
    compressed = gzip.compress(bytes(bits), compresslevel=GZIP_LEVEL, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode_list(encoded: object, *, multibase: bool = True) -> bytes:
    """The bits of an ``encodedList``: multibase ``u`` base64url (Bitstring Status List) or, with
    ``multibase=False``, plain base64/base64url (StatusList2021). :class:`BitstringError` when malformed."""
    if not isinstance(encoded, str) or not encoded:
        raise BitstringError("encodedList must be a non-empty string")
    if multibase:
        if not encoded.startswith("u"):
            raise BitstringError("encodedList must be multibase base64url (start with 'u')")
        encoded = encoded[1:]
    text = encoded.replace("+", "-").replace("/", "_").rstrip("=")
    try:  # validate: any character outside the alphabet is an error (by default it would be skipped silently)
        compressed = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except ValueError:
        raise BitstringError("encodedList is not valid base64url") from None
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        bits = inflater.decompress(compressed, MAX_LIST_BYTES + 1)
    except zlib.error:
        raise BitstringError("encodedList is not GZIP-compressed") from None
    if len(bits) > MAX_LIST_BYTES:
        raise BitstringError(f"the decoded list is larger than {MAX_LIST_BYTES} bytes")
    if not inflater.eof:  # a cut-off stream inflates to a prefix of the list without any zlib error
        raise BitstringError("encodedList is a truncated GZIP stream")
    return bits
