#!/usr/bin/env bash
# Builds the service image from the Dockerfile (unchanged) with podman, on a machine with no
# Docker engine and no access to a container registry (CI here). Three steps, each skipped
# when its result is already there:
#   1. podman: Debian's podman/buildah with runc, installed with apt-get (needs root);
#   2. the base image: node:24-bookworm-slim cannot be pulled, so a stand-in is made
#      (Debian bookworm minbase by mmdebstrap + the tools cache's Node 24 + npm from the
#      registry + user `node` 1000:1000, as in the official image), kept as a tarball in
#      the tools cache and imported under the FROM name;
#   3. `podman build -t tradingbot:ci .`, its layers cached in podman's own storage.
# podman runs with deploy/local/podman/containers.conf (CONTAINERS_CONF), never /etc's.
# The host's CA bundle reaches `npm ci` as a build secret (this machine intercepts TLS).
#
#   bash scripts/container-image.sh            # all three; prints each step's time
#   IMAGE=tradingbot:dev bash scripts/container-image.sh
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-tradingbot:ci}
TOOLS_BIN="${TOOLS_BIN:-$HOME/.cache/trading-bot-tools/bin}"
CACHE_DIR=$(dirname "$TOOLS_BIN")/node-base
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/deploy/local/podman/containers.conf}
# The Dockerfile's FROM (ARG NODE_IMAGE), as podman names it.
BASE_IMAGE=docker.io/library/node:24-bookworm-slim
# npm as the base image ships it (node24's registry package has no npm). Pinned so the
# stand-in's key says exactly what is in it.
NPM_VERSION=11.19.1
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

step_started=0
step() { step_started=$SECONDS; echo "image: $*"; }
done_step() { echo "image: $1 took $((SECONDS - step_started)) s"; }

install_podman() {
  if command -v podman >/dev/null && command -v runc >/dev/null && command -v mmdebstrap >/dev/null; then
    return
  fi
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "image: podman, runc and mmdebstrap are needed: apt-get install podman buildah runc mmdebstrap" >&2
    exit 1
  fi
  step "installing podman, buildah, runc and mmdebstrap with apt-get"
  # The package's units (podman.socket, podman-restart) would be started; nothing here uses them.
  local own_policy= pkgs=(podman buildah runc slirp4netns uidmap fuse-overlayfs mmdebstrap)
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}" >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}" >/dev/null; }
  [[ -z "$own_policy" ]] || rm -f /usr/sbin/policy-rc.d
  done_step "podman install"
}

# The stand-in's key: everything that goes into it. A new key makes a new tarball.
base_key() {
  echo "bookworm-minbase+$(cat "$TOOLS_BIN/.node.version")+npm@$NPM_VERSION+v1"
}

make_base_tarball() { # key tarball
  local work
  work=$(mktemp -d)
  trap 'rm -rf "${work:-}"' RETURN
  mkdir -p "$work/root/usr/local/bin" "$work/root/usr/local/lib/node_modules/npm"
  cp "$TOOLS_BIN/node24/bin/node" "$work/root/usr/local/bin/node"
  (cd "$work" && npm pack "npm@$NPM_VERSION" --silent >/dev/null)
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/root/usr/local/bin/npx"
  # Same user as the official image (the Dockerfile's USER 1000:1000 is this one).
  mmdebstrap --variant=minbase --quiet \
    --customize-hook="cp -a '$work/root/.' \"\$1\"/" \
    --customize-hook='chroot "$1" groupadd --gid 1000 node' \
    --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    --customize-hook='chroot "$1" node -e "process.exit(process.versions.node.startsWith(\"24.\") ? 0 : 1)"' \
    --customize-hook='chroot "$1" npm --version >/dev/null' \
    bookworm "$work/base.tar" "$DEBIAN_MIRROR"
  mkdir -p "$(dirname "$2")"
  mv "$work/base.tar" "$2"
}

ensure_base() {
  TOOLS_QUIET=1 TOOLS_BIN="$TOOLS_BIN" bash scripts/install-tools.sh node
  local key tarball have
  key=$(base_key)
  tarball="$CACHE_DIR/node-base-${key//[^A-Za-z0-9.+@-]/_}.tar"
  have=$(podman image inspect --format '{{index .Labels "org.tbot.stand-in"}}' "$BASE_IMAGE" 2>/dev/null || true)
  if [[ "$have" == "$key" ]]; then
    echo "image: base $BASE_IMAGE up to date (stand-in $key)"
    return
  fi
  if podman image exists "$BASE_IMAGE" && [[ -z "$have" || "$have" == "<no value>" ]]; then
    # A real node image (pulled where a registry is reachable) is better than a stand-in.
    echo "image: base $BASE_IMAGE present (not a stand-in), kept"
    return
  fi
  if [[ ! -f "$tarball" ]]; then
    step "making the stand-in base ($key) with mmdebstrap from $DEBIAN_MIRROR"
    make_base_tarball "$key" "$tarball"
    # Older stand-ins are of no further use.
    find "$CACHE_DIR" -name 'node-base-*.tar' ! -path "$tarball" -delete
    done_step "stand-in tarball"
  fi
  step "importing $tarball as $BASE_IMAGE"
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$(cat "$TOOLS_BIN/.node.version" | sed 's/.*@//')" \
    --change "LABEL org.tbot.stand-in=$key" \
    --change 'CMD ["node"]' \
    "$tarball" "$BASE_IMAGE" >/dev/null
  done_step "import"
}

build_image() {
  local secret=() log
  [[ -s "$CA_BUNDLE" ]] && secret=(--secret "id=npm-ca,src=$CA_BUNDLE")
  log=$(mktemp)
  step "building $IMAGE from the Dockerfile"
  # podman's default build network reaches the registry here; what npm ci lacks is the
  # CA of this machine's TLS interception, hence the secret (without it: "self-signed
  # certificate in certificate chain").
  if ! podman build "${secret[@]}" -t "$IMAGE" . >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    rm -f "$log"
    echo "image: podman build failed" >&2
    exit 1
  fi
  echo "image: $(grep -c 'Using cache' "$log") build steps from cache"
  rm -f "$log"
  done_step "podman build"
}

total=$SECONDS
install_podman
ensure_base
build_image
echo "image: $IMAGE ready in $((SECONDS - total)) s"
