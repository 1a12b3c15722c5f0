-- Sightline warehouse grid recipe for DuckDB (issue #17).
--
-- Reads an export of PostHog's ClickHouse `heatmaps` table (Parquet or CSV with a header
-- row) and writes a Sightline heatmap grid (docs/FORMATS.md, "Warehouse grids"): Snappy
-- Parquet with the key-value metadata `sightline.recipe` and `sightline.params`. Only bins
-- with at least k distinct sessions leave this query (HAVING), so no session leaves it.
--
-- Parameters are DuckDB variables. Set them BEFORE this file runs; the block below only
-- fills in defaults for the ones left unset (and stops with an error where there is none):
--
--   input          path of the export; .parquet, .csv, .csv.gz (picked by the extension)  required
--   output         path of the grid to write                          default 'grid.parquet'
--   date_from      first day, inclusive, 'YYYY-MM-DD' (UTC)           required
--   date_to        last day, EXCLUSIVE, 'YYYY-MM-DD' (UTC)            required
--   k              k-anonymity floor: distinct sessions per bin        default 5
--   bin_px         side of a bin in CSS px, 1-256                      default 1
--   team_id        PostHog team (project) id; NULL = every row         default NULL
--   segment_key    '' (everyone), or 'region', 'variant', 'cohort'     default ''
--   segment_column column of the export that holds the segment value  default NULL (none)
--
-- Run with the DuckDB CLI:
--
--   duckdb -c "SET VARIABLE input = 'heatmaps.parquet'; SET VARIABLE output = 'grid.parquet';
--              SET VARIABLE date_from = '2026-11-01'; SET VARIABLE date_to = '2026-12-01';
--              SET VARIABLE k = 5; SET VARIABLE bin_px = 1; SET VARIABLE team_id = 1;" \
--          -c ".read warehouse/duckdb_grid.sql"
--
-- (or `duckdb -cmd "SET VARIABLE ...; ..." < warehouse/duckdb_grid.sql`), or from Python:
-- run `SET VARIABLE name = ?` for each parameter, then execute this file's text, as
-- warehouse/make_sample_grid.py does. Tested with DuckDB 2.0.1 (Python) and 1.5.6 (CLI).
--
-- What it does, row by row of the `heatmaps` table:
--   * type 'click' and 'rageclick' -> kind 'click', 'mousemove' -> 'move'; 'scrolldepth' rows
--     and rows on fixed elements (pointer_target_fixed) are dropped. (posthog-js sends a
--     'rageclick' row next to each click of a rage burst; drop 'rageclick' from the IN list
--     below if your data has both, or those clicks count twice.)
--   * PostHog stores x and y divided by scale_factor, in page coordinates (y includes the
--     scroll offset), so CSS px = x * scale_factor. Points outside 0..99999 px are dropped.
--   * day = the UTC date of `timestamp` (the session time zone is set to UTC below).
--   * page = current_url without query string and fragment, credentials dropped, scheme and
--     host lowercased, trailing slashes dropped. Sightline REFUSES a whole file with a row
--     whose page is not already a clean page pattern (what its URL cleaning and the dataset's
--     path rules make of it): identifiers in paths must already be placeholders. This recipe
--     does a best effort: all-digit segments -> ':id', UUIDs -> ':uuid', hex strings of 16 or
--     more characters -> ':hash' (Sightline's own spellings). Slugs with ids in them, names
--     after /u/, /user/, /customer/ ..., e-mail addresses and the dataset's path rules are NOT
--     handled here: check the pages first (SELECT DISTINCT page) and add rules as needed.
--   * Rows are grouped by device class (desktop >= 1024, tablet 600-1023, mobile < 600),
--     not by exact width: Sightline refuses two rows of the same page, class, kind, segment,
--     day and bin as duplicates. viewport_width is the smallest width seen in the bin.
--   * x_bin = floor(px / bin_px), y_bin likewise; count = events in the bin; sessions =
--     count(DISTINCT session_id), and bins with sessions < k are left out (HAVING).

-- Defaults for the parameters left unset.
SET VARIABLE input = COALESCE(getvariable('input'), error('set VARIABLE input (path of the heatmaps export)'));
SET VARIABLE output = COALESCE(getvariable('output'), 'grid.parquet');
SET VARIABLE date_from = CAST(COALESCE(getvariable('date_from'), error('set VARIABLE date_from (YYYY-MM-DD)')) AS DATE);
SET VARIABLE date_to = CAST(COALESCE(getvariable('date_to'), error('set VARIABLE date_to (YYYY-MM-DD, exclusive)')) AS DATE);
SET VARIABLE k = CAST(COALESCE(getvariable('k'), 5) AS BIGINT);
SET VARIABLE bin_px = CAST(COALESCE(getvariable('bin_px'), 1) AS BIGINT);
SET VARIABLE team_id = CAST(getvariable('team_id') AS BIGINT);
SET VARIABLE segment_key = COALESCE(getvariable('segment_key'), '');
SET VARIABLE segment_column = CASE WHEN getvariable('segment_key') = '' THEN NULL ELSE getvariable('segment_column') END;
SET VARIABLE params = 'k=' || getvariable('k') || ' bin_px=' || getvariable('bin_px')
    || ' from=' || getvariable('date_from') || ' to=' || getvariable('date_to')
    || CASE WHEN getvariable('segment_key') = '' THEN '' ELSE ' segment=' || getvariable('segment_key') END;
SELECT CASE
    WHEN getvariable('bin_px') NOT BETWEEN 1 AND 256 THEN error('bin_px must be 1-256')
    WHEN getvariable('k') < 1 THEN error('k must be at least 1')
    WHEN getvariable('date_to') <= getvariable('date_from') THEN error('date_to must be after date_from')
    WHEN getvariable('segment_key') NOT IN ('', 'region', 'variant', 'cohort') THEN error('segment_key must be '''', region, variant or cohort')
    WHEN getvariable('segment_key') <> '' AND getvariable('segment_column') IS NULL THEN error('set VARIABLE segment_column')
    ELSE 'ok' END AS parameters;
SET TimeZone = 'UTC';

COPY (
    WITH events AS (
        SELECT
            CAST(h.session_id AS VARCHAR) AS session_id,
            CAST(CAST(h."timestamp" AS TIMESTAMPTZ) AS DATE) AS day,
            CAST(h.x AS BIGINT) * CAST(h.scale_factor AS BIGINT) AS x_px,
            CAST(h.y AS BIGINT) * CAST(h.scale_factor AS BIGINT) AS y_px,
            CAST(h.viewport_width AS BIGINT) AS viewport_width,
            CASE WHEN h.viewport_width < 600 THEN 'mobile'
                 WHEN h.viewport_width < 1024 THEN 'tablet'
                 ELSE 'desktop' END AS device_class,
            CASE WHEN h."type" IN ('click', 'rageclick') THEN 'click' ELSE 'move' END AS kind,
            CAST(h[getvariable('segment_column')] AS VARCHAR) AS segment_value,
            -- scheme://authority/path, query and fragment dropped
            regexp_extract(CAST(h.current_url AS VARCHAR), '^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)', 1) AS url_scheme,
            regexp_extract(CAST(h.current_url AS VARCHAR), '^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)', 2) AS url_authority,
            regexp_extract(CAST(h.current_url AS VARCHAR), '^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)', 3) AS url_path
        FROM query_table(getvariable('input')) AS h
        WHERE h."type" IN ('click', 'rageclick', 'mousemove')
          AND NOT COALESCE(CAST(h.pointer_target_fixed AS BOOLEAN), false)
          AND (getvariable('team_id') IS NULL OR h.team_id = getvariable('team_id'))
          AND CAST(CAST(h."timestamp" AS TIMESTAMPTZ) AS DATE) >= getvariable('date_from')
          AND CAST(CAST(h."timestamp" AS TIMESTAMPTZ) AS DATE) < getvariable('date_to')
          AND h.viewport_width BETWEEN 1 AND 10000
    ),
    cleaned AS (
        SELECT
            *,
            lower(url_scheme) || '://' || lower(regexp_replace(url_authority, '^.*@', '')) AS origin,
            -- Path segments: UUID -> :uuid, all digits -> :id, 16+ hex -> :hash. RE2 has no
            -- look-ahead, so the digit and hash rules run twice (for adjacent segments).
            regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
                url_path,
                '/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(/|$)', '/:uuid\1', 'g'),
                '/[0-9]+(/|$)', '/:id\1', 'g'),
                '/[0-9]+(/|$)', '/:id\1', 'g'),
                '/[0-9a-fA-F]{16,}(/|$)', '/:hash\1', 'g'),
                '/[0-9a-fA-F]{16,}(/|$)', '/:hash\1', 'g') AS clean_path
        FROM events
        WHERE url_scheme <> ''
          AND x_px BETWEEN 0 AND 99999
          AND y_px BETWEEN 0 AND 99999
          AND (getvariable('segment_key') = ''
               OR (segment_value IS NOT NULL AND segment_value <> '' AND length(segment_value) <= 64))
    )
    SELECT
        origin || CASE WHEN rtrim(clean_path, '/') = '' THEN '/' ELSE rtrim(clean_path, '/') END AS page,
        min(viewport_width) AS viewport_width,
        kind,
        getvariable('segment_key') AS segment_key,
        CASE WHEN getvariable('segment_key') = '' THEN '' ELSE segment_value END AS segment_value,
        day,
        x_px // getvariable('bin_px') AS x_bin,
        y_px // getvariable('bin_px') AS y_bin,
        getvariable('bin_px') AS bin_px,
        count(*) AS "count",
        count(DISTINCT session_id) AS sessions
    FROM cleaned
    GROUP BY page, device_class, kind, segment_value, day, x_bin, y_bin
    HAVING count(DISTINCT session_id) >= getvariable('k')
    ORDER BY page, viewport_width, kind, segment_value, day, y_bin, x_bin
) TO (getvariable('output')) (
    FORMAT PARQUET,
    COMPRESSION SNAPPY,
    KV_METADATA {
        'sightline.recipe': 'warehouse/duckdb_grid.sql',
        'sightline.params': getvariable('params')
    }
);
