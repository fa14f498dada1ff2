#!/bin/sh
# Installs one CareerVault service and only its locked dependencies, non-editable, into a venv
# (/app/.venv in the images; tests/deploy runs this same script into temporary venvs).
#
#   deploy/docker/build-venv.sh SERVICE [UV_SYNC_OPTION...]   (identity, jobs, extraction, ai)
#
# Run from the repository root, after scripts/gen.sh: a non-editable install copies libs/src,
# generated stubs included, into the venv at this moment. The import at the end fails the build,
# not the container, when the service or its stubs are missing.
set -eu
service=${1:?usage: build-venv.sh SERVICE [UV_SYNC_OPTION...]}
shift
export UV_PROJECT_ENVIRONMENT="${UV_PROJECT_ENVIRONMENT:-/app/.venv}"
uv sync --locked --no-dev --no-editable --package "careervault-${service}" "$@"
"${UV_PROJECT_ENVIRONMENT}/bin/python" -c "import careervault_${service}.__main__, careervault.${service}.v1"
