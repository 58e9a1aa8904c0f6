//! Arbitrary bodies, headers, cookies and paths never produce a 5xx, and
//! every answer is a complete HTML page with the security headers.

use std::sync::OnceLock;

use base64::Engine;
use proptest::prelude::*;
use shared::testing::*;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| runtime().block_on(Env::start()))
}

/// Every path of the route table, and some that are not.
fn paths() -> Vec<&'static str> {
    let mut paths: Vec<&'static str> = shared::ROUTES.iter().map(|r| r.path).collect();
    paths.dedup();
    paths.extend(["/nope", "//", "/login/"]);
    paths
}
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "HEAD"];
const CONTENT_TYPES: &[&str] = &[
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=UTF-8",
    "application/json",
    "multipart/form-data; boundary=x",
    "",
];

fn form_like() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        Just("username".to_string()),
        Just("password".to_string()),
        Just("email".to_string()),
        Just("csrf_token".to_string()),
        Just("remember".to_string()),
        Just("next".to_string()),
        Just("session".to_string()),
        Just("code".to_string()),
        Just("recovery_code".to_string()),
        Just("trust".to_string()),
        Just("forget".to_string()),
        Just("browser".to_string()),
        "[a-z%&=+]{0,12}",
    ];
    let value = prop_oneof![
        "[ -~]{0,40}",
        "(%[0-9A-Fa-f]{2}|%[^0-9A-Fa-f]|[a-z+&=]){0,20}"
    ];
    prop_oneof![
        proptest::collection::vec((field, value), 0..6).prop_map(|pairs| {
            pairs
                .into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes()
        }),
        proptest::collection::vec(any::<u8>(), 0..200),
        (16_300usize..17_000).prop_map(|n| vec![b'a'; n]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn no_request_yields_a_5xx(
        method in proptest::sample::select(METHODS),
        path in proptest::sample::select(paths()),
        query in "([a-z]{1,6}=([A-Za-z0-9._~/:-]|%[0-9A-F]{2}|[ \"<>{}|\\\\^`é\u{1}\u{7f}%]){0,12}&?){0,3}",
        body in form_like(),
        content_type in proptest::sample::select(CONTENT_TYPES),
        cookie in "[ -~&&[^;,]]{0,80}",
        origin in prop_oneof![Just(None), Just(Some("https://evil.example".to_string())), "[ -~]{0,30}".prop_map(Some)],
        https in any::<bool>(),
    ) {
        let env = env();
        let page = runtime().block_on(async {
            let mut b = Browser::new(env.app.clone(), https);
            b.cookies = vec![
                ("__Host-session".into(), cookie.clone()),
                ("session".into(), cookie.clone()),
                ("csrf".into(), cookie.clone()),
                ("__Host-flash".into(), cookie.clone()),
                ("__Host-pending".into(), cookie.clone()),
                ("__Host-trusted".into(), cookie),
            ];
            let target = if query.is_empty() { path.to_string() } else { format!("{path}?{query}") };
            let mut headers = vec![("content-type", content_type)];
            if let Some(o) = origin.as_deref() {
                headers.push(("origin", o));
            }
            let mut ev = b.event(method, &target, None, &headers);
            ev["body"] = base64::engine::general_purpose::STANDARD.encode(&body).into();
            ev["isBase64Encoded"] = true.into();
            b.send_event(&ev.to_string(), path).await
        });
        prop_assert!(page.status < 500, "{} {}: {}", method, path, page.status);
        prop_assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
        prop_assert!(page.header("content-security-policy").is_some());
        if body.len() > 16 * 1024 && method == "POST" && shared::Function::for_path(path).is_some() {
            let allowed = shared::ROUTES.iter().any(|r| r.method == "POST" && r.path == path);
            if allowed {
                prop_assert_eq!(page.status, 413);
            }
        }
    }
}

/// Characters that `http::Uri` refuses, which API Gateway passes on raw:
/// each gets a page (the query ignored, or 404 for the path), never a panic.
#[test]
fn raw_characters_in_the_url_get_a_page() {
    let env = env();
    for c in [
        "\"", "<", ">", " ", "{", "}", "|", "\\", "`", "^", "é", "\u{1}", "\t", "\u{7f}", "%",
    ] {
        runtime().block_on(async {
            let mut b = env.browser();
            let target = format!("/login?next=/acc{c}ount");
            let mut ev = b.event("GET", "/login", None, &[]);
            ev["rawQueryString"] = target.split_once('?').unwrap().1.into();
            let page = b.send_event(&ev.to_string(), "/login").await;
            assert_eq!(page.status, 200, "query with {c:?}");
            assert!(page.body.contains("<h1>Log in</h1>"));
            let raw_path = format!("/login{c}");
            let mut ev = b.event("GET", "/login", None, &[]);
            ev["rawPath"] = raw_path.clone().into();
            let page = b.send_event(&ev.to_string(), &raw_path).await;
            assert_eq!(page.status, 404, "path with {c:?}");
            assert!(page.body.starts_with("<!doctype html>"));
        });
    }
}
