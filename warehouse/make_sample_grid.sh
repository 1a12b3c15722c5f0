#!/usr/bin/env bash
# Regenerates the warehouse-grid sample fixtures in tests/fixtures/ (issue #17):
# grid_sample_heatmaps.csv, grid_sample_sessions.jsonl, sample_grid.parquet and
# sample_grid_k5_50px.parquet. Installs the duckdb Python package into a venv under /tmp
# the first time (SIGHTLINE_DUCKDB_VENV overrides where), then runs
# warehouse/make_sample_grid.py from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${SIGHTLINE_DUCKDB_VENV:-/tmp/duckdb-venv}"
if ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'duckdb==2.0.1'
fi
exec "$venv/bin/python" warehouse/make_sample_grid.py "$@"
