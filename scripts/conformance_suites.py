"""The public conformance suites scripts/conformance knows: how to point each at a node, and its tags.

One `Suite` per suite (keyed by the `name` of its package.json). A suite's `implementations` function turns
the throwaway node (`NodeInfo`: base URL, identities and tokens) into the entries of its localConfig.cjs,
which the suites read through w3c/vc-test-suite-implementations; `tags` sorts the suite's tests into the rows
of the report table. Nothing here starts processes: scripts/conformance does that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# Key types of the node's identities: the did:key identity `vcnode init` makes is Ed25519; the others are
# created with `vcnode identity create --key-type …` (a key type the node cannot create yet is left out,
# and the suites that need it say so in their row).
ED25519, P256, P384 = "Ed25519", "P-256", "P-384"
KEY_TYPE_OPTION = {P256: "p256", P384: "p384"}

# Issue options for what the VC API leaves to the implementation. The VC API suites' `JWT` tag does not test
# JWTs: its issuer tests require the issued credential to be an object with a `proof` object, and its verifier
# tests delete proof.created, proof.proofValue, proof.proofPurpose… from it and expect a refusal, i.e. a VC 1.1
# credential with an embedded Data Integrity proof. The one implementation the suites' registry tags `JWT`
# (SpruceID, the suites' default ISSUER_NAME_JWT) registers exactly that: {"type": "Ed25519Signature2020"}
# (vc-test-suite-implementations/implementations/SpruceID.json). A VC-JWT string (options.envelope,
# docs/envelopes.md) is not an object and fails shouldBeIssuedVc, and there is no "JwtProof2020" proof type.
# The enveloped VC-JOSE-COSE credential names its media type, as VCALM's acceptedEnvelopes names formats.
JWT_OPTIONS = {"type": "Ed25519Signature2020"}
ENVELOPE_OPTIONS = {"envelope": "application/vc+jwt"}

JOSE_COSE_FEATURES = ("credential_jose", "credential_sdjwt", "credential_cose",
                      "presentation_jose", "presentation_sdjwt", "presentation_cose")


@dataclass(frozen=True)
class Identity:
    """One identity of the throwaway node and the API token (issue scope) bound to it."""

    did: str
    token: str


@dataclass
class NodeInfo:
    """What a suite's configuration needs to know about the node."""

    base: str
    identities: dict[str, Identity]  # key type -> identity
    missing: dict[str, str] = field(default_factory=dict)  # key type -> why the node has no such identity

    def issuer(self, key_type: str, tags: list[str], options: dict | None = None, **extra) -> dict | None:
        """An issuer endpoint signing with the identity of `key_type` (None when the node has none)."""
        identity = self.identities.get(key_type)
        if identity is None:
            return None
        entry = {"id": identity.did, "endpoint": f"{self.base}/credentials/issue",
                 "headers": {"Authorization": f"Bearer {identity.token}"}, "tags": tags, **extra}
        if options:
            entry["options"] = options
        return entry

    def verifier(self, tags: list[str], path: str = "/credentials/verify", **extra) -> dict:
        """A verifier endpoint (credentials by default; `path="/presentations/verify"` for presentations)."""
        return {"id": self.identities[ED25519].did, "endpoint": f"{self.base}{path}", "tags": tags, **extra}

    def resolver(self, tags: list[str], **extra) -> dict:
        """The node's DID Resolution HTTP(S) binding, `GET /1.0/identifiers/{did}`."""
        return {"id": self.base, "endpoint": f"{self.base}/1.0/identifiers", "tags": tags, **extra}


def implementation(name: str, **endpoints) -> dict:
    """A localConfig.cjs implementation entry; endpoint lists have the issuers the node could not make dropped."""
    entry: dict = {"name": name, "implementation": "vcnode (local conformance run)"}
    for key, value in endpoints.items():
        entry[key] = [e for e in value if e is not None] if isinstance(value, list) else value
    return entry


@dataclass(frozen=True)
class Suite:
    """One public suite: its localConfig.cjs entries, its tags, and how to run it."""

    name: str
    # (row label, regular expression) in order: a test belongs to the first row whose expression is found in
    # "<file> <full title>"; tests matching none go to the row whose expression is None (else the first row).
    tags: tuple[tuple[str, str | None], ...]
    implementations: Callable[[NodeInfo], list[dict]]
    key_types: tuple[str, ...] = (ED25519,)  # identities the suite's issuers sign with
    env: dict[str, str] = field(default_factory=dict)  # extra environment for mocha
    runner: str = "mocha"  # "mocha" (HTTP suites) or "jose-cose" (a command-line tool per test)
    needs: tuple[str, ...] = ()  # files the suite needs inside its checkout, relative to it
    # (implementation name, row suffix) for suites given several implementations: a test under that
    # implementation's describe block goes to "<row> <suffix>"
    columns: tuple[tuple[str, str], ...] = ()

    def tag_of(self, file: str, title: str) -> str:
        """The row of the test in `file` titled `title` (its full title)."""
        subject = f"{file} {title}"
        tag = next((t for t, pattern in self.tags if pattern is not None and re.search(pattern, subject)),
                   next((t for t, pattern in self.tags if pattern is None), self.tags[0][0]))
        suffix = next((s for name, s in self.columns if f" {name} " in f" {title} "), None)
        return f"{tag} {suffix}" if suffix else tag

    def rows(self) -> list[str]:
        """Every row label of the suite, in table order."""
        return [tag for tag, _ in self.tags] + [f"{tag} {s}" for _, s in self.columns for tag, _ in self.tags]


def _data_model(node: NodeInfo) -> list[dict]:
    both = ["vc2.0", "EnvelopingProof"]
    return [implementation(
        "vcnode",
        issuers=[node.issuer(ED25519, ["vc2.0"]), node.issuer(ED25519, ["EnvelopingProof"], ENVELOPE_OPTIONS)],
        verifiers=[node.verifier(both)], vpVerifiers=[node.verifier(both, "/presentations/verify")])]


def _cryptosuites(*suites: tuple[str, dict]) -> Callable[[NodeInfo], list[dict]]:
    """Issuers (Ed25519 identity) and verifiers for Data Integrity cryptosuites, as (tag, issue options)."""
    def build(node: NodeInfo) -> list[dict]:
        tags = [tag for tag, _ in suites]
        return [implementation(
            "vcnode", issuers=[node.issuer(ED25519, [tag], options) for tag, options in suites],
            verifiers=[node.verifier(tags)], vpVerifiers=[node.verifier(tags, "/presentations/verify")])]
    return build


ECDSA_SUITES = ("ecdsa-rdfc-2019", "ecdsa-jcs-2019", "ecdsa-sd-2023")
#: The curves each ecdsa suite signs with here (ecdsa-sd-2023: P-256 only, as in Digital Bazaar's library).
ECDSA_KEY_TYPES = {"ecdsa-rdfc-2019": (P256, P384), "ecdsa-jcs-2019": (P256, P384), "ecdsa-sd-2023": (P256,)}


def _ecdsa(node: NodeInfo) -> list[dict]:
    # Most of the suite's tests take only an implementation's FIRST issuer of a tag, so each key type is an
    # implementation of its own ("vcnode" P-256, "vcnode-P-384"); the verifiers are declared once.
    def issuers(key_type: str) -> list[dict | None]:
        return [node.issuer(key_type, [suite], {"cryptosuite": suite}, supportedEcdsaKeyTypes=[key_type],
                            supports={"vc": ["1.1", "2.0"]}) for suite in ECDSA_SUITES
                if key_type in ECDSA_KEY_TYPES[suite]]
    verifiers = [node.verifier([suite], supportedEcdsaKeyTypes=list(ECDSA_KEY_TYPES[suite]),
                               supports={"vc": ["1.1", "2.0"]}) for suite in ECDSA_SUITES]
    return [implementation("vcnode", issuers=issuers(P256), verifiers=verifiers),
            implementation("vcnode-P-384", issuers=issuers(P384))]


def _vc_api_issuer(node: NodeInfo) -> list[dict]:
    return [implementation("vcnode", issuers=[node.issuer(ED25519, ["vc-api"]),
                                              node.issuer(ED25519, ["vc-api", "JWT"], JWT_OPTIONS)])]


def _vc_api_verifier(node: NodeInfo) -> list[dict]:
    # The JWT tests verify what the JWT issuer of the implementation named by ISSUER_NAME_JWT issued.
    return [implementation(
        "vcnode", issuers=[node.issuer(ED25519, ["vc-api", "JWT"], JWT_OPTIONS)],
        verifiers=[node.verifier(["vc-api", "JWT"])],
        vpVerifiers=[node.verifier(["vc-api", "JWT"], "/presentations/verify")])]


def _did_resolution(node: NodeInfo) -> list[dict]:
    dids = [identity.did for identity in node.identities.values()]
    # A did:key's one verification method is its key's fragment; a did:key has no services, and no DID the
    # node can resolve offline is deactivated or not found, so those tests of the suite do not run.
    fragments = [{"didUrl": f"{did}#{did.removeprefix('did:key:')}", "dereferencingOptions": {}}
                 for did in dids if did.startswith("did:key:")]
    supported = {"valid": [{"did": did, "resolutionOptions": {}} for did in dids], "derefUrls": fragments}
    return [implementation("vcnode", didResolvers=[node.resolver(["did-resolution"], supportedDids=supported)])]


def _did_key(node: NodeInfo) -> list[dict]:
    return [implementation("vcnode", didResolvers=[node.resolver(["did-key"])])]


def _jose_cose(node: NodeInfo) -> list[dict]:
    # The suite runs one command-line tool per implementation (scripts/conformance points it at
    # scripts/vc_jose_cose_adapter.py); it only needs the features the implementation claims.
    return [implementation("vcnode", **{"jose-cose": {"features": {f: True for f in JOSE_COSE_FEATURES}}})]


SUITES: dict[str, Suite] = {suite.name: suite for suite in (
    Suite("vc-data-model-2.0-test-suite", (("vc2.0", None), ("EnvelopingProof", r"4\.13\.2-envelopes")),
          _data_model),
    Suite("vc-di-eddsa-test-suite", (("eddsa-rdfc-2022", None), ("eddsa-jcs-2022", "jcs")),
          _cryptosuites(("eddsa-rdfc-2022", {"cryptosuite": "eddsa-rdfc-2022"}),
                        ("eddsa-jcs-2022", {"cryptosuite": "eddsa-jcs-2022"}))),
    Suite("vc-di-ed25519signature2020-test-suite", (("Ed25519Signature2020", None),),
          _cryptosuites(("Ed25519Signature2020", {"type": "Ed25519Signature2020"}))),
    Suite("vc-bitstring-status-list-test-suite", (("BitstringStatusList", None),),
          _cryptosuites(("BitstringStatusList", {"credentialStatus": {"type": "BitstringStatusListEntry",
                                                                      "statusPurpose": "revocation"}}))),
    Suite("vc-di-ecdsa-test-suite",
          (("ecdsa-rdfc-2019", None), ("ecdsa-jcs-2019", "jcs"), ("ecdsa-sd-2023", r"[-_]sd[-_.]|ecdsa-sd-2023")),
          _ecdsa, key_types=(ED25519, P256, P384), needs=("tests/input/vc-di-ecdsa/TestVectors",),
          columns=(("vcnode-P-384", "P-384"),)),
    Suite("vc-api-issuer-test-suite", (("vc-api", None), ("JWT", "issuer-jwt")), _vc_api_issuer),
    Suite("vc-api-verifier-test-suite", (("vc-api", None), ("JWT", "jwt")), _vc_api_verifier,
          env={"ISSUER_NAME": "vcnode", "ISSUER_NAME_JWT": "vcnode"}),
    Suite("did-resolution-mocha-test-suite", (("did-resolution", None),), _did_resolution,
          key_types=(ED25519, P256)),
    Suite("did-key-test-suite", (("did-key", None),), _did_key),
    Suite("vc-jose-cose-test-suite", (("JOSE", None), ("SD-JWT", "SD-JWT Tests"), ("COSE", "COSE Tests")),
          _jose_cose, runner="jose-cose"),
)}


def local_config(suite: Suite, node: NodeInfo) -> str:
    """The suite's localConfig.cjs: only this node's implementations, no interop tests."""
    import json

    config = {"settings": {"enableInteropTests": False, "testAllImplementations": False},
              "implementations": suite.implementations(node)}
    header = "// written by vcnode scripts/conformance; overwritten on each run\n"
    return f"{header}module.exports = {json.dumps(config, indent=2)};\n"
