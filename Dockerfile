# syntax=docker/dockerfile:1
#
# One image for every Node service. The command picks the service; the entrypoint always
# preloads OpenTelemetry so http, express and mongodb are patched before the service loads.
#
#   docker build -t tradingbot .
#   docker run tradingbot                                # gateway (the default CMD)
#   docker run tradingbot services/billing/dist/main.js  # billing
#   docker run tradingbot services/trading/dist/main.js  # trading
#   docker run tradingbot services/notifications/dist/main.js  # notifications
#
# SERVICE selection: override the CMD (docker-compose `command:`, Kubernetes `args:`) with
# the service's entry point, relative to /app:
#   gateway  gateway/dist/main.js           (HTTP, PORT=8080)
#   billing  services/billing/dist/main.js  (gRPC/Connect over h2c, BILLING_PORT=50051)
#   trading  services/trading/dist/main.js  (gRPC/Connect over h2c, TRADING_PORT=50052)
#   notifications  services/notifications/dist/main.js  (gRPC/Connect over h2c, NOTIFICATIONS_PORT=50053)
# For a shell: docker run --rm -it --entrypoint bash tradingbot

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- manifests: only what `npm ci` reads, so its layers stay cached until a dependency changes
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
# npm ci checks the lockfile against every workspace, so all of them are needed here,
# deploy/local included (it is not shipped).
COPY services/common/package.json services/common/
COPY services/billing/package.json services/billing/
COPY services/trading/package.json services/trading/
COPY services/notifications/package.json services/notifications/
COPY gateway/package.json gateway/
COPY dashboard/package.json dashboard/
COPY deploy/local/package.json deploy/local/

# ---- build: all dependencies (buf's binary arrives as @bufbuild/buf-linux-<arch>), then
# `npm run build` = `buf generate` (proto -> services/common/src/gen) + `tsc -b`, through
# scripts/node24.sh, which uses the image's own node (24).
# Behind a TLS-intercepting proxy npm trusts the proxy's CA only if it is given: pass the
# host's bundle as an optional build secret (never a layer of the image), e.g.
#   podman build --secret id=npm-ca,src=/etc/ssl/certs/ca-certificates.crt .
# Without the secret (a plain `docker build`) both `npm ci` steps (here and in prod-deps) run exactly as before.
FROM manifests AS build
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=npm-ca,required=false \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi; npm ci
COPY buf.yaml buf.gen.yaml tsconfig.json tsconfig.base.json ./
COPY scripts/node24.sh scripts/install-tools.sh scripts/
COPY proto/ proto/
COPY services/ services/
COPY gateway/ gateway/
COPY dashboard/ dashboard/
COPY deploy/local/ deploy/local/
RUN npm run build

# ---- prod-deps: the same lockfile without devDependencies. The root package has only
# devDependencies, so this is exactly the workspaces' runtime dependencies. Install scripts
# are skipped: no runtime dependency needs one (protobufjs' postinstall is a no-op check,
# ccxt's only prints a banner).
FROM manifests AS prod-deps
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=npm-ca,required=false \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi; \
    npm ci --omit=dev --ignore-scripts

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# node_modules (hoisted; @tbot/* are symlinks into the workspace folders) and package.json files.
COPY --from=prod-deps /app ./
COPY --from=build /app/services/common/dist services/common/dist
COPY --from=build /app/services/billing/dist services/billing/dist
COPY --from=build /app/services/billing/plans.json services/billing/plans.json
COPY --from=build /app/services/trading/dist services/trading/dist
COPY --from=build /app/services/notifications/dist services/notifications/dist
COPY --from=build /app/gateway/dist gateway/dist
# The dashboard's static build, served by the gateway at /app (DASHBOARD_DIR defaults to it).
COPY --from=build /app/dashboard/dist dashboard/dist
# Everything above is owned by root and read-only to the service: it cannot rewrite its code.
# Numeric uid (the image's `node` user) so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080 9465 9466 50051 50052 50053
# Node is PID 1: the services handle SIGTERM/SIGINT themselves (graceful shutdown).
# --max-semi-space-size=16 keeps Node 20's young generation: Node 24 sizes it from the heap
# limit, up to 64 MiB per semi-space, about 100 MiB more RSS per service for nothing.
ENTRYPOINT ["node", "--max-semi-space-size=16", "--require", "@tbot/common/dist/telemetry/register.js"]
CMD ["gateway/dist/main.js"]
