#!/bin/sh
# The heatmap engine against the hardware limit and the Python peers, one after the other in
# one run, for docs/BENCHMARKS.md: 10 million points into a 1440 x 4000 grid, blurred,
# normalised and coloured.
#
#   C reference   benches/limit_bench.c (plain C with OpenMP, one thread per core): binning,
#                 a 3-pass box blur and max + LUT colouring, timed separately. It colours
#                 1440 x 10000; that figure is scaled by 0.4 to 1440 x 4000.
#   sightline     `sightline bench heatmap` (release build), its per-step medians.
#   Python peers  benches/peer_heatmap.py (numpy, scipy, fast-histogram), strongest first.
#
# Needs a C compiler with OpenMP (cc), and python3 with numpy, scipy and fast-histogram for the
# peers (skipped, and said so, without them).
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
threads=$(nproc)
cc -O3 -march=native -fopenmp benches/limit_bench.c -o "$tmp/limit_bench" -lm
cargo build --release --quiet

echo "# C reference: OMP_NUM_THREADS=$threads benches/limit_bench.c"
OMP_NUM_THREADS=$threads "$tmp/limit_bench" | tee "$tmp/c.txt"
echo "# sightline bench heatmap"
./target/release/sightline bench heatmap --points 10000000 --width 1440 --height 4000 --runs 5 | tee "$tmp/s.txt"
echo "# Python peers: benches/peer_heatmap.py"
if python3 -c "import numpy, scipy, fast_histogram" 2>/dev/null; then
    python3 benches/peer_heatmap.py 10000000 1440 4000 | tee "$tmp/p.txt"
else
    echo "skipped: python3 with numpy, scipy and fast-histogram is needed" | tee "$tmp/p.txt"
fi

# The number before "ms" on the first line matching $1.
c_ms() { awk -v pat="$1" '$0 ~ pat { for (i = 2; i <= NF; i++) if ($i == "ms") { print $(i - 1); exit } }' "$tmp/c.txt"; }
# The value of key $1 on sightline's last line.
s_ms() { tail -n 1 "$tmp/s.txt" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

c_bin=$(c_ms '^bin 10000000 pts')
c_blur=$(c_ms '^3-pass box 1440x4000 total')
c_colour=$(awk -v v="$(c_ms '^max \\+ LUT colorize 1440x10000')" 'BEGIN { printf "%.2f", v * 0.4 }')
s_bin=$(s_ms bin_ms)
s_blur=$(s_ms blur_ms)
s_normalise=$(s_ms normalise_ms)
s_colour=$(s_ms colour_ms)
s_total=$(s_ms median_ms)

echo
echo "# Summary (ms; ratio = sightline / C reference)"
awk -v cb="$c_bin" -v cl="$c_blur" -v cc="$c_colour" \
    -v sb="$s_bin" -v sl="$s_blur" -v sn="$s_normalise" -v sc="$s_colour" -v st="$s_total" 'BEGIN {
    printf "%-28s %10s %12s %7s\n", "step", "sightline", "C reference", "ratio"
    printf "%-28s %10.1f %12.1f %7.2f\n", "bin", sb, cb, sb / cb
    printf "%-28s %10.1f %12.1f %7.2f\n", "blur", sl, cl, sl / cl
    printf "%-28s %10.1f %12.1f %7.2f\n", "normalise + colour", sn + sc, cc, (sn + sc) / cc
    ct = cb + cl + cc
    printf "%-28s %10.1f %12.1f %7.2f\n", "points to coloured overlay", st, ct, st / ct
}'
echo
echo "# Python peers (ms; ratio = peer / sightline)"
awk -v st="$s_total" 'NF == 2 && $2 + 0 > 0 { printf "%-36s %10.1f %7.1f\n", $1, $2, $2 / st }' "$tmp/p.txt"
