"""The container's entry point (docker/entrypoint.sh), run by the shells that run it — dash as the image's
/bin/sh, and bash — in a temporary directory with a fake `vcnode` on PATH that records its arguments: every
vcnode command (each one `vcnode --help` lists, and each `docker run` example in docs/operations.md) reaches
vcnode unchanged, `serve` initialises a missing node first (wherever `--home` is), anything else runs as is.
Docker itself cannot run here; this is the script the image runs."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from vcnode.cli.main import build_parser

ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
SHELLS = [shell for shell in ("sh", "bash") if shutil.which(shell)]
FAKE = """#!/bin/sh
# a stand-in for vcnode: one line per call, the arguments separated by the unit separator
for arg in "$@"; do printf '%s\\037' "$arg"; done >> "$FAKE_LOG"
echo >> "$FAKE_LOG"
"""


class Container:
    """A working directory like the image's /data, and a PATH whose `vcnode` only records its calls."""

    def __init__(self, root: Path, shell: str) -> None:
        self.shell = shell
        self.data = root / "data"
        self.data.mkdir()
        bin_dir = root / "bin"
        bin_dir.mkdir()
        (bin_dir / "vcnode").write_text(FAKE)
        (bin_dir / "vcnode").chmod(0o755)
        self.log = root / "calls"
        self.env = {"PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}", "FAKE_LOG": str(self.log),
                    "VCNODE_HOME": str(self.data)}

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        self.log.write_text("")
        return subprocess.run([self.shell, str(ENTRYPOINT), *args], cwd=self.data, env={**self.env, **env},
                              capture_output=True, text=True, timeout=30)

    def calls(self) -> list[list[str]]:
        return [line.split("\x1f")[:-1] for line in self.log.read_text().splitlines()]


@pytest.fixture(params=SHELLS)
def container(request: pytest.FixtureRequest, tmp_path: Path) -> Container:
    return Container(tmp_path, request.param)


def commands() -> list[str]:
    """Every top-level command of `vcnode`."""
    [subcommands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return list(subcommands.choices)


def documented() -> list[list[str]]:
    """The arguments after the image name of every `docker run … vcnode …` example in docs/operations.md
    (continued lines joined, options and `$variables` before the image skipped, comments dropped)."""
    text = (ROOT / "docs" / "operations.md").read_text().replace("\\\n", " ")
    examples = []
    for line in text.splitlines():
        if not line.startswith("$ docker run "):
            continue
        words = shlex.split(line[len("$ docker run "):], comments=True)
        while words[0].startswith(("-", "$")):
            takes_value = words[0] in ("-v", "-e", "-p", "-w", "--name", "--volume", "--env", "--publish")
            words = words[2:] if takes_value else words[1:]
        assert words[0] == "vcnode", line  # the image
        examples.append(words[1:])
    return examples


def test_the_docs_show_the_commands_that_used_to_fail() -> None:
    shown = {" ".join(args[:2]) for args in documented()}
    assert {"token create", "status log", "trust anchors"} <= shown, shown
    assert {args[0] for args in documented() if args} >= {"issue-batch", "revoke", "verify", "did"}


@pytest.mark.parametrize("command", commands())
def test_every_vcnode_command_reaches_vcnode(container: Container, command: str) -> None:
    (container.data / "vcnode.sqlite3").write_bytes(b"")  # a node exists: `serve` needs no init
    result = container.run(command, "--json", "two words")
    assert result.returncode == 0, result.stderr
    assert container.calls() == [[command, "--json", "two words"]]


@pytest.mark.parametrize("args", [args for args in documented() if args and args[0] in commands()], ids=" ".join)
def test_every_documented_docker_run_example_reaches_vcnode(container: Container, args: list[str]) -> None:
    (container.data / "vcnode.sqlite3").write_bytes(b"")
    result = container.run(*args)
    assert result.returncode == 0, result.stderr
    assert container.calls() == [args]


def test_options_before_the_command_reach_vcnode(container: Container) -> None:
    assert container.run("--version").returncode == 0
    assert container.calls() == [["--version"]]


@pytest.mark.parametrize("where", ["before", "after", "equals"])
def test_a_first_serve_initialises_the_node_it_will_serve(container: Container, where: str) -> None:
    home = container.data / "elsewhere"
    args = {"before": ["--home", str(home), "serve", "--host", "0.0.0.0"],
            "after": ["serve", "--host", "0.0.0.0", "--home", str(home)],
            "equals": [f"--home={home}", "serve"]}[where]
    result = container.run(*args, VCNODE_INIT_ARGS="--domain issuer.example.edu --allow-http-host localhost")
    assert result.returncode == 0, result.stderr
    assert container.calls() == [["--home", str(home), "init", "--domain", "issuer.example.edu",
                                  "--allow-http-host", "localhost"], args]
    home.mkdir()
    (home / "vcnode.sqlite3").write_bytes(b"")
    assert container.run(*args).returncode == 0
    assert container.calls() == [args]  # a node exists: no second init


def test_a_first_serve_on_postgresql_initialises_once(container: Container) -> None:
    # A node in PostgreSQL leaves config.toml, not vcnode.sqlite3: a second start must not init again (init
    # would refuse the database that holds the node, and the container would never start).
    url = "postgresql://vcnode@db:5432/vcnode"
    args = ["serve", "--host", "0.0.0.0", "--workers", "2"]
    assert container.run(*args, VCNODE_STORE_URL=url).returncode == 0
    assert container.calls() == [["--home", str(container.data), "init"], args]
    (container.data / "config.toml").write_text(f'store_url = "{url}"\n')
    assert container.run(*args, VCNODE_STORE_URL=url).returncode == 0
    assert container.calls() == [args]


def test_the_database_password_comes_from_a_secret_file(container: Container, tmp_path: Path) -> None:
    secret = tmp_path / "db_password"
    secret.write_text("s3cret pw\n")
    result = container.run("sh", "-c", 'echo "[$PGPASSWORD]"', PGPASSWORD_FILE=str(secret))
    assert (result.returncode, result.stdout) == (0, "[s3cret pw]\n")


def test_anything_else_runs_as_is(container: Container) -> None:
    result = container.run("sh", "-c", "echo hello from $0")
    assert (result.returncode, result.stdout) == (0, "hello from sh\n")
    assert container.calls() == []
    missing = container.run("no-such-program")
    assert missing.returncode == 127 and container.calls() == []
