#!/usr/bin/env bash
# Build the one-folder standalone app: dist/deblur-app/ (see build.spec).
# Usage: scripts/build_exe.sh            (uses the active Python environment, or .venv/ if present)
# Needs: pip install -e ".[build]"  (PyInstaller), in an environment with the torch you want to ship.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then
    . .venv/bin/activate
fi
python -c "import PyInstaller" 2>/dev/null || { echo "build_exe.sh: PyInstaller missing: pip install -e '.[build]'" >&2; exit 2; }

start=$(date +%s)
python -m PyInstaller --noconfirm --clean --log-level "${PYI_LOG_LEVEL:-WARN}" \
    --distpath dist --workpath build/pyinstaller build.spec
seconds=$(( $(date +%s) - start ))

executable=dist/deblur-app/deblur-app
[ -x "$executable" ] || executable=dist/deblur-app/deblur-app.exe
echo "built $executable in ${seconds} s; folder size: $(du -sh dist/deblur-app | cut -f1)"
