"""Configuration: TOML file, VCNODE_* overrides, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from vcnode.config import Config, did_web_domain, load_config, write_config
from vcnode.errors import ConfigError


def test_defaults_file_env_and_overrides(tmp_path: Path) -> None:
    config = load_config(tmp_path, environ={})
    assert (config.host, config.port, config.base_url) == ("127.0.0.1", 8080, "http://127.0.0.1:8080")
    write_config(Config(home=tmp_path, port=9000, domain="uni.example", allow_http_hosts=["127.0.0.1"]))
    config = load_config(tmp_path, environ={})
    assert (config.port, config.domain, config.allow_http_hosts) == (9000, "uni.example", ["127.0.0.1"])
    env = {"VCNODE_PORT": "9100", "VCNODE_ALLOW_HTTP_HOSTS": "127.0.0.1, localhost", "VCNODE_FETCH_TIMEOUT": "2.5"}
    config = load_config(tmp_path, environ=env)
    assert (config.port, config.allow_http_hosts, config.fetch_timeout) == (9100, ["127.0.0.1", "localhost"], 2.5)
    assert load_config(tmp_path, environ=env, overrides={"port": 9200}).port == 9200
    assert load_config(tmp_path, environ={"VCNODE_KEY_BINDING_MAX_AGE": "60"}).key_binding_max_age == 60.0


def test_home_from_environment(tmp_path: Path) -> None:
    assert load_config(environ={"VCNODE_HOME": str(tmp_path)}).home == tmp_path


@pytest.mark.parametrize("content", ['port = "x"', "port = 70000", "nonsense = 1", "port = ", 'keystore = "rot13"',
                                     'public_url = "ftp://x"', 'allow_http_hosts = "a"\nport = true',
                                     'holder_binding = "off"', "key_binding_max_age = 5"])
def test_bad_config_is_a_config_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "config.toml").write_text(content)
    with pytest.raises(ConfigError):
        load_config(tmp_path, environ={})


def test_bad_environment_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="port"):
        load_config(tmp_path, environ={"VCNODE_PORT": "eighty"})


def test_did_web_domain_encodes_the_port() -> None:
    assert did_web_domain("localhost:8443") == "localhost%3A8443"
    assert did_web_domain("example.edu") == "example.edu"


def test_booleans_must_be_booleans(tmp_path: Path) -> None:
    assert load_config(tmp_path, environ={"VCNODE_ALLOW_EMBEDDED_KEYS": "yes"}).allow_embedded_keys is True
    with pytest.raises(ConfigError, match="allow_embedded_keys"):
        load_config(tmp_path, environ={"VCNODE_ALLOW_EMBEDDED_KEYS": "enabled"})
