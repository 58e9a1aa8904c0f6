//! DynamoDB Streams to the mailer, as Lambda's event source mapping does
//! it, for the local site and the tests: read new records of the tokens
//! table's stream from Dynoxide, keep the INSERTs (the template's
//! `FilterCriteria`), hand them over as `{"Records": […]}`, honour
//! `batchItemFailures` by retrying from the failed record a bounded number
//! of times, then set that record aside as a dead letter and go on.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use dynoxide::actions::describe_stream::DescribeStreamRequest;
use dynoxide::actions::get_records::GetRecordsRequest;
use dynoxide::actions::get_shard_iterator::GetShardIteratorRequest;
use dynoxide::actions::list_streams::ListStreamsRequest;
use serde_json::Value;

use crate::mail::BatchResponse;

/// Reads a table's stream from where it was when the poller started
/// (`LATEST`, as the template's event source starts).
pub struct StreamPoller {
    db: dynoxide::Database,
    table: String,
    /// Shard id -> the iterator to read it from next.
    iterators: HashMap<String, String>,
}

impl StreamPoller {
    /// Starts following the stream now (at LATEST): records written from
    /// here on are delivered.
    pub fn new(db: dynoxide::Database, table: &str) -> Result<StreamPoller, String> {
        let mut poller = StreamPoller {
            db,
            table: table.to_string(),
            iterators: HashMap::new(),
        };
        poller.discover()?;
        Ok(poller)
    }

    /// New INSERT records since the last call, each as Lambda puts it in
    /// the event (with `eventSourceARN`).
    pub fn poll(&mut self) -> Result<Vec<Value>, String> {
        self.discover()?;
        let mut out = Vec::new();
        for (shard, iterator) in self.iterators.iter_mut() {
            let resp = self
                .db
                .get_records(GetRecordsRequest {
                    shard_iterator: iterator.clone(),
                    limit: Some(100),
                })
                .map_err(|e| format!("GetRecords {shard}: {e}"))?;
            if let Some(next) = resp.next_shard_iterator {
                *iterator = next;
            }
            for r in resp.records.iter().filter(|r| r.event_name == "INSERT") {
                let mut v = serde_json::to_value(r).map_err(|e| e.to_string())?;
                v["eventSourceARN"] = format!(
                    "arn:aws:dynamodb:local:000000000000:table/{}/stream",
                    self.table
                )
                .into();
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Finds the stream's shards not yet followed and starts each at LATEST.
    fn discover(&mut self) -> Result<(), String> {
        let streams = self
            .db
            .list_streams(ListStreamsRequest {
                table_name: Some(self.table.clone()),
                ..Default::default()
            })
            .map_err(|e| format!("ListStreams: {e}"))?;
        for s in streams.streams {
            let d = self
                .db
                .describe_stream(DescribeStreamRequest {
                    stream_arn: s.stream_arn.clone(),
                    ..Default::default()
                })
                .map_err(|e| format!("DescribeStream: {e}"))?;
            for shard in d.stream_description.shards {
                if self.iterators.contains_key(&shard.shard_id) {
                    continue;
                }
                let it = self
                    .db
                    .get_shard_iterator(GetShardIteratorRequest {
                        stream_arn: s.stream_arn.clone(),
                        shard_id: shard.shard_id.clone(),
                        shard_iterator_type: "LATEST".into(),
                        sequence_number: None,
                    })
                    .map_err(|e| format!("GetShardIterator: {e}"))?;
                if let Some(it) = it.shard_iterator {
                    self.iterators.insert(shard.shard_id, it);
                }
            }
        }
        Ok(())
    }
}

/// How deliveries are retried: `retries` more attempts after the first,
/// waiting `backoff`, doubling each time.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub retries: u32,
    pub backoff: Duration,
}

/// Delivers `records` in batches of at most `batch` through `invoke` (the
/// mailer, in process or through `cargo lambda watch`). Returns the records
/// given up on (the dead letters), in order.
pub async fn deliver<F, Fut>(
    records: Vec<Value>,
    batch: usize,
    retry: Retry,
    invoke: F,
) -> Vec<Value>
where
    F: Fn(Value) -> Fut,
    Fut: Future<Output = Result<BatchResponse, String>>,
{
    let mut dead = Vec::new();
    let mut pending: &[Value] = &records;
    let mut attempts = 0;
    while !pending.is_empty() {
        let now = &pending[..pending.len().min(batch.max(1))];
        let failed_at = match invoke(serde_json::json!({ "Records": now })).await {
            Ok(r) => r.batch_item_failures.first().map(|f| {
                now.iter()
                    .position(|v| v["dynamodb"]["SequenceNumber"] == f.item_identifier.as_str())
                    .unwrap_or(0)
            }),
            Err(e) => {
                tracing::warn!(error = %e, "mailer invocation failed");
                Some(0)
            }
        };
        let Some(at) = failed_at else {
            pending = &pending[now.len()..];
            attempts = 0;
            continue;
        };
        pending = &pending[at..];
        attempts += 1;
        if attempts > retry.retries {
            dead.push(pending[0].clone());
            pending = &pending[1..];
            attempts = 0;
            continue;
        }
        tokio::time::sleep(retry.backoff * 2u32.saturating_pow(attempts - 1)).await;
    }
    dead
}
