#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine: native libraries OpenCV and the tests need, then the models.
set -euo pipefail
cd "$(dirname "$0")/.."

# libgtk-3-0: OpenCvSharp's official Linux runtime links against it.
# redis-server: the cluster-mode tests start a real one on a free loopback port.
# chromium, chromium-driver: the console's tests drive a real headless browser.
packages=(libgtk-3-0 redis-server chromium chromium-driver)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# The README check validates each example's answer against /openapi/v1.json (python3-jsonschema) and lints the
# document with the Redocly CLI pinned in tools/openapi-lint (npm); either may come from elsewhere than apt.
python3 -c "import jsonschema" 2>/dev/null || missing+=(python3-jsonschema)
command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to apt-get install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null || ! dotnet --list-sdks | grep -q '^10\.'; then
  echo "setup: the .NET 10 SDK is required: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
  exit 1
fi

# Copies from ../shared/models when present, otherwise downloads from the original sources; verifies sha256.
python3 models/provision.py
