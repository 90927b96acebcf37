"""Arbitrary bodies never make the exchange endpoints fail: POST /challenges, /pathways/evaluate and
/pathways/award answer < 500 (503 tooManyChallenges aside, which a run never reaches), every 4xx is
problem+json. Reuses the VC API fuzz server (a real node on 127.0.0.1 in a background thread), with the
example pathway published and five component credentials issued to a learner."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.builders import did_key_signer
from tests.integration.test_vcapi_fuzz import (
    FUZZ,
    NODE_DID,
    ServerThread,
    bodies,
    content_types,
    encode,
    json_values,
    mutated,
)
from vcnode.credentials import create_presentation
from vcnode.status.entries import status_requests
from vcnode.trust.examples import example_badge, example_documents

PATHWAY = "https://hcp.example/pathways/certificate-data-analytics"
EXCHANGE_FUZZ = settings(FUZZ, max_examples=100)


class PathwayServer(ServerThread):
    """The fuzz server, plus a pathway of the node and a learner's components."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.learner = did_key_signer()
        self.components: list[dict[str, Any]] = []

    async def _pathway_setup(self) -> None:
        assert self.node is not None
        await self.node.publish_statement(example_documents({"eu-provider": NODE_DID}, ["pathways"])[0])
        learner = self.learner.verification_method.split("#", 1)[0]
        for n, key in enumerate(["daf", "dviz", "sql", "ml", "stats"]):
            badge = example_badge(f"ie-{key}", issuer=NODE_DID, learner_id=learner,
                                  credential_id=f"urn:uuid:00000000-0000-4000-8000-f0000000000{n}")
            issued = await self.node.credentials.issue(badge, suite="eddsa-jcs-2022",
                                                       status=status_requests({"statusPurpose": "revocation"}))
            self.components.append(issued.credential)

    def start(self) -> None:
        super().start()
        asyncio.run_coroutine_threadsafe(self._pathway_setup(), self.loop).result(timeout=120)

    def challenge(self) -> str:
        status, _, payload = self.request("POST", "/challenges")
        assert status == 201, payload
        return json.loads(payload)["challenge"]

    def present(self, challenge: str, credentials: Any = None) -> dict[str, Any]:
        carried = self.components if credentials is None else credentials
        return create_presentation(carried, self.learner, challenge=challenge, suite="eddsa-jcs-2022")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PathwayServer]:
    running = PathwayServer(tmp_path_factory.mktemp("pathways-fuzz") / "node")
    running.start()
    try:
        yield running
    finally:
        running.stop()


exchange_options = st.fixed_dictionaries({}, optional={
    "domain": st.just("hcp.example") | json_values, "pathways": st.just([PATHWAY]) | json_values,
    "provider": st.just(NODE_DID) | json_values, "pathway": st.just(PATHWAY) | json_values,
    "cryptosuite": st.sampled_from(["eddsa-jcs-2022", "x"]) | json_values})


def exchange_bodies(server: PathwayServer, data: st.DataObject, award: bool) -> bytes:
    """A valid request with a fresh challenge: as is, edited after signing, with other options, or signed
    over edited credentials (the presentation verifies, its credentials are odd); or anything at all."""
    mode = data.draw(st.sampled_from(["valid", "mutated", "options", "credentials", "any"]))
    if mode == "any":
        return data.draw(bodies("verifiablePresentation", [server.present("x")]))
    challenge = server.challenge()
    options: dict[str, Any] = {"challenge": challenge, **({"pathway": PATHWAY} if award else {})}
    body: Any = {"verifiablePresentation": server.present(challenge), "options": options}
    if mode == "credentials":
        credentials = data.draw(mutated(server.components))
        with contextlib.suppress(Exception):  # values JCS cannot sign (huge integers): the valid presentation
            body["verifiablePresentation"] = server.present(challenge, credentials)
    elif mode == "mutated":
        body = data.draw(mutated(body))
    elif mode == "options":
        body["options"] = {**data.draw(exchange_options), "challenge": challenge}
    return encode(body)


@EXCHANGE_FUZZ
@given(data=st.data())
def test_evaluate_never_fails(server: PathwayServer, data: st.DataObject) -> None:
    body = exchange_bodies(server, data, award=False)
    status, content_type, payload = server.request("POST", "/pathways/evaluate", body,
                                                   {"Content-Type": "application/json"})
    server.assert_answer("POST /pathways/evaluate", body, status, content_type, payload)
    if status == 200:
        assert json.loads(payload)["holder"]


@EXCHANGE_FUZZ
@given(data=st.data(), with_token=st.booleans())
def test_award_never_fails(server: PathwayServer, data: st.DataObject, with_token: bool) -> None:
    body = exchange_bodies(server, data, award=True)
    headers = {"Content-Type": "application/json"}
    if with_token:
        headers["Authorization"] = f"Bearer {server.token}"
    status, content_type, payload = server.request("POST", "/pathways/award", body, headers)
    server.assert_answer("POST /pathways/award", body, status, content_type, payload)
    if status in (200, 201):  # what the node awards, the node verifies
        award = json.loads(payload)["verifiableCredential"]
        assert server.check("POST", "/credentials/verify", encode({"verifiableCredential": award}),
                            {"Content-Type": "application/json"}) is None


@EXCHANGE_FUZZ
@given(body=st.binary(max_size=200) | st.builds(encode, json_values), content_type=st.none() | content_types)
def test_challenges_never_fail(server: PathwayServer, body: bytes, content_type: str | None) -> None:
    status, _, payload = server.request("POST", "/challenges", body,
                                        {"Content-Type": content_type} if content_type else {})
    assert status == 201, payload
