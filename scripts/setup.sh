#!/usr/bin/env bash
# Installs the Debian packages hpcrec needs, only those that are missing.
# Idempotent: a no-op (no apt-get at all) when everything is present.
set -euo pipefail

packages=(libopenmpi-dev openmpi-bin libhdf5-openmpi-dev libeigen3-dev libboost-program-options-dev
          libgtest-dev nlohmann-json3-dev libhwy-dev libopenblas0 cmake g++ make hdf5-tools)
# The test suite's extras (scripts/test.sh): a real Slurm and munge
# (e2e_slurm), an aarch64 cross compiler (e2e_simd_cross_arm: the SIMD
# kernels build for NEON).
if [ "${HPCREC_WITH_SLURM:-0}" = 1 ]; then packages+=(slurm-wlm munge g++-aarch64-linux-gnu); fi
# scripts/plot.py (bench/plots.sh, the demo's plot) needs matplotlib; h5py
# reads the model and top-N HDF5 files from Python.
if [ "${HPCREC_WITH_PLOTS:-0}" = 1 ]; then packages+=(python3-matplotlib python3-h5py); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
