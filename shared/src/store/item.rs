//! Attribute values in and out of DynamoDB items.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::{Result, StoreError};

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// A string attribute; its absence means the item is not one of ours.
pub(super) fn get_s(item: &Item, k: &'static str) -> Result<String> {
    item.get(k)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .ok_or_else(|| malformed(k))
}

/// A number attribute; its absence means the item is not one of ours.
pub(super) fn get_n(item: &Item, k: &'static str) -> Result<i64> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| malformed(k))
}

pub(super) fn malformed(field: &'static str) -> StoreError {
    StoreError::Bug(format!("malformed item: {field}"))
}
