#!/usr/bin/env bash
# Continue training the shipped UNet on one CUDA GPU inside a fixed wall-time budget, instead of
# training a new model from nothing (gpu_recipe.sh): the autoencoder of the package is already at
# its ceiling (99.4%), so all of the device time goes to UNet steps. BASE is a run rebuilt from
# the package on this machine and carried to the GPU machine (its checkpoints are git-ignored):
#
#   /usr/bin/python3 -m training.from_package --package models/emu-edit-tiny --run training/runs/pkg
#   /usr/bin/python3 -m training.data write training/runs/pkg/data_fingerprint.json   # checked there
#   # on the GPU machine (BASE carried there):
#   bash training/gpu_continue.sh training/runs/pkg RUN OUT [TOTAL_SECONDS=540]
#   # back here: unpack, decoder and classifier redone, val comparison with the shipped model
#   /usr/bin/python3 -m training.finish_continue --parts OUT --run training/runs/cont \
#       --base training/runs/pkg --decoder-from PREV   # PREV: training/README.md
#
# RUN gets BASE's autoencoder, tokenizer and scaling factor and a new unet.pt started from BASE's
# weights (fresh optimizer, cosine schedule over the budget); OUT gets RUN packed in parts of at
# most 15 MiB (training/carry.py). Settings: BATCH (auto: train_unet times a few steps at each of
# BATCH_CANDIDATES, default 256,512,1024,2048, and keeps the smallest unless a larger one trains
# 1.2x the samples per second: this model is launch-bound on a GPU), LR (3e-4), WARMUP (200), N_PER_TASK
# (4000), UNET_SECONDS (the training budget; default TOTAL - 120 s for the pool, start-up and
# packing), EXTRA_ARGS (e.g. --task-weight text=2), DEVICE (cuda; cpu for a smoke test).
# LOW_SECONDS (default 0: off) adds a second phase after the first is packed: the result trained on
# at low noise only (LOW_T, default 0:500; LOW_LR 1e-4, LOW_WARMUP 50, same batch, pool and
# EXTRA_ARGS) into RUN-low, packed into OUT/low. training.probe found the weak tasks spoiled mostly
# below t = 500, and on the CPU such a phase after an all-timestep one lifted sketch, while training
# above t = 500 alone cost detect and texture (docs/model-card.md): so it only ever follows an
# all-timestep phase. Both results come back, to be compared on val; phase 1 is packed first so
# that it survives should phase 2 run out of time. Its time comes out of UNET_SECONDS's default.
set -u -o pipefail
BASE=${1:?usage: gpu_continue.sh BASE RUN OUT [TOTAL_SECONDS]}
RUN=${2:?usage: gpu_continue.sh BASE RUN OUT [TOTAL_SECONDS]}
OUT=${3:?usage: gpu_continue.sh BASE RUN OUT [TOTAL_SECONDS]}
TOTAL=${4:-540}
PY=${PYTHON:-python3}
START=$(date +%s)
export PYTHONUNBUFFERED=1 EMUEDIT_TRAIN_THREADS=${EMUEDIT_TRAIN_THREADS:-8}
DEVICE=${DEVICE:-cuda}
for f in unet.pt vae.pt vae_eval.json tokenizer/vocab.json tokenizer/merges.txt; do
  [ -e "$BASE/$f" ] || { echo "gpu_continue: $BASE/$f is missing (make BASE with training.from_package)" >&2; exit 2; }
done
LOW_SECONDS=${LOW_SECONDS:-0}
case "$LOW_SECONDS" in
  ''|*[!0-9]*) echo "gpu_continue: LOW_SECONDS must be a whole number of seconds, got '$LOW_SECONDS'" >&2; exit 2 ;;
esac
LOW_RUN="$RUN-low"
WILL_WRITE=("$RUN")
[ "$LOW_SECONDS" -gt 0 ] && WILL_WRITE+=("$LOW_RUN")
for r in "${WILL_WRITE[@]}"; do
  [ -e "$r/unet.pt" ] && { echo "gpu_continue: $r/unet.pt exists; give a new RUN" >&2; exit 2; }
done
left() { echo $((TOTAL - 15 - ($(date +%s) - START))); }   # seconds of TOTAL left, less a margin to exit
minutes() { $PY -c "print(round(max(0.02, $1 / 60.0), 3))"; }
seed_run() {  # the frozen parts a UNet run needs: autoencoder, its eval, tokenizer
  cp "$1/vae.pt" "$1/vae_eval.json" "$2/" && cp -r "$1/tokenizer" "$2/"
}
$PY -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no cuda')" || exit 1
mkdir -p "$RUN" "$OUT"
# BASE/data_fingerprint.json (`python3 -m training.data write` where the run is evaluated): a
# mismatch means this machine's numpy or Pillow makes other training pairs; logged, not fatal
if [ -e "$BASE/data_fingerprint.json" ]; then
  $PY -m training.data check "$BASE/data_fingerprint.json" 2>&1 | tee "$OUT/log-fingerprint.txt"
fi
seed_run "$BASE" "$RUN"

LOW_OVERHEAD=45  # phase 2's start-up (the pool is linked, not rebuilt) and its packing
UNET_SECONDS=${UNET_SECONDS:-$((TOTAL - 120 - (LOW_SECONDS > 0 ? LOW_SECONDS + LOW_OVERHEAD : 0)))}
MIN=$(minutes "$UNET_SECONDS")
echo "UNet budget ${MIN} min"
if [ "$(left)" -lt 5 ]; then  # `timeout 0` would mean no limit at all
  echo "gpu_continue: TOTAL_SECONDS=$TOTAL leaves no time to train after start-up" >&2
  exit 2
fi
# should the phase run over, the timeout's SIGINT makes the trainer save its current step
# shellcheck disable=SC2086
timeout -s INT "$(left)" \
  $PY -m training.train_unet --run "$RUN" --name unet --init-from "$BASE/unet.pt" --device "$DEVICE" \
    --steps 1000000 --budget-minutes "$MIN" --batch "${BATCH:-auto}" --batch-candidates "${BATCH_CANDIDATES:-256,512,1024,2048}" --lr "${LR:-3e-4}" --warmup "${WARMUP:-200}" \
    --n-per-task "${N_PER_TASK:-4000}" --ckpt-every 2000 ${EXTRA_ARGS:-} 2>&1 | tee "$OUT/log-continue.txt"
$PY -m training.carry pack --run "$RUN" --out "$OUT"
echo "phase 1 done at $(( $(date +%s) - START ))s"

if [ "$LOW_SECONDS" -gt 0 ] && [ "$(left)" -lt 30 ]; then
  # `timeout 0` would mean no limit at all: a phase 2 without time is skipped, phase 1 is packed
  echo "gpu_continue: $(left)s left of TOTAL, the low-noise phase is skipped" >&2
elif [ "$LOW_SECONDS" -gt 0 ]; then
  mkdir -p "$LOW_RUN" "$OUT/low"
  seed_run "$RUN" "$LOW_RUN"
  ln -sf "$(cd "$RUN" && pwd)/pool.pt" "$LOW_RUN/pool.pt"
  LOW_BATCH=$($PY -c "from training.common import load_ckpt; print(load_ckpt('$RUN/unet.pt')['batch'])")
  LOW_MIN=$(minutes "$LOW_SECONDS")
  echo "low-noise phase: ${LOW_MIN} min, t ${LOW_T:-0:500}, batch $LOW_BATCH"
  # shellcheck disable=SC2086
  timeout -s INT "$(left)" \
    $PY -m training.train_unet --run "$LOW_RUN" --name unet --init-from "$RUN/unet.pt" --device "$DEVICE" \
      --steps 1000000 --budget-minutes "$LOW_MIN" --batch "$LOW_BATCH" --lr "${LOW_LR:-1e-4}" --warmup "${LOW_WARMUP:-50}" \
      --t-range "${LOW_T:-0:500}" --n-per-task "${N_PER_TASK:-4000}" --ckpt-every 2000 ${EXTRA_ARGS:-} 2>&1 | tee "$OUT/low/log-continue.txt"
  $PY -m training.carry pack --run "$LOW_RUN" --out "$OUT/low"
fi
echo "total $(( $(date +%s) - START ))s"
