//! Update delivery against a real HTTP server on 127.0.0.1 started by each
//! test: the Slack and webhook bodies byte for byte (snapshots), the
//! headers, a 500, a timeout, a redirect (never followed), and masking of
//! a secret in the message and in an error. No sleeps: each test awaits
//! what the server received.

#[path = "../../../tests/support/http.rs"]
mod http;

use http::{Reply, ok};
use std::path::Path;
use std::time::Duration;
use stepwise_core::comms::transport::Route;
use stepwise_core::comms::{self, ChannelOutcome, Limits, Payload, Progress};
use stepwise_core::engine::redact::Redactor;
use stepwise_core::runbook::model::{Channel, Transport};

fn payload(message: &str) -> Payload {
    Payload {
        session: "20260101T000000Z-rollback-ab12".into(),
        runbook: "rollback".into(),
        status: "identified",
        message: message.into(),
        progress: Progress {
            done: 3,
            total: 10,
            failed: 1,
            skipped: 1,
        },
        current_step: Some("Deploy the stable version".into()),
        started: Some("2026-01-01T00:00:00Z".into()),
        expected_end: None,
        actor: "alice@laptop".into(),
        idempotency_key: "20260101T000000Z-rollback-ab12:notify:1".into(),
    }
}

fn slack(url: &str) -> Vec<Channel> {
    vec![Channel {
        name: "incident".into(),
        transport: Transport::Slack {
            webhook: url.into(),
        },
    }]
}

fn webhook(url: &str) -> Vec<Channel> {
    vec![Channel {
        name: "status-page".into(),
        transport: Transport::Webhook {
            url: url.into(),
            headers: vec![("Authorization".into(), "Bearer $STATUS_TOKEN".into())],
        },
    }]
}

async fn send(
    channels: &[Channel],
    values: &[(String, String)],
    redactor: &Redactor,
    limits: Limits,
    p: &Payload,
) -> ChannelOutcome {
    let route = Route {
        channels,
        values,
        base_dir: Path::new("/"),
        shell: &["sh".into(), "-c".into()],
        redactor,
        limits,
    };
    let names = vec![channels[0].name.clone()];
    comms::deliver(&route, &names, p).await.remove(0)
}

fn no_secrets() -> Redactor {
    Redactor::new(Vec::<String>::new())
}

fn token() -> Vec<(String, String)> {
    vec![
        ("STATUS_TOKEN".into(), "tok-SECRET-42".into()),
        ("HOOK".into(), "unused".into()),
    ]
}

#[tokio::test]
async fn slack_gets_text_and_blocks_byte_for_byte() {
    let mut server = http::start(vec![ok()]).await;
    let hook = format!("{}/services/T0/B0/xyz", server.url);
    let out = send(
        &slack(&hook),
        &[],
        &no_secrets(),
        Limits::default(),
        &payload("Rolling back v2 to v1: *errors up*."),
    )
    .await;
    assert!(out.ok, "{out:?}");
    assert_eq!(out.detail, "HTTP 200");
    let req = server.requests.recv().await.unwrap();
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/services/T0/B0/xyz")
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
    insta::assert_snapshot!("slack_body", req.body_text());
}

#[tokio::test]
async fn webhook_gets_the_documented_payload_headers_and_key() {
    let mut server = http::start(vec![ok()]).await;
    let url = format!("{}/hook", server.url);
    let out = send(
        &webhook(&url),
        &token(),
        &no_secrets(),
        Limits::default(),
        &payload("Back to normal."),
    )
    .await;
    assert!(out.ok, "{out:?}");
    let req = server.requests.recv().await.unwrap();
    assert_eq!(req.header("authorization"), Some("Bearer tok-SECRET-42"));
    assert_eq!(
        req.header("idempotency-key"),
        Some("20260101T000000Z-rollback-ab12:notify:1")
    );
    insta::assert_snapshot!("webhook_body", req.body_text());
}

#[tokio::test]
async fn a_500_is_a_failed_send_with_the_status_and_first_line() {
    let mut server = http::start(vec![Reply::Answer(
        500,
        vec![],
        "database on fire\nstack...".into(),
    )])
    .await;
    let out = send(
        &webhook(&server.url),
        &token(),
        &no_secrets(),
        Limits::default(),
        &payload("x"),
    )
    .await;
    assert!(!out.ok);
    assert!(!out.unsure, "an answer came: it failed");
    // The body's next lines are left out, and it says so.
    assert_eq!(out.detail, "HTTP 500: database on fire …");
    server.requests.recv().await.unwrap();
}

/// The request went out and no answer came: not delivered for sure, and
/// not failed for sure either (`unsure`: it may have arrived).
#[tokio::test]
async fn no_answer_within_the_timeout_is_an_unsure_send() {
    let mut server = http::start(vec![Reply::Hang]).await;
    let limits = Limits {
        http: Duration::from_millis(300),
        command: Duration::from_secs(1),
    };
    let out = send(
        &webhook(&server.url),
        &token(),
        &no_secrets(),
        limits,
        &payload("x"),
    )
    .await;
    assert!(!out.ok);
    assert!(out.unsure, "{out:?}");
    assert!(out.detail.contains("timeout"), "{}", out.detail);
    assert!(out.detail.contains("may have arrived"), "{}", out.detail);
    server.requests.recv().await.unwrap();
}

#[tokio::test]
async fn a_redirect_is_refused_not_followed() {
    let elsewhere = http::start(vec![ok()]).await;
    let location = format!("{}/other", elsewhere.url);
    let mut server = http::start(vec![Reply::Answer(
        302,
        vec![("location".into(), location.clone())],
        String::new(),
    )])
    .await;
    let out = send(
        &webhook(&server.url),
        &token(),
        &no_secrets(),
        Limits::default(),
        &payload("x"),
    )
    .await;
    assert!(!out.ok);
    assert!(
        out.detail
            .starts_with(&format!("HTTP 302 redirect to {location}: not followed")),
        "{}",
        out.detail
    );
    server.requests.recv().await.unwrap();
    let mut other = elsewhere.requests;
    assert!(
        other.try_recv().is_err(),
        "the redirect target was contacted"
    );
}

#[tokio::test]
async fn secrets_are_masked_in_the_message_and_in_errors() {
    let mut server = http::start(vec![Reply::Answer(
        401,
        vec![],
        "bad token tok-SECRET-42".into(),
    )])
    .await;
    let redactor = Redactor::new(["tok-SECRET-42"]);
    let mut session = stepwise_core::session::state::Session::new(
        stepwise_core::runbook::load_str(
            "t.yaml",
            "runbook: 1\nid: t\ntitle: T\nchannels: { sp: { file: x } }\nsections:\n  - title: S\n    steps:\n      - id: u\n        title: U\n        update: \"token is $STATUS_TOKEN\"\n",
        )
        .unwrap(),
    );
    session.id = "s".into();
    let def = session.runbook.step("u").unwrap().clone();
    let now = chrono::Utc::now();
    let d = comms::draft(&session, &def, &token(), &redactor, now, None).unwrap();
    assert_eq!(d.text, "token is ••••••");
    let out = send(
        &webhook(&server.url),
        &token(),
        &redactor,
        Limits::default(),
        &payload(&d.text),
    )
    .await;
    let req = server.requests.recv().await.unwrap();
    assert!(!req.body_text().contains("tok-SECRET-42"));
    assert_eq!(out.detail, "HTTP 401: bad token ••••••");
}

/// A command channel's stderr is masked whole before it is cut: a secret
/// that straddles the place the long excerpt is cut (after its first
/// third) and a secret on a later line are both masked, and the last
/// line, the one saying why, is kept.
#[tokio::test]
async fn a_long_stderr_is_masked_before_it_is_cut() {
    let secret = format!("tok-{}", "S".repeat(36));
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("n.sh");
    let run = format!("sh {}", script.display());
    // The secret from column 115 of the recorded reason to 155: across
    // the cut after the first 133 characters.
    let lead = format!("`{run}` failed (exit status: 1): ").chars().count();
    let pad = "0".repeat(115 - lead);
    std::fs::write(
        &script,
        format!(
            "echo '{pad}{secret} {}' >&2\necho \"+ curl -H 'Bearer $STATUS_TOKEN'\" >&2\necho 'fatal: 401 from the relay' >&2\nexit 1\n",
            "0".repeat(400)
        ),
    )
    .unwrap();
    let channels = vec![Channel {
        name: "pager".into(),
        transport: Transport::Command { run },
    }];
    let redactor = Redactor::new([secret.as_str(), "tok-SECRET-42"]);
    let out = send(
        &channels,
        &token(),
        &redactor,
        Limits::default(),
        &payload("x"),
    )
    .await;
    assert!(!out.ok);
    assert!(!out.detail.contains("SSSS"), "{}", out.detail);
    assert!(!out.detail.contains("tok-"), "{}", out.detail);
    let (mask, cut) = (out.detail.find("••••••"), out.detail.find(" … "));
    assert!(
        mask.is_some() && cut.is_some() && mask < cut,
        "{}",
        out.detail
    );
    assert!(out.detail.contains("Bearer ••••••"), "{}", out.detail);
    assert!(
        out.detail.ends_with(" ⏎ fatal: 401 from the relay"),
        "{}",
        out.detail
    );
}
