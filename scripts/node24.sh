#!/usr/bin/env bash
# Runs a command with Node 24 first on PATH, so `node` and every `#!/usr/bin/env node` tool
# (tsc, jest, protoc-gen-es) run on it: the machine's own node when it is 24 or later, else
# the binary scripts/install-tools.sh fetches into the tools cache (once, then reused).
# The local stack starts its services with process.execPath, so they run on it too.
#
#   bash scripts/node24.sh node deploy/local/dist/main.js
#   bash scripts/node24.sh jest --selectProjects unit
#   bash scripts/node24.sh --path     # prints the PATH to use (for .ci/run)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((major < 24)); then
  TOOLS_BIN="${TOOLS_BIN:-$HOME/.cache/trading-bot-tools/bin}"
  TOOLS_QUIET=1 TOOLS_BIN="$TOOLS_BIN" bash "$here/install-tools.sh" node >&2
  export PATH="$TOOLS_BIN/node24/bin:$PATH"
fi
if [[ "${1:-}" == "--path" ]]; then
  echo "$PATH"
  exit 0
fi
exec "$@"
