//! The recovery key and its slot: a random key shown once at creation that opens every tier,
//! like a disk-encryption recovery key. Its X25519 secret is derived from the key, so rotations
//! can reseal to it without anyone typing it.

use std::fmt;

use ed25519_dalek::SigningKey;
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::dataset::Tier;
use crate::dataset::crypto::{SealedBox, encode_fields, open_box, random_array, seal_to};
use crate::dataset::keys::TierKeys;
use crate::error::{Error, Result};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const KEY_BYTES: usize = 20;

/// A recovery key: 160 random bits, written as eight groups of four Crockford base-32 digits.
pub struct RecoveryKey(Zeroizing<[u8; KEY_BYTES]>);

impl RecoveryKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self> {
        Ok(Self(Zeroizing::new(random_array::<KEY_BYTES>()?)))
    }

    /// Parses what a person typed: case, dashes and spaces do not matter; O reads as 0, I and L as 1.
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = || {
            Error::Invalid(
                "That is not a recovery key: expected 32 letters and digits in groups of four."
                    .into(),
            )
        };
        let mut bits: u64 = 0;
        let mut nbits = 0;
        let mut out = Zeroizing::new([0u8; KEY_BYTES]);
        let mut len = 0;
        for c in text.chars().filter(|c| !matches!(c, '-' | ' ')) {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let value = ALPHABET
                .iter()
                .position(|a| *a as char == c)
                .ok_or_else(invalid)?;
            bits = (bits << 5) | value as u64;
            nbits += 5;
            if nbits >= 8 {
                nbits -= 8;
                *out.get_mut(len).ok_or_else(invalid)? = (bits >> nbits) as u8;
                len += 1;
            }
        }
        if len != KEY_BYTES || nbits != 0 {
            return Err(invalid());
        }
        Ok(Self(out))
    }

    fn secret(&self, dataset_id: &str) -> Result<StaticSecret> {
        let hk = Hkdf::<Sha256>::new(Some(dataset_id.as_bytes()), self.0.as_ref());
        let mut out = Zeroizing::new([0u8; 32]);
        hk.expand(b"sightline/recovery/v1", out.as_mut())
            .map_err(|_| Error::Format("Key expansion failed.".into()))?;
        Ok(StaticSecret::from(*out))
    }
}

impl fmt::Display for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut digits = String::with_capacity(40);
        let mut bits: u64 = 0;
        let mut nbits = 0;
        for byte in self.0.iter() {
            bits = (bits << 8) | u64::from(*byte);
            nbits += 8;
            while nbits >= 5 {
                nbits -= 5;
                digits.push(ALPHABET[((bits >> nbits) & 31) as usize] as char);
            }
        }
        let groups: Vec<&str> = digits
            .as_bytes()
            .chunks(4)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        f.write_str(&groups.join("-"))
    }
}

/// The recovery slot in the header: every tier's key sealed to the recovery public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverySlot {
    /// Public key derived from the recovery key, hex.
    #[serde(with = "hex::serde")]
    pub public_key: Vec<u8>,
    /// Every tier's key.
    pub keys_box: SealedBox,
    /// The authority's signing key (format 2), so a recovery can re-sign the membership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority_box: Option<SealedBox>,
}

impl RecoverySlot {
    /// A slot for `key` holding every tier of `keys`.
    pub fn new(dataset_id: &str, key: &RecoveryKey, keys: &TierKeys) -> Result<Self> {
        let public = PublicKey::from(&key.secret(dataset_id)?);
        let mut slot = RecoverySlot {
            public_key: public.as_bytes().to_vec(),
            keys_box: seal_to(public.as_bytes(), &[], &[])?,
            authority_box: None,
        };
        slot.reseal_keys(dataset_id, keys)?;
        Ok(slot)
    }

    /// Seals the current keys (after a rotation).
    pub fn reseal_keys(&mut self, dataset_id: &str, keys: &TierKeys) -> Result<()> {
        let public: [u8; 32] = self
            .public_key
            .as_slice()
            .try_into()
            .map_err(|_| Error::Format("The recovery slot is malformed.".into()))?;
        let packed = keys
            .pack(&Tier::ALL)
            .ok_or_else(|| Error::Invalid("Not all keys are held.".into()))?;
        self.keys_box = seal_to(&public, &packed, &Self::aad(dataset_id, &self.public_key))?;
        Ok(())
    }

    /// Seals the authority key to the recovery public key.
    pub fn seal_authority(&mut self, dataset_id: &str, authority: &SigningKey) -> Result<()> {
        let public: [u8; 32] = self
            .public_key
            .as_slice()
            .try_into()
            .map_err(|_| Error::Format("The recovery slot is malformed.".into()))?;
        self.authority_box = Some(seal_to(
            &public,
            authority.as_bytes(),
            &Self::authority_aad(dataset_id, &self.public_key),
        )?);
        Ok(())
    }

    /// The authority key, or `None` for a wrong key or a slot without one.
    pub fn open_authority(&self, dataset_id: &str, key: &RecoveryKey) -> Option<SigningKey> {
        let secret = key.secret(dataset_id).ok()?;
        let bytes = open_box(
            &secret,
            self.authority_box.as_ref()?,
            &Self::authority_aad(dataset_id, &self.public_key),
        )?;
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(bytes.as_slice().try_into().ok()?);
        Some(SigningKey::from_bytes(&seed))
    }

    fn authority_aad(dataset_id: &str, public_key: &[u8]) -> Vec<u8> {
        encode_fields(
            "sightline/recovery/v2/authority",
            &[dataset_id.as_bytes(), public_key],
        )
    }

    /// Every tier's key, or `None` for a wrong recovery key.
    pub fn unlock(&self, dataset_id: &str, key: &RecoveryKey) -> Option<TierKeys> {
        let secret = key.secret(dataset_id).ok()?;
        if PublicKey::from(&secret).as_bytes().as_slice() != self.public_key.as_slice() {
            return None;
        }
        let packed = open_box(
            &secret,
            &self.keys_box,
            &Self::aad(dataset_id, &self.public_key),
        )?;
        TierKeys::unpack(&Tier::ALL, &packed)
    }

    fn aad(dataset_id: &str, public_key: &[u8]) -> Vec<u8> {
        encode_fields(
            "sightline/recovery/v1/keys",
            &[dataset_id.as_bytes(), b"core,recordings", public_key],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_key_text_round_trips_and_forgives_typing() -> Result<()> {
        let key = RecoveryKey::generate()?;
        let text = key.to_string();
        assert_eq!(
            text.len(),
            39,
            "eight groups of four with seven dashes: {text}"
        );
        let typed = text.to_lowercase().replace('-', " ").replace('0', "o");
        assert_eq!(RecoveryKey::parse(&typed)?.to_string(), text);
        assert!(RecoveryKey::parse(&text[..30]).is_err());
        assert!(RecoveryKey::parse("not a key at all").is_err());
        Ok(())
    }
}
