//! The rules run against Azure: facts gathered from ARM (`facts`, `service_tags`) and from
//! what this plan will create (`planned`), the rules of [`crate::rules`] run over them (`live`),
//! and their findings turned into diagnostics at the levels the user chose (`diagnostics`).

pub mod diagnostics;
pub mod facts;
pub mod live;
pub mod planned;
pub mod service_tags;

pub use diagnostics::{Level, Severities};
