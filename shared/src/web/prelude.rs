//! What every page file uses: `use super::prelude::*;`.

pub(super) use http::StatusCode;
pub(super) use tera::Context;

pub(super) use super::gate::{self, Failure, Member, Visit};
pub(super) use super::{audit, Result, Stop};
pub(super) use crate::app::App;
pub(super) use crate::error::AppError;
pub(super) use crate::gateway::reply::Reply;
pub(super) use crate::gateway::request::Req;
pub(super) use crate::messages::{self, Notice};
