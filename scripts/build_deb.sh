#!/usr/bin/env bash
# Package the standalone folder (dist/deblur-app/, scripts/build_exe.sh) as a Debian package.
#
#   scripts/build_deb.sh [--dist DIR] [--out DIR]        -> OUT/deblur-app_VERSION_ARCH.deb
#
# Layout: the folder as it is in /opt/deblur-app (PyInstaller finds its _internal/ beside the
# executable), /usr/bin/deblur-app a symlink to it, and from resources/linux/ the desktop entry,
# the hicolor icons and the AppStream metainfo under /usr/share. No maintainer scripts: Debian's
# hicolor-icon-theme, desktop-file-utils and shared-mime-info refresh their caches by dpkg triggers.
#
# Depends is measured, not guessed: ldd on every ELF file of the folder (with the folder's own
# library directories on the path, as the frozen app has them), and every library found outside
# the folder is named by its Debian package (dpkg -S), or by the table below where the library
# is not installed on the building machine. libc6 gets the newest GLIBC_ symbol version referenced.
# The measurement is written next to the package (deblur-app_VERSION_ARCH.depends.txt).
#
# Environment: DEB_COMPRESSION (dpkg-deb -Z: zstd, xz, gzip, none; default zstd), DEB_MAINTAINER.
# zstd: the 1,009 MB folder became a 350 MB package in 39 s (nice 10, 2 shared cores; the earlier
# 1.2 GB folder 393 MB in 158 s under load); xz had not finished after 20 minutes there. Every
# dpkg that can run the folder (Debian 12, Ubuntu 23.04 and later: glibc 2.36) reads zstd packages.
# Needs: dpkg-deb, ldd (Debian/Ubuntu). Version: deblur_app/__init__.py.
set -euo pipefail
umask 022  # the packaged files are world-readable whatever the caller's umask
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIST="$ROOT/dist/deblur-app"
OUT="$ROOT/dist"
while [ $# -gt 0 ]; do
    case "$1" in
        --dist) DIST=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build_deb.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

APP_ID=io.github.deblur_app.Deblur
PACKAGE=deblur-app
LINUX="$ROOT/resources/linux"
die() { echo "build_deb.sh: $*" >&2; exit 1; }
for tool in dpkg-deb ldd; do command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install dpkg libc-bin)"; done
[ -x "$DIST/$PACKAGE" ] || die "no executable $DIST/$PACKAGE; build the folder first (scripts/build_exe.sh)"
DIST=$(cd "$DIST" && pwd)
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)

# PEP 440 -> Debian: pre-releases sort before the release with "~" (0.2.0rc1 -> 0.2.0~rc1)
python_version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$ROOT/deblur_app/__init__.py")
[ -n "$python_version" ] || die "no __version__ in deblur_app/__init__.py"
VERSION=$(sed -E 's/\.?(dev|a|b|rc)([0-9]*)/~\1\2/' <<<"$python_version")
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
DEB="$OUT/${PACKAGE}_${VERSION}_${ARCH}.deb"

# staged beside the package: on the folder's file system the 1 GB folder is hard-linked, not copied
STAGE=$(mktemp -d "$OUT/.deb-stage.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
PKG="$STAGE/root"

# --- the files
mkdir -p "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications" "$PKG/usr/share/metainfo" \
         "$PKG/usr/share/icons/hicolor/scalable/apps" "$PKG/usr/share/doc/$PACKAGE" "$PKG/DEBIAN"
cp -al "$DIST" "$PKG/opt/$PACKAGE" 2>/dev/null || { rm -rf "${PKG:?}/opt/$PACKAGE"; cp -a "$DIST" "$PKG/opt/$PACKAGE"; }
# relative, so the package also works unpacked anywhere (dpkg -x into a scratch root)
ln -s "../../opt/$PACKAGE/$PACKAGE" "$PKG/usr/bin/$PACKAGE"
install -m 644 "$LINUX/$APP_ID.desktop" "$PKG/usr/share/applications/"
install -m 644 "$LINUX/$APP_ID.metainfo.xml" "$PKG/usr/share/metainfo/"
install -m 644 "$ROOT/resources/icons/deblur-app.svg" "$PKG/usr/share/icons/hicolor/scalable/apps/$APP_ID.svg"
for png in "$LINUX"/icons/hicolor/*/apps/"$APP_ID".png; do
    size_dir=$(basename "$(dirname "$(dirname "$png")")")
    install -D -m 644 "$png" "$PKG/usr/share/icons/hicolor/$size_dir/apps/$APP_ID.png"
done
cat > "$PKG/usr/share/doc/$PACKAGE/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: deblur_app

Files: *
Copyright: The deblur_app maintainers
License: MIT

Files: opt/deblur-app/_internal/*
Comment: Python, PyTorch, Qt (PySide6), OpenVINO, NumPy, Pillow, OpenCV and the other bundled
 components keep their own licences; the licence files that ship with them are in
 /opt/deblur-app/_internal (their *.dist-info folders). The bundled weights are described in
 /opt/deblur-app/_internal/weights.

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this software
 and associated documentation files (the "Software"), to deal in the Software without
 restriction, including without limitation the rights to use, copy, modify, merge, publish,
 distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
 Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or
 substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
 BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
 NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
 DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
EOF

# --- Depends, measured
# Debian package of a library by its soname, where the library is not installed here to ask dpkg
# (Qt's xcb and wayland platform plugins link these; a build machine often has no X libraries).
known_package() {
    case "$1" in
        libxcb.so.*) echo libxcb1 ;;
        libxcb-cursor.so.*) echo libxcb-cursor0 ;;
        libxcb-icccm.so.*) echo libxcb-icccm4 ;;
        libxcb-image.so.*) echo libxcb-image0 ;;
        libxcb-keysyms.so.*) echo libxcb-keysyms1 ;;
        libxcb-render-util.so.*) echo libxcb-render-util0 ;;
        libxcb-util.so.*) echo libxcb-util1 ;;
        libxcb-xinerama.so.*) echo libxcb-xinerama0 ;;
        libxcb-xinput.so.*) echo libxcb-xinput0 ;;
        libxcb-xkb.so.*) echo libxcb-xkb1 ;;
        libxcb-*.so.*) soname=${1%%.so.*}; echo "${soname//_/-}${1##*.so.}" ;;  # libxcb-randr.so.0 -> libxcb-randr0
        libxkbcommon.so.*) echo libxkbcommon0 ;;
        libxkbcommon-x11.so.*) echo libxkbcommon-x11-0 ;;
        libX11.so.*) echo libx11-6 ;;
        libX11-xcb.so.*) echo libx11-xcb1 ;;
        libEGL.so.*) echo libegl1 ;;
        libGL.so.*) echo libgl1 ;;
        libOpenGL.so.*) echo libopengl0 ;;
        libGLX.so.*) echo libglx0 ;;
        libwayland-client.so.*) echo libwayland-client0 ;;
        libwayland-cursor.so.*) echo libwayland-cursor0 ;;
        libwayland-egl.so.*) echo libwayland-egl1 ;;
        libfontconfig.so.*) echo libfontconfig1 ;;
        libfreetype.so.*) echo libfreetype6 ;;
        libdbus-1.so.*) echo libdbus-1-3 ;;
        libglib-2.0.so.*|libgthread-2.0.so.*|libgobject-2.0.so.*|libgio-2.0.so.*) echo libglib2.0-0 ;;
        libgssapi_krb5.so.*) echo libgssapi-krb5-2 ;;
        libz.so.*) echo zlib1g ;;
        *) return 1 ;;
    esac
}

# the folder's own library directories, as the frozen app's loader sees them
library_path=$(find "$DIST" -name '*.so*' -type f -printf '%h\n' | sort -u | paste -sd: -)
dist_real=$(realpath "$DIST")
MEASURE="$STAGE/measure"
: > "$MEASURE.libs"
: > "$MEASURE.missing"
# Qt loads a platform theme plugin only on its desktop and skips it quietly when its libraries are
# missing (libqgtk3.so links GTK 3): what those plugins link is no dependency of the package.
OPTIONAL_PLUGINS="*/PySide6/Qt/plugins/platformthemes/*"
while IFS= read -r -d '' file; do
    # shellcheck disable=SC2254
    case "$file" in $OPTIONAL_PLUGINS) continue ;; esac
    head -c 4 "$file" 2>/dev/null | grep -q $'^\x7fELF' || continue
    LD_LIBRARY_PATH="$library_path" ldd "$file" 2>/dev/null | while read -r soname arrow target _; do
        if [ "$arrow" = "=>" ] && [ "$target" = "not" ]; then
            echo "$soname" >> "$MEASURE.missing"
        elif [ "$arrow" = "=>" ] && [ -e "$target" ]; then
            case "$(realpath "$target")" in "$dist_real"/*) ;; *) echo "$target" >> "$MEASURE.libs" ;; esac
        fi
    done
done < <(find "$DIST" -type f \( -name '*.so*' -o -perm -u+x \) -print0)

owner_of() {  # the package holding a library file (merged /usr: dpkg may know either path)
    local path=$1 candidate
    for candidate in "$path" "$(realpath "$path")" "/usr${path#/usr}" "${path#/usr}"; do
        dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1 && return 0
    done
    return 1
}
: > "$MEASURE.packages"
: > "$MEASURE.unknown"
for library in $(sort -u "$MEASURE.libs"); do
    package=$(owner_of "$library" || known_package "$(basename "$library")" || true)
    if [ -n "$package" ]; then echo "$package" >> "$MEASURE.packages"; else echo "$library" >> "$MEASURE.unknown"; fi
done
for soname in $(sort -u "$MEASURE.missing"); do
    case "$soname" in libQt6*|libpyside6*|libshiboken6*) continue ;; esac  # plugins for Qt modules left out of the bundle
    if package=$(known_package "$soname"); then echo "$package" >> "$MEASURE.packages"; else echo "$soname" >> "$MEASURE.unknown"; fi
done
glibc=$(find "$DIST" -type f -name '*.so*' -o -type f -perm -u+x | xargs -d '\n' grep -aoh 'GLIBC_2\.[0-9]\+' 2>/dev/null | sort -uV | tail -1 || true)
depends=""
for package in $(sort -u "$MEASURE.packages"); do
    case "$package" in libc6) continue ;; esac  # added below with its version
    depends="$depends, $package"
done
depends="libc6${glibc:+ (>= ${glibc#GLIBC_})}$depends"
{
    echo "Depends: $depends"
    echo "# libraries outside the folder, by ldd on $(find "$DIST" -type f | wc -l) files of $DIST:"
    sort -u "$MEASURE.libs" | sed 's/^/#   /'
    echo "# libraries not installed here, named by the table in build_deb.sh:"
    sort -u "$MEASURE.missing" | grep -v '^libQt6\|^libpyside6\|^libshiboken6' | sed 's/^/#   /' || true
} > "${DEB%.deb}.depends.txt"
if [ -s "$MEASURE.unknown" ]; then
    echo "build_deb.sh: warning: no Debian package known for: $(sort -u "$MEASURE.unknown" | paste -sd' ' -)" >&2
fi

# --- control
installed_kb=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
cat > "$PKG/DEBIAN/control" <<EOF
Package: $PACKAGE
Version: $VERSION
Architecture: $ARCH
Maintainer: ${DEB_MAINTAINER:-The deblur_app maintainers <deblur-app@users.noreply.github.com>}
Installed-Size: $installed_kb
Depends: $depends
Section: graphics
Priority: optional
Homepage: https://github.com/deblur-app/deblur_app
Description: remove camera shake and motion blur from photos
 Deblur runs the MIMO-UNet network (Cho et al., ICCV 2021) on photos spoiled by
 camera shake or motion blur, in a desktop window or from the command line
 (deblur-app --help). This is the standalone build: Python, PyTorch, Qt and the
 starter weights are bundled in /opt/deblur-app.
EOF

dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-zstd}" --build "$PKG" "$DEB" >/dev/null
echo "built $DEB ($(du -h "$DEB" | cut -f1), installed $((installed_kb / 1024)) MB)"
echo "Depends: $depends"
