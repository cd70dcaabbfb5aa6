#!/usr/bin/env bash
# Installs the Debian packages Mitmachkarte needs that are missing (as root), or says
# exactly what to run. Installing happens before any cluster starts: the PostGIS package can
# upgrade postgresql-15 itself, and a server started before that upgrade fails to load plpgsql.
set -euo pipefail

packages=(postgresql-15 postgresql-15-postgis-3 postgresql-contrib gdal-bin libgdal32
          libgeos-c1v5 libproj25 binutils gettext openssl "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them as root, then run make again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
