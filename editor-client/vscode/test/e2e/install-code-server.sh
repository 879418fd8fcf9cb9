#!/usr/bin/env bash
# Installs code-server (the VS Code web build) for the in-editor tests, offline
# of any VS Code download: npm package with --ignore-scripts, native modules
# rebuilt with node-gyp against the local Node headers, Debian's ripgrep linked
# where VS Code looks for its own. Idempotent: a stamp file records success.
# Usage: install-code-server.sh <prefix>; prints the path of the entry script.
set -euo pipefail
VERSION="4.100.3"
PREFIX="$1"
CS="$PREFIX/node_modules/code-server"
VS="$CS/lib/vscode"
STAMP="$PREFIX/.installed-$VERSION"
log() { echo "test-vscode: $*" >&2; }

if [ -f "$STAMP" ] && [ -f "$CS/out/node/entry.js" ]; then
  echo "$CS/out/node/entry.js"
  exit 0
fi

NODE_GYP="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
[ -f "$NODE_GYP" ] || NODE_GYP="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$NODE_GYP" ] || { log "node-gyp (bundled with npm) not found"; exit 1; }
NODEDIR="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
[ -f "$NODEDIR/include/node/node.h" ] || { log "Node headers missing under $NODEDIR/include/node (install nodejs headers, e.g. Debian libnode-dev)"; exit 1; }
gyp() { (cd "$1" && node "$NODE_GYP" rebuild --nodedir="$NODEDIR" -j 2 "${@:2}" >/dev/null 2>"$PREFIX/gyp-$(basename "$1").log") \
  || { log "native build failed in $1; see $PREFIX/gyp-$(basename "$1").log"; tail -n 20 "$PREFIX/gyp-$(basename "$1").log" >&2; exit 1; }; }

mkdir -p "$PREFIX"
[ -f "$PREFIX/package.json" ] || echo '{"name": "code-server-host", "private": true}' > "$PREFIX/package.json"
log "installing code-server@$VERSION (npm, --ignore-scripts)"
(cd "$PREFIX" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error "code-server@$VERSION" >/dev/null)
(cd "$VS" && npm install --omit=dev --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
ln -sfn node_modules "$VS/node_modules.asar"

log "building native modules with node-gyp"
ARGON="$PREFIX/node_modules/argon2"
gyp "$ARGON" --module_name=argon2 --module_path="$ARGON/lib/binding/napi-v3" --napi_build_version=3
[ -f "$ARGON/lib/binding/napi-v3/argon2.node" ] || { log "argon2 binding not built"; exit 1; }
pids=()
for mod in node-pty @vscode/spdlog native-watchdog @vscode/deviceid kerberos; do
  gyp "$VS/node_modules/$mod" & pids+=("$!")
done
for pid in "${pids[@]}"; do wait "$pid" || exit 1; done

RG_DIR="$VS/node_modules/@vscode/ripgrep/bin"
mkdir -p "$RG_DIR" && ln -sf "$(command -v rg)" "$RG_DIR/rg"
ln -sfn code-linux.sh "$VS/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$VS/bin/helpers/browser.sh"
date +%s > "$STAMP"
echo "$CS/out/node/entry.js"
