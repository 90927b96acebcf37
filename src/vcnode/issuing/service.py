"""The node's credential operations: issue with one of its identities (and keep a copy), fetch, verify."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import orjson

from vcnode import metrics
from vcnode.clock import SYSTEM_CLOCK, Clock
from vcnode.credentials.limits import VerifyLimits, check_limits
from vcnode.credentials.model import issuer_id
from vcnode.credentials.report import Report
from vcnode.credentials.verify import VerifyOptions, verify_credential, verify_presentation
from vcnode.did.resolver import Resolver
from vcnode.envelopes import DEFAULT_MAX_BYTES as ENVELOPE_MAX_BYTES
from vcnode.envelopes import unwrap
from vcnode.errors import InvalidInput, NotFound, VcnodeError
from vcnode.identity.service import IdentityService
from vcnode.issuing.core import CredentialFormat, DataIntegrity, IssueItem, issue_and_store
from vcnode.issuing.envelope import Enveloped
from vcnode.issuing.idempotency import issue_request_hash
from vcnode.proofs import DEFAULT_SUITE, SUITES, default_suite_for
from vcnode.status.check import StatusChecker
from vcnode.status.records import StatusListSpec
from vcnode.status.service import StatusService, status_suite_for

if TYPE_CHECKING:  # the store implements this package's records and ports: it sits above, not below
    from vcnode.issuing.repository import Issuance, IssuedCredentials

#: ``options.holderBinding`` of a verification request (presentations; see :mod:`vcnode.credentials.holder`).
HOLDER_BINDING_OPTIONS = ("required", "allowMismatch")


def select_suite(options: dict[str, Any], key_type: str | None = None) -> str:
    """The suite a VC API issue request asks for: ``options.type`` (Ed25519Signature2020) or
    ``options.cryptosuite`` (eddsa-rdfc-2022, eddsa-jcs-2022, or ecdsa-jcs-2019 / ecdsa-rdfc-2019 for P-256
    and P-384 keys, ecdsa-sd-2023 for P-256, bbs-2023 for BLS12-381 G2). Asked for none, the default for the
    issuing identity's ``key_type`` (eddsa-rdfc-2022 for Ed25519, ecdsa-jcs-2019 for P-256 and P-384, bbs-2023
    for BLS12-381 G2; eddsa-rdfc-2022 when the key type is not known). Whether the
    issuing identity's key fits an asked-for suite is checked when signing (``keyTypeMismatch``)."""
    proof_type, cryptosuite = options.get("type"), options.get("cryptosuite")
    # The values come straight from request JSON: only strings may be looked up (a list or object is
    # unhashable and would raise TypeError, a 500, instead of this 400).
    if proof_type not in (None, "DataIntegrityProof"):
        if isinstance(proof_type, str) and proof_type in SUITES and SUITES[proof_type].proof_type == proof_type:
            return proof_type
        raise InvalidInput(f"unsupported proof type {str(proof_type)[:80]!r}")
    if cryptosuite is None:
        return default_suite_for(key_type) if key_type is not None else DEFAULT_SUITE
    if isinstance(cryptosuite, str) and cryptosuite in SUITES \
            and SUITES[cryptosuite].proof_type == "DataIntegrityProof":
        return cryptosuite
    supported = ", ".join(name for name, suite in SUITES.items() if suite.proof_type == "DataIntegrityProof")
    raise InvalidInput(f"unsupported cryptosuite {str(cryptosuite)[:80]!r}; use one of {supported}")


@dataclass(frozen=True)
class Issued:
    """A signed credential and the id it is stored under (its own ``id``, or a ``urn:uuid`` given by the
    node when the credential has none) for ``GET /credentials/{id}``. ``created`` is False when the request
    repeated an earlier one and the stored credential was returned."""

    credential: dict[str, Any]
    record_id: str
    created: bool = True


class CredentialService:
    """Issuing and verifying for one node."""

    def __init__(self, identities: IdentityService, store: IssuedCredentials, resolver: Resolver, *,
                 allow_embedded_keys: bool = False, status: StatusService | None = None,
                 status_checker: StatusChecker | None = None, status_list_entries: int = 131_072,
                 equivocations: Callable[[str], Awaitable[int]] | None = None,
                 limits: VerifyLimits | None = None, status_deadline: float | None = None,
                 holder_binding: str = "required", issuer_binding: str = "required", clock: Clock = SYSTEM_CLOCK,
                 envelope_max_bytes: int = ENVELOPE_MAX_BYTES, key_binding_max_age: float = 300.0) -> None:
        self._identities = identities
        self._store = store
        self._resolver = resolver
        self._allow_embedded_keys = allow_embedded_keys
        self._status = status
        self._checker = status_checker
        self._list_entries = status_list_entries
        self._equivocations = equivocations
        self._limits = limits or VerifyLimits()
        self._status_deadline = status_deadline
        self._holder_binding = holder_binding  # the node's default for options.holderBinding
        self._issuer_binding = issuer_binding  # the node's issuer_binding (no request option: operator policy)
        self._clock = clock  # dates the stored records
        self._envelope_max_bytes = envelope_max_bytes
        self._key_binding_max_age = key_binding_max_age  # how old an SD-JWT envelope's KB-JWT may be

    def key_type_of(self, did: Any) -> str | None:
        """The key type of the identity ``did`` when the node holds it (None otherwise: issuing then says why)."""
        try:
            return self._identities.signing_key(did).key_type if isinstance(did, str) else None
        except VcnodeError:
            return None

    def issuer_of(self, credential: Any) -> str:
        """The identity of this node that must sign ``credential``; a clear error when it is not held."""
        did = issuer_id(credential) if isinstance(credential, dict) else None
        if not isinstance(did, str):
            raise VcnodeError("credential.issuer must name one of this node's identities", code="invalidIssuer",
                              status=422)
        try:
            self._identities.get(did)
        except NotFound:
            raise VcnodeError(f"this node holds no identity {did[:120]}; issue with one of: "
                              + ", ".join(i.did for i in self._identities.list()), code="unknownIssuer",
                              status=422) from None
        return did

    async def issue(self, credential: Any, *, suite: str = DEFAULT_SUITE,
                    status: list[StatusListSpec] | tuple[StatusListSpec, ...] = (),
                    mandatory_pointers: list[str] | None = None,
                    within: Callable[[Issuance], Awaitable[None]] | None = None,
                    envelope: str | None = None) -> Issued:
        """Sign ``credential`` with its issuer's active key and store the result. For each ``status`` spec
        the credential gets a ``credentialStatus`` entry; indexes and the credential are stored in one
        transaction, so an index is never handed out without its credential or twice.

        Idempotent by id: when a credential is already stored under the credential's ``id``, the same
        request (same issuer, unsigned credential, suite and status) gets it back (``created`` False)
        without new status indexes, and any other request :class:`CredentialIdInUse` (409). The look-up is
        made inside the issuing transaction and the store's ids are insert-once, so concurrent requests and
        other processes store one copy.

        ``within`` runs first inside the issuing transaction (an exchange completing with this credential):
        when it raises, nothing is issued; when the id is refused (409), what it wrote is rolled back too.
        ``envelope``: a media type (``application/vc+jwt``, ``application/vc+sd-jwt``, ``application/jwt`` for
        VC-JWT 1.1; see :func:`vcnode.issuing.envelope.envelope_media_type`) to issue an enveloped credential
        instead of a Data Integrity proof in ``suite``.

        The work is :func:`vcnode.issuing.core.issue_and_store`, the node's one issuing path."""
        did = self.issuer_of(credential)
        key = self._identities.signing_key(did)
        if status:
            status_suite_for(key)  # a BBS-only identity's lists could never be signed: refused before any index
        record_id = credential.get("id") if isinstance(credential.get("id"), str) else f"urn:uuid:{uuid.uuid4()}"
        list_url = self.status_service.list_url if status else None
        form: CredentialFormat
        if envelope is None:
            request = issue_request_hash(did, credential, suite, status, mandatory_pointers)
            form = DataIntegrity(key, suite, list_url, mandatory_pointers)
        else:  # the media type counts for sameness as the suite does
            request = issue_request_hash(did, credential, f"envelope:{envelope}", status)
            form = Enveloped(key, envelope, list_url)
        [outcome] = await issue_and_store(self._store, [IssueItem(record_id, credential, request)], issuer=did,
                                          form=form, status=[self.list_spec(spec) for spec in status],
                                          within=within, clock=self._clock)
        return Issued(outcome.document, record_id, created=outcome.created)

    @property
    def status_service(self) -> StatusService:
        """The node's status lists (issuing with status needs them)."""
        if self._status is None:
            raise VcnodeError("this node has no status lists configured", code="statusUnavailable", status=503)
        return self._status

    def list_spec(self, spec: StatusListSpec) -> StatusListSpec:
        """``spec`` with the node's configured list length."""
        return replace(spec, entries=self._list_entries)

    async def get(self, credential_id: str, *, visible: Callable[[str], bool] | None = None) -> dict[str, Any]:
        """A credential this node issued. With ``visible`` (is the caller allowed to see its issuer's
        credentials?), one the caller may not see is answered exactly like one that does not exist, so the
        answer never tells which ids exist."""
        record = await self._store.get_credential(credential_id)
        if record is None or (visible is not None and not visible(record.issuer)):
            raise NotFound(f"this node issued no credential {credential_id[:200]!r}")
        return orjson.loads(record.document)

    def _options(self, options: dict[str, Any]) -> VerifyOptions:
        challenge, domain = options.get("challenge"), options.get("domain")
        if challenge is not None and not isinstance(challenge, str):
            raise InvalidInput("options.challenge must be a string")
        if domain is not None and not isinstance(domain, str):
            raise InvalidInput("options.domain must be a string")
        checks = options.get("checks")
        if checks is not None and not (isinstance(checks, list) and all(isinstance(c, str) for c in checks)):
            raise InvalidInput("options.checks must be a list of check names")
        binding = options.get("holderBinding", self._holder_binding)
        if binding not in HOLDER_BINDING_OPTIONS:
            raise InvalidInput("options.holderBinding must be 'required' (the default) or 'allowMismatch'")
        deadline = time.monotonic() + self._status_deadline if self._status_deadline is not None else None
        return VerifyOptions(challenge=challenge, domain=domain, allow_embedded_keys=self._allow_embedded_keys,
                             status=self._checker, equivocations=self._equivocations,
                             checks=frozenset(checks) if checks is not None else None, status_deadline=deadline,
                             holder_binding=binding, issuer_binding=self._issuer_binding,
                             envelope_max_bytes=self._envelope_max_bytes,
                             key_binding_max_age=self._key_binding_max_age, limits=self._limits)

    async def verify_credential(self, credential: Any, options: dict[str, Any] | None = None) -> Report:
        """Verify any credential (no store access: this is the hot path). One over the node's limits is
        refused (:class:`~vcnode.credentials.limits.TooMuchToVerify`) before any proof work."""
        check_limits(credential, self._limits)
        report = await verify_credential(credential, self._resolver, self._options(options or {}))
        metrics.verification("credential", credential, report.verified)
        return report

    async def unwrap(self, document: Any, *, presentation: bool = False) -> Any:
        """``document`` with its envelopes opened (see :func:`vcnode.envelopes.unwrap`): for recognition, which
        reads the credential's claims."""
        return await unwrap(document, "presentation" if presentation else "credential", self._resolver,
                            max_bytes=self._envelope_max_bytes)

    def derive_credential(self, credential: Any, reveal: list[str], proof_id: str | None = None, *,
                          presentation_header: bytes | None = None) -> dict[str, Any]:
        """A holder's derived credential (ecdsa-sd-2023 or bbs-2023 selective disclosure, see
        :func:`vcnode.credentials.derive.derive_credential`); ``presentation_header`` binds a bbs-2023 derived
        proof to it (another suite refuses it: ``unsupportedDeriveOption``). Refused like
        :meth:`verify_credential` when over the node's limits. No store access and no key: the base proof
        carries what is needed."""
        from vcnode.credentials.derive import derive_credential

        check_limits(credential, self._limits)
        options = {} if presentation_header is None else {"presentation_header": presentation_header}
        return derive_credential(credential, reveal, proof_id=proof_id, **options)

    async def verify_presentation(self, presentation: Any, options: dict[str, Any] | None = None) -> Report:
        """Verify a presentation and every credential in it; refused like :meth:`verify_credential` when it
        carries more than the node's limits."""
        check_limits(presentation, self._limits, presentation=True)
        report = await verify_presentation(presentation, self._resolver, self._options(options or {}))
        metrics.verification("presentation", presentation, report.verified)
        return report
