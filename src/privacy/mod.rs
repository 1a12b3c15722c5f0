//! Minimisation: PII detectors, URL and IP reduction, keyed pseudonyms, and the masking
//! markers of recording vendors. Everything an import keeps passes through here first.

pub mod identifiers;
pub mod masking;
pub mod paths;
pub mod pii;
pub mod pseudonym;
pub mod url;
