"""eddsa-rdfc-2022: RDFC-1.0 canonicalization, DataIntegrityProof (vc-di-eddsa §3.3)."""

from __future__ import annotations

from typing import Any, ClassVar

from vcnode.jsonld import ContextRegistry, canonicalize_rdfc
from vcnode.proofs.base import Cryptosuite


class EddsaRdfc2022(Cryptosuite):
    """The default suite for credentials this node issues."""

    name: ClassVar[str] = "eddsa-rdfc-2022"
    proof_type: ClassVar[str] = "DataIntegrityProof"
    canonicalization: ClassVar[str] = "rdfc"
    # Earlier names of this suite, found in Open Badges samples; accepted when verifying only.
    aliases: ClassVar[tuple[str, ...]] = ("eddsa-rdf-2022", "eddsa-2022")

    def canonicalize(self, document: dict[str, Any], registry: ContextRegistry | None) -> bytes:
        return canonicalize_rdfc(document, registry).encode("utf-8")
