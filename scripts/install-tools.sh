#!/usr/bin/env bash
# Builds the Go tools the local stack and the tests run (FerretDB, stripe-mock) into a
# cache outside the checkout, so later clones and CI runs on this machine reuse them.
# Building takes minutes; an existing binary of the right version is kept.
set -euo pipefail
TOOLS_BIN="${TOOLS_BIN:-$HOME/.cache/trading-bot-tools/bin}"
mkdir -p "$TOOLS_BIN"

up_to_date() { # name module@version
  [[ -x "$TOOLS_BIN/$1" && "$(cat "$TOOLS_BIN/.$1.version" 2>/dev/null)" == "$2" ]]
}

install_module() { # name module@version
  GOBIN="$TOOLS_BIN" go install "$2"
}

# `go install` of FerretDB builds, but the binary panics at start: its module zip lacks
# build/version/version.txt, which the release process generates. Build from a copy of
# the module with that file written.
install_ferretdb() { # name module@version
  local version=${2##*@} src work
  src=$(go mod download -json "$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  work=$(mktemp -d)
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  echo "$version" > "$work/build/version/version.txt"
  (cd "$work" && go build -trimpath -o "$TOOLS_BIN/ferretdb" ./cmd/ferretdb)
  rm -rf "$work"
}

build() { # name module@version installer
  if up_to_date "$1" "$2"; then
    echo "tools: $1 up to date ($2)"
    return
  fi
  need_go
  echo "tools: building $2 (takes a few minutes)"
  "$3" "$1" "$2"
  echo "$2" > "$TOOLS_BIN/.$1.version"
}

need_go() { command -v go >/dev/null || { echo "tools: Go is needed to build FerretDB and stripe-mock" >&2; exit 1; }; }
# Usage: install-tools.sh [ferretdb] [stripe-mock]   (no arguments: both)
wanted=("$@")
[[ ${#wanted[@]} -eq 0 ]] && wanted=(ferretdb stripe-mock)
for tool in "${wanted[@]}"; do
  case "$tool" in
    ferretdb) build ferretdb github.com/FerretDB/FerretDB@v1.24.2 install_ferretdb ;;
    stripe-mock) build stripe-mock github.com/stripe/stripe-mock@v0.197.0 install_module ;;
    *) echo "tools: unknown tool $tool" >&2; exit 2 ;;
  esac
done
