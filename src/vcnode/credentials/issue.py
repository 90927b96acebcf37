"""Issue credentials and sign presentations with the node's keys."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from vcnode.clock import now_timestamp
from vcnode.credentials.model import VC_V1, VC_V2, as_list, check_credential_structure, issuer_id
from vcnode.credentials.openbadges import check_open_badge, is_open_badge, proof_is_array
from vcnode.credentials.report import Report
from vcnode.credentials.status_entry import check_issued_entries
from vcnode.errors import VcnodeError
from vcnode.jsonld import ContextRegistry
from vcnode.keys.signer import SigningKey
from vcnode.proofs import DEFAULT_SUITE, suite_by_name
from vcnode.proofs.ed25519_signature_2020 import SUITE_CONTEXT

DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"


class InvalidCredential(VcnodeError):
    """The credential to issue breaks the data model; ``extra['errors']`` lists every problem."""

    code = "invalidCredential"
    status = 422
    title = "Invalid credential"


def _now() -> str:
    return now_timestamp()


def with_issuance_date(credential: Any, issued: str | None = None) -> Any:
    """A VCDM 1.1 credential (first context the 1.1 base context) without ``issuanceDate`` gets the issuance
    time (``issued``, default now), as the VC API reference issuer (Digital Bazaar's ``vc.issue``) does: 1.1
    requires the property, and the issuer is who knows when it issues. Anything else is returned unchanged."""
    if not (isinstance(credential, dict) and "issuanceDate" not in credential
            and as_list(credential.get("@context"))[:1] == [VC_V1]):
        return credential
    return {**credential, "issuanceDate": issued or _now()}


def prepare_credential(credential: Any) -> dict[str, Any]:
    """Check a credential before signing: data model rules, Open Badges rules; raise with every error. A
    VCDM 1.1 credential without ``issuanceDate`` is dated now (:func:`with_issuance_date`)."""
    credential = with_issuance_date(credential)
    report = Report()
    check_credential_structure(credential, report)
    if isinstance(credential, dict) and is_open_badge(credential) and not report.errors:
        check_open_badge(credential, report)
    if isinstance(credential, dict):
        check_issued_entries(credential, report)
    if report.errors:
        raise InvalidCredential("; ".join(e.message for e in report.errors[:5]),
                                extra={"errors": [e.to_json() for e in report.errors]})
    return copy.deepcopy(credential)


def sign(document: dict[str, Any], key: SigningKey, *, suite: str = DEFAULT_SUITE, purpose: str = "assertionMethod",
         registry: ContextRegistry | None = None, proof_array: bool = False, **proof_options: Any) -> dict[str, Any]:
    """Add a proof to ``document`` (appended to an existing proof set; with ``proof_array``, a first proof is
    a one-proof array too). When the document's contexts do not define the proof's terms, the suite's context
    is added first, as Data Integrity recommends (VC 2.0 defines DataIntegrityProof; VC 1.1 defines neither
    proof type)."""
    cryptosuite = suite_by_name(suite)
    document = copy.deepcopy(document)
    contexts = as_list(document.get("@context"))
    needed = SUITE_CONTEXT if cryptosuite.name == "Ed25519Signature2020" else DATA_INTEGRITY_V2
    defined_by = {needed} | ({VC_V2, DATA_INTEGRITY_V1} if needed == DATA_INTEGRITY_V2 else set())
    if contexts and not defined_by & {c for c in contexts if isinstance(c, str)}:
        document["@context"] = [*contexts, needed]
    existing = document.pop("proof", None)
    options = {"created": _now(), "verificationMethod": key.verification_method, "proofPurpose": purpose,
               **proof_options}
    proof = cryptosuite.create_proof(document, options, key.signer, registry)
    if existing is not None or proof_array:
        document["proof"] = [*as_list(existing), proof]
    else:
        document["proof"] = proof
    return document


def issue_credential(credential: Any, key: SigningKey, *, suite: str = DEFAULT_SUITE,
                     registry: ContextRegistry | None = None, created: str | None = None,
                     mandatory_pointers: list[str] | None = None) -> dict[str, Any]:
    """Validate and sign a credential whose issuer is the key's controller; ``created``: the proof's
    creation time (a dateTimeStamp; default now); ``mandatory_pointers``: what every proof derived from an
    ecdsa-sd-2023 base proof must reveal (the suite's default when None). An Open Badges 3.0 credential gets
    its ``proof`` as an array, the shape 1EdTech's JSON schemas accept
    (:func:`~vcnode.credentials.openbadges.proof_is_array`)."""
    prepared = prepare_credential(with_issuance_date(credential, created))
    controller = key.verification_method.split("#", 1)[0]
    if issuer_id(prepared) != controller:
        raise VcnodeError(f"the credential's issuer {str(issuer_id(prepared))[:120]} is not {controller}",
                          code="issuerMismatch", status=422)
    extra: dict[str, Any] = {} if created is None else {"created": created}
    if mandatory_pointers is not None:
        extra["mandatoryPointers"] = mandatory_pointers
    return sign(prepared, key, suite=suite, registry=registry, proof_array=proof_is_array(prepared), **extra)


def create_presentation(credentials: list[dict[str, Any]], holder: SigningKey, *, challenge: str | None = None,
                        domain: str | None = None, suite: str = DEFAULT_SUITE,
                        registry: ContextRegistry | None = None) -> dict[str, Any]:
    """A presentation of ``credentials`` by ``holder``, signed for authentication (challenge and domain
    bind it to one verifier and one exchange)."""
    holder_did = holder.verification_method.split("#", 1)[0]
    presentation = {"@context": [VC_V2], "id": f"urn:uuid:{uuid.uuid4()}", "type": ["VerifiablePresentation"],
                    "holder": holder_did, "verifiableCredential": credentials}
    return sign(presentation, holder, suite=suite, purpose="authentication", registry=registry,
                challenge=challenge, domain=domain)
