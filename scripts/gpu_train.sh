#!/bin/bash
# A prepared training session on a lent GPU machine (no network there).
#
#   scripts/gpu_train.sh prepare PHOTOS_DIR   # here: compact photo copy + validation set into .gpu_data/
#   bash scripts/gpu_train.sh run             # there (carry .gpu_data): CUDA tests, then train
#
# "run" sizes the training to BUDGET seconds of wall time (default 545) so the results come
# back inside one 10-minute command; INIT=weights file to continue from (default: the
# shipped weights; INIT= for a fresh start). Results land in $OUT: best.safetensors,
# log.csv, train.log, cuda_tests.txt.
set -o pipefail
case "$1" in
prepare)
    photos=${2:?photo folder built by deblur-app train prepare-photos}
    [ -f "$photos/manifest.csv" ] || python -m deblur_app train prepare-photos "$photos"
    python -c "import sys; from pathlib import Path; from deblur_app.training.photoset import export_compact; export_compact(Path(sys.argv[1]), Path('.gpu_data'))" "$photos"
    python -m deblur_app train make-valset --photos "$photos/val" --out .gpu_data/validation.npz
    grep -qx '/.gpu_data/' .git/info/exclude 2>/dev/null || echo '/.gpu_data/' >> .git/info/exclude
    du -sh .gpu_data
    ;;
run)
    started=$(date +%s)
    export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
    timeout 120 python3 -m pytest tests/test_cuda.py tests/test_conformance.py -q -p no:cacheprovider -o addopts="" 2>&1 \
        | tail -15 | tee "$OUT/cuda_tests.txt"
    elapsed=$(( $(date +%s) - started ))
    hours=$(python3 -c "print(max(0.02, (${BUDGET:-545} - $elapsed - 45) / 3600))")
    init=${INIT-weights/mimo-unet.safetensors}
    echo "training for $hours h from ${init:-scratch}"
    timeout -s INT "$(python3 -c "print(int($hours * 3600 + 40))")" python3 -m deblur_app train \
        --data .gpu_data --run-dir "$OUT/run" --model "${MODEL:-mimo-unet}" --crop 256 --batch "${BATCH:-32}" \
        --lr "${LR:-3e-4}" --lr-min 1e-5 --warmup-steps 200 --hours "$hours" --checkpoint-minutes 100 \
        ${init:+--init "$init"} --validation .gpu_data/validation.npz --val-minutes 1.5 --workers 15 \
        --device cuda > "$OUT/train.log" 2>&1
    rm -f "$OUT/run/state.pt"  # over the 16 MB return limit; best/last.safetensors carry the weights
    tail -4 "$OUT/train.log"
    ;;
*)
    sed -n 2,11p "$0"; exit 2 ;;
esac
