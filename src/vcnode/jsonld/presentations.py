"""The RDF of a VC 2.0 presentation, put together from the RDF of its credentials.

A presentation's shape is the sequence of its credentials' shapes, so a verifier that receives presentations
of varying combinations of credentials almost never finds one in the shape-template cache
(:mod:`vcnode.jsonld.templates`) and falls back to full JSON-LD processing of the whole presentation: about ten
times a credential's cost per credential. The credentials themselves repeat their shapes, though.

In the VC 2.0 context, ``verifiableCredential`` (defined in the type-scoped context of
``VerifiablePresentation``) is a ``@graph`` container whose scoped context is ``null``: an embedded credential
is expanded from a fresh context, exactly as the same credential on its own, and its statements become a named
graph of the presentation, with a blank node as the graph's name. So the presentation's dataset is:

- the quads of the presentation without ``verifiableCredential`` (templated like any document);
- for each credential, the quads of the credential on its own (templated per credential shape), with its
  default graph renamed to a new blank node ``g`` and its blank nodes renamed apart from every other part;
- for each credential, ``<presentation> <https://www.w3.org/2018/credentials#verifiableCredential> g``.

This is done only where that holds by construction: a presentation whose ``@context`` is exactly the VC 2.0
context, whose ``type`` is exactly ``VerifiablePresentation`` (another type could bring another scoped
definition of ``verifiableCredential``), whose credentials are JSON objects, and which contains no blank node
identifier (``"_:…"``: such a label names one node across the whole document, which renaming apart would
split). Anything else is processed whole. Tests compare the result with pyld's processing of the whole
presentation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from vcnode.jsonld.quads import Quad

VC_V2 = "https://www.w3.org/ns/credentials/v2"
_PRESENTATION = "<https://www.w3.org/2018/credentials#VerifiablePresentation>"
_VERIFIABLE_CREDENTIAL = "<https://www.w3.org/2018/credentials#verifiableCredential>"
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def composable(document: Any) -> bool:
    """True when ``document`` is a VC 2.0 presentation whose dataset can be put together from its credentials'."""
    if document.__class__ is not dict:
        return False
    context, kind = document.get("@context"), document.get("type")
    if context not in (VC_V2, [VC_V2]) or kind not in ("VerifiablePresentation", ["VerifiablePresentation"]):
        return False
    credentials = document.get("verifiableCredential")
    if credentials is None:
        return False
    if not isinstance(credentials, list):
        credentials = [credentials]
    if not credentials or any(credential.__class__ is not dict or not credential for credential in credentials):
        return False
    try:
        text = orjson.dumps(document)
    except orjson.JSONEncodeError:
        return False
    return b'"_:' not in text


def presentation_quads(document: dict[str, Any], quads_of: Callable[[Any], list[Quad]]) -> list[Quad] | None:
    """The dataset of a presentation :func:`composable` accepts, from ``quads_of`` (a document's quads) applied
    to the presentation without its credentials and to each credential; None when the presentation's own
    quads do not name exactly one presentation node to attach the credentials to."""
    credentials = document["verifiableCredential"]
    if not isinstance(credentials, list):
        credentials = [credentials]
    rest = {key: value for key, value in document.items() if key != "verifiableCredential"}
    out = list(quads_of(rest))
    subjects = {s for s, p, o, g in out if p == _RDF_TYPE and o == _PRESENTATION and not g}
    if len(subjects) != 1:
        return None
    [holder_node] = subjects
    if any(term[:4] == "_:vc" for quad in out for term in (quad[0], quad[2], quad[3])):
        return None  # the labels below must not meet the presentation's own blank nodes
    for number, credential in enumerate(credentials):
        prefix, graph = f"_:vc{number}_", f"_:vc{number}g"  # apart from each other credential's, and each other
        out.append((holder_node, _VERIFIABLE_CREDENTIAL, graph, ""))
        for s, p, o, g in quads_of(credential):
            out.append((prefix + s[2:] if s[:2] == "_:" else s, p, prefix + o[2:] if o[:2] == "_:" else o,
                        prefix + g[2:] if g[:2] == "_:" else (g or graph)))
    return out
