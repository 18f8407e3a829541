//! What a run reports and how it is filtered: the [`finding::Finding`]
//! itself, rule metadata ([`rules`]), inline suppressions ([`suppress`]),
//! acknowledgements ([`ack`]) and secret masking ([`redact`]).

pub mod ack;
pub mod finding;
pub mod line_index;
pub mod redact;
pub mod rules;
pub mod suppress;
