"""The W3C VC API: issue, verify, presentations verify, and credentials this node issued."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from vcnode.credentials.model import issuer_id
from vcnode.credentials.report import Report
from vcnode.http.body import BadRequest, optional_object, read_json_object
from vcnode.http.health_routes import NODE_KEY
from vcnode.http.problem import PROBLEM_JSON, json_response, problem_type
from vcnode.http.ratelimit import rate_limited
from vcnode.issuing.envelope import compact_form, envelope_media_type
from vcnode.issuing.service import select_suite
from vcnode.proofs import SUITES
from vcnode.proofs.sd_suite import SelectiveDisclosureSuite
from vcnode.status.entries import status_requests
from vcnode.trust.service import recognition_request


def _report_response(report: Report, extra: dict[str, Any] | None = None) -> web.Response:
    """200 with the report (and ``extra`` members) when verified; otherwise 400 with the same body as an
    RFC 9457 problem."""
    body = {**report.to_json(), **(extra or {})}
    if report.verified:
        return json_response(body)
    first = body["errors"][0] if body["errors"] else {"code": "notVerified", "message": "verification failed"}
    problem = {"type": problem_type(first["code"]), "title": "Verification failed", "status": 400,
               "detail": first["message"], "code": first["code"], **body}
    return json_response(problem, status=400, content_type=PROBLEM_JSON)


async def issue(request: web.Request) -> web.Response:
    """``POST /credentials/issue`` ``{credential, options}`` → 201 ``{verifiableCredential}``; a retry of the
    same request under the credential's id → 200 with the stored credential, another request under a used
    id → 409 ``credentialIdInUse``."""
    node = request.app[NODE_KEY]
    token = await node.tokens.authenticate(request.headers.get("Authorization"), "issue")
    body = await read_json_object(request)
    if not isinstance(body.get("credential"), dict):
        raise BadRequest("the body needs a 'credential' object")
    options = optional_object(body, "options")
    # options.envelope (a media type, or {mediaType} as in VC API acceptedEnvelopes) asks for an enveloped
    # credential instead of a Data Integrity proof; asking for both is ambiguous.
    envelope = envelope_media_type(options["envelope"]) if options.get("envelope") is not None else None
    if envelope is not None and options.get("cryptosuite") is not None:
        raise BadRequest("options.envelope and options.cryptosuite exclude each other: ask for one")
    issuer = issuer_id(body["credential"])
    suite = select_suite(options, node.credentials.key_type_of(issuer))
    status = status_requests(options)
    # Only the selective-disclosure suites (ecdsa-sd-2023, bbs-2023) have mandatory pointers.
    pointers = options.get("mandatoryPointers") if isinstance(SUITES[suite], SelectiveDisclosureSuite) else None
    if pointers is not None and not (isinstance(pointers, list) and all(isinstance(p, str) for p in pointers)):
        raise BadRequest("options.mandatoryPointers must be a list of JSON pointers")
    # A token bound to one identity is refused any other issuer the same way, held by the node or not. A
    # credential naming no issuer is malformed whoever asks: issuing refuses it (422 invalidIssuer), not 403.
    if isinstance(issuer, str):
        node.tokens.check_identity(token, issuer)
    issued = await node.credentials.issue(body["credential"], suite=suite, status=status, envelope=envelope,
                                          mandatory_pointers=pointers)
    document = compact_form(issued.credential) if envelope is not None else issued.credential
    response = json_response({"verifiableCredential": document}, status=201 if issued.created else 200)
    response.headers["Location"] = "/credentials/" + quote(issued.record_id, safe=":")
    return response


def _verifier(member: str, method: str, doc: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler verifying ``body[member]`` with ``CredentialService.<method>``."""

    async def handler(request: web.Request) -> web.Response:
        body = await read_json_object(request)
        if member not in body:
            raise BadRequest(f"the body needs a '{member}'")
        node = request.app[NODE_KEY]
        options = optional_object(body, "options")
        recognition = recognition_request(options, node.config.recognition_default)
        report = await getattr(node.credentials, method)(body[member], options)
        if recognition is None:
            return _report_response(report)
        presentation = member != "verifiableCredential"
        # Recognition reads the credentials' claims: those of an envelope are inside it.
        document = await node.credentials.unwrap(body[member], presentation=presentation)
        section = await node.trust.section(document, recognition, presentation=presentation)
        return _report_response(report, {"recognition": section})

    handler.__doc__ = doc
    return handler


verify = rate_limited("verify")(_verifier(
    "verifiableCredential", "verify_credential",
    "``POST /credentials/verify`` ``{verifiableCredential, options: {checks, recognition}}``."))
verify_presentation = rate_limited("verify")(_verifier(
    "verifiablePresentation", "verify_presentation",
    "``POST /presentations/verify`` ``{verifiablePresentation, options: {challenge, domain, recognition}}``."))


@rate_limited("verify")
async def derive(request: web.Request) -> web.Response:
    """``POST /credentials/derive`` ``{verifiableCredential, options: {selectivePointers, proofId,
    presentationHeader}}`` → 201 the derived credential (the VC API holder's selective disclosure, ecdsa-sd-2023
    and bbs-2023; ``presentationHeader``, hex, binds a bbs-2023 proof to a verifier's nonce). No token: the
    caller gives the credential, and deriving needs no key."""
    body = await read_json_object(request)
    if not isinstance(body.get("verifiableCredential"), dict):
        raise BadRequest("the body needs a 'verifiableCredential' object")
    options = optional_object(body, "options")
    pointers, proof_id = options.get("selectivePointers", []), options.get("proofId")
    if not (isinstance(pointers, list) and all(isinstance(p, str) for p in pointers)):
        raise BadRequest("options.selectivePointers must be a list of JSON pointers")
    if proof_id is not None and not isinstance(proof_id, str):
        raise BadRequest("options.proofId must be a string")
    header = options.get("presentationHeader")
    try:
        presentation_header = bytes.fromhex(header) if header is not None else None
    except (TypeError, ValueError):
        raise BadRequest("options.presentationHeader must be a hex string") from None
    node = request.app[NODE_KEY]
    return json_response(node.credentials.derive_credential(body["verifiableCredential"], pointers, proof_id,
                                                            presentation_header=presentation_header), status=201)


async def get_credential(request: web.Request) -> web.Response:
    """``GET /credentials/{id}`` (token with ``read`` or ``issue``): a credential this node issued; 404 alike
    for a missing id and for another identity's credential under a token bound to one identity."""
    node = request.app[NODE_KEY]
    token = await node.tokens.authenticate(request.headers.get("Authorization"), ("read", "issue"))
    # match_info is already percent-decoded by aiohttp; decoding it again would turn an id containing
    # "%20" (or "%2F") into a different id and the credential could never be fetched.
    credential = await node.credentials.get(request.match_info["id"],
                                            visible=lambda did: node.tokens.may_act_for(token, did))
    return json_response(credential)


def add_routes(app: web.Application) -> None:
    """Register the VC API routes."""
    app.router.add_post("/credentials/issue", issue)
    app.router.add_post("/credentials/verify", verify)
    app.router.add_post("/credentials/derive", derive)
    app.router.add_post("/presentations/verify", verify_presentation)
    # Not the VC API's POST-only paths: GET /credentials/issue is a 405 naming POST, not a lookup of id "issue".
    app.router.add_get(r"/credentials/{id:(?!(?:issue|verify|derive|status)$).+}", get_credential)
