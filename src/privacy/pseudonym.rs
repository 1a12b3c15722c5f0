//! Keyed pseudonyms for subject identifiers: HMAC-SHA-256 under a per-dataset secret, so the
//! same person maps to the same pseudonym within a dataset and to nothing guessable outside it.

use hmac::{KeyInit, Mac};

/// HMAC-SHA-256 (RFC 2104) with a 32-byte key.
pub(crate) fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    // Any key length is valid for HMAC, so this never fails.
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// How subject identifiers are normalised before they are pseudonymised, as receipts state it.
pub const SUBJECT_NORMAL_FORM: &str = "Unicode NFKC, lower case, surrounding space trimmed";

/// A subject identifier in its normal form ([`SUBJECT_NORMAL_FORM`]), so `Alice@Example.com `
/// and `alice@example.com` are one person.
pub fn normal_form(subject: &str) -> String {
    icu_normalizer::ComposingNormalizerBorrowed::new_nfkc()
        .normalize(subject.trim())
        .to_lowercase()
        .trim()
        .to_owned()
}

/// The pseudonym of a data subject: [`pseudonym`] of the identifier's normal form.
pub fn subject_pseudonym(key: &[u8; 32], subject: &str) -> String {
    pseudonym(key, &normal_form(subject))
}

/// The pseudonym of `subject` under `key`: `s_` and 24 hex digits. Only surrounding space is
/// ignored: for data subjects use [`subject_pseudonym`]; this form keeps source ids distinct.
pub fn pseudonym(key: &[u8; 32], subject: &str) -> String {
    let digest = hmac_sha256(key, subject.trim().as_bytes());
    format!("s_{}", hex::encode(&digest[..12]))
}

/// Buckets the k floor counts people in: few enough that `core.db` cannot single out a
/// person's sessions in a large dataset, many enough that small segments rarely share one.
pub const SUBJECT_GROUPS: u32 = 1 << 16;

/// The bucket of a subject (by pseudonym) for the k floor. Two people may share a bucket, which
/// only ever makes the floor stricter: a segment is counted as fewer people, never more.
pub fn subject_group(key: &[u8; 32], subject_pseudonym: &str) -> u32 {
    let digest = hmac_sha256(key, format!("k-group:{subject_pseudonym}").as_bytes());
    u32::from(u16::from_be_bytes([digest[0], digest[1]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        assert_eq!(
            hex::encode(hmac_sha256(&key, b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn pseudonyms_are_stable_per_key_and_differ_across_keys() {
        let a = pseudonym(&[1; 32], "user-42");
        assert_eq!(a, pseudonym(&[1; 32], " user-42 "));
        assert_ne!(a, pseudonym(&[2; 32], "user-42"));
        assert_ne!(a, pseudonym(&[1; 32], "user-43"));
        assert_eq!(a.len(), 26);
    }

    #[test]
    fn subjects_match_across_case_width_and_space() {
        let key = [3; 32];
        let a = subject_pseudonym(&key, "alice@example.com");
        assert_eq!(a, subject_pseudonym(&key, "  Alice@Example.COM "));
        // Full-width letters fold to ASCII under NFKC.
        assert_eq!(a, subject_pseudonym(&key, "ＡＬＩＣＥ@example.com"));
        assert_ne!(a, subject_pseudonym(&key, "alice2@example.com"));
        // Source ids stay case-sensitive.
        assert_ne!(pseudonym(&key, "Ses-1"), pseudonym(&key, "ses-1"));
    }
}
