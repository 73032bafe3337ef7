#!/usr/bin/env bash
# Installs the pinned toolchains that build Python and JavaScript plugins:
#   componentize-py 0.25.1                      -> target/toolchains/python (a venv)
#   @bytecodealliance/componentize-js 0.23.0    -> target/toolchains/js (every package
#                                                  at the version locked in
#                                                  guest-sdk/js/package-lock.json)
# Idempotent: a toolchain already at the pinned version is left alone.
# Needs python3 (>= 3.10, with venv) and node (>= 18) with npm.
# `paddock bundle` finds the toolchains here, or via PADDOCK_COMPONENTIZE_PY
# (the componentize-py executable) and PADDOCK_COMPONENTIZE_JS_DIR (a directory
# whose node_modules holds @bytecodealliance/componentize-js).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

COMPONENTIZE_PY_VERSION=0.25.1
COMPONENTIZE_JS_VERSION=0.23.0
toolchains="$root/target/toolchains"
mkdir -p "$toolchains"

need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "error: \`$1\` not found; $2" >&2
        exit 1
    }
}

# --- Python: componentize-py in a venv -------------------------------------
need python3 "install Python 3.10 or later (e.g. \`apt-get install python3 python3-venv\`)"
py="$toolchains/python"
installed_py="$("$py/bin/componentize-py" --version 2>/dev/null || true)"
if [[ "$installed_py" == *"$COMPONENTIZE_PY_VERSION"* ]]; then
    echo "python:     componentize-py $COMPONENTIZE_PY_VERSION already in $py"
else
    echo "python:     installing componentize-py==$COMPONENTIZE_PY_VERSION into $py"
    python3 -m venv "$py" || {
        echo "error: \`python3 -m venv\` failed; install the venv module (e.g. \`apt-get install python3-venv\`)" >&2
        exit 1
    }
    "$py/bin/python" -m pip install --quiet --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION"
    echo "python:     $("$py/bin/componentize-py" --version)"
fi

# --- JavaScript: componentize-js from the committed lockfile ---------------
need node "install Node.js 18 or later"
need npm "install npm (it comes with Node.js)"
js="$toolchains/js"
lock="$root/guest-sdk/js/package-lock.json"
stamp="$js/.paddock-lock-sha256"
want_lock="$(sha256sum "$lock" | cut -d' ' -f1)"
installed_js="$(node -p "require('$js/node_modules/@bytecodealliance/componentize-js/package.json').version" 2>/dev/null || true)"
if [[ "$installed_js" == "$COMPONENTIZE_JS_VERSION" && "$(cat "$stamp" 2>/dev/null)" == "$want_lock" ]]; then
    echo "javascript: @bytecodealliance/componentize-js $COMPONENTIZE_JS_VERSION already in $js"
else
    echo "javascript: installing @bytecodealliance/componentize-js@$COMPONENTIZE_JS_VERSION into $js"
    rm -rf "$js"
    mkdir -p "$js"
    cp "$root/guest-sdk/js/package.json" "$lock" "$js/"
    # `npm install` with the lockfile present installs exactly the locked
    # versions. (`npm ci` refuses this lockfile: npm 10/11 lists optional
    # platform packages that were never published as missing.)
    (cd "$js" && npm install --no-audit --no-fund --loglevel=error)
    installed_js="$(node -p "require('$js/node_modules/@bytecodealliance/componentize-js/package.json').version")"
    if [[ "$installed_js" != "$COMPONENTIZE_JS_VERSION" ]]; then
        echo "error: npm installed componentize-js $installed_js, not $COMPONENTIZE_JS_VERSION; check guest-sdk/js/package-lock.json" >&2
        exit 1
    fi
    echo "$want_lock" >"$stamp"
    echo "javascript: componentize-js $installed_js"
fi

echo "guest toolchains ready in $toolchains"
