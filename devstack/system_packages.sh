#!/usr/bin/env bash
# Installs the Debian packages docchat's set-up and tests need, when they are missing:
# python3-venv (Debian splits venv out of Python), Chromium for the browser tests, and a
# colour emoji font, without which Chromium draws reactions as empty boxes.
# As root it runs apt-get; otherwise it says what to install and stops.
set -euo pipefail

missing=()
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=("python3-venv")
command -v chromium >/dev/null 2>&1 || missing+=("chromium")
[[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]] || missing+=("fonts-noto-color-emoji")

((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "docchat needs these Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
