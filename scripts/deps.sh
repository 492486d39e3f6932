#!/usr/bin/env bash
# Installs the Debian 12 packages ionrail needs. As root it installs what is
# missing; otherwise it prints the exact command to run. Safe to run again.
set -euo pipefail

packages=(
  cmake make g++ pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  librandom123-dev libtomlplusplus-dev libcli11-dev libfmt-dev
  gnuplot-nox
  ngspice adms
  verilator libsystemc-dev
  yosys iverilog nextpnr-ice40 fpga-icestorm
  zlib1g-dev nlohmann-json3-dev
  libnlopt-cxx-dev
  libopenmpi-dev openmpi-bin
  python3-dev pybind11-dev python3-pybind11 python3-numpy python3-pytest python3-setuptools
  python3-matplotlib python3-torch
)

# `scripts/deps.sh fuzz` (make ... PRESET=fuzz): clang with libFuzzer and its OpenMP.
if [ "${1:-}" = "fuzz" ]; then
  packages+=(clang libclang-rt-14-dev libomp-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} Debian packages present"
  exit 0
fi

cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root:  $cmd" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} packages"
