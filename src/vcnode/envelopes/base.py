"""The interface every envelope format implements, and what opening an envelope gives back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from vcnode.did.resolver import Resolver
from vcnode.errors import InvalidInput
from vcnode.keys.public import PublicKey
from vcnode.keys.signer import SigningKey


@dataclass(frozen=True)
class Opened:
    """A verified envelope: its media type, the document it secures, the key that signed it and, when the key
    was resolved from a DID, its verification method and that method's controller."""

    media_type: str
    document: dict[str, Any]
    key: PublicKey
    verification_method: str | None
    controller: str | None


class EnvelopeError(InvalidInput):
    """An envelope that cannot be made or is refused; ``code`` names why."""

    code = "invalidEnvelope"
    title = "Invalid envelope"


class EnvelopeFormat(Protocol):
    """A way of securing a credential or presentation by enveloping it (``application/vc+jwt``, ``vc+cose``…)."""

    media_types: tuple[str, ...]

    def seal(self, document: dict[str, Any], signing_key: SigningKey, *, media_type: str, **options: Any) -> str:
        """The envelope of ``document`` signed with ``signing_key``, as text (binary formats: base64)."""
        ...

    async def open(self, data: str, media_type: str, resolver: Resolver, *, max_bytes: int) -> Opened:
        """Verify an envelope, its key resolved through ``resolver``; :class:`EnvelopeError` when refused."""
        ...
