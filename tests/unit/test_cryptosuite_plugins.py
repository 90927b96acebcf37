"""Cryptosuites are plug-ins: discovered through the ``vcnode.cryptosuites`` entry-point group, so a suite is
added by installing a distribution, without touching the core."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from vcnode.proofs import DEFAULT_SUITE, ENTRY_POINT_GROUP, SUITES, load_suites
from vcnode.proofs.eddsa_jcs_2022 import EddsaJcs2022

PLUGIN = '''
from vcnode.proofs.eddsa_jcs_2022 import EddsaJcs2022


class PluginSuite(EddsaJcs2022):
    name = "example-plugin-2026"
'''


class NotASuite:
    """Registered by mistake: not a Cryptosuite."""


@pytest.fixture
def plugin_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A separately installed distribution (a dist-info on sys.path) registering three entries: a good suite,
    one whose module does not import, and one that is not a suite."""
    group = "vcnode.test-cryptosuites"
    (tmp_path / "example_plugin_suite.py").write_text(PLUGIN)
    info = tmp_path / "example_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: example-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{group}]\n"
        "example-plugin-2026 = example_plugin_suite:PluginSuite\n"
        "broken = example_plugin_missing:Suite\n"
        f"not-a-suite = {__name__}:NotASuite\n"
        f"eddsa-jcs-2022 = {EddsaJcs2022.__module__}:EddsaJcs2022\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return group


def test_the_built_in_suites_are_registered_entry_points() -> None:
    assert next(iter(SUITES)) == DEFAULT_SUITE
    assert {"eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020", "ecdsa-jcs-2019",
            "ecdsa-rdfc-2019"} <= set(SUITES)
    assert set(load_suites(ENTRY_POINT_GROUP)) == set(SUITES)


def test_a_suite_from_another_distribution_is_discovered(plugin_distribution: str,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    suites = load_suites(plugin_distribution)
    assert set(suites) == {"example-plugin-2026", "eddsa-jcs-2022"}
    assert type(suites["example-plugin-2026"]).__module__ == "example_plugin_suite"
    # The broken and the mistaken entries are logged and left out; they do not stop the others.
    assert "broken" in caplog.text and "not-a-suite" in caplog.text
    sys.modules.pop("example_plugin_suite", None)
