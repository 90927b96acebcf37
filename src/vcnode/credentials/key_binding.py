"""The claims of a verified key-binding JWT (SD-JWT, RFC 9901 §4.3) checked against a verifier's request:
``aud`` (the domain), ``nonce`` (the challenge) and ``iat`` (freshness). Shared by SD-JWT VC over OpenID4VP
(:mod:`vcnode.sdjwt.verify`) and ``vc+sd-jwt`` / ``vp+sd-jwt`` envelopes in presentations
(:mod:`vcnode.credentials.verify`); the signature and ``sd_hash`` are checked by the caller."""

from __future__ import annotations

from typing import Any

from vcnode.credentials.report import Report


def is_numeric_date(value: Any) -> bool:
    """True for a JWT NumericDate (a number, not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_key_binding_claims(claims: dict[str, Any], *, audience: str | None, nonce: str | None, now: float,
                             skew: float, max_age: float, report: Report) -> None:
    """A verified KB-JWT's ``aud`` (``keyBindingAudienceMismatch``; None: not checked), ``nonce``
    (``keyBindingNonceMismatch``; None: not checked) and ``iat`` within ``max_age`` seconds of ``now``
    (``staleKeyBinding``, ``keyBindingInFuture``), each an error of the ``keyBinding`` check in ``report``."""
    aud = claims.get("aud")
    if audience is not None and not (aud == audience or (isinstance(aud, list) and audience in aud)):
        report.error("keyBinding", "keyBindingAudienceMismatch", f"the KB-JWT is for {str(aud)[:200]!r}, not "
                     f"{audience[:200]!r}", "aud")
    if nonce is not None and claims.get("nonce") != nonce:
        report.error("keyBinding", "keyBindingNonceMismatch", "the KB-JWT's nonce is not the one this verifier "
                     "sent", "nonce")
    iat = claims.get("iat")
    if not is_numeric_date(iat):
        report.error("keyBinding", "invalidKeyBinding", "the KB-JWT's iat is not a NumericDate", "iat")
    elif iat > now + skew:
        report.error("keyBinding", "keyBindingInFuture", "the KB-JWT was signed in the future (iat)", "iat")
    elif iat < now - max_age - skew:
        report.error("keyBinding", "staleKeyBinding", f"the KB-JWT was signed {int(now - iat)} s ago; this "
                     f"verifier accepts {int(max_age)} s", "iat")
