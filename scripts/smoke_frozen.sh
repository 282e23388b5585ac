#!/usr/bin/env bash
# Smoke test of the standalone folder (build.spec):
#   1. build dist/deblur-app/ (skip with --no-build to test an existing folder)
#   2. the frozen `deblur-app deblur` on a small generated photo, with the bundled weights,
#      must give exactly the pixels of the same command run from source: torch fp32, and OpenVINO
#      fp32, bf16 and int8 (a fresh NNCF quantisation) where the build holds them
#   2b. a camera RAW photo (a DNG written by tests/rawfiles.py) gives byte-identical 16-bit TIFFs
#      from the frozen app and from source (rawpy and LibRaw bundled, same development)
#   2c. `deblur-app weights install` in the frozen app, then its deblur with them equals the source's
#   3. the frozen `deblur-app info` finds the bundled weights
#   4. the frozen window starts offscreen: `deblur-app gui --self-test PHOTO` exits 0
#   5. the bundle kept what the frozen app needs at run time (torch's lazy internals, torch_shm_manager,
#      the torch sources read on import) and left out what build.spec cuts (see its comments)
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

# exit 0 when two photos hold the same pixels
same_pixels() {
    python - "$1" "$2" <<'EOF'
import sys
import numpy as np
from PIL import Image

source, frozen = (np.asarray(Image.open(path)) for path in sys.argv[1:3])
print(f"smoke: source {source.shape} {source.dtype}, frozen {frozen.shape} {frozen.dtype}")
if source.shape != frozen.shape or not np.array_equal(source, frozen):
    print(f"smoke: outputs differ: max abs difference {np.abs(source.astype(int) - frozen.astype(int)).max()}")
    sys.exit(1)
EOF
}

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

# --- 2. frozen == source, pixel for pixel (whole image: no tiling differences), with each backend and
#        precision the build holds: torch fp32; OpenVINO fp32, bf16 and int8 (the int8 model made by a
#        fresh NNCF quantisation in each). Separate caches, so the frozen app exports its own ONNX model.
CASES=("torch fp32")
if [ "${DEBLUR_BUILD_OPENVINO:-auto}" != 0 ] && python -c 'import openvino, onnx' 2>/dev/null; then
    CASES+=("openvino fp32" "openvino bf16")
    python -c 'import nncf' 2>/dev/null && CASES+=("openvino int8")
fi
for case in "${CASES[@]}"; do
    read -r backend precision <<<"$case"
    DEBLUR_ARGS=(--device cpu --precision "$precision" --tile 0 --backend "$backend")
    start=$(date +%s)
    if XDG_CACHE_HOME="$WORK/cache-source" timeout "$STEP_TIMEOUT" \
            python -m deblur_app deblur "$WORK/photo.png" -o "$WORK/source-$backend-$precision.png" "${DEBLUR_ARGS[@]}" \
        && XDG_CACHE_HOME="$WORK/cache-frozen" timeout "$STEP_TIMEOUT" \
            "$APP" deblur "$WORK/photo.png" -o "$WORK/frozen-$backend-$precision.png" "${DEBLUR_ARGS[@]}" \
            2> "$WORK/frozen-$backend-$precision.err"; then
        cat "$WORK/frozen-$backend-$precision.err" >&2
        # torch's bytecode goes in without its sources (build.spec): nothing may miss them
        if grep -iE "retrieve source|get source|source code" "$WORK/frozen-$backend-$precision.err"; then
            fail "the frozen app ($backend $precision) looked for Python sources it lacks"
        fi
        if same_pixels "$WORK/source-$backend-$precision.png" "$WORK/frozen-$backend-$precision.png"
        then pass "frozen deblur output ($backend $precision) is identical to the source run ($(( $(date +%s) - start )) s)"
        else fail "frozen deblur output ($backend $precision) differs from the source run"; fi
    else
        cat "$WORK/frozen-$backend-$precision.err" >&2 2>/dev/null || true
        fail "deblur run with $backend $precision failed"
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

# --- 2c. weights install in the frozen app (a seeded MIMO-UNet file; --no-int8-check: the int8 model's
#         NNCF quantisation ran above), then the frozen and the source deblur with those weights agree,
#         and differ from the bundled weights' output (so the installed file was the one used)
PYTHONPATH="$ROOT/tests" python -c 'import sys; from pathlib import Path; from seeded_weights import save_seeded_weights; save_seeded_weights(Path(sys.argv[1]), trained_by="smoke")' "$WORK/seeded"
INSTALLED_ARGS=(--device cpu --precision fp32 --tile 0 --backend torch)
if timeout "$STEP_TIMEOUT" "$APP" weights install "$WORK/seeded/mimo-unet.safetensors" --no-int8-check \
    && "$APP" weights list | grep -q "mimo-unet.user.safetensors" \
    && XDG_CACHE_HOME="$WORK/cache-source" timeout "$STEP_TIMEOUT" \
        python -m deblur_app deblur "$WORK/photo.png" -o "$WORK/source-installed.png" "${INSTALLED_ARGS[@]}" \
    && XDG_CACHE_HOME="$WORK/cache-frozen" timeout "$STEP_TIMEOUT" \
        "$APP" deblur "$WORK/photo.png" -o "$WORK/frozen-installed.png" "${INSTALLED_ARGS[@]}" \
    && same_pixels "$WORK/source-installed.png" "$WORK/frozen-installed.png" \
    && ! same_pixels "$WORK/frozen-installed.png" "$WORK/frozen-torch-fp32.png" >/dev/null; then
    pass "frozen weights install: the installed weights are listed and deblur with them as from source"
else
    fail "frozen weights install, or deblur with the installed weights"
fi
rm -rf "$XDG_DATA_HOME"  # the private user folder: the checks below run with the bundled weights again

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
import shutil
import subprocess
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
# torch: bytecode only, but the modules that read their own source on import keep it (build.spec)
torch_sources = {path.relative_to(internal).as_posix() for path in (internal / "torch").rglob("*.py")}
if "torch/_dynamo/config.py" not in torch_sources or "torch/utils/serialization/config.py" not in torch_sources:
    problems.append("torch's config modules lost their .py source")
if "torch/nn/modules/conv.py" in torch_sources or len(torch_sources) > 20:
    problems.append(f"{len(torch_sources)} torch .py sources bundled, expected only those read on import")
# OpenVINO: the CPU plugin and the ONNX and IR readers, no other framework's reader, no GPU/NPU plugin
openvino_libs = {path.name.split(".so")[0] for path in internal.glob("openvino/libs/*.so*")}
if openvino_libs:
    needed = {"libopenvino_intel_cpu_plugin", "libopenvino_onnx_frontend", "libopenvino_ir_frontend"}
    unwanted_libs = {name for name in openvino_libs if any(part in name for part in (
        "tensorflow", "pytorch", "jax", "paddle", "gguf", "gpu_plugin", "npu_plugin"))}
    problems += [f"OpenVINO lacks {sorted(needed - openvino_libs)}"] * bool(needed - openvino_libs)
    problems += [f"OpenVINO libraries never used {sorted(unwanted_libs)}"] * bool(unwanted_libs)
# the large libraries went in without their symbol tables (build.spec strips them where strip exists)
libtorch = internal / "torch" / "lib" / "libtorch_cpu.so"
if sys.platform.startswith("linux") and shutil.which("strip") and libtorch.is_file():
    sections = subprocess.run(["readelf", "-S", "-W", str(libtorch)], capture_output=True, text=True).stdout
    problems += ["libtorch_cpu.so kept its symbol table"] * (" .symtab " in sections)
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
