#!/usr/bin/env bash
# Makes sure the system libstdc++ exports GLIBCXX_3.4.32, which TorchSharp's native
# library (libLibTorchSharp.so, 0.107) needs. Debian 12 ships GLIBCXX_3.4.30.
#
# Idempotent: does nothing when libstdc++ is already new enough (Ubuntu 24.04+,
# Debian 13+, Fedora 39+), on macOS and on Windows.
# On Debian 12 (as root) it installs libstdc++6 from Debian 13 "trixie", pinned at
# priority 100 so no other package moves unless libstdc++6 needs it. The mirror URI
# is read from the machine's existing apt sources; none is written here.
set -euo pipefail

required=GLIBCXX_3.4.32

find_libstdcxx() {
  local candidates=(
    /usr/lib/x86_64-linux-gnu/libstdc++.so.6
    /usr/lib/aarch64-linux-gnu/libstdc++.so.6
    /usr/lib64/libstdc++.so.6
    /usr/lib/libstdc++.so.6
  )
  for f in "${candidates[@]}"; do
    if [ -e "$f" ]; then echo "$f"; return 0; fi
  done
  return 1
}

has_symbol() {
  # grep -a works on the binary without needing binutils' strings.
  grep -aq "$required" "$1"
}

if [ "$(uname -s)" != "Linux" ]; then
  exit 0
fi

lib=$(find_libstdcxx) || { echo "ensure-libstdcxx: no libstdc++.so.6 found; nothing to do" >&2; exit 0; }
if has_symbol "$lib"; then
  exit 0
fi

if [ ! -r /etc/os-release ] || ! grep -q '^ID=debian' /etc/os-release; then
  echo "ensure-libstdcxx: $lib lacks $required and this is not Debian." >&2
  echo "  Install libstdc++ from GCC 13 or newer with your distribution's package manager." >&2
  exit 1
fi
if [ "$(id -u)" != "0" ]; then
  echo "ensure-libstdcxx: $lib lacks $required; run this script as root (sudo $0)." >&2
  exit 1
fi

# Reuse the URI of the existing Debian source (deb822 or one-line format).
uri=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
  uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)
fi
if [ -z "$uri" ]; then
  echo "ensure-libstdcxx: could not find the Debian mirror URI in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list." >&2
  exit 1
fi

echo "ensure-libstdcxx: $lib lacks $required; installing libstdc++6 from Debian trixie (pinned low)..." >&2
cat > /etc/apt/sources.list.d/trixie.sources <<SRC
Types: deb
URIs: $uri
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat > /etc/apt/preferences.d/trixie-pin <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o Dpkg::Use-Pty=0 >/dev/null
apt-get install -y -qq -t trixie -o Dpkg::Use-Pty=0 libstdc++6 >/dev/null

lib=$(find_libstdcxx)
if ! has_symbol "$lib"; then
  echo "ensure-libstdcxx: installed libstdc++6 from trixie but $lib still lacks $required." >&2
  exit 1
fi
echo "ensure-libstdcxx: $lib now provides $required." >&2
