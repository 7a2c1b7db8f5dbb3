#!/usr/bin/env bash
# System packages for the browser and WordPress tests. As root: installs what is missing (idempotent, fast when
# present). Not root: says loudly which tests will not run, and why.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(chromium fonts-dejavu-core)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node + npm run the real OpenID Provider of the st.login browser tests (tests/services/oidc). Checked by command,
# not by package: a NodeSource nodejs already brings npm, and Debian's npm package would conflict with it.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if [ "$(id -u)" = 0 ]; then
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  sh tests/services/install-wordpress-packages.sh
else
  if [ ${#missing[@]} -gt 0 ] || ! command -v php >/dev/null || ! command -v mariadbd >/dev/null; then
    cat >&2 <<MSG
################################################################################################
#  NOT ROOT: cannot install system packages. These tests will NOT run (they skip with a reason):
#   - browser tests (need: chromium)                     missing: ${missing[*]:-none}
#   - WordPress channel tests (need: wordpress, php, mariadb)
#   - OIDC sign-in browser tests (need: nodejs, npm)
#  Run 'sudo make system-packages' once, or run 'make test' as root. CI runs them all.
################################################################################################
MSG
  fi
fi
