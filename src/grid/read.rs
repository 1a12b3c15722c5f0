//! Reading a grid file: Parquet (found by its `PAR1` magic) through the `parquet` crate's row
//! reader, or CSV with a header row. Columns are found by name, in any order; a missing column
//! or a value of the wrong type names its row. Values are not judged here ([`super::check`]).
//! Rows are handed over one at a time (a CSV file read as they are needed), so a grid of
//! millions of rows is never held whole as rows.

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

use super::{GridRow, Provenance};
use crate::error::{Error, Result};

/// The columns a grid has.
const COLUMNS: &[&str] = &[
    "page",
    "viewport_width",
    "kind",
    "segment_key",
    "segment_value",
    "day",
    "x_bin",
    "y_bin",
    "bin_px",
    "count",
    "sessions",
];

/// The most rows a grid file may hold (a month of a large site at 1 px bins is far less).
pub const MAX_ROWS: usize = 20_000_000;
/// The longest text a field may hold (a page pattern is far shorter).
const MAX_TEXT: usize = 2048;

/// What a row goes to: its number (1 is the first data row) and the row.
pub type Each<'a> = &'a mut dyn FnMut(usize, GridRow) -> Result<()>;

/// Reads `path` (display name `file`) row by row into `each`; returns what the file says of
/// its making. The first error, the reader's or `each`'s, ends the reading.
pub fn for_each_row(path: &Path, file: &str, each: Each<'_>) -> Result<Provenance> {
    let mut opened = std::fs::File::open(path).map_err(Error::io("read", path))?;
    let mut magic = [0u8; 4];
    let parquet = opened.read_exact(&mut magic).is_ok() && &magic == b"PAR1";
    opened
        .seek(std::io::SeekFrom::Start(0))
        .map_err(Error::io("read", path))?;
    if parquet {
        // Parquet is read whole (it is compressed, and the crate trusts the sizes a file
        // claims when it reads from a file); its rows still go one by one.
        let mut bytes = Vec::new();
        opened
            .read_to_end(&mut bytes)
            .map_err(Error::io("read", path))?;
        return guarded(file, || parquet_rows(bytes::Bytes::from(bytes), file, each));
    }
    csv_rows(std::io::BufReader::new(opened), file, each)?;
    Ok(Provenance {
        file: file.to_owned(),
        ..Provenance::default()
    })
}

/// [`for_each_row`] for bytes in memory, collecting the rows.
pub fn read_bytes(bytes: Vec<u8>, file: &str) -> Result<(Vec<GridRow>, Provenance)> {
    let mut rows = Vec::new();
    let mut push = |_, row| {
        rows.push(row);
        Ok(())
    };
    let provenance = if bytes.starts_with(b"PAR1") {
        guarded(file, || {
            parquet_rows(bytes::Bytes::from(bytes), file, &mut push)
        })?
    } else {
        csv_rows(bytes.as_slice(), file, &mut push)?;
        Provenance {
            file: file.to_owned(),
            ..Provenance::default()
        }
    };
    Ok((rows, provenance))
}

/// Runs `read`, turning a panic inside the parquet crate into a refusal: it is not written
/// for hostile input, and a file it cannot handle must be refused, not end the process.
fn guarded(file: &str, read: impl FnOnce() -> Result<Provenance>) -> Result<Provenance> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .unwrap_or_else(|_| Err(refused(file, "it is not a Parquet file Sightline can read")))
}

fn refused(file: &str, why: &str) -> Error {
    Error::Format(format!("{file}: grid refused: {why}."))
}

fn row_error(file: &str, row: usize, why: &str) -> Error {
    Error::Format(format!("{file}: grid refused at row {row}: {why}."))
}

fn parquet_rows(source: bytes::Bytes, file: &str, each: Each<'_>) -> Result<Provenance> {
    let reader = SerializedFileReader::new(source)
        .map_err(|_| refused(file, "its Parquet structure is damaged"))?;
    let meta = reader.metadata().file_metadata();
    let kv = |key: &str| -> Option<String> {
        meta.key_value_metadata()?
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.clone())
            .map(|v| v.chars().filter(|c| !c.is_control()).take(200).collect())
    };
    let provenance = Provenance {
        file: file.to_owned(),
        recipe: kv("sightline.recipe"),
        params: kv("sightline.params"),
    };
    let total = usize::try_from(meta.num_rows()).unwrap_or(usize::MAX);
    if total > MAX_ROWS {
        return Err(refused(file, &format!("it has more than {MAX_ROWS} rows")));
    }
    let names: Vec<&str> = meta
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name())
        .collect();
    if let Some(missing) = COLUMNS.iter().find(|c| !names.contains(c)) {
        return Err(refused(file, &format!("it has no column `{missing}`")));
    }
    let iter = reader
        .get_row_iter(None)
        .map_err(|_| refused(file, "its rows cannot be read"))?;
    // The metadata's row count is the file's word only: the limit is checked on the rows
    // themselves.
    for (i, row) in iter.enumerate() {
        let n = i + 1;
        if n > MAX_ROWS {
            return Err(refused(file, &format!("it has more than {MAX_ROWS} rows")));
        }
        let row = row.map_err(|_| row_error(file, n, "the row cannot be read"))?;
        let fields: HashMap<&str, &Field> = row
            .get_column_iter()
            .map(|(name, field)| (name.as_str(), field))
            .collect();
        let get = |name: &str| fields.get(name).copied().unwrap_or(&Field::Null);
        let text = |name: &str| -> Result<String> {
            match get(name) {
                Field::Str(s) if s.len() <= MAX_TEXT => Ok(s.clone()),
                Field::Str(_) => Err(row_error(file, n, &format!("`{name}` is too long"))),
                _ => Err(row_error(file, n, &format!("`{name}` is not text"))),
            }
        };
        let int = |name: &str| -> Result<i64> {
            match get(name) {
                Field::Byte(v) => Ok(i64::from(*v)),
                Field::Short(v) => Ok(i64::from(*v)),
                Field::Int(v) => Ok(i64::from(*v)),
                Field::Long(v) => Ok(*v),
                Field::UByte(v) => Ok(i64::from(*v)),
                Field::UShort(v) => Ok(i64::from(*v)),
                Field::UInt(v) => Ok(i64::from(*v)),
                Field::ULong(v) => i64::try_from(*v)
                    .map_err(|_| row_error(file, n, &format!("`{name}` is out of range"))),
                _ => Err(row_error(file, n, &format!("`{name}` is not an integer"))),
            }
        };
        let day = match get("day") {
            // Days since 1970-01-01; one out of range is refused by the checks as no date.
            Field::Date(d) => crate::clock::day(i64::from(*d) * 86_400_000),
            Field::Str(s) => s.clone(),
            _ => return Err(row_error(file, n, "`day` is not a date")),
        };
        each(n, grid_row(text, int, day)?)?;
    }
    Ok(provenance)
}

/// A row from its columns, read by name as text or as integers.
fn grid_row(
    text: impl Fn(&str) -> Result<String>,
    int: impl Fn(&str) -> Result<i64>,
    day: String,
) -> Result<GridRow> {
    Ok(GridRow {
        page: text("page")?,
        viewport_width: int("viewport_width")?,
        kind: text("kind")?,
        segment_key: text("segment_key")?,
        segment_value: text("segment_value")?,
        day,
        x_bin: int("x_bin")?,
        y_bin: int("y_bin")?,
        bin_px: int("bin_px")?,
        count: int("count")?,
        sessions: int("sessions")?,
    })
}

fn csv_rows(source: impl Read, file: &str, each: Each<'_>) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(source);
    let headers = reader
        .headers()
        .map_err(|_| refused(file, "its header row cannot be read"))?
        .clone();
    let index: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    if let Some(missing) = COLUMNS.iter().find(|c| !index.contains_key(*c)) {
        return Err(refused(file, &format!("it has no column `{missing}`")));
    }
    for (i, record) in reader.records().enumerate() {
        let n = i + 1;
        if n > MAX_ROWS {
            return Err(refused(file, &format!("it has more than {MAX_ROWS} rows")));
        }
        // Not UTF-8, or a row with a stray quote: the csv reader says so.
        let record = record.map_err(|_| row_error(file, n, "the row cannot be read"))?;
        let text = |name: &str| -> String {
            index
                .get(name)
                .and_then(|&i| record.get(i))
                .unwrap_or("")
                .chars()
                .take(MAX_TEXT)
                .collect()
        };
        let int = |name: &str| -> Result<i64> {
            text(name)
                .parse()
                .map_err(|_| row_error(file, n, &format!("`{name}` is not an integer")))
        };
        each(n, grid_row(|name| Ok(text(name)), int, text("day"))?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "page,viewport_width,kind,segment_key,segment_value,day,x_bin,y_bin,bin_px,count,sessions\n";

    #[test]
    fn csv_rows_are_read_by_column_name() {
        let text = "sessions,page,viewport_width,kind,segment_key,segment_value,day,x_bin,y_bin,bin_px,count\n\
                    7,https://shop.example/checkout,1440,click,,,2026-11-10,3,4,50,9\n";
        let (rows, prov) = read_bytes(text.as_bytes().to_vec(), "g.csv").unwrap();
        assert_eq!(prov.recipe, None);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (
                rows[0].x_bin,
                rows[0].y_bin,
                rows[0].count,
                rows[0].sessions
            ),
            (3, 4, 9, 7)
        );
        assert_eq!(rows[0].day, "2026-11-10");
    }

    #[test]
    fn a_missing_column_or_a_bad_number_is_refused_with_its_row() {
        let e = read_bytes(b"page,kind\nx,click\n".to_vec(), "g.csv").unwrap_err();
        assert!(e.to_string().contains("no column `viewport_width`"), "{e}");
        let text = format!(
            "{HEADER}https://a.test/,1440,click,,,2026-11-10,1,1,1,5,5\nhttps://a.test/,1440,click,,,2026-11-10,x,1,1,5,5\n"
        );
        let e = read_bytes(text.into_bytes(), "g.csv").unwrap_err();
        assert!(
            e.to_string().contains("row 2: `x_bin` is not an integer"),
            "{e}"
        );
    }

    #[test]
    fn csv_that_is_not_utf8_is_refused_by_row() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend(b"https://a.test/\xff,1440,click,,,2026-11-10,1,1,1,5,5\n");
        let e = read_bytes(bytes, "g.csv").unwrap_err();
        assert!(
            e.to_string().contains("row 1: the row cannot be read"),
            "{e}"
        );
    }

    #[test]
    fn damaged_parquet_is_refused_not_a_crash() {
        let mut bytes = b"PAR1".to_vec();
        bytes.extend([0u8; 64]);
        bytes.extend(b"PAR1");
        let e = read_bytes(bytes, "g.parquet").unwrap_err();
        assert!(e.to_string().contains("grid refused"), "{e}");
    }
}
