//! The few cryptographic primitives the bundle uses: random keys, Argon2id, an AEAD, and
//! sealing to an X25519 public key (so a compliance lead can rewrap keys for every slot
//! during a rotation without knowing anyone's password).

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// A 256-bit secret that is wiped when dropped.
pub type Key32 = Zeroizing<[u8; 32]>;

/// Fills an array from the operating system's random number generator.
pub fn random_array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| Error::Random)?;
    Ok(out)
}

/// A fresh random 256-bit key.
pub fn random_key() -> Result<Key32> {
    Ok(Zeroizing::new(random_array::<32>()?))
}

/// Argon2id parameters, stored with each slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfCost {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfCost {
    /// OWASP's minimum for Argon2id; slots below it are refused.
    pub const FLOOR: KdfCost = KdfCost {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };

    /// What new slots get.
    pub const DEFAULT: KdfCost = KdfCost {
        m_kib: 32 * 1024,
        t: 2,
        p: 1,
    };

    /// Whether these parameters meet the floor (and stay within sane limits).
    pub fn meets_floor(&self) -> bool {
        self.m_kib >= Self::FLOOR.m_kib
            && self.t >= Self::FLOOR.t
            && self.p >= Self::FLOOR.p
            && self.m_kib <= 4 * 1024 * 1024
            && self.t <= 64
            && self.p <= 64
    }
}

/// Derives a key-encryption key from a password.
pub fn argon2id(password: &[u8], salt: &[u8], cost: KdfCost) -> Result<Key32> {
    let params = Params::new(cost.m_kib, cost.t, cost.p, Some(32))
        .map_err(|_| Error::Format("Invalid key-derivation parameters in a key slot.".into()))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password, salt, out.as_mut())
        .map_err(|_| Error::Format("Key derivation failed for a key slot.".into()))?;
    Ok(out)
}

/// Ciphertext with its nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// 24-byte XChaCha20 nonce, hex.
    #[serde(with = "hex::serde")]
    pub nonce: Vec<u8>,
    /// Ciphertext with the Poly1305 tag, hex.
    #[serde(with = "hex::serde")]
    pub ct: Vec<u8>,
}

/// Encrypts and authenticates `msg`, binding `aad`.
pub fn seal(key: &[u8; 32], msg: &[u8], aad: &[u8]) -> Result<Sealed> {
    let nonce = random_array::<24>()?;
    let cipher = XChaCha20Poly1305::new(&(*key).into());
    let ct = cipher
        .encrypt(&XNonce::from(nonce), Payload { msg, aad })
        .map_err(|_| Error::Format("Encryption failed.".into()))?;
    Ok(Sealed {
        nonce: nonce.to_vec(),
        ct,
    })
}

/// Decrypts, or returns `None` when the key, the ciphertext or `aad` do not match.
pub fn open(key: &[u8; 32], sealed: &Sealed, aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let nonce: [u8; 24] = sealed.nonce.as_slice().try_into().ok()?;
    let cipher = XChaCha20Poly1305::new(&(*key).into());
    cipher
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &sealed.ct,
                aad,
            },
        )
        .ok()
        .map(Zeroizing::new)
}

/// A message sealed to an X25519 public key with an ephemeral key pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedBox {
    /// The ephemeral public key, hex.
    #[serde(with = "hex::serde")]
    pub ephemeral: Vec<u8>,
    /// The sealed message.
    #[serde(flatten)]
    pub sealed: Sealed,
}

fn box_key(shared: &[u8; 32], ephemeral: &[u8; 32], recipient: &[u8; 32]) -> Result<Key32> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral);
    salt[32..].copy_from_slice(recipient);
    let hk = Hkdf::<Sha256>::new(Some(&salt), shared);
    let mut out = Zeroizing::new([0u8; 32]);
    hk.expand(b"sightline/keybox/v1", out.as_mut())
        .map_err(|_| Error::Format("Key expansion failed.".into()))?;
    Ok(out)
}

/// Seals `msg` so that only the holder of `recipient`'s secret can open it.
pub fn seal_to(recipient: &[u8; 32], msg: &[u8], aad: &[u8]) -> Result<SealedBox> {
    let ephemeral = StaticSecret::from(random_array::<32>()?);
    let ephemeral_public = PublicKey::from(&ephemeral);
    let shared = ephemeral.diffie_hellman(&PublicKey::from(*recipient));
    // A low-order "public key" makes the shared secret predictable to anyone: refuse it.
    if !shared.was_contributory() {
        return Err(Error::Integrity(
            "a key slot's public key is not a valid X25519 key (low-order point)".into(),
        ));
    }
    let key = box_key(shared.as_bytes(), ephemeral_public.as_bytes(), recipient)?;
    Ok(SealedBox {
        ephemeral: ephemeral_public.as_bytes().to_vec(),
        sealed: seal(&key, msg, aad)?,
    })
}

/// Opens a box sealed to `secret`'s public key, or `None` if it does not authenticate.
pub fn open_box(
    secret: &StaticSecret,
    sealed: &SealedBox,
    aad: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let ephemeral: [u8; 32] = sealed.ephemeral.as_slice().try_into().ok()?;
    let recipient = PublicKey::from(secret);
    let shared = secret.diffie_hellman(&PublicKey::from(ephemeral));
    if !shared.was_contributory() {
        return None;
    }
    let key = box_key(shared.as_bytes(), &ephemeral, recipient.as_bytes()).ok()?;
    open(&key, &sealed.sealed, aad)
}

/// Length-prefixed concatenation, so that no two field lists encode alike.
pub fn encode_fields(domain: &str, fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + fields.iter().map(|f| f.len() + 4).sum::<usize>());
    for field in std::iter::once(domain.as_bytes()).chain(fields.iter().copied()) {
        out.extend_from_slice(&(field.len() as u32).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_box_round_trip_and_aad_binding() -> Result<()> {
        let secret = StaticSecret::from(random_array::<32>()?);
        let public = PublicKey::from(&secret);
        let sealed = seal_to(public.as_bytes(), b"keys", b"ad")?;
        assert_eq!(
            open_box(&secret, &sealed, b"ad")
                .as_deref()
                .map(|v| v.as_slice()),
            Some(&b"keys"[..])
        );
        assert!(open_box(&secret, &sealed, b"other").is_none());
        let stranger = StaticSecret::from(random_array::<32>()?);
        assert!(open_box(&stranger, &sealed, b"ad").is_none());
        Ok(())
    }

    #[test]
    fn field_encoding_is_unambiguous() {
        assert_ne!(
            encode_fields("d", &[b"ab", b"c"]),
            encode_fields("d", &[b"a", b"bc"])
        );
    }
}
