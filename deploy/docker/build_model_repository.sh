#!/bin/sh
# Builds the Triton model repositories that `videocls-server convert` writes, one folder per
# target: OUTPUT_DIR/onnxruntime (CPU: native onnxruntime backend) and OUTPUT_DIR/tensorrt
# (GPU: ONNX + build_engine.sh per network step; the plan is built on the GPU node).
#
# Used by the Dockerfile's `models` stage (the default: repositories baked into the image) and
# by the convert-at-startup init container (deploy/k8s/components/convert-at-startup).
#
# Environment (all optional):
#   MODELS              PaddleX model names (default: the three official ones)
#   TARGETS             converter targets (default: "onnxruntime tensorrt")
#   MAX_BATCH_SIZE, INSTANCES, DECODE_INSTANCES, DECODE_THREADS, INTRA_OP_THREADS,
#   MAX_QUEUE_DELAY_US  forwarded to `videocls-server convert` when set (unset or empty: the
#                       converter's defaults for the target, see docs/performance.md)
#   MODEL_SOURCE_DIR    folder holding <name>_infer.tar files (air-gapped builds); models not
#                       found there are downloaded once from the official PaddleX URL, or from
#                       $VIDEOCLS_OFFICIAL_MODEL_BASE_URL when set (a mirror)
set -eu

out=${1:?usage: build_model_repository.sh OUTPUT_DIR}
MODELS=${MODELS:-"PP-TSM-R50_8frames_uniform PP-TSMv2-LCNetV2_8frames_uniform PP-TSMv2-LCNetV2_16frames_uniform"}
TARGETS=${TARGETS:-"onnxruntime tensorrt"}
MODEL_SOURCE_DIR=${MODEL_SOURCE_DIR:-}

# The serving options that are set, as `videocls-server convert` flags.
set --
for pair in MAX_BATCH_SIZE:--max-batch-size INSTANCES:--instances \
    DECODE_INSTANCES:--decode-instances DECODE_THREADS:--decode-threads \
    INTRA_OP_THREADS:--intra-op-threads MAX_QUEUE_DELAY_US:--max-queue-delay-us; do
    value=$(eval "printf '%s' \"\${${pair%%:*}:-}\"")
    if [ -n "$value" ]; then
        set -- "$@" "${pair#*:}" "$value"
    fi
done

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM

for model in $MODELS; do
    archive="$scratch/${model}_infer.tar"
    if [ -n "$MODEL_SOURCE_DIR" ] && [ -f "$MODEL_SOURCE_DIR/${model}_infer.tar" ]; then
        archive="$MODEL_SOURCE_DIR/${model}_infer.tar"
    else
        # Download once, convert once per target from the local archive.
        python3 - "$model" "$archive" <<'EOF'
import shutil
import sys
import urllib.request

from videocls_repository.convert.source import official_url

url = official_url(sys.argv[1])
print(f"downloading {url}", flush=True)
with urllib.request.urlopen(url, timeout=300) as response, open(sys.argv[2], "wb") as out:
    shutil.copyfileobj(response, out, 1 << 20)
EOF
    fi
    for target in $TARGETS; do
        videocls-server convert "$archive" --model-repository "$out/$target" \
            --target "$target" "$@"
    done
done
find "$out" -maxdepth 2 -type d | sort
