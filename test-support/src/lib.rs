//! What the native tests (`core/tests/`) and the fuzz targets (`fuzz/`) share: scripted
//! answers ([`answers`]), journals kept as text ([`journal`]) and the simulated Graph the bulk
//! runs meet, in virtual time ([`sim`]).

pub mod answers;
pub mod journal;
pub mod sim;
