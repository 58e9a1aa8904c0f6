//! What a DynamoDB call needs of IAM, read from the request the SDK sends:
//! the action, the table (or index), the enclosing operation and the values
//! of the fine-grained condition keys (`Faults` records one per call).

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

/// The grants one request needs (one per table, or per item of a
/// transaction).
pub(super) fn of_request(operation: &str, body: &serde_json::Value) -> Vec<Grant> {
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
    found
}
