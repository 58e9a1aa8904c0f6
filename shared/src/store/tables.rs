//! Table creation for the tests, the bench and the local server (never
//! deployed: template.yaml creates the tables on AWS, with the same keys
//! and TTL; a test compares the two).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    StreamSpecification, StreamViewType, TimeToLiveSpecification,
};

use super::{bug, unavailable, Result, Store};

/// Each table: its name, its key attributes (hash, then range), and
/// whether `expires_at` is its TTL attribute.
pub(crate) type TableSpec<'a> = (&'a str, &'static [&'static str], bool);

impl Store {
    pub(crate) fn table_specs(&self) -> [TableSpec<'_>; 4] {
        [
            (&self.users, &["pk"], false),
            (&self.sessions, &["user_key", "token_hash"], true),
            (&self.throttle, &["pk"], true),
            (&self.tokens, &["pk"], true),
        ]
    }

    /// The table whose stream (new images) feeds the mailer.
    pub(crate) fn stream_table(&self) -> &str {
        &self.tokens
    }

    /// Creates the tables when absent (the tokens table with its stream).
    pub(crate) async fn create_tables(&self) -> Result<()> {
        let existing = self
            .client
            .list_tables()
            .send()
            .await
            .map_err(unavailable)?;
        let existing = existing.table_names();
        for (table, keys, ttl) in self.table_specs() {
            if existing.iter().any(|t| t == table) {
                continue;
            }
            let mut req = self
                .client
                .create_table()
                .table_name(table)
                .billing_mode(BillingMode::PayPerRequest);
            for (i, k) in keys.iter().enumerate() {
                let kind = if i == 0 {
                    KeyType::Hash
                } else {
                    KeyType::Range
                };
                let attr = AttributeDefinition::builder()
                    .attribute_name(*k)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(bug("attribute"))?;
                let key = KeySchemaElement::builder()
                    .attribute_name(*k)
                    .key_type(kind)
                    .build()
                    .map_err(bug("key"))?;
                req = req.attribute_definitions(attr).key_schema(key);
            }
            if table == self.stream_table() {
                let stream = StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewImage)
                    .build()
                    .map_err(bug("stream"))?;
                req = req.stream_specification(stream);
            }
            req.send().await.map_err(unavailable)?;
            if ttl {
                let spec = TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name("expires_at")
                    .build()
                    .map_err(bug("ttl"))?;
                self.client
                    .update_time_to_live()
                    .table_name(table)
                    .time_to_live_specification(spec)
                    .send()
                    .await
                    .map_err(unavailable)?;
            }
        }
        Ok(())
    }
}
