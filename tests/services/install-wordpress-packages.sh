#!/bin/sh
# Install the Debian 12 packages the loopback WordPress test server needs (tests/services/wordpress.py).
#
# Why the policy-rc.d dance: installing mariadb-server (and the apache2 that `wordpress` drags in) would start
# system-wide daemons; the tests run their own private MariaDB and PHP server, so nothing may autostart.
# Idempotent: when every package is already installed it exits without touching apt.
set -eu

PACKAGES="wordpress wordpress-theme-twentytwentythree php-cli php-mysql php-gd mariadb-server"

missing=""
for p in $PACKAGES; do
    if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != "installed" ]; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    echo "install-wordpress-packages: all packages already installed"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

POLICY=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
    if [ "$created_policy" -eq 1 ]; then
        $SUDO rm -f "$POLICY"
    fi
}
trap cleanup EXIT INT TERM
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
    $SUDO chmod 755 "$POLICY"
    created_policy=1
fi

echo "install-wordpress-packages: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt run (a parallel CI step) instead of failing on the dpkg lock.
LOCK_WAIT="-o DPkg::Lock::Timeout=600"
# shellcheck disable=SC2086
$SUDO apt-get $LOCK_WAIT update -qq
# shellcheck disable=SC2086
$SUDO apt-get $LOCK_WAIT install -y -qq --no-install-recommends $PACKAGES
