#!/bin/sh
# Container entry point: run a vcnode command, initialising the node directory first when the command is
# 'serve' and no node exists yet.
#
#   docker run IMAGE                          -> vcnode serve --host 0.0.0.0 (the image's CMD)
#   docker run IMAGE keys rotate              -> vcnode keys rotate
#   docker run IMAGE token create --scope issue -> vcnode token create --scope issue
#   docker run IMAGE sh                       -> sh (anything that is not a vcnode command or option)
#
# VCNODE_STORE_URL set: the node lives in that PostgreSQL database, and 'serve' initialises it when the node
# directory has no config.toml yet (compose.yaml).
# VCNODE_INIT_ARGS: extra 'vcnode init' arguments for the first start, e.g. "--domain issuer.example.edu".
# The command list below is every top-level command of 'vcnode --help' (tests/integration/test_entrypoint.py
# checks that it stays so).
set -eu

case "${1:-}" in
    "" | -* | init | serve | identity | did | keys | witness | token | issue | verify | issue-batch | revoke \
        | suspend | unsuspend | status | trust | wallet | backup | restore | migrate-store | derive) set -- vcnode "$@" ;;
esac

# PGPASSWORD_FILE (a compose or Docker secret): the database password for store_url, kept out of the URL and of
# the command lines; libpq tools and vcnode's PostgreSQL driver read PGPASSWORD.
if [ -n "${PGPASSWORD_FILE:-}" ] && [ -z "${PGPASSWORD:-}" ]; then
    PGPASSWORD="$(cat "$PGPASSWORD_FILE")"
    export PGPASSWORD
fi

if [ "$1" = vcnode ]; then
    # Find the node directory (--home before or after the command, else VCNODE_HOME, else ./.vcnode) and the
    # command.
    home="${VCNODE_HOME:-.vcnode}"
    command=""
    expect_home=""
    shift
    for arg in "$@"; do
        if [ -n "$expect_home" ]; then
            home="$arg"
            expect_home=""
            continue
        fi
        case "$arg" in
            --home) expect_home=1 ;;
            --home=*) home="${arg#--home=}" ;;
            -*) ;;
            *) [ -n "$command" ] || command="$arg" ;;
        esac
    done
    set -- vcnode "$@"
    # A node in a PostgreSQL database (VCNODE_STORE_URL) leaves config.toml in its directory, not a database
    # file; if the directory was lost while the database still holds a node, init refuses and says so.
    marker="$home/vcnode.sqlite3"
    [ -z "${VCNODE_STORE_URL:-}" ] || marker="$home/config.toml"
    if [ "$command" = serve ] && [ ! -f "$marker" ]; then
        echo "entrypoint: no node in $home; running: vcnode --home $home init ${VCNODE_INIT_ARGS:-}" >&2
        # shellcheck disable=SC2086  # VCNODE_INIT_ARGS is split into arguments on purpose
        vcnode --home "$home" init ${VCNODE_INIT_ARGS:-}
    fi
fi

exec "$@"
