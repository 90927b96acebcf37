"""The `vcnode` parser, walked whole: every argument and option of every subcommand has help text, placeholders
are spelled one way, and ``--home`` / ``-v`` are taken before or after the command."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import pytest

from vcnode.cli.main import build_parser

#: Every placeholder the CLI may show. One spelling per thing: a new one is added here on purpose, not by
#: accident (a credential file is a FILE everywhere, an identity a DID, …).
PLACEHOLDERS = {"ADDRESS", "COMMAND", "DATE", "DID", "DIR", "FILE", "FRAMEWORK", "HEX", "HOST", "HOST[:PORT]", "ID",
                "METHOD", "N", "NAME", "PATH", "POINTER", "PORT", "PURPOSES", "SCOPES", "SUBCOMMAND", "SUITE", "TEXT",
                "TYPE", "URL"}


def parsers(parser: argparse.ArgumentParser, path: str = "vcnode") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """``parser`` and every subcommand's parser below it, with its command line."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, f"{path} {name}")


def arguments() -> Iterator[tuple[str, argparse.Action]]:
    for path, parser in parsers(build_parser()):
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction):
                yield path, action


def test_the_walk_reaches_every_command() -> None:
    paths = {path for path, _ in parsers(build_parser())}
    assert {"vcnode issue-batch", "vcnode trust anchors add", "vcnode did resolve", "vcnode status log"} <= paths
    assert len(paths) > 30


def test_every_argument_and_option_has_help() -> None:
    missing = [f"{path}: {'/'.join(action.option_strings) or action.dest}" for path, action in arguments()
               if not action.help or action.help == argparse.SUPPRESS or not action.help.strip()]
    assert missing == []


def test_placeholders_are_spelled_one_way() -> None:
    found = {}
    for path, action in arguments():
        if action.nargs == 0 or isinstance(action, argparse._VersionAction):
            continue  # a flag takes no value
        if isinstance(action, argparse._SubParsersAction):
            shown = action.metavar
        else:
            shown = action.metavar or (action.dest.upper() if action.option_strings else action.dest)
        assert isinstance(shown, str), (path, action.dest)  # choices are never shown as {a,b,c}
        found[f"{path} {'/'.join(action.option_strings) or action.dest}"] = shown
    assert {where: shown for where, shown in found.items() if shown not in PLACEHOLDERS} == {}
    assert all(re.fullmatch(r"[A-Z]+(\[:[A-Z]+\])?", shown) for shown in found.values())


@pytest.mark.parametrize("argv", [
    ["--home", "n", "did", "show"],
    ["did", "show", "--home", "n"],
    ["did", "--home", "n", "show"],
    ["issue-batch", "learners.csv", "--achievement", "a.json", "--out", "o", "--home", "n"],
    ["trust", "anchors", "add", "did:key:z6Mk", "--home", "n"],
])
def test_home_is_taken_before_or_after_the_command(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).home == "n"


def test_home_and_verbose_given_before_the_command_are_kept() -> None:
    args = build_parser().parse_args(["--home", "n", "-v", "keys", "list"])
    assert args.home == "n" and args.verbose is True
    args = build_parser().parse_args(["keys", "list"])
    assert args.home is None and args.verbose is False


def test_the_cli_names_the_proof_suites_the_node_signs_with() -> None:
    from vcnode.cli.common import SUITES
    from vcnode.proofs import DEFAULT_SUITE
    from vcnode.proofs import SUITES as PROOF_SUITES

    assert SUITES[0] == DEFAULT_SUITE and set(SUITES) == set(PROOF_SUITES)
