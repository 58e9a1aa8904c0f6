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
    /// Every call sent (each SDK attempt): its operation and when.
    sent: Mutex<Vec<(String, Instant)>>,
    /// What each call asked of which table, as IAM sees it.
    grants: Mutex<Vec<Grant>>,
}

/// One permission a call needs: the IAM action, the table, the operation
/// it was part of (`TransactWriteItems` for a transaction's items), and the
/// values IAM's fine-grained condition keys take for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grant {
    pub action: String,
    pub table: String,
    /// The index a `Query` reads (its own resource ARN, `…/index/<name>`).
    pub index: Option<String>,
    /// `dynamodb:EnclosingOperation`.
    pub enclosing: Option<String>,
    /// `dynamodb:Attributes`: the top-level names the request reads,
    /// writes or tests (its key, projection, update expression, item and
    /// condition expression), aliases resolved. AWS counts a name that a
    /// condition only tests: the attributes a policy lists "can be read,
    /// written, or evaluated in a conditional write" (DynamoDB developer
    /// guide, "Using IAM policy conditions for fine-grained access
    /// control", SECURITY.md §3).
    pub attributes: std::collections::BTreeSet<String>,
    /// `dynamodb:Select`: `SPECIFIC_ATTRIBUTES` for a read with a
    /// projection, `ALL_ATTRIBUTES` for one without; `None` for a write.
    pub select: Option<String>,
    /// `dynamodb:ReturnValues`, when the request sets it.
    pub return_values: Option<String>,
}

impl Grant {
    /// The permission `action` on `op`'s table, read from `op` (a request
    /// body, or one item of a transaction).
    fn of(action: &str, op: &serde_json::Value, enclosing: Option<&str>) -> Grant {
        let names = &op["ExpressionAttributeNames"];
        let mut attributes = std::collections::BTreeSet::new();
        for part in ["Key", "Item"] {
            let keys = op[part].as_object().into_iter().flat_map(|m| m.keys());
            attributes.extend(keys.cloned());
        }
        for part in [
            "ProjectionExpression",
            "UpdateExpression",
            "ConditionExpression",
        ] {
            let expr = op[part].as_str().unwrap_or_default();
            attributes.extend(expression_names(expr, names));
        }
        let reads = matches!(action, "GetItem" | "Query" | "Scan" | "BatchGetItem");
        let select = reads.then(|| match op.get("ProjectionExpression") {
            Some(_) => "SPECIFIC_ATTRIBUTES".to_string(),
            None => op["Select"]
                .as_str()
                .unwrap_or("ALL_ATTRIBUTES")
                .to_string(),
        });
        Grant {
            action: format!("dynamodb:{action}"),
            table: op["TableName"].as_str().unwrap_or_default().to_string(),
            index: op["IndexName"].as_str().map(str::to_string),
            enclosing: enclosing.map(str::to_string),
            attributes,
            select,
            return_values: op["ReturnValues"].as_str().map(str::to_string),
        }
    }
}

/// The top-level attribute names an expression names: every name that is
/// not a value (`:v`), a keyword or a function, `#aliases` resolved, and
/// paths cut at their first `.` or `[`.
fn expression_names(expr: &str, aliases: &serde_json::Value) -> Vec<String> {
    const WORDS: [&str; 9] = [
        "SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "BETWEEN", "IN",
    ];
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(start) = rest.find(|c: char| c.is_alphanumeric() || "#_:".contains(c)) {
        rest = &rest[start..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || "#_:.[]".contains(c)))
            .unwrap_or(rest.len());
        let (token, after) = rest.split_at(end);
        rest = after;
        let name = token.split(['.', '[']).next().unwrap_or_default();
        let function = after.trim_start().starts_with('(');
        if name.starts_with(':') || function || WORDS.contains(&name) || name.is_empty() {
            continue;
        }
        let name = match name.strip_prefix('#') {
            Some(_) => aliases[name].as_str().unwrap_or(name),
            None => name,
        };
        out.push(name.to_string());
    }
    out
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

    fn note_grants(&self, operation: &str, body: &serde_json::Value) {
        let mut found = Vec::new();
        match operation {
            "BatchGetItem" => {
                let requests = body["RequestItems"].as_object().into_iter().flatten();
                for (table, keys) in requests {
                    let mut op = keys.clone();
                    op["TableName"] = table.as_str().into();
                    if let Some(first) = keys["Keys"].get(0) {
                        op["Key"] = first.clone();
                    }
                    found.push(Grant::of(operation, &op, None));
                }
            }
            "BatchWriteItem" => {
                let requests = body["RequestItems"].as_object().into_iter().flatten();
                for (table, writes) in requests {
                    let first = &writes[0];
                    let mut op = serde_json::json!({ "TableName": table });
                    if let Some(d) = first.get("DeleteRequest") {
                        op["Key"] = d["Key"].clone();
                    }
                    if let Some(p) = first.get("PutRequest") {
                        op["Item"] = p["Item"].clone();
                    }
                    found.push(Grant::of(operation, &op, None));
                }
            }
            "TransactWriteItems" => {
                for item in body["TransactItems"].as_array().into_iter().flatten() {
                    for (kind, action) in [
                        ("Put", "PutItem"),
                        ("Update", "UpdateItem"),
                        ("Delete", "DeleteItem"),
                        ("ConditionCheck", "ConditionCheckItem"),
                    ] {
                        if let Some(op) = item.get(kind) {
                            found.push(Grant::of(action, op, Some(operation)));
                        }
                    }
                }
            }
            _ => found.push(Grant::of(operation, body, None)),
        }
        self.grants.lock().expect("grants").extend(found);
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
        self.0.note_grants(&operation, &sent);
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
