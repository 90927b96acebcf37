"""DID URL dereferencing in the resolver (DID Resolution §"DID URL Dereferencing Algorithm") and the current
specification's error objects."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from did_methods.key import KeyDriver
from vcnode.did import resolution as r
from vcnode.did.resolution import DriverResult
from vcnode.did.resolver import Resolver
from vcnode.did.syntax import DidUrl, did_parameters

DID = "did:ex:alice"
ED_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
ED_VM = f"{ED_DID}#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


class VersionedDriver:
    """A DID method with versions and services: version 1 has one service, version 2 (the latest) three."""

    method: ClassVar[str] = "ex"
    offline: ClassVar[bool] = False
    did_parameters: ClassVar[frozenset[str]] = frozenset({"versionId"})

    async def resolve(self, did: DidUrl) -> DriverResult:
        version = (did_parameters(did.query or "") or {}).get("versionId", "2")
        if version not in ("1", "2"):
            raise r.ResolutionError(r.NOT_FOUND, f"no version {version}")
        services: list[dict[str, Any]] = [
            {"id": "#files", "type": "relativeRef", "serviceEndpoint": "https://files.example/base/"}]
        if version == "2":
            services += [
                {"id": f"{DID}#hub", "type": ["Hub", "Mirror"],
                 "serviceEndpoint": ["https://hub.example/a", "https://hub2.example/a", {"origins": ["x"]}]},
                {"id": "#frag", "type": "Frag", "serviceEndpoint": "https://frag.example/p#top"},
            ]
        document = {"@context": ["https://www.w3.org/ns/did/v1"], "id": DID,
                    "verificationMethod": [{"id": "#key-1", "type": "Multikey", "controller": DID,
                                            "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}],
                    "assertionMethod": ["#key-1"], "service": services}
        return DriverResult(document, {"versionId": version})


@pytest.fixture
def resolver() -> Resolver:
    return Resolver([VersionedDriver(), KeyDriver()])


async def test_fragment_dereferences_to_the_verification_method_with_the_document_context(resolver: Resolver) -> None:
    result = await resolver.dereference_url(f"{DID}#key-1")
    assert result.error is None
    assert result.content == {"@context": ["https://www.w3.org/ns/did/v1"], "id": f"{DID}#key-1",
                              "type": "Multikey", "controller": DID,
                              "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}
    assert result.content_metadata == {"versionId": "2"}
    spec = result.to_json()
    assert spec["dereferencingMetadata"] == {"contentType": "application/did"}
    assert spec["contentStream"]["id"] == f"{DID}#key-1" and spec["contentMetadata"] == {"versionId": "2"}
    legacy = result.to_legacy_json()
    assert legacy["didDocument"]["id"] == f"{DID}#key-1" and legacy["didDereferencingMetadata"]["contentType"]


async def test_fragment_dereferences_to_a_service_and_a_bare_did_to_its_document(resolver: Resolver) -> None:
    service = await resolver.dereference_url(f"{DID}#files")
    assert service.content["id"] == f"{DID}#files" and service.content["type"] == "relativeRef"
    document = await resolver.dereference_url(DID)
    assert document.content["id"] == DID and document.content_metadata == {"versionId": "2"}


async def test_service_and_relative_ref_give_the_endpoint_url_with_the_reference_resolved(resolver: Resolver) -> None:
    result = await resolver.dereference_url(f"{DID}?service=files&relativeRef=%2Fresume%2Fdoc%3Fv%3D1")
    assert result.content_type == "text/uri-list"
    assert result.content == "https://files.example/resume/doc?v=1"  # RFC 3986 §5: an absolute path replaces
    relative = await resolver.dereference_url(f"{DID}?service=files&relativeRef=cv.pdf#page2")
    assert relative.content == "https://files.example/base/cv.pdf#page2"  # the DID URL's fragment is inherited
    absolute_id = await resolver.dereference_url(f"{DID}?service={DID}%23files")
    assert absolute_id.content == "https://files.example/base/"


async def test_service_type_selects_every_string_endpoint_and_skips_maps(resolver: Resolver) -> None:
    result = await resolver.dereference_url(f"{DID}?serviceType=Mirror&relativeRef=x")
    assert result.content == "https://hub.example/x\r\nhttps://hub2.example/x"


async def test_service_with_a_document_accept_gives_the_document_with_only_that_service(resolver: Resolver) -> None:
    result = await resolver.dereference_url(f"{DID}?service=hub", {"accept": "application/did+ld+json"})
    assert [s["id"] for s in result.content["service"]] == [f"{DID}#hub"]
    assert result.content["verificationMethod"]
    refused = await resolver.dereference_url(f"{DID}?service=hub", {"accept": "image/png"})
    assert refused.error == "representationNotSupported"


@pytest.mark.parametrize(("did_url", "code"), [
    (f"{DID}?service=nothing", "notFound"),
    (f"{DID}?serviceType=Nothing", "notFound"),
    (f"{DID}?relativeRef=%2Fx", "invalidDidUrl"),               # a relative reference to no service
    (f"{DID}?service=frag#again", "invalidDidUrl"),             # the endpoint URL has a fragment already
    (f"{DID}/some/path", "notFound"),                           # no method here defines paths
    (f"{DID}#no-such-key", "notFound"),
    (f"{DID}?service=files&service=hub", "invalidDidUrl"),      # a repeated parameter
    (f"{ED_DID}/^bar^/?query=`#x", "invalidDidUrl"),             # not a DID URL at all
    ("did:nope:x#key-1", "methodNotSupported"),
    (f"{ED_DID}?versionId=1#z6Mk", "invalidDidUrl"),             # did:key keeps no versions
])
async def test_dereferencing_errors(resolver: Resolver, did_url: str, code: str) -> None:
    result = await resolver.dereference_url(did_url)
    assert result.error == code and result.content is None
    assert result.to_json()["dereferencingMetadata"]["error"]["code"] == code
    assert result.to_legacy_json()["didDereferencingMetadata"]["error"] == code


async def test_version_parameters_go_to_resolution(resolver: Resolver) -> None:
    old = await resolver.dereference_url(f"{DID}?versionId=1&service=files&relativeRef=a")
    assert old.content == "https://files.example/base/a"
    missing = await resolver.dereference_url(f"{DID}?versionId=1#hub")  # version 1 has no #hub service
    assert missing.error == "notFound"
    current = await resolver.dereference_url(f"{DID}?versionId=2#hub")
    assert current.content["id"] == f"{DID}#hub" and current.content_metadata == {"versionId": "2"}
    gone = await resolver.dereference_url(f"{DID}?versionId=9")
    assert gone.error == "notFound"


async def test_options_reach_did_key_through_dereferencing(resolver: Resolver) -> None:
    jwk = await resolver.dereference_url(ED_VM, {"publicKeyFormat": "JsonWebKey"})
    assert jwk.content["type"] == "JsonWebKey" and jwk.content["publicKeyJwk"]["crv"] == "Ed25519"
    refused = await resolver.dereference_url(ED_VM, {"publicKeyFormat": "Ed25519VerificationKey2018",
                                                     "enableExperimentalPublicKeyTypes": "false"})
    assert refused.error == "invalidPublicKeyType"
    assert refused.to_json()["dereferencingMetadata"]["error"]["type"] == "https://www.w3.org/ns/did#INVALID_OPTIONS"
    # the options are part of the cache key: the default form is still Multikey
    assert (await resolver.dereference_url(ED_VM)).content["type"] == "Multikey"
    # the verification-method lookup proofs use is unchanged
    assert (await resolver.dereference(ED_VM))["type"] == "Multikey"


@pytest.mark.parametrize(("code", "name", "status"), [
    ("invalidDid", "INVALID_DID", 400), ("invalidDidUrl", "INVALID_DID_URL", 400),
    ("invalidOptions", "INVALID_OPTIONS", 400), ("notFound", "NOT_FOUND", 404),
    ("representationNotSupported", "REPRESENTATION_NOT_SUPPORTED", 406),
    ("methodNotSupported", "METHOD_NOT_SUPPORTED", 501), ("featureNotSupported", "FEATURE_NOT_SUPPORTED", 501),
    ("invalidPublicKeyLength", "INVALID_DID", 400), ("unsupportedPublicKeyType", "FEATURE_NOT_SUPPORTED", 501),
    ("internalError", "INTERNAL_ERROR", 502), ("invalidDidDocument", "INVALID_DID_DOCUMENT", 502),
])
def test_error_objects_have_the_specification_type_and_keep_the_code(code: str, name: str, status: int) -> None:
    error = r.error_object(code, "why")
    assert error == {"type": f"https://www.w3.org/ns/did#{name}", "title": error["title"], "detail": "why",
                     "code": code}
    assert error["title"] and r.http_status(code) == status


async def test_resolution_result_in_both_forms(resolver: Resolver) -> None:
    failed = await resolver.resolve("did:example")
    assert failed.to_json()["didResolutionMetadata"]["error"] == "invalidDid"  # the older drafts' string
    spec = failed.to_spec_json()
    assert spec["didResolutionMetadata"]["error"]["type"] == "https://www.w3.org/ns/did#INVALID_DID"
    assert spec["didDocument"] is None and spec["didDocumentMetadata"] == {}
    ok = (await resolver.resolve(ED_DID)).to_spec_json()
    assert ok["didResolutionMetadata"]["contentType"] == "application/did" and ok["didDocument"]["id"] == ED_DID
