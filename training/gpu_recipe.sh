#!/usr/bin/env bash
# The default model's recipe on one CUDA GPU inside a fixed wall-time budget (a rented or lent
# machine whose speed is not known in advance): autoencoder, pools, then the main UNet, the
# ablation (no task embeddings) and the contour-from-start baseline trained side by side with the
# same settings and budget. Each training phase's learning-rate schedule spans its time budget.
# After each phase the run is packed into OUT (training/carry.py: parts of at most 15 MiB);
# unpack it elsewhere and finish with the CPU recipe (classifier head, evaluation, package, extras):
#
#   /usr/bin/python3 -m training.data write fingerprint.json   # here; carried to the GPU machine
#   FINGERPRINT=fingerprint.json bash training/gpu_recipe.sh RUN OUT [TOTAL_SECONDS=540]
#   /usr/bin/python3 -m training.carry unpack --parts OUT --run training/runs/default
#   /usr/bin/python3 -m training.recipe --run training/runs/default --out models/emu-edit-tiny --extras --pipeline-eval
set -u -o pipefail
RUN=${1:?usage: gpu_recipe.sh RUN OUT [TOTAL_SECONDS]}
OUT=${2:?usage: gpu_recipe.sh RUN OUT [TOTAL_SECONDS]}
TOTAL=${3:-540}
PY=${PYTHON:-python3}
START=$(date +%s)
export PYTHONUNBUFFERED=1 EMUEDIT_TRAIN_THREADS=${EMUEDIT_TRAIN_THREADS:-8}
mkdir -p "$OUT" "$RUN"
DEVICE=${DEVICE:-cuda}  # DEVICE=cpu EXTRA_ARGS=--tiny: a smoke test of this script without a GPU
$PY -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no cuda')" || exit 1
# FINGERPRINT (`python3 -m training.data write` on the machine that evaluates the run): a mismatch
# means this machine's numpy or Pillow makes other training pairs (Pillow >= 10.1's default font
# did once); logged to OUT, not fatal, as in gpu_continue.sh
if [ -n "${FINGERPRINT:-}" ]; then
  [ -e "$FINGERPRINT" ] || { echo "gpu_recipe: FINGERPRINT=$FINGERPRINT is missing" >&2; exit 2; }
  $PY -m training.data check "$FINGERPRINT" 2>&1 | tee "$OUT/log-fingerprint.txt"
fi

# shellcheck disable=SC2206
ARGS=(--run "$RUN" --device "$DEVICE" --vae-steps 1000000 --vae-batch 256 --vae-n-per-task 4000
      --unet-steps 1000000 --unet-batch 256 --unet-lr 8e-4 --unet-warmup 500 --ckpt-every 2000
      --pool-per-task 4000 --extras --parallel-extras ${EXTRA_ARGS:-})
minutes() { $PY -c "print(round(max(0.5, $1 / 60.0), 3))"; }

VAE_MIN=$(minutes $((TOTAL * 22 / 100)))
$PY -m training.recipe "${ARGS[@]}" --vae-minutes "$VAE_MIN" --stop-after vae 2>&1 | tee "$OUT/log-vae.txt"
$PY -m training.carry pack --run "$RUN" --out "$OUT"

ELAPSED=$(( $(date +%s) - START ))
# 90 s for the pools, three processes starting, and the final pack; should the phase still run
# over, the timeout's SIGINT reaches every training process, and each saves its current step
UNET_MIN=$(minutes $((TOTAL - ELAPSED - 90)))
echo "elapsed ${ELAPSED}s: UNet budget ${UNET_MIN} min"
timeout -s INT $((TOTAL - ELAPSED - 15)) \
  $PY -m training.recipe "${ARGS[@]}" --vae-minutes "$VAE_MIN" --unet-budget-minutes "$UNET_MIN" --stop-after train \
  2>&1 | tee "$OUT/log-train.txt"
$PY -m training.carry pack --run "$RUN" --out "$OUT"
echo "total $(( $(date +%s) - START ))s"
