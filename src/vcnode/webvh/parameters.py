"""did:webvh 1.0 log parameters: validation, defaults, inheritance and the pre-rotation rules (spec §3.7.1)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from vcnode.keys import multikey
from vcnode.webvh.errors import WebvhError
from vcnode.webvh.hashing import key_hash

METHOD_V1 = "did:webvh:1.0"
SUPPORTED_METHODS = (METHOD_V1,)
DEFAULT_TTL = 3600
MAX_TTL = 2**31
KNOWN = frozenset({"method", "scid", "updateKeys", "nextKeyHashes", "witness", "watchers", "portable",
                   "deactivated", "ttl"})


def _invalid(detail: str) -> WebvhError:
    return WebvhError("invalidParameters", detail)


@dataclass(frozen=True, slots=True)
class WitnessRule:
    """``witness`` when witnesses are in use: at least ``threshold`` of ``witnesses`` (did:key DIDs) approve."""

    threshold: int
    witnesses: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The parameter's JSON form."""
        return {"threshold": self.threshold, "witnesses": [{"id": witness} for witness in self.witnesses]}


@dataclass(frozen=True, slots=True)
class Parameters:
    """The parameters in effect after a log entry (its own merged over the inherited ones)."""

    method: str
    scid: str
    update_keys: tuple[str, ...]
    next_key_hashes: tuple[str, ...] = ()
    witness: WitnessRule | None = None
    watchers: tuple[str, ...] = ()
    portable: bool = False
    deactivated: bool = False
    ttl: int = DEFAULT_TTL

    @property
    def prerotation(self) -> bool:
        """Pre-rotation is active: the next entry's update keys must be among ``next_key_hashes``."""
        return bool(self.next_key_hashes)


def ed25519_did_key(value: Any, what: str) -> str:
    """Check that ``value`` is a did:key DID of an Ed25519 key (the only kind eddsa-jcs-2022 verifies)."""
    if not isinstance(value, str) or not value.startswith("did:key:"):
        raise _invalid(f"{what} must be a did:key DID, got {str(value)[:100]!r}")
    _ed25519(value[len("did:key:"):], what)
    return value


def _ed25519(value: Any, what: str) -> str:
    try:
        multikey.decode(value, allowed=frozenset({multikey.ED25519_PUB}))
    except multikey.MultikeyError as exc:
        raise _invalid(f"{what} {str(value)[:100]!r} is not an Ed25519 Multikey: {exc.detail}") from None
    return value


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise _invalid(f"{name} must be an array of non-empty strings")
    if len(set(value)) != len(value):
        raise _invalid(f"{name} must not repeat a value")
    return tuple(value)


def _witness(value: Any) -> WitnessRule | None:
    if not isinstance(value, dict):
        raise _invalid("witness must be an object")
    if not value:
        return None
    if set(value) - {"threshold", "witnesses"}:
        raise _invalid(f"witness has unknown members {sorted(set(value) - {'threshold', 'witnesses'})}")
    witnesses = value.get("witnesses")
    if not isinstance(witnesses, list) or not witnesses:
        raise _invalid("witness.witnesses must be a non-empty array")
    ids = []
    for item in witnesses:
        if not isinstance(item, dict) or set(item) != {"id"}:
            raise _invalid("each witness must be an object with exactly an 'id'")
        ids.append(unicodedata.normalize("NFC", ed25519_did_key(item["id"], "a witness id")))
    if len(set(ids)) != len(ids):
        raise _invalid("witness ids must be unique")
    threshold = value.get("threshold")
    # bool is an int in Python; JSON true is not a threshold.
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not 1 <= threshold <= len(ids):
        raise _invalid(f"witness.threshold must be an integer from 1 to {len(ids)}, got {threshold!r}")
    return WitnessRule(threshold, tuple(ids))


def _boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise _invalid(f"{name} must be true or false")
    return value


def _ttl(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_TTL:
        raise _invalid(f"ttl must be an integer from 0 to 2^31, got {str(value)[:40]}")
    return value


# Deprecated but tolerated (spec note): null stands for the parameter's default.
_NULL_DEFAULTS: dict[str, Any] = {"updateKeys": [], "nextKeyHashes": [], "witness": {}, "watchers": [],
                                  "ttl": DEFAULT_TTL}


def apply_parameters(previous: Parameters | None, given: Any) -> Parameters:
    """The parameters in effect after an entry whose ``parameters`` member is ``given``.

    ``previous`` is None for the first entry, which must set ``method``, ``scid`` and ``updateKeys``; later
    entries inherit whatever they leave out. Enforces the pre-rotation rules against ``previous``.
    Raises :class:`WebvhError` (``invalidParameters``, ``unsupportedMethodVersion``, ``preRotationViolation``).
    """
    if not isinstance(given, dict):
        raise _invalid("parameters must be an object")
    unknown = set(given) - KNOWN
    if unknown:
        raise _invalid(f"unknown parameters {sorted(unknown)[:5]}")
    given = {key: (_NULL_DEFAULTS.get(key) if value is None else value) for key, value in given.items()}
    if None in given.values():
        raise _invalid(f"{next(k for k, v in given.items() if v is None)} must not be null")
    first = previous is None
    method = given.get("method")
    if method is not None and method not in SUPPORTED_METHODS:
        raise WebvhError("unsupportedMethodVersion", f"method {str(method)[:60]!r} is not a did:webvh version "
                         f"this resolver supports ({', '.join(SUPPORTED_METHODS)})")
    if first:
        for required in ("method", "scid", "updateKeys"):
            if required not in given:
                raise _invalid(f"the first entry must set {required}")
        if not isinstance(given["scid"], str):
            raise _invalid("scid must be a string")
        current = Parameters(method=given["method"], scid=given["scid"], update_keys=())
    else:
        if "scid" in given:
            raise _invalid("only the first entry may set scid")
        if given.get("portable") is True:
            raise _invalid("portable may only be set to true in the first entry")
        current = replace(previous, method=method or previous.method)
    changes: dict[str, Any] = {}
    if "updateKeys" in given:
        changes["update_keys"] = tuple(_ed25519(key, "update key") for key in _strings(given["updateKeys"],
                                                                                       "updateKeys"))
    if "nextKeyHashes" in given:
        changes["next_key_hashes"] = _strings(given["nextKeyHashes"], "nextKeyHashes")
    if "witness" in given:
        changes["witness"] = _witness(given["witness"])
    if "watchers" in given:
        changes["watchers"] = _strings(given["watchers"], "watchers")
    if "portable" in given:
        changes["portable"] = _boolean(given["portable"], "portable")
    if "deactivated" in given:
        changes["deactivated"] = _boolean(given["deactivated"], "deactivated")
    if "ttl" in given:
        changes["ttl"] = _ttl(given["ttl"])
    current = replace(current, **changes)
    if previous is not None and previous.prerotation:
        _check_prerotation(previous, given, current)
    return current


def _check_prerotation(previous: Parameters, given: dict[str, Any], current: Parameters) -> None:
    # While pre-rotation is active, inheriting updateKeys would bypass the commitment: both lists must be
    # explicit, and every update key must have been committed to by the previous entry.
    if "updateKeys" not in given or "nextKeyHashes" not in given:
        raise WebvhError("preRotationViolation", "pre-rotation is active: the entry must set both updateKeys "
                         "and nextKeyHashes")
    committed = set(previous.next_key_hashes)
    for key in current.update_keys:
        if key_hash(key) not in committed:
            raise WebvhError("preRotationViolation", f"update key {key[:60]} was not committed to in the "
                             "previous entry's nextKeyHashes")


def signing_keys(previous: Parameters | None, current: Parameters) -> tuple[str, ...]:
    """The update keys that may sign an entry: its own for the first entry and under pre-rotation (the keys
    were committed to in advance), otherwise those in effect before it."""
    if previous is None or previous.prerotation:
        return current.update_keys
    return previous.update_keys


def witness_rule_for_entry(previous: Parameters | None, current: Parameters) -> WitnessRule | None:
    """The witnesses that must approve an entry. A replacement list only takes effect once its entry is
    published, so the list in effect before the entry approves it; an entry that turns witnessing on (from
    none) is approved by its own list."""
    if previous is not None and previous.witness is not None:
        return previous.witness
    return current.witness
