#!/usr/bin/env python3
"""Makes the warehouse-grid sample fixtures (issue #17). Needs `pip install duckdb`.

Writes, from one seeded generator (random.Random(17)), so every run gives the same files:

  tests/fixtures/grid_sample_heatmaps.csv      an export of PostHog's `heatmaps` table
  tests/fixtures/grid_sample_sessions.jsonl    the same sessions in Sightline's native JSONL
  tests/fixtures/sample_grid.parquet           warehouse/duckdb_grid.sql, k=3 bin_px=1
  tests/fixtures/sample_grid_k5_50px.parquet   warehouse/duckdb_grid.sql, k=5 bin_px=50
  tests/fixtures/bad_row_grid.parquet          the k=5 grid with row 5 made wrong by hand

and a second sample, every click on one of six buttons' exact pixels, each clicked by every
session, so a 1 px grid at the dataset's k floor of 5 keeps every click:

  tests/fixtures/grid_hotspot_heatmaps.csv     the `heatmaps` export, with a `variant` column
  tests/fixtures/grid_hotspot_sessions.jsonl   the same sessions, native JSONL with variants
  tests/fixtures/hotspot_grid.parquet          warehouse/duckdb_grid.sql, k=5 bin_px=1
  tests/fixtures/hotspot_grid_variant.parquet  the same by segment variant (A and B)

About 60 desktop sessions (viewport 1440 x 900) on https://shop.example/checkout, on
2026-11-10 and 2026-11-11 (UTC). Every coordinate is a multiple of 16 CSS px and PostHog's
scale_factor is 16, so the table's x = px / 16 is exact and the grid equals what the native
sessions give. The heatmaps table also holds rows the recipe must drop (pointer_target_fixed,
scrolldepth) and URLs with a query string, a fragment, an upper-case host and a trailing
slash, which the recipe must clean to the one page.

The script checks the DuckDB grids against a grid computed here from the native sessions,
and prints a summary. Run it from anywhere: paths are relative to the repository root.
"""

import csv
import json
import random
import statistics
import sys
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
RECIPE = ROOT / "warehouse" / "duckdb_grid.sql"

PAGE = "https://shop.example/checkout"
# current_url as PostHog stores it; all of them clean to PAGE.
URL_VARIANTS = [
    (PAGE, 70),
    (PAGE + "?step=2", 12),
    (PAGE + "#pay", 10),
    ("https://Shop.Example/checkout/?step=2#pay", 4),
    ("https://shop.example/checkout/", 4),
]
TEAM_ID = 1
SCALE = 16  # PostHog's scale_factor
VIEWPORT = (1440, 900)
PAGE_HEIGHT = 2000
DAYS = ["2026-11-10", "2026-11-11"]
SESSIONS = 60
# The buttons: (x, y) centres in page CSS px (multiples of 16), and how often each is clicked.
HOT_SPOTS = [
    ((1104, 272), 6),  # "Continue"
    ((720, 640), 5),  # "Apply code"
    ((304, 960), 4),  # "Card"
    ((1200, 1408), 3),  # "Pay now"
    ((720, 1760), 2),  # "Back to cart"
    ((160, 96), 1),  # logo
]
OFFSETS = [(-32, 1), (-16, 3), (0, 6), (16, 3), (32, 1)]

RUNS = [
    # (output file, k, bin_px)
    ("sample_grid.parquet", 3, 1),
    ("sample_grid_k5_50px.parquet", 5, 50),
]
DATE_FROM, DATE_TO = "2026-11-10", "2026-11-12"

CSV_COLUMNS = [
    "session_id",
    "team_id",
    "distinct_id",
    "timestamp",
    "x",
    "y",
    "scale_factor",
    "viewport_width",
    "viewport_height",
    "pointer_target_fixed",
    "current_url",
    "type",
]


def weighted(rng, pairs):
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def snap(v, hi):
    """`v` rounded down to a multiple of SCALE, within 0..hi-1."""
    return max(0, min(hi - 1, v)) // SCALE * SCALE


def click_point(rng):
    if rng.random() < 0.85:
        (cx, cy) = weighted(rng, HOT_SPOTS)
        return cx + weighted(rng, OFFSETS), cy + weighted(rng, OFFSETS)
    # A spread click anywhere on the page.
    return SCALE * rng.randrange(VIEWPORT[0] // SCALE), SCALE * rng.randrange(PAGE_HEIGHT // SCALE)


def make_sessions(rng):
    """The sessions: a list of dicts with the header fields and `rows` (heatmaps-table rows:
    t_ms, type, px, py, fixed)."""
    sessions = []
    for n in range(SESSIONS):
        day = datetime.fromisoformat(DAYS[n % 2]).replace(tzinfo=timezone.utc)
        start = day + timedelta(seconds=rng.randrange(8 * 3600, 21 * 3600))
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        subject = f"u-{1000 + rng.randrange(48)}"
        n_clicks = int(rng.triangular(5, 40, 5))
        rows = []
        t = rng.randint(600, 3000)
        prev_t = 0
        prev = (rng.randrange(0, VIEWPORT[0]), rng.randrange(0, VIEWPORT[1]))
        for i in range(n_clicks):
            x, y = click_point(rng)
            # Some moves on the way to the click, strictly between the clicks in time.
            n_moves = rng.choices([0, 1, 2], weights=[10, 3, 1])[0] if i else 0
            for m in range(n_moves):
                f = (m + 1) / (n_moves + 1)
                mx = snap(int(prev[0] + (x - prev[0]) * f) + rng.randint(-40, 40), VIEWPORT[0])
                my = snap(int(prev[1] + (y - prev[1]) * f) + rng.randint(-40, 40), PAGE_HEIGHT)
                rows.append((prev_t + int((t - prev_t) * f), "mousemove", mx, my, False))
            kind = "rageclick" if rng.random() < 0.03 else "click"
            rows.append((t, kind, x, y, False))
            prev, prev_t = (x, y), t
            # The next click comes at least 400 ms later.
            gap = 400 + int(rng.expovariate(1 / 1300))
            if rng.random() < 0.02:
                # A click on a fixed element (the sticky header): the recipe drops it.
                rows.append((t + gap // 2, "click", snap(rng.randrange(1440), 1440), 32, True))
            t += gap
        # PostHog's scroll depth rows: dropped too.
        for _ in range(rng.choice([0, 0, 1, 2])):
            rows.append((rng.randint(0, t), "scrolldepth", 0, snap(rng.randrange(900, PAGE_HEIGHT), PAGE_HEIGHT), False))
        rows.sort(key=lambda r: r[0])
        sessions.append({"id": sid, "subject": subject, "start": start, "rows": rows})
    return sessions


def check_pace(session):
    """No two clicks of a session closer than 400 ms; median gap well above 100 ms."""
    times = [r[0] for r in session["rows"] if r[1] in ("click", "rageclick") and not r[4]]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 400, (session["id"], min(gaps))
    assert statistics.median(gaps) >= 400


def write_csv(sessions, rng, path, extra=()):
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(CSV_COLUMNS + list(extra))
        for s in sessions:
            for t, kind, px, py, fixed in s["rows"]:
                ts = s["start"] + timedelta(milliseconds=t)
                assert px % SCALE == 0 and py % SCALE == 0
                w.writerow(
                    [
                        s["id"],
                        TEAM_ID,
                        s["subject"],
                        ts.strftime("%Y-%m-%d %H:%M:%S.%f"),
                        px // SCALE,
                        py // SCALE,
                        SCALE,
                        VIEWPORT[0],
                        VIEWPORT[1],
                        "true" if fixed else "false",
                        weighted(rng, URL_VARIANTS),
                        kind,
                    ]
                    + [s[column] for column in extra]
                )


def native_events(s):
    """What the native recording holds: clicks and moves, not fixed, not scroll depth."""
    out = []
    for t, kind, px, py, fixed in s["rows"]:
        if fixed or kind == "scrolldepth":
            continue
        out.append({"t": t, "kind": "move" if kind == "mousemove" else "click", "x": px, "y": py})
    return out


def write_jsonl(sessions, path, extra=()):
    with path.open("w") as f:
        for s in sessions:
            header = {
                "sightline": 1,
                "session": s["id"],
                "subject": s["subject"],
                "started_at": s["start"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                "consent": {"heatmaps": True, "recordings": True},
                "url": PAGE,
                "viewport": {"width": VIEWPORT[0], "height": VIEWPORT[1]},
            }
            header.update({column: s[column] for column in extra})
            f.write(json.dumps(header) + "\n")
            for e in native_events(s):
                f.write(json.dumps(e) + "\n")


def expected_grid(sessions, k, bin_px, segment_key=""):
    """The grid computed from the native sessions: (rows, bins refused by k)."""
    bins = defaultdict(lambda: [0, set()])
    for s in sessions:
        value = s[segment_key] if segment_key else ""
        for e in native_events(s):
            day = (s["start"] + timedelta(milliseconds=e["t"])).date()
            key = (PAGE, VIEWPORT[0], e["kind"], segment_key, value, day, e["x"] // bin_px, e["y"] // bin_px, bin_px)
            bins[key][0] += 1
            bins[key][1].add(s["id"])
    rows = {key + (c, len(ids)) for key, (c, ids) in bins.items() if len(ids) >= k}
    return rows, len(bins) - len(rows)


def run_recipe(csv_path, out_path, k, bin_px, segment_key="", segment_column=None):
    con = duckdb.connect()
    params = {
        "input": str(csv_path),
        "output": str(out_path),
        "date_from": DATE_FROM,
        "date_to": DATE_TO,
        "k": k,
        "bin_px": bin_px,
        "team_id": TEAM_ID,
        "segment_key": segment_key,
    }
    if segment_column:
        params["segment_column"] = segment_column
    for name, value in params.items():
        con.execute(f"SET VARIABLE {name} = ?", [value])
    con.execute(RECIPE.read_text())
    got = con.execute("SELECT * FROM read_parquet(?)", [str(out_path)]).fetchall()
    meta = dict(
        con.execute(
            "SELECT decode(key), decode(value) FROM parquet_kv_metadata(?)", [str(out_path)]
        ).fetchall()
    )
    con.close()
    return got, meta


# The hotspot sample: 60 sessions, variant A or B (half of each day each), every click on one
# of HOT_SPOTS' centres, each centre clicked at least once by every session, no moves.
HOTSPOT_SESSIONS = 60
HOTSPOT_RUNS = [
    # (output file, k, bin_px, segment_key, segment_column)
    ("hotspot_grid.parquet", 5, 1, "", None),
    ("hotspot_grid_variant.parquet", 5, 1, "variant", "variant"),
]


def make_hotspot_sessions(rng):
    sessions = []
    for n in range(HOTSPOT_SESSIONS):
        day = datetime.fromisoformat(DAYS[n % 2]).replace(tzinfo=timezone.utc)
        start = day + timedelta(seconds=rng.randrange(8 * 3600, 21 * 3600))
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        spots = [c for c, _ in HOT_SPOTS]
        rng.shuffle(spots)
        spots += [weighted(rng, HOT_SPOTS) for _ in range(rng.randrange(7))]
        rows, t = [], rng.randint(600, 3000)
        for x, y in spots:
            rows.append((t, "click", x, y, False))
            t += 400 + int(rng.expovariate(1 / 1300))
        sessions.append(
            {
                "id": sid,
                "subject": f"h-{2000 + n}",
                "start": start,
                "rows": rows,
                "variant": "AB"[(n // 2) % 2],
            }
        )
    return sessions


def hotspot_main(rng):
    sessions = make_hotspot_sessions(rng)
    csv_path = FIXTURES / "grid_hotspot_heatmaps.csv"
    jsonl_path = FIXTURES / "grid_hotspot_sessions.jsonl"
    write_csv(sessions, rng, csv_path, extra=("variant",))
    write_jsonl(sessions, jsonl_path, extra=("variant",))
    clicks = sum(len(s["rows"]) for s in sessions)
    print(f"{jsonl_path.relative_to(ROOT)}: {len(sessions)} sessions, {clicks} clicks")
    ok = True
    for name, k, bin_px, segment_key, segment_column in HOTSPOT_RUNS:
        out = FIXTURES / name
        got, _ = run_recipe(csv_path, out, k, bin_px, segment_key, segment_column)
        want, refused = expected_grid(sessions, k, bin_px, segment_key)
        same = set(got) == want and len(got) == len(want)
        ok &= same
        kept = sum(r[9] for r in got)
        print(
            f"{out.relative_to(ROOT)}: k={k} bin_px={bin_px} segment={segment_key or 'everyone'}: "
            f"{len(got)} rows, {kept} of {clicks} clicks, {refused} bins refused; "
            f"{'matches' if same else 'DIFFERS FROM'} the native sessions"
        )
        ok &= refused == 0 and kept == clicks
    return ok


def main():
    rng = random.Random(17)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    sessions = make_sessions(rng)
    for s in sessions:
        check_pace(s)
    csv_path = FIXTURES / "grid_sample_heatmaps.csv"
    jsonl_path = FIXTURES / "grid_sample_sessions.jsonl"
    write_csv(sessions, rng, csv_path)
    write_jsonl(sessions, jsonl_path)

    all_rows = [r for s in sessions for r in s["rows"]]
    dropped = sum(1 for r in all_rows if r[4] or r[1] == "scrolldepth")
    native = [e for s in sessions for e in native_events(s)]
    print(
        f"{csv_path.relative_to(ROOT)}: {len(all_rows)} rows, {len(sessions)} sessions "
        f"({dropped} fixed/scrolldepth rows to drop)"
    )
    print(
        f"{jsonl_path.relative_to(ROOT)}: {sum(e['kind'] == 'click' for e in native)} clicks, "
        f"{sum(e['kind'] == 'move' for e in native)} moves"
    )
    ok = True
    for name, k, bin_px in RUNS:
        out = FIXTURES / name
        got, meta = run_recipe(csv_path, out, k, bin_px)
        want, refused = expected_grid(sessions, k, bin_px)
        same = set(got) == want and len(got) == len(want)
        ok &= same
        clicks = sum(r[9] for r in got if r[2] == "click")
        moves = sum(r[9] for r in got if r[2] == "move")
        print(
            f"{out.relative_to(ROOT)}: k={k} bin_px={bin_px}: {len(got)} rows, {clicks} clicks, "
            f"{moves} moves; {refused} bins refused by the k floor "
            f"({sum(e['kind'] == 'click' for e in native) - clicks} clicks, "
            f"{sum(e['kind'] == 'move' for e in native) - moves} moves in them); "
            f"metadata {meta}; {'matches' if same else 'DIFFERS FROM'} the native sessions"
        )
    write_bad_row_fixture()
    ok &= hotspot_main(random.Random(1717))
    if not ok:
        sys.exit("a DuckDB grid differs from the grid of the native sessions")


def write_bad_row_fixture():
    """A copy of the k=5 grid whose fifth row claims more sessions than events: the test that
    a malformed grid is refused naming its row."""
    import duckdb

    good = FIXTURES / "sample_grid_k5_50px.parquet"
    bad = FIXTURES / "bad_row_grid.parquet"
    duckdb.connect().execute(
        f"""
        COPY (
          SELECT page, viewport_width, kind, segment_key, segment_value, day, x_bin, y_bin,
                 bin_px, count, CASE WHEN rn = 5 THEN count + 3 ELSE sessions END AS sessions
          FROM (SELECT *, row_number() OVER (ORDER BY kind, day, x_bin, y_bin) AS rn
                FROM '{good}')
          ORDER BY rn
        ) TO '{bad}' (FORMAT PARQUET, COMPRESSION SNAPPY,
          KV_METADATA {{'sightline.recipe': 'hand-edited: row 5 has more sessions than events'}})
        """
    )
    print(f"{bad.relative_to(ROOT)}: row 5 has more sessions than events")


if __name__ == "__main__":
    main()
