"""compose.yaml as Docker Compose would read it (no images can be pulled here): PostgreSQL 15 with a named
volume and a health check, vcnode serving two workers against it once the database is healthy, the store URL
naming that database without a password, secrets for both passwords, and no port published beyond 127.0.0.1."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit

import yaml

from tests.conftest import ROOT
from vcnode.config import Config

COMPOSE = ROOT / "compose.yaml"


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment, from either of compose's two forms (mapping or KEY=value list)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def published(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(host address, host port, container port) of each published port, short or long syntax."""
    found = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            found.append((port.get("host_ip", ""), str(port.get("published", "")), str(port["target"])))
            continue
        parts = str(port).split(":")
        if len(parts) == 3:
            found.append((parts[0], parts[1], parts[2]))
        else:  # "8080" or "8080:8080": every host address
            found.append(("", parts[0], parts[-1]))
    return found


def test_postgresql_15_with_a_named_volume_and_a_health_check() -> None:
    spec = compose()
    db = spec["services"]["db"]
    assert db["image"].split(":")[0] == "postgres" and db["image"].split(":")[1].split(".")[0] == "15"
    volume, target = db["volumes"][0].split(":")[:2]
    assert volume in spec["volumes"] and target == "/var/lib/postgresql/data"  # named, not a host path
    check = db["healthcheck"]["test"]
    assert check[0] in ("CMD", "CMD-SHELL") and "pg_isready" in " ".join(check[1:])
    assert not db.get("ports")  # the database is reached over the project's network only
    env = environment(db)
    assert "POSTGRES_PASSWORD" not in env and env["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"


def test_vcnode_serves_two_workers_against_that_database() -> None:
    spec = compose()
    db, node = spec["services"]["db"], spec["services"]["vcnode"]
    assert node["depends_on"]["db"]["condition"] == "service_healthy"
    command = node["command"]
    assert command[0] == "serve" and command[command.index("--workers") + 1] == "2"
    context = node["build"] if isinstance(node["build"], str) else node["build"]["context"]
    assert (ROOT / context / "Dockerfile").exists()
    env, db_env = environment(node), environment(db)
    url = urlsplit(env["VCNODE_STORE_URL"])
    assert url.scheme == "postgresql" and url.hostname == "db" and url.password is None
    assert url.username == db_env["POSTGRES_USER"] and url.path == "/" + db_env["POSTGRES_DB"]
    assert url.port in (None, 5432)
    # Every VCNODE_ setting is a real configuration key (or one the entry point reads).
    keys = {field.name for field in dataclasses.fields(Config)} | {"home", "init_args", "passphrase"}
    assert {key[len("VCNODE_"):].lower() for key in env if key.startswith("VCNODE_")} <= keys
    # The passwords come from secrets the service is given, never from the file itself.
    assert "VCNODE_PASSPHRASE" not in env and "PGPASSWORD" not in env
    for key in ("VCNODE_PASSPHRASE_FILE", "PGPASSWORD_FILE"):
        secret = env[key].removeprefix("/run/secrets/")
        assert secret in node["secrets"] and secret in spec["secrets"], key
    volume = node["volumes"][0].split(":")[0]
    assert volume in spec["volumes"]  # config.toml survives a new container


def test_nothing_is_published_beyond_the_loopback_address() -> None:
    spec = compose()
    ports = {name: published(service) for name, service in spec["services"].items()}
    assert ("127.0.0.1", "8080", "8080") in ports["vcnode"]
    for name, found in ports.items():
        for host, _, _ in found:
            assert host in ("127.0.0.1", "[::1]", "::1"), (name, host)  # "" or 0.0.0.0 is every interface
