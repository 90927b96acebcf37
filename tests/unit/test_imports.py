"""Every module of the package imports first, on its own: an import cycle that only shows when a command
imports a module first (``vcnode witness sign`` once did) fails here, not in a user's hands."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import importlib, pkgutil, sys
import vcnode, did_methods
names = sorted(m.name for package in (vcnode, did_methods)
               for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
               if not m.name.endswith(".__main__"))  # runs the command line
failed = []
for name in names:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("vcnode", "did_methods")]:
        del sys.modules[loaded]  # each module is imported first, as a command that starts with it would
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
print(len(names), "modules")
"""


def test_every_module_imports_first_on_its_own() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    *failed, count = result.stdout.strip().splitlines()
    assert failed == [] and int(count.split()[0]) > 100, result.stdout[-3000:]
