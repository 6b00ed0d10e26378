#!/usr/bin/env bash
# Build the softphone's one-folder bundle (PyInstaller) and its Debian package from this checkout:
#   bash packaging/build.sh
# Writes OUT/softphone/ (the bundle) and OUT/softphone_VERSION-REVISION_ARCH.deb; OUT defaults to
# dist/ in the checkout. The version is pyproject.toml's. Environment:
#   OUT=DIR            where the results go
#   DEB_REVISION=N     the Debian revision (default 1): a rebuild of one version for an upgrade
#   BUNDLE=DIR         package this bundle instead of running PyInstaller again
#   PYTHON=FILE        the Python with PyInstaller (default .venv/bin/python; pip install -e '.[package]')
#   DEB_COMPRESSION=C  dpkg-deb's compressor (default xz: the smallest; gzip: several times faster)
# Everything is built in a temporary folder beside OUT and moved into place only when all of it
# succeeded: a failed build leaves nothing half-written behind.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=${OUT:-$repo/dist}
revision=${DEB_REVISION:-1}
python=${PYTHON:-$repo/.venv/bin/python}

die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf '==> build: %s\n' "$*" >&2; }

# --- build dependencies: each names what to install ------------------------------------------
need() {  # need COMMAND DEBIAN-PACKAGE
    command -v "$1" >/dev/null 2>&1 || die "$1 not found: apt-get install $2"
}
need dpkg-deb dpkg
need dpkg dpkg
need gzip gzip
need ldd libc-bin
need objdump binutils    # PyInstaller reads shared libraries with it
need patchelf patchelf   # drops the build machine's library paths from the bundle
[[ -x $python ]] || die "$python not found: run 'bash scripts/setup.sh', or set PYTHON"
if [[ -z ${BUNDLE:-} ]]; then
    "$python" -c 'import PyInstaller' 2>/dev/null ||
        die "PyInstaller is not installed in $python: $python -m pip install -e '$repo[package]'"
fi
[[ $revision =~ ^[0-9]+$ ]] || die "DEB_REVISION must be a whole number, not '$revision'"

version=$("$python" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
    "$repo/pyproject.toml")
arch=$(dpkg --print-architecture)
deb_version="$version-$revision"
name="softphone_${deb_version}_${arch}.deb"

mkdir -p "$out"
umask 022
tmp=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- the bundle ------------------------------------------------------------------------------
if [[ -n ${BUNDLE:-} ]]; then
    [[ -x $BUNDLE/softphone ]] || die "BUNDLE=$BUNDLE holds no softphone bundle"
    log "packaging the bundle $BUNDLE"
    cp -a "$BUNDLE" "$tmp/bundle"
else
    log "bundling softphone $version with PyInstaller"
    # This checkout first on the path, also for PyInstaller's isolated import of the packages
    # (an editable install of another checkout would otherwise list its modules).
    PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" \
        "$python" -m PyInstaller --noconfirm --log-level WARN --distpath "$tmp/dist" \
        --workpath "$tmp/work" "$here/softphone.spec" </dev/null
    mv "$tmp/dist/softphone" "$tmp/bundle"
fi
chmod -R u+rwX,go+rX,go-w "$tmp/bundle"
find "$tmp/bundle" -type f -name '*.so*' -exec chmod 0644 {} +
# A library search path of the build machine (Python's own prefix, say) has no business on a
# workstation; the bundle finds its libraries through $ORIGIN paths and the system's.
while IFS= read -r -d '' elf; do
    rpath=$(patchelf --print-rpath "$elf" 2>/dev/null) || continue
    kept=$(tr ':' '\n' <<<"$rpath" | grep '^\$ORIGIN' | paste -sd: -) || true
    [[ $kept == "$rpath" ]] && continue
    if [[ -n $kept ]]; then patchelf --set-rpath "$kept" "$elf"; else patchelf --remove-rpath "$elf"; fi
done < <(find "$tmp/bundle" -type f -name '*.so*' -print0)
bundled=$("$tmp/bundle/softphone" --version) || die "the bundle does not start"
[[ $bundled == "softphone $version" ]] || die "the bundle says '$bundled', not 'softphone $version'"

# --- the staged Debian tree ------------------------------------------------------------------
log "staging the Debian package $deb_version"
root=$tmp/root
install -d "$root/opt" "$root/usr/bin" "$root/DEBIAN" "$root/etc/softphone" \
    "$root/usr/share/applications" "$root/usr/share/icons/hicolor/scalable/apps" \
    "$root/usr/share/doc/softphone" "$root/usr/share/man/man1" "$root/usr/share/lintian/overrides"
cp -a "$tmp/bundle" "$root/opt/softphone"
# Stable paths for what the policy names, whatever PyInstaller's layout.
ln -s _internal/resources/disclosure "$root/opt/softphone/disclosure"
install -m 0644 "$repo/resources/policy.example.toml" "$root/opt/softphone/policy.example.toml"
ln -s /opt/softphone/softphone "$root/usr/bin/softphone"
install -m 0644 "$here/debian/policy.toml" "$root/etc/softphone/policy.toml"
install -m 0644 "$here/debian/softphone.desktop" "$root/usr/share/applications/softphone.desktop"
install -m 0644 "$repo/resources/icons/softphone.svg" \
    "$root/usr/share/icons/hicolor/scalable/apps/softphone.svg"
install -m 0644 "$here/debian/copyright" "$root/usr/share/doc/softphone/copyright"
gzip -9n <"$here/debian/softphone.1" >"$root/usr/share/man/man1/softphone.1.gz"
sed "s/@VERSION@/$deb_version/g; s/@DATE@/$(date -R -d "@$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)")/" \
    "$here/debian/changelog" | gzip -9n >"$root/usr/share/doc/softphone/changelog.Debian.gz"
install -m 0644 "$here/debian/lintian-overrides" "$root/usr/share/lintian/overrides/softphone"
chmod 0644 "$root/usr/share/man/man1/softphone.1.gz" "$root/usr/share/doc/softphone/changelog.Debian.gz"

log "finding the Debian packages the bundle's libraries come from"
libraries=$("$python" "$here/depends.py" "$root/opt/softphone") || die "cannot tell the bundle's run-time dependencies"
# Loaded by name at run time (ctypes), so no ELF file names them: the headset (PortAudio, and
# ALSA's pulse device) and the OS keyring (a Secret Service on the session's D-Bus).
depends="$libraries, libportaudio2, libasound2-plugins, gnome-keyring | keepassxc | kwalletmanager"
sed "s/@VERSION@/$deb_version/; s/@ARCH@/$arch/; s/@DEPENDS@/$depends/; s/@SIZE@/$(du -sk --exclude=DEBIAN "$root" | cut -f1)/" \
    "$here/debian/control" >"$root/DEBIAN/control"
printf '/etc/softphone/policy.toml\n' >"$root/DEBIAN/conffiles"
sed "s/@VERSION@/$deb_version/g" "$here/debian/postinst" >"$root/DEBIAN/postinst"
chmod 0755 "$root/DEBIAN/postinst"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
    xargs -0 md5sum) >"$tmp/md5sums"
install -m 0644 "$tmp/md5sums" "$root/DEBIAN/md5sums"

dpkg-deb --root-owner-group "-Z${DEB_COMPRESSION:-xz}" --build "$root" "$tmp/$name" >/dev/null

# --- into place, only now --------------------------------------------------------------------
rm -rf "$out/softphone.old"
[[ -e $out/softphone ]] && mv "$out/softphone" "$out/softphone.old"
mv "$tmp/bundle" "$out/softphone"
rm -rf "$out/softphone.old"
mv "$tmp/$name" "$out/$name"
log "built $out/softphone/ and $out/$name"
printf '%s\n' "$out/$name"
