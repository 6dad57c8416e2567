# Sourced by .ci/serve and .ci/test: a .venv with MiniMost installed at pinned versions.
# Usage: SETUP_EXTRAS=test; . .ci/setup.sh   (extras optional); idempotent and quick when
# up to date. The caller's own arguments are never read here: they belong to the server
# or to pytest.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EXTRAS="${SETUP_EXTRAS:-}"
PYTHON="${PYTHON:-python3}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "error: '$*' needs root (or sudo)" >&2; return 1
    fi
}

# apt-get install with retries: another process may hold the dpkg lock for a while.
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    echo "installing from Debian's packages: $*" >&2
    as_root apt-get update -qq
    for attempt in 1 2 3 4 5 6; do
        if as_root apt-get install -y -qq "$@" >/dev/null; then
            return 0
        fi
        echo "apt-get install failed (attempt $attempt); retrying" >&2
        sleep $((attempt * 5))
    done
    return 1
}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: MiniMost needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
        apt_install python3-venv
    fi
    "$PYTHON" -m venv .venv
fi

target="."
[ -n "$EXTRAS" ] && target=".[$EXTRAS]"
digest="$(cat pyproject.toml .ci/constraints.txt | sha256sum | cut -c1-16)"
stamp="$digest $target"
installed="$(cat .venv/.installed 2>/dev/null || true)"
# An install with extras also serves a plain one: serving after testing reinstalls nothing.
if [ "$installed" != "$stamp" ] && { [ -n "$EXTRAS" ] || [ "${installed%% *}" != "$digest" ]; }; then
    echo "installing MiniMost ($target) into .venv" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
        -c .ci/constraints.txt -e "$target"
    echo "$stamp" > .venv/.installed
fi
