#!/usr/bin/env bash
# Regenerates docs/bench-matrix.png, the chart the README shows, with the command the README documents. It is a
# SHORT demo matrix (a few seconds per cell on a shared machine), to show what the plot looks like: not a benchmark.
# Real numbers: --size=1G --runtime=10s --repeat=3 on a quiet machine, logged in docs/benchmarks.md.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$root/ubd" bench --matrix --engines=sync,aio,io_uring,mmap --patterns=randread --iodepths=1,32 \
    --size=64M --runtime=300ms --ramp-time=200ms --file="$work/data.img" --plot="$work/plots"
cp "$work/plots/iops-randread.png" "$root/docs/bench-matrix.png"
echo "docs/bench-matrix.png regenerated"
