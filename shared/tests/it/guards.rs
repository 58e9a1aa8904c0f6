//! What template.yaml promises beyond the routes: floods are capped per
//! function and per route, and each function's grants are as narrow as
//! the code needs. A failure says what to write.

use saphyr::Yaml;

use crate::deployment::{entries, get, tagged, template, text};

/// A parameter's default, as a number.
fn default_of(t: &Yaml<'_>, parameter: &str) -> i64 {
    let p = get(&t["Parameters"], parameter).unwrap_or_else(|| panic!("no parameter {parameter}"));
    match &p["Default"] {
        Yaml::Value(v) => v.as_integer(),
        other => text(other).parse().ok(),
    }
    .unwrap_or_else(|| panic!("{parameter} has no numeric Default"))
}

#[test]
fn every_function_has_reserved_concurrency_from_a_parameter() {
    let t = template();
    let mut total = 0;
    for (name, resource) in entries(get(&t, "Resources")) {
        if text(&resource["Type"]) != "AWS::Serverless::Function" {
            continue;
        }
        let fix = format!(
            "{name}: ReservedConcurrentExecutions: !If [Reserve<X>, !Ref <X>Concurrency, !Ref AWS::NoValue]"
        );
        let node = get(&resource["Properties"], "ReservedConcurrentExecutions").expect(&fix);
        let Yaml::Tagged(tag, inner) = node else {
            panic!("{fix}");
        };
        assert_eq!(tag.suffix, "If", "{fix}");
        let parts = inner.as_vec().expect(&fix);
        let condition = text(&parts[0]);
        let (_, parameter) = tagged(&parts[1]).expect(&fix);
        assert_eq!(tagged(&parts[2]), Some(("Ref", "AWS::NoValue")), "{fix}");
        assert!(get(&t["Conditions"], condition).is_some(), "{fix}");
        let reserved = default_of(&t, parameter);
        assert!(reserved > 0, "{parameter}: reserve by default");
        total += reserved;
    }
    // An account's default quota is 1,000, of which 100 stay unreserved.
    assert!(total <= 900, "the defaults reserve {total}");
}

#[test]
fn the_http_api_throttles_every_route_from_parameters() {
    let t = template();
    let settings = &t["Resources"]["HttpApi"]["Properties"]["DefaultRouteSettings"];
    for (key, parameter) in [
        ("ThrottlingRateLimit", "ApiRateLimit"),
        ("ThrottlingBurstLimit", "ApiBurstLimit"),
    ] {
        assert_eq!(
            get(settings, key).and_then(tagged),
            Some(("Ref", parameter)),
            "HttpApi: Properties: DefaultRouteSettings: {key}: !Ref {parameter}"
        );
        assert!(default_of(&t, parameter) > 0);
    }
}

#[test]
fn the_registration_limit_is_a_parameter() {
    let t = template();
    let vars = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(
        get(vars, "REGISTER_IP_LIMIT").and_then(tagged),
        Some(("Ref", "RegisterIpLimit"))
    );
    assert_eq!(default_of(&t, "RegisterIpLimit"), 20);
}
