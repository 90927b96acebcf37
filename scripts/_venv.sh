# Shared by scripts/serve and scripts/test: create .venv if missing and install the project into it.
# Usage: VCNODE_EXTRAS=test . scripts/_venv.sh   (extras optional; never read from "$@", which is the caller's)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi
extras="${VCNODE_EXTRAS:-}"
stamp="$VENV/.installed${extras:+-$extras}"
# Reinstall only when pyproject.toml changed since the last install (editable install keeps code current).
if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
    echo "installing vcnode${extras:+[$extras]} into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT${extras:+[$extras]}"
    touch "$stamp"
fi
