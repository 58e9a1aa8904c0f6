//! The DynamoDB Streams event Lambda hands the mailer (`{"Records": […]}`),
//! the few fields it reads, and the partial-batch answer.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize)]
pub(crate) struct StreamEvent {
    #[serde(rename = "Records", default)]
    pub(crate) records: Vec<Record>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Record {
    #[serde(rename = "eventName", default)]
    pub(crate) event_name: String,
    #[serde(default)]
    pub(crate) dynamodb: Change,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Change {
    #[serde(rename = "NewImage", default)]
    pub(crate) new_image: Option<HashMap<String, serde_json::Value>>,
    #[serde(rename = "SequenceNumber", default)]
    pub(crate) sequence_number: String,
}

/// `{"batchItemFailures": [{"itemIdentifier": <sequence number>}]}`: Lambda
/// retries the stream from the first record named, and only from there.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    pub item_identifier: String,
}

/// A stream image's attributes (DynamoDB JSON) as the SDK's values; the
/// types our items use (`S`, `N`, `BOOL`); anything else is left out.
pub(crate) fn image(raw: &HashMap<String, serde_json::Value>) -> HashMap<String, AttributeValue> {
    raw.iter()
        .filter_map(|(k, v)| {
            let v = if let Some(s) = v.get("S").and_then(|s| s.as_str()) {
                AttributeValue::S(s.to_string())
            } else if let Some(n) = v.get("N").and_then(|s| s.as_str()) {
                AttributeValue::N(n.to_string())
            } else if let Some(b) = v.get("BOOL").and_then(|b| b.as_bool()) {
                AttributeValue::Bool(b)
            } else {
                return None;
            };
            Some((k.clone(), v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_stream_record() {
        let ev: StreamEvent = serde_json::from_value(serde_json::json!({"Records": [{
            "eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb",
            "dynamodb": {"Keys": {"pk": {"S": "MAIL#x"}}, "SequenceNumber": "42",
                "NewImage": {"pk": {"S": "MAIL#x"}, "created_at": {"N": "5"}, "l": {"L": []}}}
        }]}))
        .unwrap();
        let r = &ev.records[0];
        assert_eq!(
            (r.event_name.as_str(), r.dynamodb.sequence_number.as_str()),
            ("INSERT", "42")
        );
        let img = image(r.dynamodb.new_image.as_ref().unwrap());
        assert_eq!(img.get("created_at"), Some(&AttributeValue::N("5".into())));
        assert_eq!(img.len(), 2);
        let none: StreamEvent = serde_json::from_value(serde_json::json!({})).unwrap();
        assert!(none.records.is_empty());
    }
}
