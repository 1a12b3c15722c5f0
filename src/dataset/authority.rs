//! The dataset authority: an Ed25519 key whose secret only compliance leads and the recovery
//! key hold. It signs the membership (who holds which role, keys and signing key), policy
//! versions, log checkpoints and purge records, so that nothing another insider writes into the
//! folder raises anyone's access or hides a change. See `docs/SECURITY.md`.

use std::collections::BTreeMap;

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::dataset::DbInfo;
use crate::dataset::Role;
use crate::dataset::Tier;
use crate::dataset::crypto::{KdfCost, encode_fields, random_array};
use crate::error::{Error, Result};

/// The signer name of entries and records signed with the authority key itself.
pub const AUTHORITY_SIGNER: &str = "(authority)";

/// A fresh Ed25519 key.
pub fn new_signing_key() -> Result<SigningKey> {
    Ok(SigningKey::from_bytes(&random_array::<32>()?))
}

/// Signs the length-prefixed `fields` under `domain`.
pub fn sign(key: &SigningKey, domain: &str, fields: &[&[u8]]) -> Vec<u8> {
    key.sign(&encode_fields(domain, fields)).to_bytes().to_vec()
}

/// Whether `signature` is `public`'s signature of `fields` under `domain`.
pub fn verify(public: &[u8], domain: &str, fields: &[&[u8]], signature: &[u8]) -> bool {
    let Ok(public) = <[u8; 32]>::try_from(public) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&public) else {
        return false;
    };
    let Ok(signature) = Signature::from_slice(signature) else {
        return false;
    };
    // Weak keys (small order) would let one signature fit many messages.
    !key.is_weak()
        && key
            .verify(&encode_fields(domain, fields), &signature)
            .is_ok()
}

/// A public key as people compare it out of band: SHA-256, first 16 bytes, in groups of four
/// hex digits (like an SSH host-key fingerprint).
pub fn fingerprint(public: &[u8]) -> String {
    let digest = Sha256::digest(public);
    let hex = hex::encode_upper(&digest[..16]);
    hex.as_bytes()
        .chunks(4)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The dataset id of a dataset created with authority `public` and `salt`: the id names the
/// key, so a swapped authority cannot keep the id.
pub fn derive_dataset_id(public: &[u8], salt: &[u8]) -> String {
    let digest = Sha256::digest(encode_fields("sightline/dataset-id/v2", &[public, salt]));
    hex::encode(&digest[..16])
}

/// One member as the authority signed them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// User name.
    pub user: String,
    /// Role; the slot's tiers are always `role.tiers()`.
    pub role: Role,
    /// The slot's Argon2id cost (own password changes keep it).
    pub kdf: KdfCost,
    /// The slot's X25519 public key: rotations seal new keys to it and nothing else.
    #[serde(with = "hex::serde")]
    pub public_key: Vec<u8>,
    /// The member's Ed25519 key: every log entry they write is signed with it.
    #[serde(with = "hex::serde")]
    pub signing_key: Vec<u8>,
}

/// A retired signing key (a revoked member, or one whose password a lead reset), kept so the
/// log entries it signed before it was retired still verify, and only those.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormerMember {
    /// User name.
    pub user: String,
    /// Role they had.
    pub role: Role,
    /// Their signing key.
    #[serde(with = "hex::serde")]
    pub signing_key: Vec<u8>,
    /// The last log entry the key may have signed.
    pub retired_at_seq: u64,
}

/// Who may hold which keys: the statement the authority signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// Bumped by every change; each device remembers the highest it saw, so an older header
    /// put back is refused.
    pub version: u64,
    /// Database epochs (file names) the header must name.
    pub databases: BTreeMap<Tier, DbInfo>,
    /// Active members.
    pub members: Vec<Member>,
    /// Revoked members and former signing keys.
    #[serde(default)]
    pub former: Vec<FormerMember>,
    /// The recovery slot's X25519 public key.
    #[serde(with = "hex::serde")]
    pub recovery_public_key: Vec<u8>,
    /// The first access-log entry that must carry a signature (entries before the upgrade of
    /// an older dataset have none).
    pub log_signed_from: u64,
}

impl Membership {
    /// The active member named `user`.
    pub fn member(&self, user: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.user == user)
    }

    /// The signing keys that may have signed `user`'s log entry number `seq`: the active one,
    /// and retired ones up to the entry at which they were retired.
    pub fn signing_keys_at(&self, user: &str, seq: u64) -> Vec<(&[u8], Role)> {
        let former = self
            .former
            .iter()
            .filter(|m| m.user == user && seq <= m.retired_at_seq)
            .map(|m| (m.signing_key.as_slice(), m.role));
        self.active_key(user).into_iter().chain(former).collect()
    }

    /// `user`'s active signing key and role.
    pub fn active_key(&self, user: &str) -> Option<(&[u8], Role)> {
        self.member(user)
            .map(|m| (m.signing_key.as_slice(), m.role))
    }

    fn encoded(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self)
            .map_err(|e| Error::Format(format!("Could not encode the membership: {e}")))
    }
}

/// A new authority key, signed by the one before it (after a compliance lead is revoked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Succession {
    /// The new public key.
    #[serde(with = "hex::serde")]
    pub public_key: Vec<u8>,
    /// The last log entry the previous key may have signed.
    pub retired_at_seq: u64,
    /// The previous key's signature of it.
    #[serde(with = "hex::serde")]
    pub signature: Vec<u8>,
}

/// The `authority` block of `header.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorityBlock {
    /// The first authority key of the dataset.
    #[serde(with = "hex::serde")]
    pub genesis: Vec<u8>,
    /// For datasets created with an authority: the dataset id is derived from `genesis` and
    /// this salt. Upgraded datasets keep their id and rely on pinning.
    #[serde(default, with = "opt_hex", skip_serializing_if = "Option::is_none")]
    pub id_salt: Option<Vec<u8>>,
    /// Later keys, each signed by the one before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub successions: Vec<Succession>,
    /// The signed membership.
    pub membership: Membership,
    /// The current key's signature of the membership.
    #[serde(with = "hex::serde")]
    pub signature: Vec<u8>,
}

const MEMBERSHIP: &str = "sightline/membership/v1";
const SUCCESSION: &str = "sightline/authority-succession/v1";

impl AuthorityBlock {
    /// A block for a new authority and a first membership, signed.
    pub fn new(
        dataset_id: &str,
        key: &SigningKey,
        id_salt: Option<Vec<u8>>,
        membership: Membership,
    ) -> Result<AuthorityBlock> {
        let mut block = AuthorityBlock {
            genesis: key.verifying_key().as_bytes().to_vec(),
            id_salt,
            successions: Vec::new(),
            membership,
            signature: Vec::new(),
        };
        block.sign(dataset_id, key)?;
        Ok(block)
    }

    /// The current authority public key.
    pub fn current(&self) -> &[u8] {
        self.successions
            .last()
            .map_or(self.genesis.as_slice(), |s| s.public_key.as_slice())
    }

    /// Every authority key, oldest first.
    pub fn chain(&self) -> Vec<&[u8]> {
        std::iter::once(self.genesis.as_slice())
            .chain(self.successions.iter().map(|s| s.public_key.as_slice()))
            .collect()
    }

    /// Signs the membership with `key` (which must be the current authority key).
    pub fn sign(&mut self, dataset_id: &str, key: &SigningKey) -> Result<()> {
        if key.verifying_key().as_bytes().as_slice() != self.current() {
            return Err(Error::Invalid(
                "This key is not the dataset's current authority.".into(),
            ));
        }
        let body = self.membership.encoded()?;
        self.signature = sign(
            key,
            MEMBERSHIP,
            &[dataset_id.as_bytes(), self.current(), &body],
        );
        Ok(())
    }

    /// Hands the authority to `next`, signed by `current`, which may sign nothing in the log
    /// after entry `retired_at_seq`.
    pub fn succeed(
        &mut self,
        dataset_id: &str,
        current: &SigningKey,
        next: &SigningKey,
        retired_at_seq: u64,
    ) {
        let public = next.verifying_key().as_bytes().to_vec();
        let index = (self.successions.len() as u64).to_be_bytes();
        let retired = retired_at_seq.to_be_bytes();
        let signature = sign(
            current,
            SUCCESSION,
            &[dataset_id.as_bytes(), &index, &public, &retired],
        );
        self.successions.push(Succession {
            public_key: public,
            retired_at_seq,
            signature,
        });
    }

    /// The authority keys that may have signed log entry number `seq`: the current one, and
    /// earlier ones up to the entry at which each was retired.
    pub fn keys_at(&self, seq: u64) -> Vec<&[u8]> {
        let chain = self.chain();
        let mut out = vec![self.current()];
        for (i, s) in self.successions.iter().enumerate() {
            if seq <= s.retired_at_seq
                && let Some(key) = chain.get(i)
            {
                out.push(key);
            }
        }
        out
    }

    /// Checks the id binding, each succession and the membership signature. The error names
    /// what is wrong, for an integrity message.
    pub fn check(&self, dataset_id: &str) -> std::result::Result<(), String> {
        if let Some(salt) = &self.id_salt
            && derive_dataset_id(&self.genesis, salt) != dataset_id
        {
            return Err(
                "the authority key in header.json is not the one this dataset was created with"
                    .into(),
            );
        }
        let mut previous = self.genesis.as_slice();
        for (i, s) in self.successions.iter().enumerate() {
            let index = (i as u64).to_be_bytes();
            let retired = s.retired_at_seq.to_be_bytes();
            let fields: [&[u8]; 4] = [dataset_id.as_bytes(), &index, &s.public_key, &retired];
            if !verify(previous, SUCCESSION, &fields, &s.signature) {
                return Err(format!(
                    "authority key {} in header.json is not signed by the key before it",
                    i + 2
                ));
            }
            previous = &s.public_key;
        }
        let body = self.membership.encoded().map_err(|e| e.to_string())?;
        let fields: [&[u8]; 3] = [dataset_id.as_bytes(), self.current(), &body];
        if !verify(self.current(), MEMBERSHIP, &fields, &self.signature) {
            return Err(
                "the membership in header.json is not signed by the dataset's authority: it was edited outside Sightline"
                    .into(),
            );
        }
        Ok(())
    }

    /// The fingerprint of the current authority key.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.current())
    }
}

mod opt_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(bytes) => s.serialize_str(&hex::encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| hex::decode(t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn membership() -> Membership {
        Membership {
            version: 1,
            databases: Tier::ALL
                .iter()
                .map(|t| (*t, DbInfo { epoch: 0 }))
                .collect(),
            members: Vec::new(),
            former: Vec::new(),
            recovery_public_key: vec![7; 32],
            log_signed_from: 1,
        }
    }

    #[test]
    fn a_signed_membership_checks_and_any_edit_does_not() -> Result<()> {
        let key = new_signing_key()?;
        let salt = random_array::<16>()?.to_vec();
        let id = derive_dataset_id(key.verifying_key().as_bytes(), &salt);
        let block = AuthorityBlock::new(&id, &key, Some(salt), membership())?;
        assert_eq!(block.check(&id), Ok(()));
        let mut edited = block.clone();
        edited.membership.version = 9;
        assert!(edited.check(&id).is_err());
        let mut swapped = block.clone();
        let other = new_signing_key()?;
        swapped.genesis = other.verifying_key().as_bytes().to_vec();
        swapped.sign(&id, &other)?;
        assert!(swapped.check(&id).unwrap_err().contains("created with"));
        Ok(())
    }

    #[test]
    fn succession_must_be_signed_by_the_previous_key() -> Result<()> {
        let first = new_signing_key()?;
        let id = "0".repeat(32);
        let mut block = AuthorityBlock::new(&id, &first, None, membership())?;
        let second = new_signing_key()?;
        block.succeed(&id, &first, &second, 7);
        block.sign(&id, &second)?;
        assert_eq!(block.check(&id), Ok(()));
        let mut forged = block.clone();
        let third = new_signing_key()?;
        forged.succeed(&id, &third, &third, 9);
        forged.sign(&id, &third)?;
        assert!(forged.check(&id).unwrap_err().contains("not signed"));
        Ok(())
    }
}
