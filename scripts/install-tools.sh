#!/usr/bin/env bash
# Builds the Go tools the local stack and the tests run (FerretDB, stripe-mock, grpcurl, mailpit, Jaeger,
# kube-apiserver, kubectl, docker-compose) into a cache outside the checkout, so later clones and CI
# runs on this machine reuse them.
# Building takes minutes; an existing binary of the right version is kept.
# Also fetches the Node 24 binary (`node`) that scripts/node24.sh runs when the machine's
# own node is older: the npm registry's node-linux-<arch> package carries it.
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

# mailpit (an SMTP server with an HTTP API to read what it received) builds with a plain
# `go install`: its web UI's JavaScript is built with npm in a release and is absent from the
# module zip, so this binary serves no UI pages, but SMTP and the /api/v1 API the tests use
# work. -X sets the version its API reports (else "dev"); -s -w drop debug info (~35 MB -> ~25 MB).
install_mailpit() { # name module@version
  GOBIN="$TOOLS_BIN" go install -trimpath \
    -ldflags "-s -w -X github.com/axllent/mailpit/config.Version=${2##*@}" "$2"
}

# Jaeger v2 (an OpenTelemetry-collector-based all-in-one: OTLP in, query API out, memory
# storage when run without flags). cmd/jaeger is a `tool` of the main module, not a module
# of its own, so `go install module@version` cannot build it: add it as a tool of a scratch
# module and build it there. Cold (module downloads included) it took 10.5 min on two cores
# shared with a CI run (~3.5 min on idle ones); the binary is 85 MiB with -s -w (116 without);
# it serves no UI pages (the UI assets are built by the release, not in the module zip),
# but the OTLP receivers and the /api query API the tests read work. The install goes
# through a temporary name and a `mv`, so a concurrent `npm start` never runs half a binary.
install_jaeger() { # name module@version
  local work
  work=$(mktemp -d)
  # go get lists every one of the ~400 modules it adds; npm start shows this output while the
  # stack runs, so those lines are left out (downloads and errors still show).
  (cd "$work" && go mod init jaeger-build >/dev/null 2>&1 &&
    { go get -tool "$2" 2>&1 | { grep -v '^go: added ' || true; }; } &&
    go build -trimpath -ldflags "-s -w" -o "$TOOLS_BIN/.jaeger.partial" "${2%@*}")
  mv "$TOOLS_BIN/.jaeger.partial" "$TOOLS_BIN/jaeger"
  rm -rf "$work"
}

# kube-apiserver and kubectl (the manifests test submits deploy/k8s to a real API server) from
# the k8s.io/kubernetes module. Its go.mod replaces every k8s.io/* library with ./staging/...,
# which the module zip does not hold (each is a module of its own): build in a copy of the
# module with those replaces pointed at the published k8s.io/* v0.<minor>.<patch> modules.
# The -X flags are what the release sets, so the binaries report v1.x.y, not v0.0.0 (kubectl
# warns about version skew otherwise). Both binaries share one copy and Go's build cache.
install_kubernetes() { # name k8s.io/kubernetes/cmd/<name>@v1.x.y
  local version=${2##*@} pkg=${2%@*} src work lib now
  pkg=./${pkg#k8s.io/kubernetes/}
  src=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  work=$(mktemp -d)
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  local lib_version=v0.${version#v1.}
  for lib in $(sed -n 's|^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*|\1|p' "$work/go.mod"); do
    (cd "$work" && go mod edit -replace "$lib=$lib@$lib_version")
  done
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local minor=${version#v1.}
  minor=${minor%%.*}
  local x=""
  for v in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x+=" -X $v.gitVersion=$version -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=$now"
  done
  (cd "$work" && GOWORK=off GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w$x" -o "$TOOLS_BIN/.$1.partial" "$pkg")
  mv "$TOOLS_BIN/.$1.partial" "$TOOLS_BIN/$1"
  rm -rf "$work"
}

# The Prometheus Operator's ServiceMonitor and PrometheusRule CRDs (the manifests test applies
# them before submitting deploy/k8s/monitoring): generated YAML in the operator's module zip
# (example/prometheus-operator-crd/), ~80 KB, so fetched here rather than committed.
install_operator_crds() { # name module@version
  local src dir=$TOOLS_BIN/$1
  src=$(go mod download -json "$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  cp "$src"/example/prometheus-operator-crd/monitoring.coreos.com_{servicemonitors,prometheusrules}.yaml "$dir.partial/"
  chmod u+w "$dir.partial"/*
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

# Docker Compose v2 (the compose test runs `docker-compose config` on docker-compose.yml):
# the standalone binary from the module's cmd package, built in a copy of the module (its
# main package is named cmd, so `go install` would name the binary that). -X sets the
# version it reports (else "dev"). `config` needs no Docker daemon.
install_compose() { # name module@version
  local src work
  src=$(go mod download -json "$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  work=$(mktemp -d)
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  (cd "$work" && go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=${2##*@}" \
    -o "$TOOLS_BIN/.$1.partial" ./cmd)
  mv "$TOOLS_BIN/.$1.partial" "$TOOLS_BIN/$1"
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

# Node: the registry's node-linux-<arch> package holds the official binary at
# package/bin/node. npm does not run the `node` package's install script, so fetch the
# tarball with `npm pack` (registry, integrity check) and unpack the binary ourselves into
# $TOOLS_BIN/node24/bin/node. Unpacked next to it first, then moved in, so a concurrent run
# never sees half a binary.
NODE_VERSION=24.21.0
install_node() {
  local arch pkg dir=$TOOLS_BIN/node24
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "tools: no Node $NODE_VERSION package for $(uname -m)" >&2; exit 1 ;;
  esac
  pkg=node-linux-$arch@$NODE_VERSION
  if [[ -x "$dir/bin/node" && "$(cat "$TOOLS_BIN/.node.version" 2>/dev/null)" == "$pkg" ]]; then
    [[ -n "${TOOLS_QUIET:-}" ]] || echo "tools: node up to date ($pkg)"
    return
  fi
  echo "tools: fetching $pkg from the npm registry" >&2
  node_work=$(mktemp -d "$TOOLS_BIN/.node24.XXXXXX")
  trap 'rm -rf "${node_work:-}"' EXIT
  (cd "$node_work" && npm pack "$pkg" --silent --pack-destination "$node_work" >/dev/null)
  mkdir -p "$node_work/node/bin"
  tar -xzf "$node_work"/node-linux-*.tgz -C "$node_work/node" --strip-components=1 package/bin/node package/LICENSE
  "$node_work/node/bin/node" -e 'process.exit(process.versions.node === process.argv[1] ? 0 : 1)' "$NODE_VERSION" ||
    { echo "tools: $pkg does not run here" >&2; exit 1; }
  rm -rf "$dir"
  mv "$node_work/node" "$dir"
  echo "$pkg" > "$TOOLS_BIN/.node.version"
}

# promtool (rule checks and unit tests) and the Prometheus server (the end-to-end alert test)
# come from Debian's `prometheus` package (2.42), not a Go build: installed here rather than
# in .ci/run because `npm test` runs this script first (pretest), so a developer's test run
# gets them as CI does. Skipped when promtool is already there; apt needs root.
install_prometheus() {
  if command -v promtool >/dev/null && command -v prometheus >/dev/null; then
    [[ -n "${TOOLS_QUIET:-}" ]] || echo "tools: prometheus up to date ($(promtool --version 2>&1 | head -1))"
    return
  fi
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "tools: promtool missing: install Debian's prometheus package (apt-get install prometheus) or put promtool and prometheus on PATH" >&2
    exit 1
  fi
  echo "tools: installing prometheus (promtool and server) with apt-get"
  # The package's service would start a system Prometheus on :9090; the tests run their own.
  apt_install_without_service prometheus
}

# Installs Debian packages with their services kept from starting (a policy-rc.d that says
# "no" for the length of the install): the tests start their own instances on free ports.
apt_install_without_service() { # package...
  local own_policy=
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null; }
  [[ -z "$own_policy" ]] || rm -f /usr/sbin/policy-rc.d
}

# etcd (3.4, Debian's etcd-server) is the API server's storage in the manifests test. Skipped
# when etcd is already on PATH; apt needs root.
install_etcd() {
  if command -v etcd >/dev/null; then
    [[ -n "${TOOLS_QUIET:-}" ]] || echo "tools: etcd up to date ($(etcd --version 2>&1 | head -1))"
    return
  fi
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "tools: etcd missing: install Debian's etcd-server package (apt-get install etcd-server) or put etcd on PATH" >&2
    exit 1
  fi
  echo "tools: installing etcd (etcd-server) with apt-get"
  apt_install_without_service etcd-server
}

# Debian's Chromium for the dashboard's browser tests (playwright-core drives it; Lighthouse
# audits with it): test tools cannot download their own browser here. Same shape as
# prometheus above: apt, as root, skipped when /usr/bin/chromium is there.
install_chromium() {
  if [[ -x /usr/bin/chromium ]]; then
    [[ -n "${TOOLS_QUIET:-}" ]] || echo "tools: chromium up to date ($(/usr/bin/chromium --version 2>/dev/null | head -1))"
    return
  fi
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "tools: chromium missing: install Debian's chromium package (apt-get install chromium)" >&2
    exit 1
  fi
  echo "tools: installing chromium with apt-get"
  apt_install_without_service chromium fonts-liberation
}

need_go() { command -v go >/dev/null || { echo "tools: Go is needed to build FerretDB, stripe-mock, grpcurl, mailpit, Jaeger, kube-apiserver, kubectl and docker-compose" >&2; exit 1; }; }
# Usage: install-tools.sh [node] [ferretdb] [stripe-mock] [grpcurl] [mailpit] [jaeger] [kube-apiserver] [kubectl]
#   [prometheus-operator-crds] [docker-compose] [prometheus] [etcd] [chromium]   (no arguments: all of them)
wanted=("$@")
[[ ${#wanted[@]} -eq 0 ]] && wanted=(node ferretdb stripe-mock grpcurl mailpit jaeger kube-apiserver kubectl prometheus-operator-crds docker-compose)
for tool in "${wanted[@]}"; do
  case "$tool" in
    node) install_node ;;
    ferretdb) build ferretdb github.com/FerretDB/FerretDB@v1.24.2 install_ferretdb ;;
    stripe-mock) build stripe-mock github.com/stripe/stripe-mock@v0.197.0 install_module ;;
    # The reflection test calls billing and trading with it, as an operator would.
    grpcurl) build grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3 install_module ;;
    # The email channel's tests send through it and read the messages back.
    mailpit) build mailpit github.com/axllent/mailpit@v1.33.1 install_mailpit ;;
    prometheus) install_prometheus ;;
    etcd) install_etcd ;;
    chromium) install_chromium ;;
    # npm start sends every service's traces to it; the Jaeger test reads them back.
    jaeger) build jaeger github.com/jaegertracing/jaeger/cmd/jaeger@v1.76.0 install_jaeger ;;
    # The manifests test runs a real API server and submits deploy/k8s to it with kubectl.
    kube-apiserver) build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver@v1.34.2 install_kubernetes ;;
    kubectl) build kubectl k8s.io/kubernetes/cmd/kubectl@v1.34.2 install_kubernetes ;;
    # The compose test validates docker-compose.yml with it.
    docker-compose) build docker-compose github.com/docker/compose/v2@v2.40.3 install_compose ;;
    prometheus-operator-crds) build prometheus-operator-crds github.com/prometheus-operator/prometheus-operator@v0.85.0 install_operator_crds ;;
    *) echo "tools: unknown tool $tool" >&2; exit 2 ;;
  esac
done
# Not Go builds, so not in the list above; installed with everything else.
if [[ $# -eq 0 ]]; then install_prometheus; install_etcd; install_chromium; fi
