#!/usr/bin/env bash
# Smoke test of the standalone folder (build.spec):
#   1. build dist/deblur-app/ (skip with --no-build to test an existing folder)
#   2. the frozen `deblur-app deblur` on a small generated photo, with the bundled weights,
#      must give exactly the pixels of the same command run from source
#   2b. a camera RAW photo (a DNG written by tests/rawfiles.py) gives byte-identical 16-bit TIFFs
#      from the frozen app and from source (rawpy and LibRaw bundled, same development)
#   3. the frozen `deblur-app info` finds the bundled weights
#   4. the frozen window starts offscreen: `deblur-app gui --self-test PHOTO` exits 0
#   5. the bundle kept what the frozen app needs at run time (torch's lazy internals, torch_shm_manager)
#   6. one window: a second frozen call hands its photo to the running frozen window and exits
# Usage: scripts/smoke_frozen.sh [--no-build]      exit status 0 = all passed
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then
    . .venv/bin/activate
fi
if [ "${1:-}" != "--no-build" ]; then
    scripts/build_exe.sh
fi
APP="$ROOT/dist/deblur-app/deblur-app"
[ -x "$APP" ] || { echo "smoke: no $APP; build first" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/deblur-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# a private user data/cache folder, so no installed weights or caches take part
export XDG_DATA_HOME="$WORK/data" XDG_CACHE_HOME="$WORK/cache" XDG_CONFIG_HOME="$WORK/config"
export QT_QPA_PLATFORM=offscreen
STEP_TIMEOUT=${SMOKE_STEP_TIMEOUT:-600}
failures=0
pass() { echo "smoke: PASS $*"; }
fail() { echo "smoke: FAIL $*" >&2; failures=$((failures + 1)); }

# the photo: smooth gradients, edges and a little noise, made with numpy (no image files in the repo)
python - "$WORK/photo.png" <<'EOF'
import sys
import numpy as np
from PIL import Image

rng = np.random.default_rng(6)
y, x = np.mgrid[0:96, 0:128].astype(np.float32)
image = np.stack([x / 127, y / 95, 0.5 + 0.4 * np.sin(x / 9) * np.cos(y / 7)], axis=-1)
image[30:60, 40:90] = (0.9, 0.2, 0.1)
image = np.clip(image + rng.normal(0, 0.03, image.shape), 0, 1)
Image.fromarray((image * 255).round().astype(np.uint8)).save(sys.argv[1])
EOF

# --- 2. frozen == source, pixel for pixel (fp32, whole image: no tiling or bf16 differences),
#        with each backend the build holds; separate caches, so the frozen app exports its own ONNX model
BACKENDS=(torch)
if [ "${DEBLUR_BUILD_OPENVINO:-auto}" != 0 ] && python -c 'import openvino, onnx' 2>/dev/null; then
    BACKENDS+=(openvino)
fi
for backend in "${BACKENDS[@]}"; do
    DEBLUR_ARGS=(--device cpu --precision fp32 --tile 0 --backend "$backend")
    start=$(date +%s)
    if XDG_CACHE_HOME="$WORK/cache-source" timeout "$STEP_TIMEOUT" \
            python -m deblur_app deblur "$WORK/photo.png" -o "$WORK/source-$backend.png" "${DEBLUR_ARGS[@]}" \
        && XDG_CACHE_HOME="$WORK/cache-frozen" timeout "$STEP_TIMEOUT" \
            "$APP" deblur "$WORK/photo.png" -o "$WORK/frozen-$backend.png" "${DEBLUR_ARGS[@]}"; then
        if python - "$WORK/source-$backend.png" "$WORK/frozen-$backend.png" <<'EOF'
import sys
import numpy as np
from PIL import Image

source, frozen = (np.asarray(Image.open(path)) for path in sys.argv[1:3])
print(f"smoke: source {source.shape} {source.dtype}, frozen {frozen.shape} {frozen.dtype}")
if source.shape != frozen.shape or not np.array_equal(source, frozen):
    print(f"smoke: outputs differ: max abs difference {np.abs(source.astype(int) - frozen.astype(int)).max()}")
    sys.exit(1)
EOF
        then pass "frozen deblur output ($backend backend) is identical to the source run ($(( $(date +%s) - start )) s)"
        else fail "frozen deblur output ($backend backend) differs from the source run"; fi
    else
        fail "deblur run with the $backend backend failed"
    fi
done

# --- 2b. a camera RAW photo: the frozen app develops it (rawpy + LibRaw bundled) exactly as the source does
if python -c 'import rawpy' 2>/dev/null; then
    PYTHONPATH="$ROOT/tests" python -c 'import sys, rawfiles; rawfiles.write_dng(sys.argv[1], height=96, width=128, orientation=6)' "$WORK/raw.dng"
    RAW_ARGS=(--device cpu --precision fp32 --tile 0 --backend torch)
    if XDG_CACHE_HOME="$WORK/cache-source" timeout "$STEP_TIMEOUT" python -m deblur_app deblur "$WORK/raw.dng" -o "$WORK/raw-source.tif" "${RAW_ARGS[@]}" \
        && XDG_CACHE_HOME="$WORK/cache-frozen" timeout "$STEP_TIMEOUT" "$APP" deblur "$WORK/raw.dng" -o "$WORK/raw-frozen.tif" "${RAW_ARGS[@]}" \
        && cmp -s "$WORK/raw-source.tif" "$WORK/raw-frozen.tif"; then
        pass "frozen deblur of a DNG is byte-identical to the source run (16-bit TIFF)"
    else
        fail "frozen deblur of a DNG failed or differs from the source run"
    fi
else
    echo "smoke: rawpy not installed here; the RAW check is skipped"
fi

# --- 3. info
if info=$(timeout "$STEP_TIMEOUT" "$APP" info 2>&1) && grep -q "dist/deblur-app/_internal/weights/mimo-unet.safetensors" <<<"$info"; then
    pass "frozen info finds the bundled weights"
else
    echo "$info" >&2
    fail "frozen info"
fi
if [ "$("$APP" --version)" = "deblur-app $(python -c 'import deblur_app; print(deblur_app.__version__)')" ]; then
    pass "frozen --version matches the package"
else
    fail "frozen --version"
fi

# --- 4. the window, offscreen
start=$(date +%s)
if timeout "$STEP_TIMEOUT" "$APP" gui --self-test "$WORK/photo.png"; then
    pass "frozen window self-test exited 0 ($(( $(date +%s) - start )) s)"
else
    fail "frozen window self-test (exit $?)"
fi

# --- 5. what the frozen app loads lazily is in the bundle
if python - "$APP" <<'EOF'
import sys
from pathlib import Path

from PyInstaller.archive.readers import CArchiveReader

app = Path(sys.argv[1])
modules = set(CArchiveReader(str(app)).open_embedded_archive("PYZ.pyz").toc)
missing = [name for name in ("torch._dynamo", "torch._inductor", "torch.onnx", "sympy", "deblur_app.cli.startup")
           if name not in modules]
unwanted = [name for name in ("tkinter", "pytest") if name in modules]
internal = app.parent / "_internal"
shm = internal / "torch" / "bin" / "torch_shm_manager"
problems = [f"missing modules {missing}"] * bool(missing) + [f"unwanted modules {unwanted}"] * bool(unwanted)
problems += ["torch_shm_manager missing"] * (not shm.is_file())
# Qt's own translations: exactly qtbase_<language>.qm for each language the window ships, no others
languages = {path.stem.removeprefix("deblur_app_") for path in Path("resources/i18n").glob("deblur_app_*.qm")}
bundled = {path.name for path in (internal / "PySide6" / "Qt" / "translations").glob("*.qm")}
expected = {f"qtbase_{language}.qm" for language in languages}
problems += [f"Qt translations {sorted(bundled)}, expected {sorted(expected)}"] * (bundled != expected)
print("smoke: " + ("; ".join(problems) if problems else f"{len(modules)} modules in the archive"))
sys.exit(1 if problems else 0)
EOF
then pass "bundle contents"
else fail "bundle contents"; fi

# --- 6. one window: a photo opened while the frozen window runs goes to that window (QtNetwork's
#        local socket, gui/single_instance.py); asked from the source side with the same protocol
RUNTIME=$(mktemp -d "${TMPDIR:-/tmp}/dbl-smoke.XXXXXX")  # short: a socket path holds at most 108 bytes
photos_in_window() {
    XDG_RUNTIME_DIR="$RUNTIME" python -c 'import json, sys
from deblur_app.gui.single_instance import ask_running
reply = ask_running({"photos": True})
sys.exit(1) if reply is None else print(json.dumps(reply["photos"]))'
}
XDG_RUNTIME_DIR="$RUNTIME" "$APP" > "$WORK/first-window.log" 2>&1 &
first_window=$!
for _ in $(seq 1 "$STEP_TIMEOUT"); do photos_in_window >/dev/null 2>&1 && break; sleep 1; done
start=$(date +%s%N)
if XDG_RUNTIME_DIR="$RUNTIME" timeout 60 "$APP" "$WORK/photo.png" \
        && [ "$(photos_in_window)" = "[\"$(realpath "$WORK/photo.png")\"]" ]; then
    pass "one window: the second frozen call handed its photo to the first in $(( ($(date +%s%N) - start) / 1000000 )) ms"
else
    cat "$WORK/first-window.log" >&2
    fail "one window: the photo did not reach the running frozen window"
fi
kill "$first_window" 2>/dev/null || true
wait "$first_window" 2>/dev/null || true
rm -rf "$RUNTIME"

echo "smoke: folder size $(du -sh "$ROOT/dist/deblur-app" | cut -f1)"
if [ "$failures" -ne 0 ]; then
    echo "smoke: $failures check(s) failed" >&2
    exit 1
fi
echo "smoke: all checks passed"
