#!/usr/bin/env bash
# Installs what the tests need from Debian's packages when it is missing, then runs the whole suite.
# Interop tests use the real programs; with CI=true a missing program fails its test instead of skipping it.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/sbin:/sbin"

# program:debian-package
wanted=(java:openjdk-17-jdk-headless mvn:maven uml_mkcow:uml-utilities uml_moo:uml-utilities
        linux.uml:user-mode-linux qemu-img:qemu-utils fio:fio e2fsck:e2fsprogs
        python3:python3 qemu-nbd:qemu-utils nbdinfo:libnbd-bin nbdcopy:libnbd-bin nbdfuse:libnbd-bin
        nbdsh:python3-libnbd nbdkit:nbdkit sfdisk:fdisk mkfs.ext2:e2fsprogs)
missing=()
for pair in "${wanted[@]}"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" -eq 0 ]; then
        echo "test.sh: installing ${missing[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "test.sh: missing ${missing[*]} (run as root to install them); their tests will skip, or fail with CI=true" >&2
    fi
fi

if [ ! -d ../shared/vectors ]; then
    echo "test.sh: ../shared/vectors not found beside the checkout; the tests regenerate the vectors with the real tools" >&2
fi

exec mvn -B verify "$@"
