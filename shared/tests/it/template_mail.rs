//! template.yaml's mail path: the tokens table's stream, the mailer's
//! event source, its dead-letter queue, and the grants that keep SES to one
//! From address and password hashes out of reach of home and the mailer.

use saphyr::Yaml;

use crate::deployment::{entries, get, tagged, template, text};

/// A statement's condition value at `op` / `key`, as text (lists joined).
fn condition(statement: &Yaml<'_>, op: &str, key: &str) -> Vec<String> {
    let node = &statement["Condition"][op][key];
    match node.as_vec() {
        Some(list) => list.iter().map(|v| text(v).to_string()).collect(),
        None => vec![text(node).to_string()],
    }
}

fn statements<'a, 'b>(function: &'a Yaml<'b>) -> Vec<&'a Yaml<'b>> {
    function["Properties"]["Policies"]
        .as_vec()
        .unwrap()
        .iter()
        .flat_map(|p| p["Statement"].as_vec().unwrap().iter())
        .collect()
}

#[test]
fn template_wires_the_mail_path() {
    let t = template();
    let r = &t["Resources"];
    // The tokens table streams new items (and only needs their new image).
    let tokens = &r["TokensTable"]["Properties"];
    assert_eq!(
        text(&tokens["StreamSpecification"]["StreamViewType"]),
        "NEW_IMAGE"
    );
    // The mailer: fed by that stream, partial batch failures, bounded
    // retries, then the dead-letter queue; INSERTs only. Through a mapping
    // of its own, not a SAM DynamoDB event (whose managed policy reads
    // every stream), so its role reads this stream only.
    let mailer = &r["MailerFunction"];
    assert_eq!(
        mailer["Metadata"]["BuildProperties"]["Binary"].as_str(),
        Some("mailer")
    );
    assert!(entries(get(&mailer["Properties"], "Events")).is_empty());
    let mappings: Vec<_> = entries(Some(r))
        .into_iter()
        .filter(|(_, res)| text(&res["Type"]) == "AWS::Lambda::EventSourceMapping")
        .collect();
    assert_eq!(mappings.len(), 1);
    let p = &mappings[0].1["Properties"];
    assert_eq!(tagged(&p["FunctionName"]), Some(("Ref", "MailerFunction")));
    assert_eq!(
        tagged(&p["EventSourceArn"]),
        Some(("GetAtt", "TokensTable.StreamArn"))
    );
    assert_eq!(
        text(&p["FunctionResponseTypes"][0]),
        "ReportBatchItemFailures"
    );
    assert!(p["MaximumRetryAttempts"]
        .as_integer()
        .is_some_and(|n| (1..=10).contains(&n)));
    assert_eq!(p["BisectBatchOnFunctionError"].as_bool(), Some(true));
    assert_eq!(
        tagged(&p["DestinationConfig"]["OnFailure"]["Destination"]),
        Some(("GetAtt", "MailDeadLetterQueue.Arn"))
    );
    assert!(text(&p["FilterCriteria"]["Filters"][0]["Pattern"]).contains("\"INSERT\""));
    // A batch can finish: the mailer's timeout leaves room for one record
    // at its slowest (55 s; it starts no further one with less left).
    assert!(mailer["Properties"]["Timeout"]
        .as_integer()
        .is_some_and(|t| t >= 60));
    // Its stream grant names the one stream, never "*".
    let stream: Vec<_> = statements(mailer)
        .into_iter()
        .filter(|s| {
            text(&s["Action"][0]).starts_with("dynamodb:GetRecords")
                || s["Action"]
                    .as_vec()
                    .unwrap()
                    .iter()
                    .any(|a| text(a) == "dynamodb:GetRecords")
        })
        .collect();
    assert_eq!(stream.len(), 1);
    assert_eq!(
        tagged(&stream[0]["Resource"]),
        Some(("GetAtt", "TokensTable.StreamArn"))
    );
    let dlq = &r["MailDeadLetterQueue"]["Properties"];
    assert_eq!(
        dlq["MessageRetentionPeriod"].as_integer(),
        Some(14 * 24 * 3600)
    );
    assert_eq!(dlq["SqsManagedSseEnabled"].as_bool(), Some(true));
}

#[test]
fn template_keeps_ses_to_one_address_and_hashes_out_of_reach() {
    let t = template();
    let r = &t["Resources"];
    let mailer = &r["MailerFunction"];
    // SES: the one From address, and only the mailer.
    let mailer_statements = statements(mailer);
    let ses: Vec<_> = mailer_statements
        .iter()
        .filter(|s| text(&s["Action"][0]).starts_with("ses:"))
        .collect();
    assert_eq!(ses.len(), 1);
    assert_eq!(
        tagged(&ses[0]["Condition"]["StringEquals"]["ses:FromAddress"]),
        Some(("Ref", "MailFrom"))
    );
    assert_eq!(
        text(&mailer["Properties"]["Environment"]["Variables"]["MAIL_FROM"]),
        "MailFrom"
    );
    // The mailer reads accounts without their password hash, and writes none.
    for s in &mailer_statements {
        if tagged(&s["Resource"]) == Some(("GetAtt", "UsersTable.Arn")) {
            assert_eq!(text(&s["Action"][0]), "dynamodb:GetItem");
            let attrs = condition(s, "ForAllValues:StringEquals", "dynamodb:Attributes");
            assert!(
                attrs.contains(&"email".to_string())
                    && !attrs.contains(&"password_hash".to_string())
            );
        }
    }
    // Home reads nothing of the users table (the account's row in the
    // sessions table has what its pages show).
    for s in statements(&r["HomeFunction"]) {
        assert_ne!(tagged(&s["Resource"]), Some(("GetAtt", "UsersTable.Arn")));
    }
    // Only the delete function may delete from the users table.
    for (name, resource) in entries(Some(r)) {
        if text(&resource["Type"]) != "AWS::Serverless::Function" || name == "DeleteFunction" {
            continue;
        }
        for s in statements(resource) {
            if tagged(&s["Resource"]) == Some(("GetAtt", "UsersTable.Arn")) {
                let actions: Vec<&str> = s["Action"].as_vec().unwrap().iter().map(text).collect();
                assert!(!actions.contains(&"dynamodb:DeleteItem"), "{name}");
            }
        }
    }
    // Argon2 where passwords are hashed; little memory elsewhere.
    for (f, mb) in [
        ("PasswordFunction", 1024),
        ("DeleteFunction", 1024),
        ("EmailFunction", 256),
        ("MailerFunction", 256),
    ] {
        assert_eq!(
            r[f]["Properties"]["MemorySize"].as_integer(),
            Some(mb),
            "{f}"
        );
    }
}

#[test]
fn the_site_url_must_be_https() {
    // The links in emails are built from it: on AWS never plain http.
    let t = template();
    let param = &t["Parameters"]["SiteUrl"];
    let pattern = regex_lite::Regex::new(text(&param["AllowedPattern"])).unwrap();
    for ok in [
        "",
        "https://blog.example.com",
        "https://accounts.example.co.uk",
    ] {
        assert!(pattern.is_match(ok), "{ok:?}");
    }
    for bad in [
        "http://blog.example.com",
        "blog.example.com",
        "https://blog.example.com/",
        "https://blog.example.com/accounts",
        "https://",
        "https:// blog",
    ] {
        assert!(!pattern.is_match(bad), "{bad:?}");
    }
}
