"""Issuing enveloped credentials: the :class:`~vcnode.issuing.core.CredentialFormat` that
:func:`vcnode.issuing.core.issue_and_store` stores, so an enveloped credential gets status entries, idempotency
and its stored copy exactly as a Data Integrity one does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from vcnode.credentials.issue import prepare_credential
from vcnode.credentials.model import issuer_id
from vcnode.envelopes import VC_JWT_11, format_for, seal
from vcnode.envelopes.base import UNSUPPORTED_MEDIA_TYPE, EnvelopeError, full_media_type, parse_data_url
from vcnode.errors import VcnodeError
from vcnode.keys.signer import SigningKey
from vcnode.status.entries import status_entry, with_status
from vcnode.status.records import StatusAllocation

#: Media types a credential can be issued in (presentations are the holder's).
CREDENTIAL_MEDIA_TYPES = ("application/vc+jwt", "application/vc+sd-jwt", VC_JWT_11)


def envelope_media_type(value: Any) -> str:
    """The media type an issue request asks for (``options.envelope``: ``vc+jwt``, ``application/vc+jwt`` or
    ``{"mediaType": ...}`` as in VC API ``acceptedEnvelopes``), checked: a credential media type some
    installed format handles. :class:`EnvelopeError` ``unsupportedMediaType`` otherwise."""
    if isinstance(value, dict):
        value = value.get("mediaType")
    if not isinstance(value, str) or not value:
        raise EnvelopeError("options.envelope must be a media type (e.g. application/vc+jwt) or {mediaType}",
                            code=UNSUPPORTED_MEDIA_TYPE)
    media_type = full_media_type(value)
    format_for(media_type)  # installed?
    if media_type not in CREDENTIAL_MEDIA_TYPES and not media_type.startswith("application/vc+"):
        raise EnvelopeError(f"{media_type[:80]} does not secure a credential", code=UNSUPPORTED_MEDIA_TYPE)
    return media_type


def compact_form(document: dict[str, Any]) -> Any:
    """What a VC API client gets for a stored envelope: a VC-JWT 1.1 as its bare JWT (how 1.1 clients expect
    it), any other envelope as the ``EnvelopedVerifiableCredential`` object."""
    try:
        parsed = parse_data_url(document.get("id"), max_bytes=len(str(document.get("id"))))
    except EnvelopeError:
        return document
    return parsed.data if parsed.media_type == VC_JWT_11 else document


@dataclass(frozen=True)
class Enveloped:
    """A credential secured as ``media_type`` by ``key``; each status index becomes a ``credentialStatus`` entry
    pointing at ``list_url(list_id)`` before it is sealed."""

    key: SigningKey
    media_type: str
    list_url: Callable[[str], str] | None = None
    tokens: ClassVar[bool] = False

    def sign(self, credential: dict[str, Any], allocations: Sequence[StatusAllocation]) -> dict[str, Any]:
        """``credential`` (checked as for any issuing) with its status entries, sealed into an
        ``EnvelopedVerifiableCredential``."""
        self.key.single_signer  # noqa: B018 -- keyTypeMismatch for a BBS key, which signs no envelope
        credential = prepare_credential(credential)
        controller = self.key.verification_method.split("#", 1)[0]
        if issuer_id(credential) != controller:
            raise VcnodeError(f"the credential's issuer {str(issuer_id(credential))[:120]} is not {controller}",
                              code="issuerMismatch", status=422)
        if allocations:
            if self.list_url is None:
                raise ValueError("status entries need the status lists' URLs")
            credential = with_status(credential, [status_entry(self.list_url(a.list_id), a) for a in allocations])
        return seal(credential, self.key, self.media_type)
