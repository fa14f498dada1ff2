#!/usr/bin/env bash
# Generates the Python stubs (messages, gRPC, mypy .pyi) into libs/src, the descriptor set
# Envoy's transcoder reads into build/, and the SPA's API types (web/src/api/types.gen.ts).
# The one way generated code is made; never edit it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export PATH="$(dirname "$PY"):$PATH"
SITE=$($PY -c 'import google.api.annotations_pb2 as m, pathlib; print(pathlib.Path(m.__file__).parents[2])')
OUT=libs/src
mkdir -p build
protos=$(find protos -name '*.proto' | sort)
for svc in identity jobs extraction ai; do
  rm -rf "$OUT/careervault/$svc"
done
$PY -m grpc_tools.protoc -I protos -I "$SITE" \
  --python_out="$OUT" --grpc_python_out="$OUT" \
  --mypy_out="$OUT" --mypy_grpc_out="$OUT" \
  $protos
for svc in identity jobs extraction ai; do
  touch "$OUT/careervault/$svc/__init__.py" "$OUT/careervault/$svc/v1/__init__.py"
done
# Every google/* import travels with the set (Envoy cannot resolve them itself), and the rich
# error details are added so Envoy renders them as JSON.
$PY -m grpc_tools.protoc -I protos -I "$SITE" --include_imports --include_source_info \
  --descriptor_set_out=build/careervault.pb \
  $protos google/rpc/error_details.proto google/rpc/status.proto
# A copy of the google/* protos the API imports, for `buf lint` (no registry access here).
rm -rf build/protodeps && mkdir -p build/protodeps/google
for d in api type rpc; do
  mkdir -p build/protodeps/google/$d
  cp "$SITE"/google/$d/*.proto build/protodeps/google/$d/
done
# The SPA's TypeScript types for the REST JSON (not committed, like the stubs).
$PY scripts/gen_ts.py --descriptor build/careervault.pb --out web/src/api/types.gen.ts >/dev/null
$PY scripts/gen_openapi.py --descriptor build/careervault.pb --out build/openapi.json >/dev/null
echo "generated: $OUT/careervault/{identity,jobs,extraction,ai}/v1, build/careervault.pb, web/src/api/types.gen.ts"
