"""The node's domain and public_url: what `init` accepts as a did:web domain, the public_url it derives, and
when a public_url is certainly unreachable for other nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from vcnode.config import Config, check_domain, default_public_url, public_url_warning
from vcnode.errors import ConfigError


@pytest.mark.parametrize("domain", ["poly.example", "localhost:8080", "127.0.0.1:8443", "[::1]:8080",
                                    "xn--bcher-kva.example", "bücher.example", "a-b.c-d.example"])
def test_host_and_optional_port_are_accepted(domain: str) -> None:
    check_domain(domain)


@pytest.mark.parametrize(("domain", "fragment"), [
    ("https://poly.example", "not a URL: use 'poly.example'"),
    ("poly.example/path", "without a path"),
    ("poly.example/", "without a path"),
    ("poly.example:0", "port must be 1-65535"),
    ("poly.example:65536", "port must be 1-65535"),
    ("user@poly.example", "host[:port]"),
    ("poly.example?x", "host[:port]"),
    ("poly.example#x", "host[:port]"),
    ("-poly.example", "host[:port]"),
    ("poly..example", "host[:port]"),
    ("poly.example.", "host[:port]"),
    ("poly_example", "host[:port]"),
    ("", "host[:port]"),
])
def test_what_cannot_make_a_resolvable_did_web_is_refused(domain: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=None) as refused:
        check_domain(domain)
    assert fragment in refused.value.detail


@pytest.mark.parametrize(("domain", "allowed", "tls", "url"), [
    ("issuer.example.edu", [], "", "https://issuer.example.edu"),
    ("localhost:8080", ["localhost"], "", "http://localhost:8080"),
    ("LocalHost:8080", ["localhost"], "", "http://LocalHost:8080"),
    ("localhost:8080", ["localhost"], "cert.pem", "https://localhost:8080"),  # it serves TLS itself
    ("localhost:8080", [], "", "https://localhost:8080"),
    ("[::1]:8080", ["::1"], "", "http://[::1]:8080"),
])
def test_the_public_url_init_derives(domain: str, allowed: list[str], tls: str, url: str) -> None:
    config = Config(domain=domain, allow_http_hosts=allowed, tls_cert=tls, tls_key=tls)
    assert default_public_url(config) == url


@pytest.mark.parametrize(("public_url", "port", "tls", "warns"), [
    ("https://localhost:8080", 8080, "", True),        # the documented dev set-up before the fix
    ("https://127.0.0.1:8080/", 8080, "", True),
    ("http://localhost:8443", 8443, "cert.pem", True),  # the other way round
    ("http://localhost:8080", 8080, "", False),
    ("https://localhost:8443", 8080, "", False),        # another port: may be a proxy in front
    ("https://issuer.example.edu", 8080, "", False),   # a proxy terminating TLS
    ("https://localhost:8080", 8080, "cert.pem", False),
    ("", 8080, "", False),
])
def test_a_public_url_no_node_can_reach_is_warned_about(public_url: str, port: int, tls: str, warns: bool) -> None:
    config = Config(public_url=public_url, port=port, tls_cert=tls, tls_key=tls, home=Path("n"))
    warning = public_url_warning(config)
    assert (warning is not None) is warns, warning
    if warns:
        assert "other nodes will fail to fetch its status lists" in warning
