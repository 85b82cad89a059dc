//! The generic verbs of a plain resource — `list` (with its filters), `get`, `create`, `update`,
//! `delete` — parsed, called and rendered once for every resource that implements [`Resource`].
//!
//! A resource names its flags, its client calls and its help texts; [`Crud`] is its clap
//! subcommand and [`Crud::run`] its three steps. A command with verbs of its own (`issuers test`,
//! `groups members`, ...) flattens a `Crud` into its enum and keeps code only for those verbs.

use std::fmt;
use std::marker::PhantomData;

use certctl::client::{Client, ClientError};
use certctl::model::{Page, PageRequest};
use clap::{ArgMatches, Args, FromArgMatches, Subcommand};
use serde::Serialize;

use crate::args::{Id, Paging};
use crate::output::Out;
use crate::table::Row;

/// The help of each verb (what `--help` and the man pages say).
#[derive(Debug, Clone, Copy)]
pub struct Help {
    pub list: &'static str,
    pub get: &'static str,
    pub create: &'static str,
    /// `create --help` below the summary, when there is more to say.
    pub create_long: Option<&'static str>,
    /// `create --id`.
    pub id: &'static str,
    pub update: &'static str,
    pub delete: &'static str,
}

impl Help {
    /// The words of a resource that says nothing of its own.
    pub const PLAIN: Help = Help {
        list: "List",
        get: "Show one",
        create: "Create",
        create_long: None,
        id: "Id to give it (generated when absent)",
        update: "Change; only the given fields change",
        delete: "Delete",
    };
}

/// A resource with the five plain verbs: its flags, its client calls and its help.
pub trait Resource {
    /// The flags of `create` and `update`.
    type Fields: Args + fmt::Debug;
    /// The flags that filter `list` ([`NoFilter`] when none).
    type Filter: Args + fmt::Debug;
    /// What the API answers: a list row, or one object.
    type Item: Serialize + Row;
    /// The request body of `create` and `update`.
    type Input;

    const HELP: Help;

    /// The body from the flags (and `--from-file`); `id` only on create.
    fn input(id: Option<String>, fields: &Self::Fields) -> anyhow::Result<Self::Input>;
    async fn list(
        client: &Client,
        filter: &Self::Filter,
        page: PageRequest,
    ) -> Result<Page<Self::Item>, ClientError>;
    async fn get(client: &Client, id: &str) -> Result<Self::Item, ClientError>;
    async fn create(client: &Client, input: &Self::Input) -> Result<Self::Item, ClientError>;
    async fn update(
        client: &Client,
        id: &str,
        input: &Self::Input,
    ) -> Result<Self::Item, ClientError>;
    async fn delete(client: &Client, id: &str) -> Result<(), ClientError>;
}

/// A `list` without filters.
#[derive(Debug, Args)]
pub struct NoFilter {}

/// The five verbs as parsed; the help texts are [`Help::PLAIN`]'s until [`Crud`] replaces them.
#[derive(Debug, Subcommand)]
enum Verb<F: Args, L: Args> {
    /// List
    List {
        #[command(flatten)]
        filter: L,
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one
    Get(Id),
    /// Create
    Create {
        /// Id to give it (generated when absent)
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        fields: F,
    },
    /// Change; only the given fields change
    Update {
        id: String,
        #[command(flatten)]
        fields: F,
    },
    /// Delete
    Delete(Id),
}

/// The subcommands `list`, `get`, `create`, `update` and `delete` of the resource `R`.
pub struct Crud<R: Resource> {
    verb: Verb<R::Fields, R::Filter>,
    resource: PhantomData<R>,
}

impl<R: Resource> Crud<R> {
    /// Calls the API and prints the answer: a table or JSON, `deleted ID` after a delete.
    pub async fn run(self, client: &Client, out: &Out) -> anyhow::Result<()> {
        match self.verb {
            Verb::List { filter, paging } => {
                out.list(paging, |p| R::list(client, &filter, p)).await
            }
            Verb::Get(Id { id }) => out.one(&R::get(client, &id).await?),
            Verb::Create { id, fields } => {
                out.one(&R::create(client, &R::input(id, &fields)?).await?)
            }
            Verb::Update { id, fields } => {
                out.one(&R::update(client, &id, &R::input(None, &fields)?).await?)
            }
            Verb::Delete(Id { id }) => {
                R::delete(client, &id).await?;
                out.done(&format!("deleted {id}"))
            }
        }
    }

    /// The parsed verbs with the resource's help texts.
    fn with_help(cmd: clap::Command) -> clap::Command {
        let h = R::HELP;
        cmd.mut_subcommand("list", |c| c.about(h.list))
            .mut_subcommand("get", |c| c.about(h.get))
            .mut_subcommand("create", |c| {
                // `mut_args` keeps the order of the arguments (`mut_arg` moves one to the end)
                c.about(h.create)
                    .long_about(h.create_long)
                    .mut_args(|a| if a.get_id() == "id" { a.help(h.id) } else { a })
            })
            .mut_subcommand("update", |c| c.about(h.update))
            .mut_subcommand("delete", |c| c.about(h.delete))
    }
}

impl<R: Resource> fmt::Debug for Crud<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.verb.fmt(f)
    }
}

impl<R: Resource> FromArgMatches for Crud<R> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(Crud { verb: Verb::from_arg_matches(matches)?, resource: PhantomData })
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        Ok(Crud { verb: Verb::from_arg_matches_mut(matches)?, resource: PhantomData })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.verb.update_from_arg_matches(matches)
    }

    fn update_from_arg_matches_mut(&mut self, matches: &mut ArgMatches) -> Result<(), clap::Error> {
        self.verb.update_from_arg_matches_mut(matches)
    }
}

impl<R: Resource> Subcommand for Crud<R> {
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        Self::with_help(Verb::<R::Fields, R::Filter>::augment_subcommands(cmd))
    }

    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        Self::with_help(Verb::<R::Fields, R::Filter>::augment_subcommands_for_update(cmd))
    }

    fn has_subcommand(name: &str) -> bool {
        Verb::<R::Fields, R::Filter>::has_subcommand(name)
    }
}
