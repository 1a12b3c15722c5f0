#!/usr/bin/env python3
"""Time the numpy/scipy equivalent of sightline's heatmap engine, for comparison in docs.

What it is for
--------------
Sightline renders a heatmap as: bin the points into a width x height grid, blur the
grid with a Gaussian, normalise by the 99th percentile of the non-zero cells, clip
to [0, 1], and map every cell through a 256-entry RGBA colour table. This script
runs the same pipeline with the stock numpy/scipy building blocks, so the numbers
printed by the Rust benchmark can be put next to a well-known baseline:

    numpy.histogram2d(ys, xs, bins=(height, width), range=[[0, height], [0, width]])
    -> scipy.ndimage.gaussian_filter(grid, sigma, mode='reflect')   (default truncate=4.0)
    -> grid / numpy.percentile(grid[grid > 0], 99), clipped to [0, 1]
    -> lut[(norm * 255 + 0.5).astype(uint8)]  ->  (height, width, 4) uint8 RGBA

The colour table is matplotlib's viridis when matplotlib is importable, otherwise a
simple linear ramp built with numpy (the choice does not change the timing: either
way it is one 256-entry gather). The table is built once, outside the timings.

Relation to the Rust side
-------------------------
`sightline bench heatmap --dump-points FILE` writes the exact points it renders to
FILE, so both implementations work on identical input. The file is raw
little-endian float32, interleaved x,y pairs (N points = file size / 8), already in
image pixel coordinates (0..width, 0..height); points outside that range are
dropped by the histogram's range, as the Rust side drops them. Run this script on
that file with the same --width/--height/--sigma the Rust benchmark used.

Usage
-----
    python3 benches/compare_scipy.py POINTS_FILE --width 1440 --height 4000 --sigma 12 [--runs 5]

The file is loaded first (not timed), then one warm-up run, then --runs timed runs.
Each run times the four steps separately and the whole pipeline together. Output on
stdout is one `key=value` line per measurement (medians over the runs):

    step=histogram2d median_ms=...
    step=gaussian_filter median_ms=...
    step=normalise median_ms=...
    step=colormap median_ms=...
    points=N width=W height=H sigma=S runs=R median_ms=...

the last line being the headline (the whole pipeline). Versions and the colour
table used go to stderr, so stdout stays machine-readable. Everything here is
single-threaded, so the numbers are comparable to a single-threaded Rust run.

Environment
-----------
numpy and scipy were installed for the `python3` found on PATH (pyenv's
3.11.7, /root/.pyenv/versions/3.11.7/bin/python3, which is not "externally
managed", so no venv was needed) with:

    python3 -m pip install --break-system-packages numpy scipy

(tested with numpy 2.4.6, scipy 1.17.1). matplotlib is optional and was not
installed; without it the linear-ramp colour table is used.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
import scipy
from scipy import ndimage

STEPS = ("histogram2d", "gaussian_filter", "normalise", "colormap")


def load_points(path):
    """Read raw little-endian float32 x,y pairs; return contiguous xs, ys arrays."""
    size = os.path.getsize(path)
    if size % 8 != 0:
        sys.exit(f"{path}: size {size} is not a multiple of 8 (float32 x,y pairs)")
    raw = np.fromfile(path, dtype="<f4")
    pts = raw.reshape(-1, 2)
    xs = np.ascontiguousarray(pts[:, 0])
    ys = np.ascontiguousarray(pts[:, 1])
    return xs, ys


def build_lut():
    """A 256x4 uint8 RGBA table: matplotlib's viridis if available, else a linear ramp."""
    try:
        from matplotlib import colormaps  # noqa: PLC0415 (optional dependency)

        lut = (colormaps["viridis"](np.linspace(0.0, 1.0, 256)) * 255.0 + 0.5).astype(np.uint8)
        return lut, "viridis"
    except Exception:  # ImportError, or an old matplotlib without `colormaps`
        ramp = np.arange(256, dtype=np.uint16)
        lut = np.empty((256, 4), dtype=np.uint8)
        lut[:, 0] = ramp  # red rises
        lut[:, 1] = ramp // 2  # a little green
        lut[:, 2] = 255 - ramp  # blue falls
        lut[:, 3] = 255  # opaque
        return lut, "linear-ramp"


def run_once(xs, ys, width, height, sigma, lut):
    """One pass of the pipeline; returns (rgba, {step: seconds}, total seconds)."""
    t = {}
    t0 = time.perf_counter()

    grid, _, _ = np.histogram2d(ys, xs, bins=(height, width), range=[[0, height], [0, width]])
    t1 = time.perf_counter()
    t["histogram2d"] = t1 - t0

    blurred = ndimage.gaussian_filter(grid, sigma, mode="reflect")
    t2 = time.perf_counter()
    t["gaussian_filter"] = t2 - t1

    nonzero = blurred[blurred > 0]
    p99 = float(np.percentile(nonzero, 99)) if nonzero.size else 0.0
    if p99 > 0.0:
        norm = blurred / p99
    else:
        norm = blurred
    np.clip(norm, 0.0, 1.0, out=norm)
    t3 = time.perf_counter()
    t["normalise"] = t3 - t2

    idx = (norm * 255.0 + 0.5).astype(np.uint8)
    rgba = lut[idx]  # (height, width, 4) uint8
    t4 = time.perf_counter()
    t["colormap"] = t4 - t3

    return rgba, t, t4 - t0


def main():
    ap = argparse.ArgumentParser(
        description="Time the numpy/scipy equivalent of sightline's heatmap engine."
    )
    ap.add_argument("points_file", metavar="POINTS_FILE",
                    help="raw little-endian float32 x,y pairs in image pixels "
                         "(as written by `sightline bench heatmap --dump-points FILE`)")
    ap.add_argument("--width", type=int, default=1440, help="image width in pixels (default 1440)")
    ap.add_argument("--height", type=int, default=4000, help="image height in pixels (default 4000)")
    ap.add_argument("--sigma", type=float, default=12.0, help="Gaussian sigma in pixels (default 12)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs after one warm-up (default 5)")
    args = ap.parse_args()
    if args.width < 1 or args.height < 1:
        ap.error("--width and --height must be >= 1")
    if args.sigma < 0:
        ap.error("--sigma must be >= 0")
    if args.runs < 1:
        ap.error("--runs must be >= 1")

    xs, ys = load_points(args.points_file)
    lut, lut_name = build_lut()
    print(
        f"# python={sys.version.split()[0]} numpy={np.__version__} scipy={scipy.__version__} "
        f"lut={lut_name} points_file={args.points_file}",
        file=sys.stderr,
    )

    rgba, _, _ = run_once(xs, ys, args.width, args.height, args.sigma, lut)  # warm-up
    assert rgba.shape == (args.height, args.width, 4) and rgba.dtype == np.uint8
    del rgba

    per_step = {s: [] for s in STEPS}
    totals = []
    for _ in range(args.runs):
        rgba, t, total = run_once(xs, ys, args.width, args.height, args.sigma, lut)
        del rgba
        for s in STEPS:
            per_step[s].append(t[s])
        totals.append(total)

    def ms(values):
        return f"{statistics.median(values) * 1000.0:.1f}"

    for s in STEPS:
        print(f"step={s} median_ms={ms(per_step[s])}")
    sigma = f"{args.sigma:g}"
    print(
        f"points={xs.size} width={args.width} height={args.height} sigma={sigma} "
        f"runs={args.runs} median_ms={ms(totals)}"
    )


if __name__ == "__main__":
    main()
