//! The rules run against Azure: facts gathered from ARM (`facts`, `service_tags`, the
//! workspace's `stores` and the Azure Policy assignments in force, `policies`), from what this
//! plan will create (`planned`) and from the certificate a configuration holds
//! (`ssl_certificate`), the rules of [`crate::rules`] run over them (`run`), and their findings
//! turned into diagnostics at the levels the user chose (`diagnostics`).

pub mod diagnostics;
pub mod facts;
pub mod planned;
pub mod policies;
pub mod run;
pub mod service_tags;
pub mod ssl_certificate;
pub mod stores;

pub use diagnostics::{Level, Severities};
