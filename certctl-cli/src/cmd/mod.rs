//! One module per resource: its clap arguments and its three steps (parse, call, render); the
//! plain create/read/update/delete verbs are the generic [`crud::Crud`].

pub mod agents;
pub mod certs;
pub mod channels;
pub mod config;
pub mod connectors;
pub mod crud;
pub mod groups;
pub mod jobs;
pub mod org;
pub mod policies;
pub mod records;
pub mod status;
