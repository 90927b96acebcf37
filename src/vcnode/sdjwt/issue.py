"""Issuing SD-JWT VCs (draft-ietf-oauth-sd-jwt-vc over RFC 9901 SD-JWT): ``typ: dc+sd-jwt``, ``vct``, ``iss`` = the
issuer's DID, ``kid`` = its verification method, ``iat``, optional ``nbf``/``exp``, ``cnf`` = the holder's key and
``status`` = an IETF Token Status List reference.

The disclosures and the ``_sd`` digests are made by the OWF reference library (PyPI ``sd-jwt``): it salts each
disclosure with 128 random bits, sorts the digests and can add decoys. Only its signing is replaced: the payload
it assembles is signed by the identity's :class:`~vcnode.keys.signer.Signer` through
:func:`vcnode.jose.sign_compact`, so the issuer's secret key never leaves the identity service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sd_jwt.common import SDObj
from sd_jwt.issuer import SDJWTIssuer

from vcnode.clock import SYSTEM_CLOCK
from vcnode.errors import InvalidInput
from vcnode.jose import sign_compact
from vcnode.keys.signer import Signer
from vcnode.sdjwt.metadata import NEVER_DISCLOSABLE, Path, TypeMetadata

SD_JWT_VC_TYP = "dc+sd-jwt"
LEGACY_TYP = "vc+sd-jwt"  # what SD-JWT VC drafts before -06 used; still sent by some wallets and issuers
RESERVED = frozenset({"_sd", "_sd_alg", "...", "iat", *NEVER_DISCLOSABLE})


class _Issuer(SDJWTIssuer):
    """The reference library's issuer, signing with a vcnode signer instead of a jwcrypto key."""

    def __init__(self, claims: dict[Any, Any], signer: Signer, header: dict[str, Any], decoys: bool) -> None:
        self._vcnode_signer = signer
        self._vcnode_header = header
        super().__init__(claims, issuer_key=None, add_decoy_claims=decoys)

    def _create_signed_jws(self) -> None:
        self.serialized_sd_jwt = sign_compact(self.sd_jwt_payload, self._vcnode_signer, header=self._vcnode_header)


def _mark(value: Any, path: Path, metadata: TypeMetadata | None) -> Any:
    """``value`` with every member to be disclosed selectively wrapped in ``SDObj`` (the library's marker)."""
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for name, member in value.items():
            if not isinstance(name, str) or name in ("_sd", "..."):
                raise InvalidInput(f"claim name {str(name)[:40]!r} is reserved by SD-JWT or not a string")
            rule = metadata.sd((*path, name)) if metadata is not None else "allowed"
            marked = _mark(member, (*path, name), metadata)
            out[SDObj(name) if rule != "never" else name] = marked
        return out
    if isinstance(value, list | tuple):
        rule = metadata.sd((*path, None)) if metadata is not None else "allowed"
        items = [_mark(item, (*path, None), metadata) for item in value]
        return [SDObj(item) for item in items] if rule == "always" else items
    return value


def issue_sd_jwt_vc(claims: Mapping[str, Any], signer: Signer, *, issuer: str, kid: str, vct: str,
                    holder_jwk: Mapping[str, Any] | None = None, status: Mapping[str, Any] | None = None,
                    iat: int | None = None, nbf: int | None = None, exp: int | None = None,
                    metadata: TypeMetadata | None = None, decoys: bool = False) -> str:
    """An SD-JWT VC in compact issuance form (``<issuer-signed JWT>~<disclosure>~…~``).

    ``claims``: the credential's own claims (not ``iss``, ``iat``, ``nbf``, ``exp``, ``vct``, ``cnf``, ``status``
    or SD-JWT's ``_sd``/``_sd_alg``/``...``, which are set here or reserved). Each is selectively
    disclosable unless ``metadata`` (the type's metadata) says ``sd: never``; arrays are disclosed whole unless
    their elements are ``sd: always``. ``holder_jwk``: the public key the holder binds presentations with
    (``cnf.jwk``); ``status``: the ``status`` claim (see :func:`vcnode.status.token_list.status_claim`);
    ``decoys``: add 2-5 decoy digests to each object (hides how many claims it has).
    :class:`InvalidInput` when ``claims`` uses a reserved name or ``metadata`` is for another ``vct``."""
    reserved = sorted(RESERVED.intersection(claims))
    if reserved:
        raise InvalidInput(f"claims {', '.join(reserved)} are set by the issuer, not given as credential claims")
    if metadata is not None and metadata.vct != vct:
        raise InvalidInput(f"the type metadata is for {metadata.vct[:120]}, not {vct[:120]}")
    registered: dict[str, Any] = {"iss": issuer, "iat": int(SYSTEM_CLOCK.time()) if iat is None else iat, "vct": vct}
    if nbf is not None:
        registered["nbf"] = nbf
    if exp is not None:
        registered["exp"] = exp
    if holder_jwk is not None:
        registered["cnf"] = {"jwk": dict(holder_jwk)}
    if status is not None:
        registered["status"] = dict(status)
    payload = {**registered, **_mark(claims, (), metadata)}
    made = _Issuer(payload, signer, {"typ": SD_JWT_VC_TYP, "kid": kid}, decoys)
    return made.sd_jwt_issuance


def sign_sd_jwt(claims: Mapping[Any, Any], signer: Signer, header: dict[str, Any], *, decoys: bool = False) -> str:
    """An SD-JWT in compact issuance form of ``claims`` whose selectively disclosable members are wrapped in
    the reference library's ``SDObj``, signed by ``signer`` with ``header`` (``typ``, ``kid``, ...): for formats
    other than SD-JWT VC (VC-JOSE-COSE's ``vc+sd-jwt`` secures a W3C credential's JSON)."""
    return _Issuer(dict(claims), signer, header, decoys).sd_jwt_issuance
