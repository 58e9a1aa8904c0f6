//! Faults in the app's DynamoDB calls, made by an SDK interceptor: what
//! Dynoxide never does on its own (a transaction conflict, keys left
//! unprocessed) and failures at chosen calls. A fault that answers in
//! DynamoDB's place rewrites the request into a harmless `ListTables`
//! before it is sent, so nothing is written, then replaces the answer.

use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

pub use super::grants::Grant;
pub use super::hold::Held;

/// What a faulty call gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A `TransactionCanceledException` whose first item's reason is
    /// `TransactionConflict` (another transaction held it), nothing written.
    TransactionConflict,
    /// A `TransactionCanceledException` with these reasons for the first
    /// items (`None` for the rest), nothing written.
    Cancelled(&'static [&'static str]),
    /// A 500 `InternalServerError`, nothing written (the SDK retries it).
    ServerError,
    /// A `ConditionalCheckFailedException`, nothing written: what a write
    /// gets when a racing request changed the item first.
    ConditionFailed,
    /// `Query` only: the request goes on with this `Limit`, so the answer
    /// comes in pages, as DynamoDB's does past 1 MB.
    PageOf(u32),
    /// `BatchGetItem` only: DynamoDB's answer, with every key unprocessed.
    Unprocessed,
    /// `BatchGetItem` only: an answer that found nothing (as if the read
    /// had come before a racing write).
    NothingFound,
}

#[derive(Debug)]
struct Rule {
    operation: &'static str,
    calls: RangeInclusive<usize>,
    fault: Fault,
}

/// The faults to inject, and when each call was sent.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Rule>>,
    /// Calls to hold until released: operation, call number, the hold.
    holds: Mutex<Vec<(&'static str, usize, Arc<Held>)>>,
    /// Every call sent (each SDK attempt): its operation and when.
    sent: Mutex<Vec<(String, Instant)>>,
    /// What each call asked of which table, as IAM sees it.
    grants: Mutex<Vec<Grant>>,
}

/// What `modify_before_transmit` decided, for `modify_before_deserialization`
/// (by then the request has gone): the fault, and the request's body.
#[derive(Debug, Clone)]
struct Pending {
    marker: String,
    sent: serde_json::Value,
}

impl Storable for Pending {
    type Storer = StoreReplace<Self>;
}

impl Faults {
    pub fn new() -> Arc<Faults> {
        Arc::default()
    }

    /// `operation`'s calls numbered `calls` (the first call after this one
    /// is 1; every SDK attempt is a call) get `fault`.
    pub fn inject(&self, operation: &'static str, calls: RangeInclusive<usize>, fault: Fault) {
        let seen = self.count(operation);
        let calls = seen + calls.start()..=seen + calls.end();
        let rule = Rule {
            operation,
            calls,
            fault,
        };
        self.rules.lock().expect("rules").push(rule);
    }

    /// `operation`'s call numbered `call` (counted as `inject` counts) is
    /// held before it is sent until the returned hold is released.
    pub fn hold(&self, operation: &'static str, call: usize) -> Arc<Held> {
        let held = Arc::new(Held::default());
        let n = self.count(operation) + call;
        let mut holds = self.holds.lock().expect("holds");
        holds.push((operation, n, held.clone()));
        held
    }

    /// The hold waiting for call `n` of `operation`, if any.
    fn held(&self, operation: &str, n: usize) -> Option<Arc<Held>> {
        let holds = self.holds.lock().expect("holds");
        holds
            .iter()
            .find(|(op, call, _)| *op == operation && *call == n)
            .map(|(_, _, h)| h.clone())
    }

    /// How many `operation` calls have been sent so far.
    pub fn count(&self, operation: &str) -> usize {
        self.sent_at(operation).len()
    }

    /// When each `operation` call was sent.
    pub fn sent_at(&self, operation: &str) -> Vec<Instant> {
        let sent = self.sent.lock().expect("sent");
        sent.iter()
            .filter(|(op, _)| op == operation)
            .map(|(_, at)| *at)
            .collect()
    }

    /// The permissions the calls since the last look needed.
    pub fn take_grants(&self) -> Vec<Grant> {
        std::mem::take(&mut *self.grants.lock().expect("grants"))
    }

    /// The interceptor to give the app's SDK client.
    pub fn interceptor(self: &Arc<Self>) -> FaultInterceptor {
        FaultInterceptor(self.clone())
    }

    fn fault_for(&self, operation: &str) -> Option<Fault> {
        let n = {
            let mut sent = self.sent.lock().expect("sent");
            sent.push((operation.to_string(), Instant::now()));
            sent.iter().filter(|(op, _)| op == operation).count()
        };
        if let Some(held) = self.held(operation, n) {
            held.wait();
        }
        let rules = self.rules.lock().expect("rules");
        rules
            .iter()
            .find(|r| r.operation == operation && r.calls.contains(&n))
            .map(|r| r.fault)
    }
}

/// The SDK interceptor of a `Faults`.
#[derive(Debug)]
pub struct FaultInterceptor(Arc<Faults>);

impl Intercept for FaultInterceptor {
    fn name(&self) -> &'static str {
        "test-faults"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let operation = target.rsplit('.').next().unwrap_or_default().to_string();
        let fault = self.0.fault_for(&operation);
        let sent: serde_json::Value = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or_default();
        let grants = super::grants::of_request(&operation, &sent);
        self.0.grants.lock().expect("grants").extend(grants);
        let marker = match fault {
            None => {
                // A retry of a faulty call must not inherit its fault.
                cfg.interceptor_state().unset::<Pending>();
                return Ok(());
            }
            Some(Fault::TransactionConflict) => {
                let items = sent["TransactItems"].as_array().map_or(1, Vec::len);
                format!("cancel:{items}:TransactionConflict")
            }
            Some(Fault::Cancelled(reasons)) => {
                let items = sent["TransactItems"].as_array().map_or(1, Vec::len);
                format!("cancel:{items}:{}", reasons.join(","))
            }
            Some(Fault::ServerError) => "server-error".to_string(),
            Some(Fault::ConditionFailed) => "condition-failed".to_string(),
            Some(Fault::PageOf(limit)) => {
                // Not answered here: the request itself asks for pages.
                let mut paged = sent;
                paged["Limit"] = limit.into();
                let body = paged.to_string();
                request
                    .headers_mut()
                    .insert("content-length", body.len().to_string());
                *request.body_mut() = body.into();
                cfg.interceptor_state().unset::<Pending>();
                return Ok(());
            }
            Some(Fault::Unprocessed) => "unprocessed".to_string(),
            Some(Fault::NothingFound) => "nothing".to_string(),
        };
        let answered_here = matches!(
            fault,
            Some(
                Fault::TransactionConflict
                    | Fault::Cancelled(_)
                    | Fault::ServerError
                    | Fault::ConditionFailed
            )
        );
        if answered_here {
            // Nothing may be written: DynamoDB gets a harmless read.
            let headers = request.headers_mut();
            headers.insert("x-amz-target", "DynamoDB_20120810.ListTables");
            headers.insert("content-length", "2");
            *request.body_mut() = "{}".into();
        }
        cfg.interceptor_state().store_put(Pending { marker, sent });
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(pending) = cfg.load::<Pending>().cloned() else {
            return Ok(());
        };
        let (status, body) = canned(&pending.marker, &pending.sent);
        let response = context.response_mut();
        *response.status_mut() = status.into();
        let body = body.to_string();
        response
            .headers_mut()
            .insert("content-length", body.len().to_string());
        response.headers_mut().remove("x-amz-crc32");
        *response.body_mut() = body.into();
        Ok(())
    }
}

/// DynamoDB's answer for a fault, given what was sent.
fn canned(marker: &str, sent: &serde_json::Value) -> (http::StatusCode, serde_json::Value) {
    use serde_json::json;
    const PREFIX: &str = "com.amazonaws.dynamodb.v20120810#";
    if let Some(rest) = marker.strip_prefix("cancel:") {
        let (items, codes) = rest.split_once(':').unwrap_or((rest, ""));
        let codes: Vec<&str> = codes.split(',').collect();
        let n: usize = items.parse().unwrap_or(1).max(codes.len());
        let reasons: Vec<_> = (0..n)
            .map(|i| match codes.get(i) {
                Some(&"TransactionConflict") => json!({ "Code": "TransactionConflict", "Message": "Transaction is ongoing for the item" }),
                Some(code) => json!({ "Code": code }),
                None => json!({ "Code": "None" }),
            })
            .collect();
        let body = json!({
            "__type": format!("{PREFIX}TransactionCanceledException"),
            "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons",
            "CancellationReasons": reasons,
        });
        return (http::StatusCode::BAD_REQUEST, body);
    }
    match marker {
        "unprocessed" => (
            http::StatusCode::OK,
            json!({ "Responses": {}, "UnprocessedKeys": sent["RequestItems"] }),
        ),
        "condition-failed" => (
            http::StatusCode::BAD_REQUEST,
            json!({
                "__type": format!("{PREFIX}ConditionalCheckFailedException"),
                "message": "The conditional request failed",
            }),
        ),
        "nothing" => {
            let tables: serde_json::Map<_, _> = sent["RequestItems"]
                .as_object()
                .map(|m| m.keys().map(|t| (t.clone(), json!([]))).collect())
                .unwrap_or_default();
            (
                http::StatusCode::OK,
                json!({ "Responses": tables, "UnprocessedKeys": {} }),
            )
        }
        _ => (
            http::StatusCode::INTERNAL_SERVER_ERROR,
            json!({ "__type": format!("{PREFIX}InternalServerError"), "message": "injected fault" }),
        ),
    }
}
