//! The rrweb importer: file formats, decompression, the DOM mirror, and conversion to the
//! masked session model. See `../shared/RRWEB_FORMAT.md` for the format.

pub mod convert;
pub mod decode;
pub mod event;
pub mod mirror;
pub mod page;
pub mod split;

pub use convert::{Converted, convert};
pub use split::{Pending, Recording, split, split_all};
