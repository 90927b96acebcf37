"""The verify page's view model: tri-state everywhere ("could not be checked" is never shown as failed, failed
never as passed), the recognition path in words with names, images only from data: or https, and a view for
any input without raising."""

from __future__ import annotations

import random
from typing import Any

import pytest

from vcnode import i18n
from vcnode.web.verify_view import (
    CHECK_LABELS,
    FAILED,
    INFO,
    PASSED,
    UNCHECKED,
    Context,
    build_result,
    check_state,
    credential_card,
    recognition_view,
    report_state,
)

ISSUER, LEARNER = "did:key:z6MkIssuer", "did:example:learner"
NZ, HK = "did:key:z6MkNz", "did:key:z6MkHk"
HKQF, NZQCF = "https://vcnode.dev/examples/frameworks/hkqf", "https://vcnode.dev/examples/frameworks/nzqcf"
CTX = Context(gettext=lambda text: text, names={NZ: [("NZ Authority", NZ)], HK: [("HK Authority", HK)],
                                                ISSUER: [("Harbour Institute", HK)]},
              frameworks={HKQF: "HKQF", NZQCF: "NZQCF"})


def credential(**changes: Any) -> dict[str, Any]:
    out = {"type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": {"id": ISSUER, "name": "Harbour"},
           "validFrom": "2026-01-01T00:00:00Z", "credentialStatus": {"type": "BitstringStatusListEntry"},
           "credentialSubject": {"id": LEARNER, "achievement": {"name": "Data", "description": "Stats",
                                                                "criteria": {"narrative": "Pass"}}}}
    out.update(changes)
    return out


def report(errors: list[tuple[str, str]] = (), warnings: list[tuple[str, str]] = (), **results: Any) -> dict[str, Any]:
    """A report's JSON: ``errors``/``warnings`` as (check, code); the checks they name fail."""
    body: dict[str, Any] = {"results": {"structure": {"verified": True}, "proof": {"verified": True},
                                        "issuer": {"verified": True}, "validity": {"verified": True},
                                        "status": {"verified": True, "entries": []}, **results},
                            "errors": [{"check": c, "code": k, "message": k} for c, k in errors],
                            "warnings": [{"check": c, "code": k, "message": k} for c, k in warnings]}
    for check, _ in errors:
        body["results"].setdefault(check, {})["verified"] = False
    body["verified"] = not errors and all(r.get("verified", True) is not False for r in body["results"].values())
    return body


# --- tri-state -------------------------------------------------------------------------------------------


def test_a_verified_report_passes() -> None:
    card = credential_card(1, credential(), report(), None, CTX)
    assert card.state == PASSED and card.status.state == PASSED
    assert all(line.state == PASSED for line in card.checks)


@pytest.mark.parametrize("code", ["statusUnavailable", "statusStale", "insufficientWitnesses"])
def test_a_status_that_could_not_be_checked_is_never_shown_as_failed(code: str) -> None:
    card = credential_card(1, credential(), report(errors=[("status", code)]), None, CTX)
    assert card.status.state == UNCHECKED and card.state == UNCHECKED
    assert card.verdict == "Could not be fully checked"
    assert card.status.text.startswith("Could not be checked.")
    assert all(line.state == PASSED for line in card.checks)  # the signature etc. still read as passed


def test_an_unresolvable_key_is_unchecked_not_failed() -> None:
    card = credential_card(1, credential(), report(errors=[("proof", "verificationMethodNotFound")]), None, CTX)
    assert card.state == UNCHECKED
    assert next(line for line in card.checks if line.label == "Authenticity").state == UNCHECKED


@pytest.mark.parametrize(("code", "text"), [("revoked", "Revoked by the issuer."),
                                            ("suspended", "Suspended by the issuer.")])
def test_revoked_and_suspended_fail(code: str, text: str) -> None:
    card = credential_card(1, credential(), report(errors=[("status", code)]), None, CTX)
    assert card.state == FAILED and card.status.state == FAILED and card.status.text == text
    assert card.verdict == "Not verified"
    view = build_result(credential(), report(errors=[("status", code)]), None, CTX)
    assert view.summary == f"The issuer has {code} this credential."  # why, at once, in the verdict


def test_a_failure_beside_an_unchecked_status_is_a_failure() -> None:
    body = report(errors=[("proof", "invalidSignature"), ("status", "statusUnavailable")])
    card = credential_card(1, credential(), body, None, CTX)
    assert card.state == FAILED and card.status.state == UNCHECKED
    assert next(line for line in card.checks if line.label == "Authenticity").state == FAILED
    assert "The signature does not match" in " ".join(card.problems)


def test_status_not_checked_and_absent() -> None:
    body = report(warnings=[("status", "statusNotChecked")], status={"checked": False, "reason": "no checker"})
    assert credential_card(1, credential(), body, None, CTX).status.state == UNCHECKED
    card = credential_card(1, credential(credentialStatus=None), report(), None, CTX)
    card_without = credential_card(1, {k: v for k, v in credential().items() if k != "credentialStatus"},
                                   {**report(), "results": {"proof": {"verified": True}}}, None, CTX)
    assert card.status.state in (PASSED, INFO) and card_without.status.state == INFO


def test_where_the_status_list_came_from() -> None:
    entry = {"source": "replica", "anchor": {"ageSeconds": 180, "witnesses": 2}}
    card = credential_card(1, credential(), report(status={"verified": True, "entries": [entry]}), None, CTX)
    assert card.status.state == PASSED
    assert any("copy this node holds" in line for line in card.status.small)
    assert any("3 minutes ago" in line for line in card.status.small)
    assert any("Witnessed by 2" in line for line in card.status.small)


def test_a_failed_report_is_never_shown_as_passed_whatever_its_results_say() -> None:
    body = report()
    body["verified"] = False  # say an unknown check failed, with no error recorded for it
    body["results"]["somethingNew"] = {"verified": False}
    assert report_state(body) == FAILED
    assert credential_card(1, credential(), body, None, CTX).state == FAILED
    assert build_result(credential(), body, None, CTX).state == FAILED
    assert check_state(body, "somethingNew") == FAILED


def test_random_reports_keep_the_states_apart() -> None:
    """Whatever a report holds, passed needs verified: true, and an unchecked-only report is not failed."""
    rng = random.Random(15)
    codes = ["revoked", "statusUnavailable", "invalidSignature", "verificationMethodNotFound", "expired", "x"]
    checks = ["status", "proof", "validity", "structure", "issuer"]
    for _ in range(500):
        errors = [(rng.choice(checks), rng.choice(codes)) for _ in range(rng.randint(0, 3))]
        body = report(errors=errors)
        if rng.random() < 0.2:
            body["verified"] = rng.choice([True, False, "yes", None])
        card = credential_card(1, credential(), body, None, CTX)
        view = build_result(credential(), body, None, CTX)
        if body["verified"] is not True:
            assert card.state != PASSED and view.state != PASSED, body
        failed_labels = {CHECK_LABELS[check] for check, _ in errors}
        for line in (*card.checks, card.status):
            assert line.state != PASSED or line.label not in failed_labels, (line, errors)
        failing = [code for _, code in errors if code not in ("statusUnavailable", "verificationMethodNotFound")]
        if errors and not failing and body["verified"] is False:
            assert card.state == UNCHECKED, body


def test_a_presentation_one_card_each_and_the_presenter() -> None:
    bound = report(holderBinding={"verified": True, "outcome": "passed"})
    other = report(errors=[("holderBinding", "holderMismatch")])
    other["results"]["holderBinding"]["outcome"] = "failed"
    presentation = {"type": ["VerifiablePresentation"], "holder": LEARNER,
                    "verifiableCredential": [credential(), credential()]}
    body = report(credentials={"verified": False, "credentials": [bound, other]},
                  errors=[("credentials", "holderMismatch")])
    view = build_result(presentation, body, [None, None], CTX, kind="presentation")
    assert [card.state for card in view.cards] == [PASSED, FAILED]
    assert view.cards[0].presenter is not None and view.cards[0].presenter.state == PASSED
    assert view.cards[1].presenter is not None and view.cards[1].presenter.state == FAILED
    assert view.state == FAILED and view.holder is not None and view.holder.did == LEARNER
    assert any("may be a copy" in note for note in view.notes)


# --- recognition -----------------------------------------------------------------------------------------


def hop(kind: str, issuer: str, subject: str, level: str, result: str = "ok") -> dict[str, Any]:
    return {"type": kind, "issuer": issuer, "subject": subject, "result": result, "statement": f"urn:{kind}",
            "evidence": {"scope": {"framework": HKQF, "maxLevel": level}, "source": "replica",
                         "validUntil": "2029-12-31T23:59:59Z"}}


RECOGNISED = {
    "recognised": True, "anchors": [NZ],
    "path": {"anchor": NZ, "result": "ok", "hops": [hop("RecognitionAgreementCredential", NZ, HK, "5"),
                                                    hop("AccreditationCredential", HK, ISSUER, "4")]},
    "award": {"framework": HKQF, "frameworkCode": "HKQF", "level": "4", "credits": 15.0, "creditFramework": HKQF,
              "creditUnit": "QF credit", "notionalHours": 150.0},
    "equivalent": {"framework": NZQCF, "frameworkCode": "NZQCF", "level": "6", "creditFramework": NZQCF,
                   "credits": 15.0},
    "completeness": {"complete": False, "elements": [{"element": "learner", "present": True, "where": "x"},
                                                     {"element": "participation", "present": False}]},
}


def test_the_recognition_path_in_words() -> None:
    view = recognition_view(RECOGNISED, CTX)
    assert view.state == PASSED
    assert view.sentence == ("Recognised by NZ Authority's agreement with HK Authority, which accredits Harbour "
                             "Institute for HKQF ≤ 4.")
    assert [step.state for step in view.steps] == [PASSED, PASSED]
    assert view.steps[1].text == "HK Authority accredits Harbour Institute for HKQF ≤ 4."
    assert [(p.name, p.did) for p in view.steps[0].parties] == [("NZ Authority", NZ), ("HK Authority", HK)]
    assert view.equivalence == "HKQF 4 ↔ NZQCF 6"
    assert [line.state for line in view.elements] == [PASSED, INFO]


def test_unchecked_recognition_is_not_failed_and_failed_is_not_passed() -> None:
    unchecked = {**RECOGNISED, "recognised": "unchecked",
                 "reasons": [{"code": "statusUnchecked", "message": "m"}]}
    view = recognition_view(unchecked, CTX)
    assert view.state == UNCHECKED and "could not be fully checked" in view.headline
    failed = {**RECOGNISED, "recognised": False, "path": None, "reasons": [{"code": "noPath", "message": "m"}]}
    view = recognition_view(failed, CTX)
    assert view.state == FAILED and view.sentence is None and view.reasons
    assert recognition_view({**failed, "anchors": []}, CTX).state == INFO  # no anchors: nothing to say


def test_parties_without_a_known_name_show_their_did() -> None:
    stranger = "did:key:z6MkStrangerWithAVeryLongIdentifierThatIsShortened"
    view = recognition_view({**RECOGNISED, "path": {"hops": [hop("AccreditationCredential", stranger, ISSUER, "4")]}},
                            CTX)
    assert view.steps[0].parties[0].name is None and view.steps[0].parties[0].did == stranger
    assert "…" in view.steps[0].text  # shortened in the sentence; whole beside it


def test_names_from_statements_say_who_gave_them() -> None:
    ctx = Context(gettext=lambda text: text, frameworks={},
                  names={ISSUER: [("Harbour Institute", HK), ("Harbour", ISSUER), ("NZ Authority", ISSUER)]})
    card = credential_card(1, credential(), report(), None, ctx)
    assert card.issuer.name == "Harbour"
    # A regulator's statement vouches; the issuer's own statements only say what it calls itself.
    assert card.issuer.also == ("Named “Harbour Institute” by did:key:z6MkHk", "Calls itself “NZ Authority” in its own "
                                "statements")


def test_translated() -> None:
    ctx = Context(gettext=i18n.translations("zh_Hant_HK").gettext, names=CTX.names, frameworks=CTX.frameworks,
                  locale="zh_Hant_HK")
    card = credential_card(1, credential(), report(errors=[("status", "revoked")]), RECOGNISED, ctx)
    assert card.verdict == "未能核實" and card.status.text == "已被簽發者撤銷。"
    assert card.recognition is not None and "NZ Authority" in (card.recognition.sentence or "")


# --- images and junk ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("image", "shown"), [
    ("data:image/png;base64,iVBORw0KGgo=", "src"), ("data:image/svg+xml;base64,PHN2Zy8+", "src"),
    ("https://img.example/b.png", "link"), ("javascript:alert(1)", None), ("JavaScript:alert(1)", None),
    ("data:text/html;base64,PHNjcmlwdD4=", None), ("http://img.example/b.png", None), ("//img.example/b", None),
    ("data:image/png,<svg onload=alert(1)>", None), ("https://img.example/a b.png", None),
])
def test_images_only_from_data_or_https(image: str, shown: str | None) -> None:
    achievement = {"name": "Data", "image": {"id": image, "type": "Image"}}
    card = credential_card(1, credential(credentialSubject={"achievement": achievement}), report(), None, CTX)
    if shown is None:
        assert card.picture is None
    elif shown == "src":
        assert card.picture is not None and card.picture.src == image and card.picture.link is None
    else:
        assert card.picture is not None and card.picture.src is None and card.picture.link == image
    proxied = Context(gettext=str, image_url=lambda url: "/verify/image?u=1")
    if shown == "link":
        card = credential_card(1, credential(credentialSubject={"achievement": achievement}), report(), None, proxied)
        assert card.picture is not None and card.picture.src == "/verify/image?u=1"


def junk(rng: random.Random, depth: int = 0) -> Any:
    choices: list[Any] = [None, True, 1, -2.5, "x", "", "did:key:z", "https://a.example/i.png", [], {}]
    if depth < 4:
        choices += [[junk(rng, depth + 1) for _ in range(rng.randint(0, 3))],
                    {rng.choice(["type", "issuer", "credentialSubject", "results", "errors", "path", "hops",
                                 "recognised", "award", "equivalent", "status", "entries", "name", "id",
                                 "verifiableCredential", "credentials", "anchors", "completeness"]):
                     junk(rng, depth + 1) for _ in range(rng.randint(0, 4))}]
    return rng.choice(choices)


def test_any_input_gives_a_view() -> None:
    rng = random.Random(7)
    for _ in range(400):
        for kind in ("credential", "presentation", "sd-jwt"):
            view = build_result(junk(rng), junk(rng), junk(rng), CTX, kind=kind, pathways=junk(rng))
            assert view.state in (PASSED, FAILED, UNCHECKED)
            assert view.problems == (), view.problems  # built in full, not by the last-resort fallback


def test_recognition_of_a_credential_that_did_not_verify_is_not_shown_as_passed() -> None:
    card = credential_card(1, credential(), report(errors=[("proof", "invalidSignature")]), RECOGNISED, CTX)
    assert card.state == FAILED and card.recognition is not None
    assert card.recognition.state == INFO and card.recognition.sentence is None
    assert "says nothing about it" in card.recognition.headline
