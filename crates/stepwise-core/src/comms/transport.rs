//! Delivers one update to channels, one after the other, and says how each
//! took it. HTTP goes through `ureq` (rustls, no OpenSSL) on a blocking
//! thread, with a global timeout, and never follows a redirect: the trust
//! screen showed the runbook's hosts, and a redirect could carry the
//! payload (and its headers) to another. A command gets the payload on
//! stdin and the input values as environment variables; a file gets one
//! JSON line, fsync'd. Never panics on a bad answer and never journals.

use super::payload::Payload;
use super::template::render;
use crate::engine::redact::Redactor;
use crate::runbook::model::{Channel, Transport};
use crate::session::event::ChannelOutcome;
use std::io::Write;
use std::path::Path;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// How long a send may take.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The whole HTTP exchange: connect, send, answer.
    pub http: Duration,
    /// A command channel, from start to exit.
    pub command: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            http: Duration::from_secs(10),
            command: Duration::from_secs(30),
        }
    }
}

/// Everything a delivery needs besides the payload.
pub struct Route<'a> {
    /// The runbook's channels (the ones named are looked up here).
    pub channels: &'a [Channel],
    /// Real input and capture values: filled into URLs and headers, and
    /// the environment of a command channel.
    pub values: &'a [(String, String)],
    /// Where relative file paths and commands start.
    pub base_dir: &'a Path,
    /// The shell argv a command channel runs in.
    pub shell: &'a [String],
    /// Masks every error text (a URL in an error may hold a token).
    pub redactor: &'a Redactor,
    pub limits: Limits,
}

/// Sends `payload` to each named channel in order.
pub async fn deliver(
    route: &Route<'_>,
    names: &[String],
    payload: &Payload,
) -> Vec<ChannelOutcome> {
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let result = match route.channels.iter().find(|c| &c.name == name) {
            Some(c) => send_one(route, &c.transport, payload).await,
            None => Err(format!("no channel named `{name}` in the runbook")),
        };
        let (ok, detail) = match result {
            Ok(d) => (true, d),
            // Masked whole, then cut: a cut first could split a secret
            // so that the mask no longer finds it.
            Err(e) => (false, excerpt(&route.redactor.redact_str(&e))),
        };
        out.push(ChannelOutcome {
            channel: name.clone(),
            ok,
            unsure: !ok && detail.starts_with(NO_ANSWER),
            detail,
        });
    }
    out
}

/// How a timed-out request's detail begins: sent, no answer, so it may
/// have arrived (`ChannelOutcome::unsure`).
const NO_ANSWER: &str = "no answer";

async fn send_one(route: &Route<'_>, t: &Transport, payload: &Payload) -> Result<String, String> {
    let fill = |s: &str| render(s, route.values);
    match t {
        Transport::Slack { webhook } => {
            http_post(
                fill(webhook),
                Vec::new(),
                payload.slack(),
                route.limits.http,
            )
            .await
        }
        Transport::Webhook { url, headers } => {
            let mut h: Vec<(String, String)> =
                headers.iter().map(|(k, v)| (k.clone(), fill(v))).collect();
            h.push(("Idempotency-Key".into(), payload.idempotency_key.clone()));
            http_post(fill(url), h, payload.json(), route.limits.http).await
        }
        Transport::Command { run } => command(route, run, payload.json()).await,
        Transport::File { path } => {
            let path = route.base_dir.join(fill(path));
            let mut line = payload.json();
            line.push(b'\n');
            tokio::task::spawn_blocking(move || append(&path, &line))
                .await
                .map_err(|e| e.to_string())?
        }
    }
}

async fn http_post(
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeout: Duration,
) -> Result<String, String> {
    tokio::task::spawn_blocking(move || post_blocking(&url, &headers, &body, timeout))
        .await
        .map_err(|e| e.to_string())?
}

fn post_blocking(
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<String, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("stepwise/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut req = agent.post(url).header("Content-Type", "application/json");
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let resp = req.send(body).map_err(|e| match e {
        ureq::Error::Timeout(_) => format!(
            "{NO_ANSWER} within {}s (timeout): it may have arrived; a resend carries the same Idempotency-Key",
            timeout.as_secs_f64()
        ),
        other => format!("cannot reach the server: {other}"),
    })?;
    let status = resp.status();
    if status.is_success() {
        return Ok(format!("HTTP {}", status.as_u16()));
    }
    if status.is_redirection() {
        let to = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or("?")
            .to_owned();
        return Err(format!(
            "HTTP {} redirect to {to}: not followed (stepwise never follows redirects; put the final URL in the channel)",
            status.as_u16()
        ));
    }
    let text = resp.into_body().read_to_string().unwrap_or_default();
    Err(format!("HTTP {}: {}", status.as_u16(), first_line(&text)))
}

async fn command(route: &Route<'_>, run: &str, body: Vec<u8>) -> Result<String, String> {
    let mut argv = route.shell.to_vec();
    argv.push(run.to_owned());
    let mut cmd = tokio::process::Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .envs(route.values.iter().map(|(k, v)| (k, v)))
        .current_dir(route.base_dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{run}`: {e}"))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let work = async move {
        // A command that does not read its stdin still gets to exit.
        let _ = stdin.write_all(&body).await;
        drop(stdin);
        child.wait_with_output().await
    };
    let out = tokio::time::timeout(route.limits.command, work)
        .await
        .map_err(|_| {
            format!(
                "`{run}` did not finish within {}s",
                route.limits.command.as_secs()
            )
        })?
        .map_err(|e| format!("`{run}`: {e}"))?;
    if out.status.success() {
        return Ok("exit 0".into());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    Err(format!("`{run}` failed ({}): {}", out.status, err.trim()))
}

/// A web server's body (often a whole page): its first non-empty line,
/// ` …` when more lines were left out ([`excerpt`] cuts a long one).
fn first_line(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("").to_owned();
    match lines.next().is_some() {
        true => format!("{first} …"),
        false => first,
    }
}

/// The most a channel's answer keeps of a reply or of stderr, in
/// characters.
const EXCERPT: usize = 400;

/// Why a channel refused, as recorded (a command's stderr, a server's
/// first line; masked before it is cut): its non-empty lines
/// joined by ` ⏎ ` (a program's last line is often the one that says
/// why, after a first line of context), and when longer than
/// [`EXCERPT`], its beginning and its end with ` … ` where the middle was
/// left out: a cut is never silent.
fn excerpt(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let joined = lines.join(" ⏎ ");
    let chars: Vec<char> = joined.chars().collect();
    if chars.len() <= EXCERPT {
        return joined;
    }
    let head: String = chars[..EXCERPT / 3].iter().collect();
    let tail: String = chars[chars.len() - (EXCERPT - EXCERPT / 3)..]
        .iter()
        .collect();
    format!("{} … {}", head.trim_end(), tail.trim_start())
}

fn append(path: &Path, line: &[u8]) -> Result<String, String> {
    let say = |e: std::io::Error| format!("cannot append to {}: {e}", path.display());
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(say)?;
    f.write_all(line).map_err(say)?;
    f.sync_all().map_err(say)?;
    Ok("appended".into())
}

#[cfg(test)]
mod tests {
    use crate::comms::transport::{EXCERPT, excerpt};

    /// Every line is kept (the last one often says why), and a reply too
    /// long is cut in the middle, marked, its end kept.
    #[test]
    fn a_refusal_keeps_its_last_line_and_marks_a_cut() {
        assert_eq!(
            excerpt("warning: retrying\n\nfatal: token expired for channel ops\n"),
            "warning: retrying ⏎ fatal: token expired for channel ops"
        );
        let long = format!("{}\nfatal: the relay on relay-02 refused", "x".repeat(900));
        let cut = excerpt(&long);
        assert!(cut.chars().count() <= EXCERPT + 3, "{cut}");
        assert!(cut.contains(" … "), "{cut}");
        assert!(
            cut.ends_with("fatal: the relay on relay-02 refused"),
            "{cut}"
        );
        assert!(cut.starts_with("xxx"), "{cut}");
    }
}
