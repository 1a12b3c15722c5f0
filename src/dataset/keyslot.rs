//! Key slots: a user's password unwraps an X25519 secret, which opens the box holding the data
//! keys of that user's role. User, role, tiers and KDF parameters are associated data of both
//! seals. In format 1 the values bound are the file's own, so editing them makes the slot
//! refuse; since format 2 they are the ones the authority signed in the membership
//! ([`KeySlot::as_signed`]), so an edit in the file changes nothing and is named. A format-2
//! slot also carries the member's log-signing key (and, for compliance leads, the authority key),
//! both sealed to the slot's public key.

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::dataset::Role;
use crate::dataset::Tier;
use crate::dataset::authority::{Member, new_signing_key};
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
    /// The member's Ed25519 log-signing key, sealed to `public_key` (format 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_box: Option<SealedBox>,
    /// Compliance leads only: the authority's signing key, sealed to `public_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority_box: Option<SealedBox>,
}

/// What an opened slot gives its owner.
pub struct OpenedSlot {
    /// The role's data keys.
    pub keys: TierKeys,
    /// The slot's X25519 secret (kept to rewrap the slot under a new password).
    pub secret: StaticSecret,
    /// The member's log-signing key (format 2).
    pub signing: Option<SigningKey>,
    /// The authority key (compliance leads, format 2).
    pub authority: Option<SigningKey>,
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
    /// Makes a slot for a new member: fresh X25519 and signing keys, the role's data keys and,
    /// for a compliance lead, `authority`. Returns the slot, the member entry to sign and the signing key.
    pub fn create(
        dataset_id: &str,
        user: &str,
        role: Role,
        password: &str,
        keys: &TierKeys,
        authority: Option<&SigningKey>,
        created_at: String,
    ) -> Result<(KeySlot, Member, SigningKey)> {
        let mut slot = Self::new(dataset_id, user, role, password, keys, created_at)?;
        let signing = new_signing_key()?;
        slot.seal_signing(dataset_id, &signing)?;
        if role == Role::ComplianceLead {
            let authority = authority.ok_or_else(|| {
                Error::Invalid(
                    "Only a holder of the dataset's authority can add a compliance lead.".into(),
                )
            })?;
            slot.seal_authority(dataset_id, authority)?;
        }
        let member = Member {
            user: user.to_owned(),
            role,
            kdf: slot.kdf,
            public_key: slot.public_key.clone(),
            signing_key: signing.verifying_key().as_bytes().to_vec(),
        };
        Ok((slot, member, signing))
    }

    /// Seals the authority key into this (compliance lead's) slot.
    pub fn seal_authority(&mut self, dataset_id: &str, authority: &SigningKey) -> Result<()> {
        self.authority_box = Some(self.seal_key(dataset_id, "authority", authority)?);
        Ok(())
    }

    /// Seals this member's log-signing key into the slot (at creation, and at the upgrade of an
    /// older dataset, which has no signing keys yet).
    pub fn seal_signing(&mut self, dataset_id: &str, signing: &SigningKey) -> Result<()> {
        self.signing_box = Some(self.seal_key(dataset_id, "signing", signing)?);
        Ok(())
    }

    fn seal_key(&self, dataset_id: &str, purpose: &str, key: &SigningKey) -> Result<SealedBox> {
        seal_to(
            &self.public_array()?,
            key.as_bytes(),
            &self.box_aad(dataset_id, purpose),
        )
    }

    /// Sets a new password on this slot, keeping its key pair (so the signed membership still
    /// describes it): a new salt and the same cost.
    pub fn rewrap(
        &mut self,
        dataset_id: &str,
        secret: &StaticSecret,
        keys: &TierKeys,
        password: &str,
    ) -> Result<()> {
        if PublicKey::from(secret).as_bytes().as_slice() != self.public_key.as_slice() {
            return Err(Error::Invalid(
                "That secret does not belong to this slot.".into(),
            ));
        }
        self.salt = random_array::<16>()?.to_vec();
        let kek = argon2id(password.as_bytes(), &self.salt, self.kdf)?;
        self.secret_box = seal(&kek, secret.as_bytes(), &self.aad(dataset_id, "secret"))?;
        // The salt is bound into the key box too.
        self.reseal_keys(dataset_id, keys)
    }

    /// This slot with role, tiers, cost and public key replaced by what the authority signed.
    pub fn as_signed(&self, member: &Member) -> KeySlot {
        KeySlot {
            role: member.role,
            tiers: member.role.tiers().to_vec(),
            kdf: member.kdf,
            public_key: member.public_key.clone(),
            ..self.clone()
        }
    }

    /// How the slot in the file differs from the signed member, if it does.
    pub fn differs_from(&self, member: &Member) -> Option<String> {
        let user = &self.user;
        if self.role != member.role {
            Some(format!(
                "the key slot of '{user}' in header.json says role {} but the signed membership says {}",
                self.role, member.role
            ))
        } else if self.tiers.as_slice() != member.role.tiers() {
            Some(format!(
                "the key slot of '{user}' in header.json claims key tiers its signed role does not hold"
            ))
        } else if self.public_key != member.public_key {
            Some(format!(
                "the key slot of '{user}' in header.json has a public key the signed membership does not name"
            ))
        } else if self.kdf != member.kdf {
            Some(format!(
                "the key slot of '{user}' in header.json has key-derivation parameters the signed membership does not name"
            ))
        } else {
            None
        }
    }

    /// Makes a slot for `user` holding the keys of `role`'s tiers (format 1 fields only).
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
            signing_box: None,
            authority_box: None,
        };
        let kek = argon2id(password.as_bytes(), &slot.salt, slot.kdf)?;
        slot.secret_box = seal(&kek, secret.as_bytes(), &slot.aad(dataset_id, "secret"))?;
        slot.reseal_keys(dataset_id, keys)?;
        Ok(slot)
    }

    fn public_array(&self) -> Result<[u8; 32]> {
        self.public_key
            .as_slice()
            .try_into()
            .map_err(|_| Error::Format(format!("Key slot of {} is malformed.", self.user)))
    }

    /// Seals the current keys of this slot's tiers to its public key (after a rotation).
    pub fn reseal_keys(&mut self, dataset_id: &str, keys: &TierKeys) -> Result<()> {
        let public = self.public_array()?;
        let packed = keys
            .pack(&self.tiers)
            .ok_or_else(|| Error::Invalid("Not all keys of this role are held.".into()))?;
        self.keys_box = seal_to(&public, &packed, &self.aad(dataset_id, "keys"))?;
        Ok(())
    }

    /// Unwraps the data keys with `password`.
    pub fn unlock(&self, dataset_id: &str, password: &str) -> Result<TierKeys, SlotError> {
        self.open(dataset_id, password).map(|o| o.keys)
    }

    /// Opens the slot with `password`: data keys, the X25519 secret and, in format 2, the
    /// signing and authority keys. Call it on [`KeySlot::as_signed`] so the checks bind what the
    /// authority signed.
    pub fn open(&self, dataset_id: &str, password: &str) -> Result<OpenedSlot, SlotError> {
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
        let keys = TierKeys::unpack(&self.tiers, &packed)
            .ok_or_else(|| tampered("holds the wrong number of keys"))?;
        let open_key =
            |sealed: &Option<SealedBox>, purpose: &str| -> Result<Option<SigningKey>, SlotError> {
                let Some(sealed) = sealed else {
                    return Ok(None);
                };
                let bytes = open_box(&secret, sealed, &self.box_aad(dataset_id, purpose))
                    .ok_or_else(|| {
                        tampered(&format!(
                            "holds a {purpose} key box that does not authenticate"
                        ))
                    })?;
                let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
                    bytes
                        .as_slice()
                        .try_into()
                        .map_err(|_| tampered(&format!("holds a malformed {purpose} key")))?,
                );
                Ok(Some(SigningKey::from_bytes(&seed)))
            };
        let signing = open_key(&self.signing_box, "signing")?;
        let authority = open_key(&self.authority_box, "authority")?;
        Ok(OpenedSlot {
            keys,
            secret,
            signing,
            authority,
        })
    }

    /// Associated data of the signing and authority boxes: independent of the password's salt,
    /// so an own password change leaves them as they are.
    fn box_aad(&self, dataset_id: &str, purpose: &str) -> Vec<u8> {
        encode_fields(
            &format!("sightline/slot/v2/{purpose}"),
            &[
                dataset_id.as_bytes(),
                self.user.as_bytes(),
                &self.public_key,
            ],
        )
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
