#!/usr/bin/env bash
# Install the softphone on one Linux workstation from a checkout: a virtual environment under
# PREFIX (default /opt/softphone) with the softphone and its resources, and the command on PATH.
# Run as root; idempotent. The admin policy, disclosure audio and recordings folder are placed
# separately, as docs/admin.md ("Deploying to many workstations") describes.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${PREFIX:-/opt/softphone}
bindir=${BINDIR:-/usr/local/bin}

command -v python3 >/dev/null || { echo "install: python3 (3.11) is required" >&2; exit 1; }
version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[[ $version == 3.11 ]] || { echo "install: python3 is $version; 3.11 is required" >&2; exit 1; }

python3 -m venv "$prefix"
"$prefix/bin/python" -m pip install --quiet --upgrade pip </dev/null
"$prefix/bin/python" -m pip install --quiet "$here" </dev/null
# The built-in disclosures and other resources travel inside the installed package.
package=$(cd / && "$prefix/bin/python" -c 'import os, softphone; print(os.path.dirname(softphone.__file__))')
rm -rf "$package/resources"
cp -r "$here/resources" "$package/resources"
install -d "$bindir"
ln -sf "$prefix/bin/softphone" "$bindir/softphone"
echo "installed: $("$bindir/softphone" --help | head -n 1)"
echo "next: put /etc/softphone/policy.toml in place and run 'softphone config check' and"
echo "'softphone selftest' as an agent (docs/admin.md)"
