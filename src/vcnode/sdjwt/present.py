"""The holder's side of an SD-JWT VC: choosing which disclosures to present, and the key-binding JWT.

The choice of disclosures is the OWF reference library's (``SDJWTHolder``: a frame of the claims to disclose,
nested objects and arrays included); the KB-JWT (``typ: kb+jwt``, ``aud``, ``nonce``, ``iat``, ``sd_hash``) is
signed by the holder's :class:`~vcnode.keys.signer.Signer` through :func:`vcnode.jose.sign_compact`, so any key
type the node holds can bind (the library binds with ES256 only).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from sd_jwt.holder import SDJWTHolder

from vcnode.clock import SYSTEM_CLOCK
from vcnode.errors import InvalidInput
from vcnode.jose import sign_compact
from vcnode.keys.signer import Signer
from vcnode.sdjwt.verify import KB_TYP


def sd_hash(presentation: str) -> str:
    """The ``sd_hash`` of a presentation without its KB-JWT (``<JWT>~<disclosure>~…~``): base64url SHA-256."""
    return base64.urlsafe_b64encode(hashlib.sha256(presentation.encode("ascii")).digest()).rstrip(b"=").decode()


def select_disclosures(sd_jwt: str, disclose: Mapping[str, Any] | None) -> str:
    """``sd_jwt`` (as issued) with only the disclosures ``disclose`` asks for, ending with ``~``.

    ``disclose``: the reference library's frame: ``{"given_name": True, "address": {"locality": True}}``,
    an array's elements by position (``{"nationalities": [True, False]}``); None: every disclosure."""
    jwt, *disclosures = sd_jwt.split("~")
    if disclose is None:
        return "~".join([jwt, *[part for part in disclosures if part], ""])
    try:
        holder = SDJWTHolder(sd_jwt if sd_jwt.endswith("~") else sd_jwt.rsplit("~", 1)[0] + "~")
        holder.create_presentation(dict(disclose))
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"cannot select the disclosures: {exc}") from None
    return "~".join([holder.serialized_sd_jwt, *holder.hs_disclosures, ""])


def key_binding_jwt(presentation: str, holder: Signer, *, aud: str, nonce: str, iat: int | None = None,
                    kid: str | None = None) -> str:
    """The KB-JWT binding ``presentation`` (``<JWT>~<disclosure>~…~``) to ``aud`` and ``nonce``."""
    claims = {"iat": int(SYSTEM_CLOCK.time()) if iat is None else iat, "aud": aud, "nonce": nonce,
              "sd_hash": sd_hash(presentation)}
    return sign_compact(claims, holder, kid=kid, header={"typ": KB_TYP})


def present_sd_jwt_vc(sd_jwt: str, *, disclose: Mapping[str, Any] | None = None, holder: Signer | None = None,
                      aud: str | None = None, nonce: str | None = None, iat: int | None = None) -> str:
    """A presentation of ``sd_jwt``: the disclosures ``disclose`` selects (see :func:`select_disclosures`) and,
    when ``holder`` is given, a KB-JWT for ``aud`` and ``nonce`` signed by it (the key in the credential's
    ``cnf``)."""
    presentation = select_disclosures(sd_jwt, disclose)
    if holder is None:
        return presentation
    if aud is None or nonce is None:
        raise InvalidInput("a key-binding JWT needs the verifier's audience and nonce")
    return presentation + key_binding_jwt(presentation, holder, aud=aud, nonce=nonce, iat=iat)
