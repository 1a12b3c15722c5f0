//! The random data keys of a dataset, one per tier, held in memory only while unlocked.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use crate::dataset::Tier;
use crate::dataset::crypto::{Key32, random_key};
use crate::error::Result;

/// Data keys by tier. Wiped on drop.
#[derive(Default)]
pub struct TierKeys(BTreeMap<Tier, Key32>);

impl TierKeys {
    /// Fresh random keys for every tier.
    pub fn generate() -> Result<Self> {
        let mut keys = TierKeys::default();
        for tier in Tier::ALL {
            keys.0.insert(tier, random_key()?);
        }
        Ok(keys)
    }

    /// The key of a tier, if held.
    pub fn get(&self, tier: Tier) -> Option<&[u8; 32]> {
        self.0.get(&tier).map(|k| &**k)
    }

    /// Replaces (or adds) the key of a tier.
    pub fn set(&mut self, tier: Tier, key: Key32) {
        self.0.insert(tier, key);
    }

    /// The tiers held, in order.
    pub fn tiers(&self) -> Vec<Tier> {
        self.0.keys().copied().collect()
    }

    /// A copy of the keys for `tiers`, or `None` if one of them is not held.
    pub fn subset(&self, tiers: &[Tier]) -> Option<TierKeys> {
        let mut out = TierKeys::default();
        for tier in tiers {
            out.0.insert(*tier, Zeroizing::new(*self.get(*tier)?));
        }
        Some(out)
    }

    /// The keys of `tiers` concatenated, for sealing into a key box.
    pub(crate) fn pack(&self, tiers: &[Tier]) -> Option<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(Vec::with_capacity(32 * tiers.len()));
        for tier in tiers {
            out.extend_from_slice(self.get(*tier)?);
        }
        Some(out)
    }

    /// The inverse of [`TierKeys::pack`].
    pub(crate) fn unpack(tiers: &[Tier], bytes: &[u8]) -> Option<TierKeys> {
        if bytes.len() != 32 * tiers.len() {
            return None;
        }
        let mut out = TierKeys::default();
        for (tier, chunk) in tiers.iter().zip(bytes.chunks_exact(32)) {
            let mut key = Zeroizing::new([0u8; 32]);
            key.copy_from_slice(chunk);
            out.0.insert(*tier, key);
        }
        Some(out)
    }
}
