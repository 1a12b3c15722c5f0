#!/bin/sh
# Times the heatmap engine and numpy/scipy on the same 10 million points, one after the
# other in one run, for docs/BENCHMARKS.md. Needs python3 with numpy and scipy.
set -eu
cd "$(dirname "$0")/.."
points="${TMPDIR:-/tmp}/sightline-heatmap-points.f32"
cargo build --release --quiet
echo "# sightline"
./target/release/sightline bench heatmap --points 10000000 --width 1440 --height 4000 --runs 5 --dump-points "$points"
echo "# numpy/scipy"
python3 benches/compare_scipy.py "$points" --width 1440 --height 4000 --sigma 12 --runs 5
rm -f "$points"
