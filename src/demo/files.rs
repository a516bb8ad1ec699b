//! What the demo sandbox contains: its layout, the release history of the
//! demo service, its live configuration and the operations scripts.
//!
//! Pure data and text: this module never touches the file system. Scripts
//! locate the sandbox from their own path (`$0`), so nothing is templated into
//! them; they are POSIX `sh` with `set -eu`, except `http-get`, which needs
//! bash for `/dev/tcp` (the runbook's shell is bash anyway) so the demo works
//! without curl or wget.

/// The git repository of the service (the team's clone).
pub const REPO_DIR: &str = "repo";
/// "Production": one deployed working copy (a clone of `repo`) per
/// instance, `deployed/<instance>`.
pub const DEPLOYED_DIR: &str = "deployed";
/// The service's instances, each with its own deployed copy; the demo rolls
/// them back as a fleet (`INSTANCES` of the runbook).
pub const INSTANCES: [&str; 3] = ["blue-1", "blue-2", "blue-3"];
/// The live configuration the running service reads.
pub const LIVE_CONFIG: &str = "etc/service.conf";
/// Kept configuration snapshots, one per release: `etc/releases/<tag>.conf`.
pub const CONFIG_RELEASES_DIR: &str = "etc/releases";
/// The service log.
pub const SERVICE_LOG: &str = "log/service.log";
/// Where the server's stdout and stderr go.
pub const SERVICE_OUTPUT: &str = "log/serve-demo.out";
/// The port the service listens on, written by the service.
pub const SERVICE_PORT: &str = "state/port";
/// The service's process id, written by the service.
pub const SERVICE_PID: &str = "state/service.pid";
/// Present while deployments are paused; honoured by `bin/deploy`.
pub const DEPLOY_LOCK: &str = "state/deploy.lock";
/// Folders created empty.
pub const DIRS: [&str; 5] = ["bin", "etc/releases", "log", "state", "repo"];

/// The good release the runbook rolls back to.
pub const STABLE_TAG: &str = "v1.4.2";
/// The broken release deployed when the sandbox is created.
pub const BROKEN_TAG: &str = "v1.5.0";

/// One commit of the demo service's history.
pub struct Release {
    pub tag: Option<&'static str>,
    pub version: &'static str,
    pub date: &'static str,
    pub message: &'static str,
    pub cache_backend: &'static str,
    pub changelog: &'static str,
}

/// The history, oldest first. v1.5.0 switches the cache to a cluster that
/// does not exist in "production": its health check answers 500.
pub const HISTORY: [Release; 5] = [
    Release {
        tag: Some("v1.4.0"),
        version: "v1.4.0",
        date: "2025-02-03T10:00:00Z",
        message: "Release v1.4.0",
        cache_backend: "memory",
        changelog: "## v1.4.0\n- Health endpoint reports the version.\n",
    },
    Release {
        tag: Some("v1.4.1"),
        version: "v1.4.1",
        date: "2025-02-17T10:00:00Z",
        message: "Release v1.4.1: fix timeouts on slow clients",
        cache_backend: "memory",
        changelog: "## v1.4.1\n- Slow clients no longer time out.\n",
    },
    Release {
        tag: Some("v1.4.2"),
        version: "v1.4.2",
        date: "2025-03-03T10:00:00Z",
        message: "Release v1.4.2: quieter logs",
        cache_backend: "memory",
        changelog: "## v1.4.2\n- Request logs at info level only.\n",
    },
    Release {
        tag: None,
        version: "v1.4.2",
        date: "2025-03-10T10:00:00Z",
        message: "Add the cluster cache backend",
        cache_backend: "memory",
        changelog: "## unreleased\n- Cluster cache backend (not enabled).\n",
    },
    Release {
        tag: Some("v1.5.0"),
        version: "v1.5.0",
        date: "2025-03-17T10:00:00Z",
        message: "Release v1.5.0: use the cluster cache",
        cache_backend: "cluster",
        changelog: "## v1.5.0\n- Sessions are cached in the cache cluster.\n",
    },
];

pub const README: &str = "# demo-service\n\n\
A tiny service used by `stepwise demo`. `VERSION` is the release,\n\
`service.conf` its built-in defaults; the live configuration lives on the\n\
host (`etc/service.conf` in the sandbox).\n";

/// The release defaults file committed with a release.
pub fn release_conf(release: &Release) -> String {
    format!(
        "# Built-in defaults of demo-service {}.\ncache_backend = {}\n",
        release.version, release.cache_backend
    )
}

/// The live configuration kept for a release (`etc/releases/<tag>.conf`).
pub fn live_conf(tag: &str) -> String {
    let workers = if tag == BROKEN_TAG { 8 } else { 4 };
    let mut text = format!(
        "# Live configuration of demo-service in \"production\".\n\
         release = {tag}\nlog_level = info\nworkers = {workers}\n"
    );
    if tag == BROKEN_TAG {
        text.push_str("cache_cluster = cache-1.internal:7000,cache-2.internal:7000\n");
    }
    text
}

/// `(file name in bin/, script text)` for every operations script.
pub const SCRIPTS: [(&str, &str); 7] = [
    ("deploy", DEPLOY),
    ("pause-deploys", PAUSE_DEPLOYS),
    ("resume-deploys", RESUME_DEPLOYS),
    ("switch-config", SWITCH_CONFIG),
    ("tail-log", TAIL_LOG),
    ("resources", RESOURCES),
    ("http-get", HTTP_GET),
];

const DEPLOY: &str = r#"#!/bin/sh
# deploy [--during-pause] REF: make REF (a tag or commit of repo/) the
# deployed release of the instance named by $TARGET (deployed/$TARGET), or
# of every instance, one after the other, when TARGET is not set. The
# service reads the deployed copies on every request, so no restart is needed.
# While deployments are paused (state/deploy.lock), only a deploy that says
# --during-pause goes through: that is the on-call engineer's rollback, the
# pause is there to stop everything else.
set -eu
DIR=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd -P)
during_pause=no
if [ "${1:-}" = "--during-pause" ]; then during_pause=yes; shift; fi
if [ $# -ne 1 ]; then echo "usage: [TARGET=INSTANCE] deploy [--during-pause] REF" >&2; exit 2; fi
ref=$1
case $ref in -*|'') echo "deploy: not a ref: '$ref'" >&2; exit 2 ;; esac
lock=$DIR/state/deploy.lock
if [ -e "$lock" ] && [ "$during_pause" = no ]; then
  echo "deploy: deployments are paused:" >&2
  sed 's/^/  /' "$lock" >&2
  echo "deploy: refusing to deploy $ref (an emergency rollback passes --during-pause)" >&2
  exit 3
fi
instances=${TARGET:-$(ls "$DIR/deployed")}
# Run for one instance (TARGET set), stepwise already prefixes each line
# with it; for all of them, the lines say which instance they are about.
tag=deploy
for name in $instances; do
  [ -n "${TARGET:-}" ] || tag="deploy [$name]"
  d=$DIR/deployed/$name
  case $name in ''|.*|*[!A-Za-z0-9._-]*) d= ;; esac
  if [ -z "$d" ] || [ ! -d "$d/.git" ]; then
    echo "deploy: no instance '$name' (instances: $(ls "$DIR/deployed" | tr '\n' ' '))" >&2
    exit 4
  fi
  git -C "$d" fetch --quiet --tags origin
  if ! git -C "$d" rev-parse --verify --quiet "$ref^{commit}" >/dev/null; then
    echo "deploy: no such release in the repository: $ref" >&2
    exit 4
  fi
  was=$(cat "$d/VERSION" 2>/dev/null || echo unknown)
  echo "$tag: $was -> $ref"
  git -C "$d" checkout --quiet --detach "$ref^{commit}"
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  echo "$now INFO deploy $ref (was $was) on $name" >> "$DIR/log/service.log"
  echo "$tag: $(cat "$d/VERSION") is live"
  port=$(cat "$DIR/state/port" 2>/dev/null || true)
  if [ -n "$port" ]; then
    echo "$tag: health $("$DIR/bin/http-get" "http://127.0.0.1:$port/$name/health" 2>&1 || true)"
  fi
done
"#;

const PAUSE_DEPLOYS: &str = r#"#!/bin/sh
# pause-deploys [REASON]: stop deployments by creating state/deploy.lock,
# which bin/deploy honours. Safe to run twice.
set -eu
DIR=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd -P)
lock=$DIR/state/deploy.lock
if [ -e "$lock" ]; then
  echo "deployments were already paused:"
  sed 's/^/  /' "$lock"
  exit 0
fi
{
  echo "paused_at = $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "paused_by = ${USER:-$(id -un)}"
  echo "reason = ${1:-rollback in progress}"
} > "$lock.tmp"
mv "$lock.tmp" "$lock"
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) INFO deployments paused" >> "$DIR/log/service.log"
echo "deployments paused (lock: $lock)"
"#;

const RESUME_DEPLOYS: &str = r#"#!/bin/sh
# resume-deploys: allow deployments again by removing state/deploy.lock.
# Safe to run twice.
set -eu
DIR=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd -P)
lock=$DIR/state/deploy.lock
if [ ! -e "$lock" ]; then
  echo "deployments were not paused"
  exit 0
fi
rm -f "$lock"
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) INFO deployments resumed" >> "$DIR/log/service.log"
echo "deployments resumed"
"#;

const SWITCH_CONFIG: &str = r#"#!/bin/sh
# switch-config REF: make the live configuration (etc/service.conf) the one
# kept for release REF (etc/releases/REF.conf). The previous one is saved as
# etc/service.conf.bak. Safe to run twice.
set -eu
DIR=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd -P)
if [ $# -ne 1 ]; then echo "usage: switch-config REF" >&2; exit 2; fi
ref=$1
case $ref in -*|''|*/*) echo "switch-config: not a release: '$ref'" >&2; exit 2 ;; esac
src=$DIR/etc/releases/$ref.conf
live=$DIR/etc/service.conf
if [ ! -f "$src" ]; then
  echo "switch-config: no configuration is kept for $ref in $DIR/etc/releases" >&2
  exit 4
fi
if cmp -s "$src" "$live"; then
  echo "the live configuration is already the one for $ref"
  exit 0
fi
cp "$live" "$live.bak"
cp "$src" "$live.tmp"
mv "$live.tmp" "$live"
echo "before (saved as $live.bak):"
sed 's/^/  /' "$live.bak"
echo "after:"
sed 's/^/  /' "$live"
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) INFO configuration switched to $ref" >> "$DIR/log/service.log"
"#;

const TAIL_LOG: &str = r#"#!/bin/sh
# tail-log [LINES]: print the last LINES (default 100) lines of the service log.
set -eu
DIR=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd -P)
lines=${1:-100}
case $lines in ''|*[!0-9]*) echo "usage: tail-log [LINES]" >&2; exit 2 ;; esac
tail -n "$lines" "$DIR/log/service.log"
"#;

const RESOURCES: &str = r#"#!/bin/sh
# resources: the host's load, memory and disk, and the service process's
# memory, threads and open files. Reads /proc (Linux), falls back to ps.
# Fails when the service is not running.
set -eu
DIR=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd -P)
echo "== host"
if [ -r /proc/loadavg ]; then
  read -r one five fifteen _rest < /proc/loadavg
  echo "load average: $one $five $fifteen"
fi
if [ -r /proc/meminfo ]; then
  grep -E '^(MemTotal|MemAvailable):' /proc/meminfo
fi
df -Pk "$DIR" | awk 'NR == 2 { printf "disk: %s used, %d MiB free\n", $5, $4 / 1024 }'
echo "== service"
pid=$(cat "$DIR/state/service.pid" 2>/dev/null || true)
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
  echo "service: NOT RUNNING"
  exit 1
fi
echo "pid: $pid"
if [ -r "/proc/$pid/status" ]; then
  grep -E '^(State|VmRSS|Threads):' "/proc/$pid/status"
  echo "open files: $(ls "/proc/$pid/fd" | wc -l | tr -d ' ')"
else
  ps -o rss=,etime= -p "$pid" | awk '{ printf "VmRSS: %s kB\nuptime: %s\n", $1, $2 }'
fi
"#;

const HTTP_GET: &str = r#"#!/usr/bin/env bash
# http-get URL: print the body of an http:// URL on this machine and fail
# (exit 22, like `curl -f`) when the status is 400 or more. Uses bash's
# /dev/tcp, so the demo needs neither curl nor wget. Only 127.0.0.1 and
# localhost are allowed: the sandbox never talks to the network.
set -euo pipefail
if [ $# -ne 1 ]; then echo "usage: http-get http://127.0.0.1:PORT/PATH" >&2; exit 2; fi
url=$1
rest=${url#http://}
if [ "$rest" = "$url" ]; then echo "http-get: only http:// URLs: $url" >&2; exit 2; fi
hostport=${rest%%/*}
path=${rest#"$hostport"}
path=${path:-/}
host=${hostport%:*}
port=80
case $hostport in *:*) port=${hostport##*:} ;; esac
case $host in 127.0.0.1|localhost) ;; *) echo "http-get: only 127.0.0.1: $url" >&2; exit 2 ;; esac
if ! { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null; then
  echo "http-get: cannot connect to $hostport" >&2
  exit 7
fi
printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
if ! read -r -t 10 _proto code reason <&3; then
  echo "http-get: no answer from $hostport" >&2
  exit 52
fi
case $code in ''|*[!0-9]*) echo "http-get: not an HTTP answer from $hostport" >&2; exit 8 ;; esac
while IFS= read -r -t 10 line <&3 && [ -n "${line%$'\r'}" ]; do :; done
cat <&3
exec 3<&-
if [ "$code" -ge 400 ]; then
  echo "http-get: $url answered $code ${reason%$'\r'}" >&2
  exit 22
fi
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_has_the_stable_and_the_broken_release() {
        let tags: Vec<_> = HISTORY.iter().filter_map(|r| r.tag).collect();
        assert!(tags.contains(&STABLE_TAG));
        assert_eq!(tags.last(), Some(&BROKEN_TAG));
    }

    #[test]
    fn sh_scripts_are_strict() {
        for (name, text) in SCRIPTS {
            assert!(text.starts_with("#!/"), "{name}");
            assert!(text.contains("set -eu"), "{name} must use set -eu");
        }
    }

    #[test]
    fn live_config_names_its_release() {
        assert!(live_conf(STABLE_TAG).contains("release = v1.4.2\n"));
        assert!(live_conf(BROKEN_TAG).contains("cache_cluster"));
    }
}
