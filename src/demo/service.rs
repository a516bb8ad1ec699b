//! The demo service: a tiny HTTP/1.1 server that plays "production" for the
//! sandbox, run by the hidden `stepwise __serve-demo` subcommand so the demo
//! needs nothing a user might lack (no Python, no Node, no new dependency).
//!
//! It listens on 127.0.0.1 port 0, writes the chosen port to a file, and
//! answers from what is deployed *at request time*: `GET /blue-1/health` from
//! that instance's deployed working copy (`VERSION`, `service.conf`) and the
//! live `etc/service.conf`; `GET /health` for the whole service (healthy when
//! every instance is), as users behind a balancer see it. One process plays
//! every instance. A deploy therefore needs no restart. Every request appends one line to the
//! sandbox's service log. It stops by itself when its parent process goes away
//! or the sandbox folder is removed, so a killed demo leaves no server behind.
//!
//! It must never listen on anything but 127.0.0.1, never write outside the
//! sandbox folder, and never change what is deployed.

use crate::demo::files::{DEPLOYED_DIR, INSTANCES, LIVE_CONFIG, SERVICE_LOG, SERVICE_PID};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The hidden subcommand that runs the service: `stepwise __serve-demo --dir DIR --port-file FILE`.
pub const HIDDEN_COMMAND: &str = "__serve-demo";

/// The only cache backend reachable in the sandbox's "production".
const REACHABLE_CACHE: &str = "memory";
/// Largest request head accepted.
const MAX_HEAD: usize = 8 * 1024;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the server checks whether it should stop by itself.
const WATCH_INTERVAL: Duration = Duration::from_millis(300);

/// Entry point of the hidden subcommand; `args` are the arguments after it.
/// Returns the process exit code.
pub fn run_hidden(args: &[OsString]) -> i32 {
    let (dir, port_file, parent) = match parse_args(args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("stepwise {HIDDEN_COMMAND}: {message}");
            eprintln!(
                "usage: stepwise {HIDDEN_COMMAND} --dir SANDBOX --port-file FILE [--parent PID]"
            );
            return 2;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("stepwise {HIDDEN_COMMAND}: cannot start the runtime: {err}");
            return 1;
        }
    };
    let parent = parent.unwrap_or_else(std::os::unix::process::parent_id);
    match runtime.block_on(serve_watching(&dir, &port_file, parent)) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("stepwise {HIDDEN_COMMAND}: {err}");
            1
        }
    }
}

/// `--dir DIR --port-file FILE [--parent PID]`.
fn parse_args(args: &[OsString]) -> Result<(PathBuf, PathBuf, Option<u32>), String> {
    let (mut dir, mut port_file, mut parent) = (None, None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag:?} needs a value"))?;
        match flag.to_str() {
            Some("--dir") => dir = Some(PathBuf::from(value)),
            Some("--port-file") => port_file = Some(PathBuf::from(value)),
            Some("--parent") => {
                let pid = value.to_str().and_then(|v| v.parse().ok());
                parent = Some(pid.ok_or_else(|| format!("--parent {value:?} is not a pid"))?);
            }
            _ => return Err(format!("unexpected argument {flag:?}")),
        }
    }
    match (dir, port_file) {
        (Some(dir), Some(port_file)) => Ok((dir, port_file, parent)),
        _ => Err("both --dir and --port-file are required".to_string()),
    }
}

/// Serve the sandbox in `dir` until the parent process exits or `dir` is
/// removed. The chosen port is written (atomically) to `port_file`, the
/// process id to `state/service.pid` in the sandbox.
pub async fn serve(dir: &Path, port_file: &Path) -> io::Result<()> {
    serve_watching(dir, port_file, std::os::unix::process::parent_id()).await
}

/// `serve`, stopping as soon as this process's parent is no longer `parent`
/// (given by the sandbox, so a parent that died before start-up is noticed).
pub async fn serve_watching(dir: &Path, port_file: &Path, parent: u32) -> io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let port = listener.local_addr()?.port();
    write_atomically(&dir.join(SERVICE_PID), &format!("{}\n", std::process::id()))?;
    write_atomically(port_file, &format!("{port}\n"))?;
    tokio::select! {
        result = accept_loop(&listener, dir) => result,
        () = should_stop(dir, parent) => Ok(()),
    }
}

async fn accept_loop(listener: &TcpListener, dir: &Path) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let dir = dir.to_path_buf();
        tokio::spawn(async move {
            if let Err(err) = handle(stream, &dir).await {
                log_line(&dir, "WARN", &format!("connection error: {err}"));
            }
        });
    }
}

/// Completes when the server has no reason to live: its parent is gone (it
/// was re-parented) or the sandbox folder no longer exists.
async fn should_stop(dir: &Path, parent: u32) {
    let mut tick = tokio::time::interval(WATCH_INTERVAL);
    loop {
        tick.tick().await;
        if std::os::unix::process::parent_id() != parent || !dir.is_dir() {
            return;
        }
    }
}

async fn handle(mut stream: TcpStream, dir: &Path) -> io::Result<()> {
    let head = tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "request not received in time"))??;
    if head.trim().is_empty() {
        return Ok(()); // a port probe: connected and closed without a request
    }
    let (method, path) = parse_request_line(&head).unwrap_or(("?", "?"));
    let reply = route(method, path, dir);
    stream.write_all(reply.to_http().as_bytes()).await?;
    stream.shutdown().await?;
    log_line(
        dir,
        reply.level,
        &format!("{method} {path} {} {}", reply.code, reply.detail),
    );
    Ok(())
}

/// Read until the end of the request head (a blank line), at most `MAX_HEAD` bytes.
async fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && !buf.windows(2).any(|w| w == b"\n\n") {
        if buf.len() > MAX_HEAD {
            break;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// `("GET", "/health")` from `GET /health HTTP/1.1`.
pub fn parse_request_line(head: &str) -> Option<(&str, &str)> {
    let line = head.lines().next()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?;
    let target = parts.next()?;
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    Some((method, target))
}

/// An HTTP reply and how to log it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub body: String,
    pub content_type: &'static str,
    /// Log level of the request's log line: INFO, WARN or ERROR.
    pub level: &'static str,
    /// What the log line says after the status code.
    pub detail: String,
}

impl Reply {
    fn text(code: u16, body: &str) -> Reply {
        Reply {
            code,
            body: format!("{body}\n"),
            content_type: "text/plain; charset=utf-8",
            level: if code >= 500 { "ERROR" } else { "INFO" },
            detail: String::new(),
        }
    }

    fn to_http(&self) -> String {
        format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            self.code,
            reason(self.code),
            self.content_type,
            self.body.len(),
            self.body
        )
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// The reply to one request.
pub fn route(method: &str, path: &str, dir: &Path) -> Reply {
    match (method, path) {
        ("GET", "/health") => health(dir),
        ("GET", "/") => Reply::text(
            200,
            "stepwise demo service: see /health, or /INSTANCE/health for one instance",
        ),
        ("GET", _) => match instance_of(path) {
            Some(name) => instance_health(dir, name),
            None => Reply::text(404, "not found"),
        },
        _ => Reply::text(405, "only GET is served"),
    }
}

/// `blue-1` from `/blue-1/health`, when it is one of the instances.
fn instance_of(path: &str) -> Option<&str> {
    let name = path.strip_prefix('/')?.strip_suffix("/health")?;
    INSTANCES.contains(&name).then_some(name)
}

/// The service as its users see it, through a balancer in front of every
/// instance: healthy when every instance is. The answer is the first failing
/// instance's (else the first warning one's, else the first one's), with
/// how many instances are healthy (`"healthy":"2/3"`).
pub fn health(dir: &Path) -> Reply {
    let all: Vec<Reply> = INSTANCES.iter().map(|n| one_health(dir, n)).collect();
    let ok = all.iter().filter(|r| r.code == 200).count();
    let pick = all
        .iter()
        .find(|r| r.code != 200)
        .or_else(|| all.iter().find(|r| r.level != "INFO"))
        .unwrap_or(&all[0]);
    let mut reply = pick.clone();
    let healthy = format!("{ok}/{}", all.len());
    reply.body = with_field(&reply.body, "healthy", &healthy);
    reply.detail = format!("{} healthy={healthy}", reply.detail);
    reply
}

/// The health of one instance (`/blue-1/health`), naming it.
pub fn instance_health(dir: &Path, name: &str) -> Reply {
    let mut reply = one_health(dir, name);
    reply.body = with_field(&reply.body, "instance", name);
    reply.detail = format!("instance={name} {}", reply.detail);
    reply
}

/// `body` (a JSON object and a newline) with one more string field at its end.
fn with_field(body: &str, name: &str, value: &str) -> String {
    let open = body.trim_end().strip_suffix('}').unwrap_or(body);
    format!("{open},{}:{}}}\n", quote(name), quote(value))
}

/// The health of what is deployed on one instance now, read from the
/// sandbox on every call.
fn one_health(dir: &Path, name: &str) -> Reply {
    let deployed = dir.join(DEPLOYED_DIR).join(name);
    let Some(version) = read_trimmed(&deployed.join("VERSION")) else {
        return health_reply(503, "unknown", None, "nothing deployed".to_string());
    };
    let release_conf = read_conf(&deployed.join("service.conf"));
    let live_release = read_conf(&dir.join(LIVE_CONFIG))
        .into_iter()
        .find(|(k, _)| k == "release")
        .map(|(_, v)| v);
    let cache = release_conf
        .iter()
        .find(|(k, _)| k == "cache_backend")
        .map_or(REACHABLE_CACHE, |(_, v)| v.as_str());
    if cache != REACHABLE_CACHE {
        let error = format!("cache backend \"{cache}\" unreachable: connection refused");
        return health_reply(500, &version, live_release.as_deref(), error);
    }
    let mut reply = health_reply(200, &version, live_release.as_deref(), String::new());
    if let Some(live) = live_release.filter(|live| *live != version) {
        reply.level = "WARN";
        reply.detail = format!(
            "version={version} live configuration is for {live}, not {version}: run switch-config"
        );
    }
    reply
}

fn health_reply(code: u16, version: &str, config: Option<&str>, error: String) -> Reply {
    let status = if code == 200 { "ok" } else { "error" };
    let mut body = format!(
        "{{\"version\":{},\"status\":{}",
        quote(version),
        quote(status)
    );
    if let Some(config) = config {
        body.push_str(&format!(",\"config\":{}", quote(config)));
    }
    if !error.is_empty() {
        body.push_str(&format!(",\"error\":{}", quote(&error)));
    }
    body.push('}');
    let detail = if error.is_empty() {
        format!("version={version}")
    } else {
        format!("version={version} error: {error}")
    };
    Reply {
        code,
        body: format!("{body}\n"),
        content_type: "application/json",
        level: if code >= 500 { "ERROR" } else { "INFO" },
        detail,
    }
}

/// A JSON string literal (fields are written in a fixed order, by hand).
fn quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

fn read_trimmed(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// `key = value` lines; `#` comments and blank lines ignored; a missing file is empty.
pub fn read_conf(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Append one line to the service log. Logging is best effort: a request is
/// never failed because its log line could not be written.
fn log_line(dir: &Path, level: &str, message: &str) {
    use std::io::Write;
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let line = format!("{now} {level} {}\n", message.trim_end());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(SERVICE_LOG));
    if let Ok(mut file) = file {
        let _ = file.write_all(line.as_bytes());
    }
}

/// Write `text` to a sibling temporary file and rename it over `path`, so a
/// reader never sees half a file.
fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox_with(version: &str, cache: &str, live: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        for name in INSTANCES {
            deploy(dir.path(), name, version, cache);
        }
        std::fs::write(
            dir.path().join("etc/service.conf"),
            format!("release = {live}\n"),
        )
        .unwrap();
        dir
    }

    fn deploy(dir: &Path, name: &str, version: &str, cache: &str) {
        let deployed = dir.join("deployed").join(name);
        std::fs::create_dir_all(&deployed).unwrap();
        std::fs::write(deployed.join("VERSION"), format!("{version}\n")).unwrap();
        std::fs::write(
            deployed.join("service.conf"),
            format!("# release defaults\ncache_backend = {cache}\n"),
        )
        .unwrap();
    }

    #[test]
    fn good_release_is_healthy() {
        let dir = sandbox_with("v1.4.2", "memory", "v1.4.2");
        let reply = health(dir.path());
        assert_eq!(reply.code, 200);
        assert_eq!(
            reply.body,
            "{\"version\":\"v1.4.2\",\"status\":\"ok\",\"config\":\"v1.4.2\",\"healthy\":\"3/3\"}\n"
        );
        assert_eq!(reply.level, "INFO");
    }

    #[test]
    fn one_instance_rolled_back_is_healthy_alone_and_the_service_is_not_yet() {
        let dir = sandbox_with("v1.5.0", "cluster", "v1.5.0");
        deploy(dir.path(), "blue-1", "v1.4.2", "memory");
        let canary = route("GET", "/blue-1/health", dir.path());
        assert_eq!(canary.code, 200);
        assert!(
            canary.body.contains("\"instance\":\"blue-1\""),
            "{}",
            canary.body
        );
        assert_eq!(route("GET", "/blue-2/health", dir.path()).code, 500);
        let all = health(dir.path());
        assert_eq!(all.code, 500);
        assert!(all.body.contains("\"healthy\":\"1/3\""), "{}", all.body);
        assert!(all.detail.contains("healthy=1/3"), "{}", all.detail);
    }

    #[test]
    fn broken_release_answers_500_with_the_reason() {
        let dir = sandbox_with("v1.5.0", "cluster", "v1.5.0");
        let reply = health(dir.path());
        assert_eq!(reply.code, 500);
        assert!(reply.body.contains("\"version\":\"v1.5.0\""));
        assert!(reply.body.contains("unreachable"));
        assert_eq!(reply.level, "ERROR");
    }

    #[test]
    fn stale_live_config_is_a_warning_not_a_failure() {
        let dir = sandbox_with("v1.4.2", "memory", "v1.5.0");
        let reply = health(dir.path());
        assert_eq!(reply.code, 200);
        assert_eq!(reply.level, "WARN");
        assert!(reply.detail.contains("switch-config"));
    }

    #[test]
    fn nothing_deployed_is_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(health(dir.path()).code, 503);
    }

    #[test]
    fn routes() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(route("GET", "/", dir.path()).code, 200);
        assert_eq!(route("GET", "/nope", dir.path()).code, 404);
        assert_eq!(route("GET", "/blue-9/health", dir.path()).code, 404);
        assert_eq!(route("GET", "/blue-1/health", dir.path()).code, 503);
        assert_eq!(route("POST", "/health", dir.path()).code, 405);
    }

    #[test]
    fn request_line() {
        assert_eq!(
            parse_request_line("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(("GET", "/health"))
        );
        assert_eq!(parse_request_line("garbage"), None);
        assert_eq!(parse_request_line(""), None);
    }

    #[test]
    fn hidden_command_arguments() {
        let args: Vec<OsString> = ["--dir", "/a", "--port-file", "/b"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            parse_args(&args),
            Ok((PathBuf::from("/a"), PathBuf::from("/b"), None))
        );
        let mut with_parent = args.clone();
        with_parent.extend(["--parent", "42"].map(OsString::from));
        assert_eq!(parse_args(&with_parent).unwrap().2, Some(42));
        with_parent[5] = OsString::from("x");
        assert!(parse_args(&with_parent).is_err());
        assert!(parse_args(&args[..2]).is_err());
        assert!(parse_args(&[OsString::from("--port")]).is_err());
    }
}
