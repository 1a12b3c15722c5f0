-- Sightline warehouse grid recipe for ClickHouse (issue #17): PostHog's `heatmaps` table.
--
-- Writes a Sightline heatmap grid (docs/FORMATS.md, "Warehouse grids") as Snappy Parquet on
-- standard output. Only bins with at least k distinct sessions leave the query (HAVING
-- uniqExact(session_id) >= k), so no session leaves the warehouse.
--
-- Parameters are ClickHouse query parameters; every one must be given:
--
--   --param_team_id=1               PostHog team (project) id                     Int64
--   --param_date_from=2026-11-01    first day, inclusive (UTC)                    Date
--   --param_date_to=2026-12-01      last day, EXCLUSIVE (UTC)                     Date
--   --param_k=5                     k-anonymity floor: distinct sessions per bin  UInt32
--   --param_bin_px=1                side of a bin in CSS px, 1-256                UInt16
--   --param_segment_key=            '' (everyone), or region, variant, cohort     String
--   --param_segment_column=no_segment
--                                   the column holding the segment value;
--                                   `no_segment` (an empty string defined below)
--                                   when segment_key is empty                     Identifier
--
-- Run:
--
--   clickhouse-client --param_team_id=1 --param_date_from=2026-11-01 --param_date_to=2026-12-01 \
--       --param_k=5 --param_bin_px=1 --param_segment_key= --param_segment_column=no_segment \
--       --queries-file warehouse/clickhouse_grid.sql > grid.parquet
--
-- ClickHouse cannot write Parquet key-value metadata, so stamp `sightline.recipe` and
-- `sightline.params` afterwards (warehouse/README.md shows a DuckDB one-liner), or leave
-- them out and give `--recipe` to `sightline import`.
--
-- What it does, row by row of `heatmaps`:
--   * type 'click' and 'rageclick' -> kind 'click', 'mousemove' -> 'move'; 'scrolldepth' rows
--     and rows on fixed elements (pointer_target_fixed) are dropped. (posthog-js sends a
--     'rageclick' row next to each click of a rage burst; drop 'rageclick' from the IN list
--     if your data has both, or those clicks count twice.)
--   * PostHog stores x and y divided by scale_factor, in page coordinates (y includes the
--     scroll offset), so CSS px = x * scale_factor. Points outside 0..99999 px are dropped.
--   * day = the UTC date of `timestamp`.
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
--   * x_bin = floor(px / bin_px), y_bin likewise; count = events in the bin; sessions =
--     uniqExact(session_id) (exact; never uniq(), which estimates), and bins with
--     sessions < k are left out.
SELECT
    page,
    toInt64(min(viewport_width)) AS viewport_width,
    kind,
    {segment_key:String} AS segment_key,
    segment_value,
    day,
    toInt64(intDiv(x_px, {bin_px:UInt16})) AS x_bin,
    toInt64(intDiv(y_px, {bin_px:UInt16})) AS y_bin,
    -- (the checks of the parameters are folded into this constant)
    toInt64({bin_px:UInt16})
        + throwIf({bin_px:UInt16} NOT BETWEEN 1 AND 256, 'bin_px must be 1-256')
        + throwIf({k:UInt32} < 1, 'k must be at least 1')
        + throwIf({segment_key:String} NOT IN ('', 'region', 'variant', 'cohort'),
                  'segment_key must be empty, region, variant or cohort') AS bin_px,
    toInt64(count()) AS `count`,
    toInt64(uniqExact(session_id)) AS sessions
FROM
(
    SELECT
        session_id,
        toDate32(toDate(timestamp, 'UTC')) AS day,
        toInt64(x) * toInt64(scale_factor) AS x_px,
        toInt64(y) * toInt64(scale_factor) AS y_px,
        viewport_width,
        multiIf(viewport_width < 600, 'mobile', viewport_width < 1024, 'tablet', 'desktop') AS device_class,
        if(type IN ('click', 'rageclick'), 'click', 'move') AS kind,
        '' AS no_segment,
        if({segment_key:String} = '', '', toString({segment_column:Identifier})) AS segment_value,
        -- scheme://authority/path, query and fragment dropped
        extractGroups(current_url, '^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)') AS url_parts,
        -- Path segments: UUID -> :uuid, all digits -> :id, 16+ hex -> :hash. RE2 has no
        -- look-ahead, so the digit and hash rules run twice (for adjacent segments).
        replaceRegexpAll(replaceRegexpAll(replaceRegexpAll(replaceRegexpAll(replaceRegexpAll(
            url_parts[3],
            '/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(/|$)', '/:uuid\\1'),
            '/[0-9]+(/|$)', '/:id\\1'),
            '/[0-9]+(/|$)', '/:id\\1'),
            '/[0-9a-fA-F]{16,}(/|$)', '/:hash\\1'),
            '/[0-9a-fA-F]{16,}(/|$)', '/:hash\\1') AS clean_path,
        concat(
            lower(url_parts[1]), '://', lower(replaceRegexpOne(url_parts[2], '^.*@', '')),
            if(replaceRegexpOne(clean_path, '/+$', '') = '', '/', replaceRegexpOne(clean_path, '/+$', ''))
        ) AS page
    FROM heatmaps
    WHERE team_id = {team_id:Int64}
      AND timestamp >= toDateTime({date_from:Date}, 'UTC')
      AND timestamp < toDateTime({date_to:Date}, 'UTC')
      AND type IN ('click', 'rageclick', 'mousemove')
      AND NOT pointer_target_fixed
      AND viewport_width BETWEEN 1 AND 10000
)
WHERE length(url_parts) = 3
  AND x_px BETWEEN 0 AND 99999
  AND y_px BETWEEN 0 AND 99999
  AND ({segment_key:String} = '' OR (segment_value != '' AND lengthUTF8(segment_value) <= 64))
GROUP BY page, device_class, kind, segment_value, day, x_bin, y_bin
HAVING uniqExact(session_id) >= {k:UInt32}
ORDER BY page, viewport_width, kind, segment_value, day, y_bin, x_bin
SETTINGS
    output_format_parquet_compression_method = 'snappy',
    output_format_parquet_string_as_string = 1
FORMAT Parquet
