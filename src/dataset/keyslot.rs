//! Key slots: a user's password unwraps an X25519 secret, which opens the box holding the data
//! keys of that user's role. User, role, tiers and KDF parameters are associated data of both
//! seals, so editing any of them in `header.json` makes the slot refuse.

use serde::{Deserialize, Serialize};
use x25519_dalek::{PublicKey, StaticSecret};

use crate::access::Role;
use crate::dataset::Tier;
use crate::dataset::crypto::{
    KdfCost, Sealed, SealedBox, argon2id, encode_fields, open, open_box, random_array, seal,
    seal_to,
};
use crate::dataset::keys::TierKeys;
use crate::error::{Error, Result};

/// One user's slot in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySlot {
    /// The user name (not secret: `sightline info` lists it).
    pub user: String,
    /// The role, bound into both seals.
    pub role: Role,
    /// The tiers whose keys the slot holds; must equal the role's tiers.
    pub tiers: Vec<Tier>,
    /// Argon2id cost for this slot.
    pub kdf: KdfCost,
    /// Argon2id salt, hex.
    #[serde(with = "hex::serde")]
    pub salt: Vec<u8>,
    /// The slot's X25519 public key, hex. Rotations seal new keys to it.
    #[serde(with = "hex::serde")]
    pub public_key: Vec<u8>,
    /// The X25519 secret, sealed under the password-derived key.
    pub secret_box: Sealed,
    /// The role's data keys, sealed to `public_key`.
    pub keys_box: SealedBox,
    /// When the slot was made (RFC 3339).
    pub created_at: String,
}

/// Why a slot did not open.
#[derive(Debug)]
pub enum SlotError {
    /// Wrong password, or associated data edited (indistinguishable by design).
    Refused,
    /// The password was right but the slot is inconsistent: it was tampered with.
    Tampered(String),
}

impl KeySlot {
    /// Makes a slot for `user` holding the keys of `role`'s tiers.
    pub fn new(
        dataset_id: &str,
        user: &str,
        role: Role,
        password: &str,
        keys: &TierKeys,
        created_at: String,
    ) -> Result<KeySlot> {
        let secret = StaticSecret::from(random_array::<32>()?);
        let mut slot = KeySlot {
            user: user.to_owned(),
            role,
            tiers: role.tiers().to_vec(),
            kdf: KdfCost::DEFAULT,
            salt: random_array::<16>()?.to_vec(),
            public_key: PublicKey::from(&secret).as_bytes().to_vec(),
            secret_box: Sealed {
                nonce: Vec::new(),
                ct: Vec::new(),
            },
            keys_box: SealedBox {
                ephemeral: Vec::new(),
                sealed: Sealed {
                    nonce: Vec::new(),
                    ct: Vec::new(),
                },
            },
            created_at,
        };
        let kek = argon2id(password.as_bytes(), &slot.salt, slot.kdf)?;
        slot.secret_box = seal(&kek, secret.as_bytes(), &slot.aad(dataset_id, "secret"))?;
        slot.reseal_keys(dataset_id, keys)?;
        Ok(slot)
    }

    /// Seals the current keys of this slot's tiers to its public key (after a rotation).
    pub fn reseal_keys(&mut self, dataset_id: &str, keys: &TierKeys) -> Result<()> {
        let public: [u8; 32] = self
            .public_key
            .as_slice()
            .try_into()
            .map_err(|_| Error::Format(format!("Key slot of {} is malformed.", self.user)))?;
        let packed = keys
            .pack(&self.tiers)
            .ok_or_else(|| Error::Invalid("Not all keys of this role are held.".into()))?;
        self.keys_box = seal_to(&public, &packed, &self.aad(dataset_id, "keys"))?;
        Ok(())
    }

    /// Unwraps the data keys with `password`.
    pub fn unlock(&self, dataset_id: &str, password: &str) -> Result<TierKeys, SlotError> {
        if !self.kdf.meets_floor() {
            // Still spend the work so a weakened slot is not a timing oracle.
            dummy_work(password);
            return Err(SlotError::Tampered(format!(
                "the key slot of '{}' has key-derivation parameters below the floor",
                self.user
            )));
        }
        let kek =
            argon2id(password.as_bytes(), &self.salt, self.kdf).map_err(|_| SlotError::Refused)?;
        let secret_bytes = open(&kek, &self.secret_box, &self.aad(dataset_id, "secret"))
            .ok_or(SlotError::Refused)?;
        let secret_array: [u8; 32] = secret_bytes.as_slice().try_into().map_err(|_| {
            SlotError::Tampered(format!("the key slot of '{}' is malformed", self.user))
        })?;
        let secret = StaticSecret::from(secret_array);
        let tampered =
            |what: &str| SlotError::Tampered(format!("the key slot of '{}' {what}", self.user));
        if PublicKey::from(&secret).as_bytes().as_slice() != self.public_key.as_slice() {
            return Err(tampered("has a public key that does not match its secret"));
        }
        if self.tiers.as_slice() != self.role.tiers() {
            return Err(tampered("claims key tiers its role does not hold"));
        }
        let packed = open_box(&secret, &self.keys_box, &self.aad(dataset_id, "keys"))
            .ok_or_else(|| tampered("holds a key box that does not authenticate"))?;
        TierKeys::unpack(&self.tiers, &packed)
            .ok_or_else(|| tampered("holds the wrong number of keys"))
    }

    fn aad(&self, dataset_id: &str, purpose: &str) -> Vec<u8> {
        let tiers = self
            .tiers
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let cost = [self.kdf.m_kib, self.kdf.t, self.kdf.p]
            .map(u32::to_be_bytes)
            .concat();
        encode_fields(
            &format!("sightline/slot/v1/{purpose}"),
            &[
                dataset_id.as_bytes(),
                self.user.as_bytes(),
                self.role.as_str().as_bytes(),
                tiers.as_bytes(),
                &cost,
                &self.salt,
                &self.public_key,
            ],
        )
    }
}

/// Spends the same Argon2id work as a real slot, for unknown users.
pub fn dummy_work(password: &str) {
    if let Ok(salt) = random_array::<16>() {
        let _spent = argon2id(password.as_bytes(), &salt, KdfCost::DEFAULT);
    }
}
