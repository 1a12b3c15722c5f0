//! Undoing the two compressions an importer meets: rrweb's packer (each event a latin-1 string
//! of zlib-deflated JSON) and PostHog's `cv` fields (gzip'ed latin-1 strings). Output sizes are
//! capped per recording and per file (not per string), so a small hostile file cannot expand
//! without bound, however many compressed strings it holds.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

use crate::error::{Error, Result};

/// The most the compressed events of one recording may expand to, in all.
const MAX_INFLATED: u64 = 256 * 1024 * 1024;
/// The most the compressed events of one file may expand to, in all.
const MAX_INFLATED_PER_FILE: u64 = 1024 * 1024 * 1024;

/// What a file's compressed events may still expand to, shared by its recordings.
#[derive(Debug, Clone)]
pub struct Budget {
    file_left: Arc<AtomicU64>,
    per_recording: u64,
}

impl Budget {
    /// A fresh budget for one file.
    pub fn for_file() -> Budget {
        Self::with_limits(MAX_INFLATED_PER_FILE, MAX_INFLATED)
    }

    fn with_limits(file: u64, per_recording: u64) -> Budget {
        Budget {
            file_left: Arc::new(AtomicU64::new(file)),
            per_recording,
        }
    }

    /// The budget of one recording of this file.
    pub fn recording(&self) -> RecordingBudget {
        RecordingBudget {
            left: self.per_recording,
            file: self.file_left.clone(),
            spent: 0,
        }
    }
}

/// What one recording's compressed events may still expand to (within its file's budget).
#[derive(Debug)]
pub struct RecordingBudget {
    left: u64,
    file: Arc<AtomicU64>,
    spent: u64,
}

impl RecordingBudget {
    /// How many bytes this recording's compressed events expanded to.
    pub fn spent(&self) -> u64 {
        self.spent
    }

    fn limit(&self) -> u64 {
        self.left.min(self.file.load(Ordering::Relaxed))
    }

    fn spend(&mut self, n: u64) {
        self.spent = self.spent.saturating_add(n);
        self.left = self.left.saturating_sub(n);
        let _ = self
            .file
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(n))
            });
    }
}

fn latin1_bytes(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

fn inflate(file: &str, bytes: &[u8], budget: &mut RecordingBudget) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let cap = budget.limit();
    let result = match bytes {
        [0x1f, 0x8b, ..] => flate2::read::GzDecoder::new(bytes)
            .take(cap + 1)
            .read_to_end(&mut out),
        [0x78, ..] => flate2::read::ZlibDecoder::new(bytes)
            .take(cap + 1)
            .read_to_end(&mut out),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => ruzstd::decoding::StreamingDecoder::new(bytes)
            .map_err(|e| {
                Error::Format(format!(
                    "{file}: a zstd-compressed event does not inflate: {e}"
                ))
            })?
            .take(cap + 1)
            .read_to_end(&mut out),
        _ => {
            return Err(Error::Format(format!(
                "{file}: a compressed event in an unknown format"
            )));
        }
    };
    result
        .map_err(|e| Error::Format(format!("{file}: a compressed event does not inflate: {e}")))?;
    if out.len() as u64 > cap {
        return Err(Error::Format(format!(
            "{file}: compressed events expand beyond 256 MiB for one recording or 1 GiB for the file"
        )));
    }
    budget.spend(out.len() as u64);
    Ok(out)
}

fn decompress_json(file: &str, s: &str, budget: &mut RecordingBudget) -> Result<Value> {
    let bytes = latin1_bytes(s)
        .ok_or_else(|| Error::Format(format!("{file}: a packed event is not a byte string")))?;
    let json = inflate(file, &bytes, budget)?;
    serde_json::from_slice(&json)
        .map_err(|e| Error::Format(format!("{file}: a packed event holds invalid JSON: {e}")))
}

/// Unpacks packer strings and PostHog-compressed fields of every event, within `budget`.
pub fn unpack_all(
    file: &str,
    events: Vec<Value>,
    budget: &mut RecordingBudget,
) -> Result<Vec<Value>> {
    events
        .into_iter()
        .map(|event| match event {
            Value::String(s) => decompress_json(file, &s, budget),
            Value::Object(mut map) if map.contains_key("cv") => {
                if let Some(Value::String(s)) = map.get("data") {
                    let data = decompress_json(file, s, budget)?;
                    map.insert("data".into(), data);
                } else if let Some(Value::Object(data)) = map.get_mut("data") {
                    for key in ["texts", "attributes", "removes", "adds"] {
                        if let Some(Value::String(s)) = data.get(key) {
                            let decoded = decompress_json(file, s, budget)?;
                            data.insert(key.into(), decoded);
                        }
                    }
                }
                Ok(Value::Object(map))
            }
            other => Ok(other),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn latin1(bytes: &[u8]) -> String {
        bytes.iter().map(|b| char::from(*b)).collect()
    }

    #[test]
    fn zstd_fields_unpack_and_bombs_are_refused() -> Result<()> {
        let data = br#"{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[]}"#;
        let zstd = ruzstd::encoding::compress_to_vec(
            &data[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let event =
            serde_json::json!({"type": 3, "cv": "2024-10", "timestamp": 1, "data": latin1(&zstd)});
        let out = unpack_all("t", vec![event], &mut Budget::for_file().recording())?;
        assert_eq!(out[0]["data"]["source"], 0);
        // 300 MiB of zeros squeezes into a few kilobytes; expanding it must stop at the cap.
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..300 {
            g.write_all(&zeros)
                .map_err(|e| Error::Format(e.to_string()))?;
        }
        let bomb = latin1(&g.finish().map_err(|e| Error::Format(e.to_string()))?);
        let event = serde_json::json!({"type": 2, "cv": "2024-10", "timestamp": 2, "data": bomb});
        match unpack_all(
            "bomb.json",
            vec![event],
            &mut Budget::for_file().recording(),
        ) {
            Err(Error::Format(msg)) => assert!(msg.contains("256 MiB"), "{msg}"),
            other => panic!(
                "a decompression bomb was accepted: {:?}",
                other.map(|v| v.len())
            ),
        }
        Ok(())
    }

    /// A compressed field that expands to `mib` MiB of valid JSON (white space, then `{}`).
    fn gz_spaces(mib: usize) -> Result<Value> {
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let spaces = vec![b' '; 1024 * 1024];
        for _ in 0..mib {
            g.write_all(&spaces)
                .map_err(|e| Error::Format(e.to_string()))?;
        }
        g.write_all(b"{}")
            .map_err(|e| Error::Format(e.to_string()))?;
        let gz = latin1(&g.finish().map_err(|e| Error::Format(e.to_string()))?);
        Ok(serde_json::json!({"type": 3, "cv": "2024-10", "timestamp": 1, "data": gz}))
    }

    #[test]
    fn many_small_bombs_share_one_budget_per_recording_and_per_file() -> Result<()> {
        // Each expands to 3 MiB, under any single cap; together they must stop.
        let budget = Budget::with_limits(10 << 20, 5 << 20);
        let two = vec![gz_spaces(3)?, gz_spaces(3)?];
        assert!(unpack_all("r.json", two, &mut budget.recording()).is_err());
        // Recordings of one file draw on the file's budget: the fourth has none left.
        let budget = Budget::with_limits(10 << 20, 5 << 20);
        for _ in 0..3 {
            unpack_all("f.json", vec![gz_spaces(3)?], &mut budget.recording())?;
        }
        assert!(unpack_all("f.json", vec![gz_spaces(3)?], &mut budget.recording()).is_err());
        Ok(())
    }

    #[test]
    fn packed_and_posthog_compressed_events_unpack() -> Result<()> {
        let event = br#"{"type":4,"data":{"href":"https://x.test/","width":800,"height":600},"timestamp":1,"v":"v1"}"#;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(event)
            .map_err(|e| Error::Format(e.to_string()))?;
        let packed = latin1(&z.finish().map_err(|e| Error::Format(e.to_string()))?);

        let data =
            br#"{"node":{"type":0,"id":1,"childNodes":[]},"initialOffset":{"top":0,"left":0}}"#;
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        g.write_all(data)
            .map_err(|e| Error::Format(e.to_string()))?;
        let gz = latin1(&g.finish().map_err(|e| Error::Format(e.to_string()))?);
        let posthog = serde_json::json!({"type": 2, "cv": "2024-10", "timestamp": 2, "data": gz});

        let out = unpack_all(
            "t",
            vec![Value::String(packed), posthog],
            &mut Budget::for_file().recording(),
        )?;
        assert_eq!(out[0]["data"]["width"], 800);
        assert_eq!(out[1]["data"]["node"]["id"], 1);
        assert!(
            unpack_all(
                "t",
                vec![Value::String("garbage".into())],
                &mut Budget::for_file().recording()
            )
            .is_err()
        );
        Ok(())
    }
}
