"""Verifying SD-JWT VCs and their presentations, into the node's verification report (never raises).

Checks, in order (each failure has its own code; the check it belongs to in brackets):

- [structure] the compact form ``<JWT>~<disclosure>~…~[<KB-JWT>]`` (``invalidSdJwt``, ``sdJwtTooLarge``), the
  header ``typ`` ``dc+sd-jwt`` (``invalidTyp``; the pre-2025 ``vc+sd-jwt`` is accepted with a warning), ``vct``
  (``missingVct``, ``vctMismatch`` against the accepted types), ``_sd_alg`` (``unsupportedDigestAlgorithm``:
  only ``sha-256``);
- [proof] the issuer's signature, by the key the header's ``kid`` names in the issuer's DID document
  (:func:`vcnode.jose.verify_with_did`; its codes: ``invalidSignature``, ``unsupportedAlgorithm``, ...);
- [issuer] ``iss`` is the DID whose key signed (``issuerMismatch``), and the expected issuer when one is asked;
- [validity] ``iat``/``nbf``/``exp`` (``notYetValid``, ``expired``, ``invalidTime``);
- [disclosures] every disclosure well formed (``invalidDisclosure``: not base64url JSON, wrong shape, a
  reserved name, a claim that is also in the clear, an array disclosure in an object or the reverse, ``iss``,
  ``cnf``, ``status`` and the other claims SD-JWT VC forbids to disclose), none twice
  (``duplicateDisclosure``), each matching a digest of the signed payload (``tamperedDisclosure``), no digest
  twice in the payload (``duplicateDigest``);
- [keyBinding] when the verifier asks for it (an audience or a nonce, or ``key_binding="required"``): a KB-JWT
  (``missingKeyBinding``) signed by the ``cnf`` key (``missingHolderKey``, ``invalidHolderKey``,
  ``invalidKeyBinding``) with ``typ: kb+jwt``, ``sd_hash`` over the presentation (``sdHashMismatch``), ``aud``
  (``keyBindingAudienceMismatch``), ``nonce`` (``keyBindingNonceMismatch``) and ``iat`` within the freshness
  window (``staleKeyBinding``, ``keyBindingInFuture``);
- [status] the ``status.status_list`` reference, through the node's :class:`~vcnode.status.check.StatusChecker`.

Disclosure processing follows RFC 9901 §7.1 and is vcnode's own (the reference library's verifier does its own
JWS with jwcrypto, verifies key binding with ES256 only and ignores unreferenced disclosures).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import orjson

from vcnode.clock import SYSTEM_CLOCK
from vcnode.credentials.key_binding import check_key_binding_claims, is_numeric_date
from vcnode.credentials.report import Report
from vcnode.did.resolver import Resolver
from vcnode.errors import VcnodeError
from vcnode.jose import DEFAULT_MAX_BYTES, verify_compact, verify_with_did
from vcnode.jose.did import resolve_kid
from vcnode.keys.jwk import JwkError
from vcnode.keys.public import PublicKey
from vcnode.sdjwt.issue import LEGACY_TYP, SD_JWT_VC_TYP
from vcnode.sdjwt.metadata import NEVER_DISCLOSABLE

if TYPE_CHECKING:
    from vcnode.status.check import StatusChecker

KB_TYP = "kb+jwt"
DIGEST_ALG = "sha-256"
MAX_DISCLOSURES = 1_000  # disclosures in one SD-JWT (an EUDI learning credential has about 20)
MAX_KB_BYTES = 8 * 1024  # a KB-JWT: header, aud, nonce, iat, sd_hash
MAX_DEPTH = 32  # nesting of objects and arrays walked when unpacking
_RESERVED_NAMES = ("_sd", "...", "_sd_alg")


@dataclass(frozen=True)
class SdJwtVcOptions:
    """What the verifier asks of an SD-JWT VC.

    ``audience`` / ``nonce``: what the KB-JWT must say (the verifier's client id and the nonce it sent);
    ``key_binding``: ``required`` (a presentation), ``optional`` (checked when present) or None (required
    when an audience or a nonce is given); ``max_key_binding_age``: how old (seconds) a KB-JWT's ``iat`` may
    be; ``skew``: clock difference allowed on every time; ``vct``: the accepted types (None: any);
    ``issuer``: the DID that must have issued it (None: any); ``status``: checks the ``status`` reference
    (None: reported as not checked); ``status_deadline``: the ``time.monotonic()`` value until which to wait
    for the Status List Token (None: no limit)."""

    audience: str | None = None
    nonce: str | None = None
    key_binding: Literal["required", "optional"] | None = None
    max_key_binding_age: float = 300.0
    skew: float = 60.0
    now: datetime | None = None
    vct: Collection[str] | None = None
    issuer: str | None = None
    status: StatusChecker | None = None
    status_deadline: float | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    max_disclosures: int = MAX_DISCLOSURES

    @property
    def wants_key_binding(self) -> bool:
        """True when a presentation without a KB-JWT fails."""
        if self.key_binding is not None:
            return self.key_binding == "required"
        return self.audience is not None or self.nonce is not None


@dataclass
class SdJwtVcResult:
    """The report, and what was verified: the disclosed claims (the payload with the disclosures put back
    and ``_sd``/``_sd_alg`` removed), the issuer's header, the holder's key and the KB-JWT's claims."""

    report: Report
    claims: dict[str, Any] | None = None
    header: dict[str, Any] | None = None
    issuer: str | None = None
    holder_key: PublicKey | None = None
    key_binding: dict[str, Any] | None = None
    disclosed: list[str] = field(default_factory=list)  # the disclosed claims' paths, e.g. "learning_outcomes"

    @property
    def verified(self) -> bool:
        return self.report.verified

    def to_json(self) -> dict[str, Any]:
        """The report's JSON with the disclosed claims (when the issuer's signature verified)."""
        out = self.report.to_json()
        if self.claims is not None:
            out["credential"] = {"format": SD_JWT_VC_TYP, "claims": self.claims, "disclosed": self.disclosed}
        return out


class _Refused(Exception):
    """Stops a check: its code and message go into the report."""

    def __init__(self, check: str, code: str, message: str) -> None:
        super().__init__(message)
        self.check, self.code, self.message = check, code, message


@dataclass(frozen=True)
class _Disclosure:
    raw: str
    salt: str
    name: str | None  # None: an array element
    value: Any


def _b64decode(text: str) -> bytes:
    """Strict base64url without padding (a character outside the alphabet is an error, not skipped)."""
    if "=" in text:
        raise ValueError("padding")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _digest(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def split_sd_jwt(token: object, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, list[str], str]:
    """The issuer-signed JWT, the disclosures and the KB-JWT (``""`` when none) of a compact SD-JWT; raises
    ``ValueError`` when it is not one."""
    if not isinstance(token, str):
        raise ValueError("an SD-JWT must be a string")
    if len(token) > max_bytes:
        raise OverflowError(f"the SD-JWT is longer than {max_bytes} bytes")
    parts = token.split("~")
    if len(parts) < 2 or not parts[0]:
        raise ValueError("not a compact SD-JWT (<JWT>~<disclosures>~<KB-JWT>): no '~'")
    return parts[0], parts[1:-1], parts[-1]


def _parse_disclosures(encoded: list[str], limit: int) -> dict[str, _Disclosure]:
    if len(encoded) > limit:
        raise _Refused("disclosures", "invalidDisclosure", f"{len(encoded)} disclosures; at most {limit} are read")
    found: dict[str, _Disclosure] = {}
    for position, text in enumerate(encoded):
        where = f"disclosure {position}"
        if not text:
            raise _Refused("disclosures", "invalidDisclosure", f"{where} is empty ('~~')")
        try:
            decoded = orjson.loads(_b64decode(text))
        except (ValueError, binascii.Error, orjson.JSONDecodeError):
            raise _Refused("disclosures", "invalidDisclosure", f"{where} is not base64url-encoded JSON") from None
        if not isinstance(decoded, list) or len(decoded) not in (2, 3) or not isinstance(decoded[0], str):
            raise _Refused("disclosures", "invalidDisclosure", f"{where} is not [salt, name, value] or [salt, value]")
        name = decoded[1] if len(decoded) == 3 else None
        if len(decoded) == 3 and (not isinstance(name, str) or name in _RESERVED_NAMES):
            raise _Refused("disclosures", "invalidDisclosure", f"{where} names the claim {str(name)[:40]!r}, which "
                           "cannot be disclosed")
        digest = _digest(text)
        if digest in found:
            raise _Refused("disclosures", "duplicateDisclosure", f"{where} is given twice")
        found[digest] = _Disclosure(text, decoded[0], name, decoded[-1])
    return found


class _Unpacker:
    """RFC 9901 §7.1 step 3: put the disclosures back into the payload, refusing every ambiguity."""

    def __init__(self, disclosures: dict[str, _Disclosure]) -> None:
        self.disclosures = disclosures
        self.seen: set[str] = set()
        self.used: set[str] = set()
        self.disclosed: list[str] = []

    def _claim(self, digest: Any) -> _Disclosure | None:
        if not isinstance(digest, str):
            raise _Refused("disclosures", "invalidDisclosure", "a digest in the payload is not a string")
        if digest in self.seen:
            raise _Refused("disclosures", "duplicateDigest", f"the digest {digest[:60]} appears more than once")
        self.seen.add(digest)
        found = self.disclosures.get(digest)
        if found is not None:
            self.used.add(digest)
        return found

    def unpack(self, value: Any, path: str, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise _Refused("disclosures", "invalidDisclosure", f"claims nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            return self._object(value, path, depth)
        if isinstance(value, list):
            return self._array(value, path, depth)
        return value

    def _object(self, value: dict[str, Any], path: str, depth: int) -> dict[str, Any]:
        digests = value.get("_sd", [])
        if not isinstance(digests, list):
            raise _Refused("disclosures", "invalidDisclosure", f"{path or 'the payload'}: _sd must be an array")
        # Scalars (most claims) are copied as they are; only objects and arrays are walked (and named).
        out = {name: self.unpack(member, f"{path}.{name}" if path else name, depth + 1)
               if isinstance(member, dict | list) else member
               for name, member in value.items() if name != "_sd" and name != "_sd_alg"}
        for digest in digests:
            found = self._claim(digest)
            if found is None:
                continue  # a decoy, or a claim the holder did not disclose
            name = f"{path}.{found.name}" if path else found.name
            if found.name is None:
                raise _Refused("disclosures", "invalidDisclosure", f"an array-element disclosure is referenced from "
                               f"the object {path or 'payload'}")
            if found.name in out:
                raise _Refused("disclosures", "invalidDisclosure", f"the disclosed claim {name[:80]} is also in the "
                               "clear")
            if not path and found.name in NEVER_DISCLOSABLE:
                raise _Refused("disclosures", "invalidDisclosure", f"{found.name} may not be selectively disclosed "
                               "in an SD-JWT VC")
            self.disclosed.append(str(name))
            out[found.name] = self.unpack(found.value, str(name), depth + 1)
        return out

    def _array(self, value: list[Any], path: str, depth: int) -> list[Any]:
        out = []
        for position, item in enumerate(value):
            if isinstance(item, dict) and len(item) == 1 and "..." in item:
                found = self._claim(item["..."])
                if found is None:
                    continue
                if found.name is not None:
                    raise _Refused("disclosures", "invalidDisclosure", f"an object-property disclosure is "
                                   f"referenced from the array {path}")
                self.disclosed.append(f"{path}[{position}]")
                out.append(self.unpack(found.value, f"{path}[{position}]", depth + 1))
            elif not isinstance(item, dict | list):
                out.append(item)
            else:
                out.append(self.unpack(item, f"{path}[{position}]", depth + 1))
        return out


class DisclosureRefused(_Refused):
    """A disclosure refused by :func:`disclose`: ``code`` and ``message`` say why."""


def disclose(payload: dict[str, Any], encoded: list[str],
             limit: int = MAX_DISCLOSURES) -> tuple[dict[str, Any], list[str]]:
    """RFC 9901 §7.1 for any SD-JWT payload (a W3C credential secured as ``vc+sd-jwt`` too): the payload with
    the ``encoded`` disclosures put back and ``_sd``/``_sd_alg`` removed, and the disclosed claims' paths.
    Raises :class:`DisclosureRefused` (``invalidDisclosure``, ``duplicateDisclosure``, ``duplicateDigest``,
    ``tamperedDisclosure``, ``unsupportedDigestAlgorithm``)."""
    try:
        if payload.get("_sd_alg", DIGEST_ALG) != DIGEST_ALG:
            raise _Refused("structure", "unsupportedDigestAlgorithm", f"_sd_alg {str(payload['_sd_alg'])[:40]!r}: "
                           f"only {DIGEST_ALG} is supported")
        disclosures = _parse_disclosures(encoded, limit)
        unpacker = _Unpacker(disclosures)
        claims = unpacker.unpack(payload, "")
    except _Refused as refused:
        raise DisclosureRefused(refused.check, refused.code, refused.message) from None
    unused = len(disclosures) - len(unpacker.used)
    if unused:
        raise DisclosureRefused("disclosures", "tamperedDisclosure", f"{unused} disclosure(s) match no digest of "
                                "the signed payload (changed after issuance, or from another credential)")
    return claims, unpacker.disclosed


def _check_times(claims: dict[str, Any], now: float, skew: float, report: Report) -> None:
    for name in ("iat", "nbf", "exp"):
        if name in claims and not is_numeric_date(claims[name]):
            report.error("validity", "invalidTime", f"{name} must be a NumericDate (seconds since 1970)", name)
    if is_numeric_date(claims.get("nbf")) and claims["nbf"] > now + skew:
        report.error("validity", "notYetValid", "the credential is valid only from "
                     f"{datetime.fromtimestamp(claims['nbf'], UTC).isoformat()}", "nbf")
    if is_numeric_date(claims.get("iat")) and claims["iat"] > now + skew:
        report.error("validity", "notYetValid", "the credential was issued in the future (iat)", "iat")
    if is_numeric_date(claims.get("exp")) and claims["exp"] + skew < now:
        report.error("validity", "expired", f"the credential expired at "
                     f"{datetime.fromtimestamp(claims['exp'], UTC).isoformat()}", "exp")
    report.passed("validity", **{name: claims[name] for name in ("iat", "nbf", "exp") if name in claims})


async def _holder_key(cnf: Any, resolver: Resolver) -> PublicKey:
    """The key a ``cnf`` claim binds: ``jwk`` (a public JWK) or ``kid`` (a DID URL, as OpenID4VCI's
    did-bound proofs give)."""
    if not isinstance(cnf, dict):
        raise _Refused("keyBinding", "missingHolderKey", "the credential has no cnf claim binding it to a holder key")
    if "jwk" in cnf:
        jwk = cnf["jwk"]
        if not isinstance(jwk, dict) or any(name in jwk for name in ("d", "p", "q", "dp", "dq", "qi", "k")):
            raise _Refused("keyBinding", "invalidHolderKey", "cnf.jwk is not a public JWK")
        try:
            return PublicKey.from_jwk(jwk)
        except JwkError as exc:
            raise _Refused("keyBinding", "invalidHolderKey", f"cnf.jwk: {exc.detail}") from None
    if isinstance(cnf.get("kid"), str):
        try:
            return (await resolve_kid(cnf["kid"], resolver, purpose="authentication"))[1]
        except VcnodeError as exc:
            raise _Refused("keyBinding", "invalidHolderKey", f"cnf.kid: {exc.detail}") from None
    raise _Refused("keyBinding", "missingHolderKey", "cnf has neither a jwk nor a kid")


class KeyBindingRefused(_Refused):
    """A KB-JWT refused by :func:`verify_key_binding_jwt`: ``code`` and ``message`` say why."""


def verify_key_binding_jwt(kb: str, key: PublicKey, presented: str) -> dict[str, Any]:
    """The claims of the KB-JWT ``kb`` once its signature by ``key``, its ``typ`` (``kb+jwt``), its required
    claims and its ``sd_hash`` over ``presented`` (the presentation up to and including its last ``~``) are
    right; :class:`KeyBindingRefused` (``invalidKeyBinding``, ``sdHashMismatch``) otherwise. Used for SD-JWT
    VCs and for VC-JOSE-COSE ``vc+sd-jwt`` / ``vp+sd-jwt`` envelopes."""
    try:
        verified = verify_compact(kb, key, max_bytes=MAX_KB_BYTES)
        claims = verified.claims()
    except VcnodeError as exc:
        raise KeyBindingRefused("keyBinding", "invalidKeyBinding", f"the KB-JWT is refused ({exc.code}): "
                                f"{exc.detail}") from None
    if verified.header.get("typ") != KB_TYP:
        raise KeyBindingRefused("keyBinding", "invalidKeyBinding", f"the KB-JWT's typ must be {KB_TYP}, not "
                                f"{str(verified.header.get('typ'))[:40]}")
    missing = [name for name in ("iat", "aud", "nonce", "sd_hash") if name not in claims]
    if missing:
        raise KeyBindingRefused("keyBinding", "invalidKeyBinding", f"the KB-JWT lacks {', '.join(missing)}")
    if claims["sd_hash"] != _digest(presented):
        raise KeyBindingRefused("keyBinding", "sdHashMismatch", "the KB-JWT's sd_hash is not the digest of this "
                                "presentation (its disclosures were changed, added or removed after the holder "
                                "signed)")
    return claims


def _check_key_binding(kb: str, key: PublicKey, presented: str, options: SdJwtVcOptions, now: float,
                       report: Report) -> dict[str, Any]:
    """The KB-JWT's claims, once its signature, type and ``sd_hash`` are right; ``aud``, ``nonce`` and
    ``iat`` are checked into ``report`` (each its own code)."""
    claims = verify_key_binding_jwt(kb, key, presented)
    check_key_binding_claims(claims, audience=options.audience, nonce=options.nonce, now=now, skew=options.skew,
                             max_age=options.max_key_binding_age, report=report)
    return claims


async def verify_sd_jwt_vc(token: Any, resolver: Resolver, options: SdJwtVcOptions | None = None) -> SdJwtVcResult:
    """Verify an SD-JWT VC (as issued, or presented with or without a KB-JWT). Never raises: every refusal is
    a named error in the result's report (see the module docstring)."""
    options = options or SdJwtVcOptions()
    report = Report()
    result = SdJwtVcResult(report)
    try:
        await _verify(token, resolver, options, result)
    except _Refused as refused:
        report.error(refused.check, refused.code, refused.message)
    return result


async def _verify(token: Any, resolver: Resolver, options: SdJwtVcOptions, result: SdJwtVcResult) -> None:
    report = result.report
    now_dt = options.now or SYSTEM_CLOCK.now()
    now = now_dt.timestamp()
    try:
        jwt, encoded, kb = split_sd_jwt(token, options.max_bytes)
    except OverflowError as exc:
        raise _Refused("structure", "sdJwtTooLarge", str(exc)) from None
    except ValueError as exc:
        raise _Refused("structure", "invalidSdJwt", str(exc)) from None
    try:
        verified = await verify_with_did(jwt, resolver, did=options.issuer, max_bytes=options.max_bytes)
        payload = verified.claims()
    except VcnodeError as exc:  # JoseError, or a key the DID document holds that cannot be loaded
        check = "issuer" if exc.code == "kidMismatch" and options.issuer is not None else "proof"
        raise _Refused(check, exc.code, f"the issuer's signature: {exc.detail}") from None
    result.header = verified.header
    report.passed("proof", alg=verified.header.get("alg"), verificationMethod=verified.verification_method)
    typ = verified.header.get("typ")
    if typ == LEGACY_TYP:
        report.warn("structure", "legacyTyp", f"typ {LEGACY_TYP} is the name SD-JWT VC drafts before -06 used; "
                    f"the current one is {SD_JWT_VC_TYP}")
    elif typ != SD_JWT_VC_TYP:
        report.error("structure", "invalidTyp", f"an SD-JWT VC's typ must be {SD_JWT_VC_TYP}, not {str(typ)[:40]}")
    vct = payload.get("vct")
    if not isinstance(vct, str) or not vct:
        report.error("structure", "missingVct", "an SD-JWT VC needs a vct (its type)", "vct")
    elif options.vct is not None and vct not in options.vct:
        report.error("structure", "vctMismatch", f"the credential's type {vct[:200]!r} is not one this verifier "
                     "accepts", "vct")
    if payload.get("_sd_alg", DIGEST_ALG) != DIGEST_ALG:
        raise _Refused("structure", "unsupportedDigestAlgorithm", f"_sd_alg {str(payload['_sd_alg'])[:40]!r}: only "
                       f"{DIGEST_ALG} is supported")
    report.passed("structure", typ=typ, vct=vct)
    issuer = payload.get("iss")
    result.issuer = issuer if isinstance(issuer, str) else None
    if issuer != verified.controller:
        report.error("issuer", "issuerMismatch", f"iss {str(issuer)[:120]!r} is not the DID whose key signed the "
                     f"credential ({str(verified.controller)[:120]})", "iss")
    report.passed("issuer", id=result.issuer)
    _check_times(payload, now, options.skew, report)

    disclosures = _parse_disclosures(encoded, options.max_disclosures)
    unpacker = _Unpacker(disclosures)
    claims = unpacker.unpack(payload, "")
    unused = len(disclosures) - len(unpacker.used)
    if unused:
        raise _Refused("disclosures", "tamperedDisclosure", f"{unused} disclosure(s) match no digest of the signed "
                       "credential (changed after issuance, or from another credential)")
    result.claims, result.disclosed = claims, unpacker.disclosed
    report.passed("disclosures", disclosed=len(disclosures))

    if kb:
        key = await _holder_key(claims.get("cnf"), resolver)
        result.holder_key = key
        result.key_binding = _check_key_binding(kb, key, token[:len(token) - len(kb)], options, now, report)
        report.passed("keyBinding", aud=result.key_binding.get("aud"), iat=result.key_binding.get("iat"))
    elif options.wants_key_binding:
        report.error("keyBinding", "missingKeyBinding", "the presentation has no key-binding JWT: nothing shows the "
                     "holder of the credential's key presented it to this verifier")
    else:
        report.passed("keyBinding", checked=False, reason="no key binding asked for")
        report.results["keyBinding"].pop("verified", None)

    if "status" in claims:
        if options.status is None:
            report.passed("status", checked=False, reason="status not checked by this verifier")
            report.results["status"].pop("verified", None)
        elif result.issuer is not None:
            try:
                await options.status.check_token_status(claims["status"], result.issuer, report, now_dt,
                                                        deadline=options.status_deadline)
            except VcnodeError as exc:  # a fetch function raising something other than StatusListError
                report.error("status", "statusUnavailable", exc.detail)
