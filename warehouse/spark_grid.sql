-- Sightline warehouse grid recipe for Spark SQL (issue #17): PostHog's `heatmaps` table.
--
-- Defines the temporary view `sightline_grid`, a Sightline heatmap grid (docs/FORMATS.md,
-- "Warehouse grids"). Only bins with at least k distinct sessions are in it (HAVING
-- count(DISTINCT session_id) >= k, exact), so no session leaves the warehouse.
--
-- Parameters use Spark's variable substitution (${name}, spark.sql.variable.substitute is on
-- by default). Every one must be given, with spark-sql's --hivevar (or -d) or, in PySpark,
-- spark.conf.set(name, value):
--
--   table           the heatmaps table, a view, or parquet.`/path/heatmaps.parquet`
--   team_id         PostHog team (project) id, e.g. 1
--   date_from       first day, inclusive, YYYY-MM-DD (UTC)
--   date_to         last day, EXCLUSIVE, YYYY-MM-DD (UTC)
--   k               k-anonymity floor: distinct sessions per bin, e.g. 5
--   bin_px          side of a bin in CSS px, 1-256
--   segment_key     empty (everyone), or region, variant, cohort
--   segment_column  the column holding the segment value, or `no_segment` (an empty string
--                   defined below) when segment_key is empty
--
-- Run with spark-sql, writing the view as ONE Snappy Parquet file:
--
--   spark-sql --hivevar table=heatmaps --hivevar team_id=1 \
--       --hivevar date_from=2026-11-01 --hivevar date_to=2026-12-01 --hivevar k=5 \
--       --hivevar bin_px=1 --hivevar segment_key= --hivevar segment_column=no_segment \
--       -i warehouse/spark_grid.sql \
--       -e "INSERT OVERWRITE DIRECTORY '/tmp/sightline_grid' USING parquet
--           OPTIONS (compression 'snappy') SELECT /*+ COALESCE(1) */ * FROM sightline_grid"
--
-- (the grid is /tmp/sightline_grid/part-00000-*.snappy.parquet). In PySpark, set the
-- variables with spark.conf.set, run each statement of this file with spark.sql (split the
-- text at semicolons: no comment here holds one), then
--   spark.table("sightline_grid").coalesce(1).write.mode("overwrite") \
--        .option("compression", "snappy").parquet("/tmp/sightline_grid")
--
-- Spark cannot write Parquet key-value metadata, so stamp `sightline.recipe` and
-- `sightline.params` afterwards (warehouse/README.md shows a DuckDB one-liner), or leave
-- them out and give `--recipe` to `sightline import`.
--
-- What it does, row by row of `heatmaps`:
--   * type 'click' and 'rageclick' -> kind 'click', 'mousemove' -> 'move'. 'scrolldepth' rows
--     and rows on fixed elements (pointer_target_fixed) are dropped. (posthog-js sends a
--     'rageclick' row next to each click of a rage burst: drop 'rageclick' from the IN list
--     if your data has both, or those clicks count twice.)
--   * PostHog stores x and y divided by scale_factor, in page coordinates (y includes the
--     scroll offset), so CSS px = x * scale_factor (as BIGINT: SMALLINT * SMALLINT would
--     overflow). Points outside 0..99999 px are dropped.
--   * day = the UTC date of `timestamp` (the session time zone is set to UTC below, and a
--     timestamp held as text without an offset is read as UTC).
--   * page = current_url without query string and fragment, credentials dropped, scheme and
--     host lowercased, trailing slashes dropped. Sightline REFUSES a whole file with a row
--     whose page is not already a clean page pattern (what its URL cleaning and the dataset's
--     path rules make of it): identifiers in paths must already be placeholders. This recipe
--     does a best effort: all-digit segments -> ':id', UUIDs -> ':uuid', hex strings of 16 or
--     more characters -> ':hash' (Sightline's own spellings). Slugs with ids in them, names
--     after /u/, /user/, /customer/ ..., e-mail addresses and the dataset's path rules are NOT
--     handled here: check the pages first and add rules as needed.
--   * Rows are grouped by device class (desktop >= 1024, tablet 600-1023, mobile < 600),
--     not by exact width: Sightline refuses two rows of the same page, class, kind, segment,
--     day and bin as duplicates. viewport_width is the smallest width seen in the bin.
--   * x_bin = floor(px / bin_px), y_bin likewise, count = events in the bin, sessions =
--     count(DISTINCT session_id), and bins with sessions < k are left out.

SET spark.sql.session.timeZone = UTC;

CREATE OR REPLACE TEMPORARY VIEW sightline_grid AS
WITH events AS (
    SELECT
        CAST(h.session_id AS STRING) AS session_id,
        to_date(CAST(h.`timestamp` AS TIMESTAMP)) AS day,
        CAST(h.x AS BIGINT) * CAST(h.scale_factor AS BIGINT) AS x_px,
        CAST(h.y AS BIGINT) * CAST(h.scale_factor AS BIGINT) AS y_px,
        CAST(h.viewport_width AS BIGINT) AS viewport_width,
        CASE WHEN h.viewport_width < 600 THEN 'mobile'
             WHEN h.viewport_width < 1024 THEN 'tablet'
             ELSE 'desktop' END AS device_class,
        CASE WHEN h.`type` IN ('click', 'rageclick') THEN 'click' ELSE 'move' END AS kind,
        CASE WHEN '${segment_key}' = '' THEN '' ELSE CAST(h.${segment_column} AS STRING) END AS segment_value,
        -- scheme://authority/path, query and fragment dropped
        regexp_extract(h.current_url, '^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)', 1) AS url_scheme,
        regexp_extract(h.current_url, '^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)', 2) AS url_authority,
        regexp_extract(h.current_url, '^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)', 3) AS url_path
    FROM (SELECT *, '' AS no_segment FROM ${table}) AS h
    WHERE h.team_id = ${team_id}
      AND to_date(CAST(h.`timestamp` AS TIMESTAMP)) >= DATE '${date_from}'
      AND to_date(CAST(h.`timestamp` AS TIMESTAMP)) < DATE '${date_to}'
      AND h.`type` IN ('click', 'rageclick', 'mousemove')
      AND NOT COALESCE(CAST(h.pointer_target_fixed AS BOOLEAN), false)
      AND h.viewport_width BETWEEN 1 AND 10000
),
cleaned AS (
    SELECT
        *,
        concat(
            lower(url_scheme), '://', lower(regexp_replace(url_authority, '^.*@', '')),
            CASE WHEN regexp_replace(clean_path, '/+$', '') = '' THEN '/'
                 ELSE regexp_replace(clean_path, '/+$', '') END
        ) AS page
    FROM (
        SELECT
            *,
            -- Path segments: UUID -> :uuid, all digits -> :id, 16+ hex -> :hash.
            regexp_replace(regexp_replace(regexp_replace(
                url_path,
                '(?<=/)[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?=/|$)', ':uuid'),
                '(?<=/)[0-9]+(?=/|$)', ':id'),
                '(?<=/)[0-9a-fA-F]{16,}(?=/|$)', ':hash') AS clean_path
        FROM events
    ) AS e
    WHERE url_scheme <> ''
      AND x_px BETWEEN 0 AND 99999
      AND y_px BETWEEN 0 AND 99999
      AND ('${segment_key}' = ''
           OR (segment_value IS NOT NULL AND segment_value <> '' AND char_length(segment_value) <= 64))
)
SELECT
    page,
    min(viewport_width) AS viewport_width,
    kind,
    '${segment_key}' AS segment_key,
    segment_value,
    day,
    x_px DIV ${bin_px} AS x_bin,
    y_px DIV ${bin_px} AS y_bin,
    CAST(${bin_px} AS BIGINT) AS bin_px,
    count(*) AS `count`,
    count(DISTINCT session_id) AS sessions
FROM cleaned
WHERE assert_true(${bin_px} BETWEEN 1 AND 256, 'bin_px must be 1-256') IS NULL
  AND assert_true(${k} >= 1, 'k must be at least 1') IS NULL
  AND assert_true('${segment_key}' IN ('', 'region', 'variant', 'cohort'),
                  'segment_key must be empty, region, variant or cohort') IS NULL
GROUP BY page, device_class, kind, segment_value, day, x_px DIV ${bin_px}, y_px DIV ${bin_px}
HAVING count(DISTINCT session_id) >= ${k}
ORDER BY page, viewport_width, kind, segment_value, day, y_bin, x_bin;
