//! Hostile step output through the real binary and the TUI's log pane:
//! invalid UTF-8, NUL bytes, malformed and unterminated escapes, title
//! changes, cursor moves, alternate-screen switches, OSC 52 clipboard
//! writes, a 100 MB line and 10,000 carriage-return updates.
//!
//! Promises checked: the log file keeps every byte exactly; headless stdout,
//! exports and the log pane never carry a raw control sequence (everything
//! is shown inert); nothing grows without bound.

use ansi_to_tui::IntoText;
use std::path::{Path, PathBuf};
use std::process::Output;
use stepwise::session::event::Stream;
use stepwise::tui::log::LogPane;

#[path = "support/cli.rs"]
mod cli;
use cli::stepwise;

/// Bytes that would act on a terminal if passed through.
fn payload() -> Vec<u8> {
    let mut p = Vec::new();
    for part in [
        &b"plain start\n"[..],
        b"bad utf8 \xff\xfe\xc3 here\n",
        b"nul \x00 byte\n",
        b"title \x1b]0;pwned\x07 set\n",
        b"title st \x1b]2;pwned\x1b\\ set\n",
        b"clipboard \x1b]52;c;cm0gLXJmIH4=\x07 set\n",
        b"cursor \x1b[10;10H\x1b[2J\x1b[H moved\n",
        b"alt screen \x1b[?1049h on\n",
        b"c1 csi \xc2\x9b2J done\n",
        b"huge param \x1b[99999999999999999999m x\n",
        b"colour \x1b[31mred\x1b[0m ok\n",
        b"reset \x1bc and keypad \x1b=\n",
        b"dcs \x1bPq#0;2;0;0;0\x1b\\ end\n",
        b"unterminated csi \x1b[12",
        b"\nunterminated osc \x1b]0;never ends",
    ] {
        p.extend_from_slice(part);
    }
    p
}

fn session_dir(home: &Path) -> PathBuf {
    std::fs::read_dir(home.join("sessions"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

/// A one-step runbook running `run`.
fn runbook(dir: &Path, run: &str) -> PathBuf {
    let p = dir.join("rb.yaml");
    let text = format!(
        "runbook: 1\nid: hostile-output\ntitle: Hostile output\nsections:\n  - title: S\n    steps:\n      - title: Emit\n        run: {run}\n"
    );
    std::fs::write(&p, text).unwrap();
    p
}

fn run(dir: &Path, home: &Path, run: &str) -> Output {
    let rb = runbook(dir, run);
    let out = stepwise(home)
        .current_dir(dir)
        .args(["run", "--headless", "--trust"])
        .arg(rb)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Bytes a terminal would act on: ESC, BEL, NUL, CSI as a C1 character, and
/// every other C0 control except tab and newline.
fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let chars: Vec<char> = text.chars().collect();
    if let Some(i) = chars
        .iter()
        .position(|&c| c.is_control() && c != '\n' && c != '\t')
    {
        let near: String = chars[i.saturating_sub(40)..=i].iter().collect();
        panic!("{what} holds U+{:04X} near {near:?}", chars[i] as u32);
    }
}

#[test]
fn hostile_bytes_are_kept_exactly_on_disk_and_shown_inert_everywhere_else() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("payload.bin"), payload()).unwrap();
    let out = run(
        dir.path(),
        home.path(),
        "cat payload.bin; cat payload.bin >&2",
    );
    assert_inert("headless stdout", &out.stdout);
    assert_inert("headless stderr", &out.stderr);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("emit | title ␛]0;pwned␇ set"), "{shown}");
    assert!(shown.contains("emit ! clipboard ␛]52;c;"), "{shown}");
    assert!(shown.contains("emit | colour red ok"), "{shown}");
    let session = session_dir(home.path());
    let log = std::fs::read(session.join("output/emit.1.log")).unwrap();
    let mut both = payload();
    both.extend(payload());
    assert_eq!(log.len(), both.len(), "the log lost or gained bytes");
    let mut sorted_log = log.clone();
    sorted_log.sort_unstable();
    both.sort_unstable();
    // stdout and stderr interleave in arrival order; the bytes are the same.
    assert_eq!(sorted_log, both, "the log changed the bytes");
    let id = session.file_name().unwrap().to_string_lossy().into_owned();
    for format in ["md", "json", "html"] {
        let out = stepwise(home.path())
            .args(["export", &id, "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_inert(&format!("the {format} export"), &out.stdout);
    }
    for entry in std::fs::read_dir(&session).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            assert_inert("the transcript", &std::fs::read(&p).unwrap());
        }
    }
}

#[test]
fn a_note_with_escapes_is_inert_in_every_export() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let rb = dir.path().join("rb.yaml");
    std::fs::write(
        &rb,
        "runbook: 1\nid: note\ntitle: Note\nsections:\n  - title: S\n    steps:\n      - title: Look\n",
    )
    .unwrap();
    let out = stepwise(home.path())
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .arg("--answer")
        .arg("look=done:x\u{1b}]0;pwned\u{7}y\u{1b}[2J\u{202e}z")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_inert("headless stdout", &out.stdout);
    let id = session_dir(home.path())
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    for format in ["md", "json", "html"] {
        let out = stepwise(home.path())
            .args(["export", &id, "--format", format])
            .output()
            .unwrap();
        assert_inert(&format!("the {format} export"), &out.stdout);
        // JSON keeps values exact (its control characters are escaped);
        // documents for people show the override as `\u{202e}`.
        if format != "json" {
            assert!(
                !String::from_utf8_lossy(&out.stdout).contains('\u{202e}'),
                "{format}: a bidi override"
            );
        }
    }
}

#[test]
fn a_100_mb_line_is_kept_whole_on_disk_and_cut_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        home.path(),
        "head -c 100000000 /dev/zero | tr '\\0' x; echo",
    );
    assert!(
        out.stdout.len() < 64 * 1024,
        "headless printed {} bytes for one line",
        out.stdout.len()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("[cut "));
    let log = session_dir(home.path()).join("output/emit.1.log");
    assert_eq!(std::fs::metadata(&log).unwrap().len(), 100_000_001);
}

#[test]
fn ten_thousand_carriage_returns_show_the_last_state() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        home.path(),
        "'i=0; while [ $i -lt 10000 ]; do i=$((i+1)); printf \"\\r%05d\" $i; done; echo'",
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = shown.lines().filter(|l| l.contains("emit |")).collect();
    assert_eq!(lines, ["    emit | 10000"], "{shown}");
    let log = std::fs::read(session_dir(home.path()).join("output/emit.1.log")).unwrap();
    assert_eq!(log.len(), 10_000 * 6 + 1);
}

/// The TUI's log pane: whatever the bytes, the text it lays out holds no
/// control character once its colours are turned into styles.
#[test]
fn the_log_pane_never_holds_a_raw_control_character() {
    let bytes = payload();
    let mut pane = LogPane::default();
    // In one piece, and split at every byte: escapes cut in two too.
    pane.push(Stream::Stdout, &bytes);
    for chunk in bytes.chunks(1) {
        pane.push(Stream::Stderr, chunk);
    }
    pane.push(Stream::Stdout, b"\n");
    pane.push(Stream::Stderr, b"\n");
    assert!(pane.len() > 20);
    for n in pane.first()..pane.end() {
        let line = pane.line(n).unwrap();
        // Only SGR survives the sanitiser, as ESC [ digits m.
        let rest = line.text.replace("\u{1b}[", "");
        assert!(
            !rest.chars().any(|c| c.is_control()),
            "line {n}: {:?}",
            line.text
        );
        let text = line.text.into_text().unwrap_or_default();
        for l in text.lines {
            for span in l.spans {
                assert!(
                    !span.content.chars().any(|c| c.is_control()),
                    "line {n}: span {:?}",
                    span.content
                );
            }
        }
    }
}
