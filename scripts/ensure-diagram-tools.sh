#!/usr/bin/env bash
# Diagrams are laid out by Graphviz's dot (`draw`, the training report), and their tests load the pages in Debian's
# headless Chromium. Where either is missing and we are root with apt, install it; otherwise those tests skip and
# say why. Never fails the build.
set -uo pipefail
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "${missing[*]} not installed (and not root with apt): the diagram checks will skip." >&2
  exit 0
fi
echo "Installing ${missing[*]} for diagrams and their checks..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
    || echo "Could not install ${missing[*]}: the diagram checks will skip." >&2
fi
exit 0
