//! [`BytesExt`]: arn's, which has arena-alligator's signature.

pub use crate::buffer::BytesExt;
