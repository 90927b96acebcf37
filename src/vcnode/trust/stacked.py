"""The stacked award: an Open Badges 3.0 credential for a satisfied pathway, referencing its components.

Each component is a VCDM 2.0 ``relatedResource``: its credential id and ``digestMultibase``, the SHA-256
multihash of the component's RFC 8785 (JCS) form, base64url without padding (multibase prefix ``u``). A
verifier holding a component recomputes the digest with :func:`component_digest`; a changed component no
longer matches.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from vcnode.credentials.model import is_url
from vcnode.credentials.openbadges import build_open_badge
from vcnode.errors import VcnodeError
from vcnode.jsonld import canonicalize_jcs
from vcnode.trust.pathways import PathwayResult

_SHA2_256 = bytes([0x12, 0x20])  # multihash: sha2-256, 32 bytes
VC_MEDIA_TYPE = "application/vc"


class PathwayNotSatisfied(VcnodeError):
    """The stacked award was asked for a pathway the learner has not (yet, or verifiably) completed."""

    code = "pathwayNotSatisfied"
    status = 409
    title = "Pathway not satisfied"


def component_digest(credential: Mapping[str, Any]) -> str:
    """``u`` + base64url(sha2-256 multihash of the JCS canonical form of ``credential``)."""
    digest = hashlib.sha256(canonicalize_jcs(dict(credential))).digest()
    return "u" + base64.urlsafe_b64encode(_SHA2_256 + digest).decode("ascii").rstrip("=")


def _narrative(result: PathwayResult) -> str:
    pathway = result.pathway
    parts = [f"Awarded under the pathway {pathway.name} ({pathway.pathway}): {pathway.min_components} of "
             f"{len(pathway.components)} component achievements"]
    if pathway.min_credits is not None:
        parts.append(f"at least {pathway.min_credits:g} credits in {pathway.credit_framework}")
    if pathway.window_years is not None:
        parts.append(f"all awarded within {pathway.window_years:g} years")
    return ", ".join(parts) + ". The component credentials are listed in relatedResource with their digests."


def build_stacked_award(result: PathwayResult, *, credential_id: str, issuer: Mapping[str, Any],
                        valid_from: str) -> dict[str, Any]:
    """The unsigned stacked award for a satisfied pathway, to be issued by the pathway's provider
    (``issuer`` is its Profile: ``id`` and ``name``, optionally ``address``…) to the holder the result was
    evaluated for. :class:`PathwayNotSatisfied` unless the outcome is ``satisfied``."""
    pathway = result.pathway
    if not result.satisfied:
        raise PathwayNotSatisfied(f"the pathway {pathway.pathway} is {result.outcome} for {result.holder}")
    if issuer.get("id") != pathway.issuer:
        raise VcnodeError(f"a stacked award for {pathway.pathway} is issued by its provider {pathway.issuer}",
                          code="issuerMismatch", status=422)
    missing_ids = [c.achievement_id for c in result.counted if not is_url(c.credential_id)]
    if missing_ids:
        raise VcnodeError("components without a URL id cannot be referenced: " + ", ".join(missing_ids),
                          code="invalidComponent", status=422)
    achievement = {"id": pathway.award.id, "name": pathway.award.name, "description": pathway.award.description,
                   "criteria": {"id": pathway.pathway, "narrative": _narrative(result)}}
    award = build_open_badge(credential_id=credential_id, issuer=dict(issuer), achievement=achievement,
                             learner_id=result.holder, valid_from=valid_from)
    if result.credits is not None and pathway.credit_framework is not None:
        # Open Badges has no member for the credit unit: an alignment names the framework (docs/credentials.md).
        award["credentialSubject"]["creditsEarned"] = result.credits
        award["credentialSubject"]["achievement"]["alignment"] = [{
            "type": ["Alignment"], "targetUrl": pathway.credit_framework, "targetCode": f"{result.credits:g}",
            "targetName": f"{result.credits:g} credits counted in {pathway.credit_framework}"}]
    award["relatedResource"] = [{"id": c.credential_id, "mediaType": VC_MEDIA_TYPE,
                                 "digestMultibase": component_digest(c.credential)} for c in result.counted]
    return award
