#!/usr/bin/env bash
# Idempotent set-up of a Debian 12 machine for building, testing and running l2tpx:
# apt packages (build, test, interop peers), 2 MiB hugepages and a hugetlbfs mount.
set -euo pipefail

HUGEPAGES=${L2TPX_HUGEPAGES:-1024}   # 2 MiB pages to reserve (default 2 GiB)

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and reserves hugepages)"
[ -r /etc/debian_version ] || die "this script supports Debian 12 only"

PACKAGES=(
  # build
  build-essential g++ clang meson ninja-build pkg-config python3-pyelftools
  libdpdk-dev dpdk dpdk-dev libnl-3-dev libnl-route-3-dev libnl-genl-3-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev libgtest-dev libgmock-dev
  libssl-dev libpcap-dev libclang-rt-14-dev nlohmann-json3-dev
  # tests and interop peers
  tshark python3-scapy xl2tpd l2tpns freeradius freeradius-utils
  iproute2 iputils-ping tcpdump valgrind procps util-linux psmisc
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer "no" without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the peers' daemons on install; tests start their own instances.
  for svc in xl2tpd l2tpns freeradius; do
    systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
    pkill -x "$svc" 2>/dev/null || true
  done
else
  say "all ${#PACKAGES[@]} packages already installed"
fi

nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
cur=$(cat "$nr")
if [ "$cur" -lt "$HUGEPAGES" ]; then
  echo "$HUGEPAGES" > "$nr" || die "cannot write $nr"
  say "reserved $(cat "$nr") x 2 MiB hugepages (was $cur)"
else
  say "$cur x 2 MiB hugepages already reserved"
fi
mkdir -p /dev/hugepages
if ! mountpoint -q /dev/hugepages; then
  mount -t hugetlbfs nodev /dev/hugepages || die "cannot mount hugetlbfs on /dev/hugepages"
  say "mounted hugetlbfs on /dev/hugepages"
else
  say "hugetlbfs already mounted on /dev/hugepages"
fi
say "done"
