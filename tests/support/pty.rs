//! A pseudo-terminal harness for end-to-end tests of the real binary.
//!
//! `Term::spawn` starts `stepwise` (the binary Cargo built for the tests)
//! in a pseudo-terminal of a given size, with `TERM=xterm-256color` and the
//! given environment (always set `STEPWISE_HOME` to a temporary folder). A
//! reader thread feeds everything the program writes into a `vt100::Parser`,
//! so a test sees the screen as a terminal would show it.
//!
//! Tests wait by polling the parsed screen with a deadline (`wait_for`,
//! `wait_text`), never by sleeping a fixed time: on a loaded machine a
//! deadline is generous and a pass is still fast. When a wait times out the
//! panic message holds the screen, so a failure explains itself.
//!
//! Include it from a test file with
//! `#[path = "support/pty.rs"] mod pty;`.
//!
//! This module must never read the terminal the tests run in, and never
//! leave a child running: dropping a `Term` kills the child.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a wait lasts by default: generous, for a loaded 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A running program in a pseudo-terminal, and its parsed screen.
pub struct Term {
    pty: Arc<pty_process::blocking::Pty>,
    child: Child,
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote, for output after the screen is left.
    raw: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Term {
    /// Starts the `stepwise` binary with `args` in a `cols` x `rows`
    /// terminal. `env` is added to the inherited environment.
    pub fn spawn(args: &[&str], env: &[(&str, &Path)], (cols, rows): (u16, u16)) -> Term {
        Term::spawn_program(
            env!("CARGO_BIN_EXE_stepwise"),
            args,
            env,
            None,
            (cols, rows),
        )
    }

    /// Runs `sh -c script` in the terminal instead of stepwise; the
    /// script finds the binary in `$STEPWISE`.
    pub fn spawn_shell(script: &str, env: &[(&str, &Path)], size: (u16, u16)) -> Term {
        let exe = Path::new(env!("CARGO_BIN_EXE_stepwise"));
        let mut all = env.to_vec();
        all.push(("STEPWISE", exe));
        Term::spawn_program("sh", &["-c", script], &all, None, size)
    }

    /// Like `spawn`, with a working directory.
    pub fn spawn_in(dir: &Path, args: &[&str], env: &[(&str, &Path)], size: (u16, u16)) -> Term {
        Term::spawn_program(env!("CARGO_BIN_EXE_stepwise"), args, env, Some(dir), size)
    }

    fn spawn_program(
        program: &str,
        args: &[&str],
        env: &[(&str, &Path)],
        dir: Option<&Path>,
        (cols, rows): (u16, u16),
    ) -> Term {
        let (pty, pts) = pty_process::blocking::open().expect("open a pty");
        pty.resize(pty_process::Size::new(rows, cols))
            .expect("size the pty");
        let mut cmd = pty_process::blocking::Command::new(program)
            .args(args)
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR");
        for (k, v) in env {
            cmd = cmd.env(k, v);
        }
        if let Some(d) = dir {
            cmd = cmd.current_dir(d);
        }
        let child = cmd.spawn(pts).expect("start stepwise in the pty");
        let pty = Arc::new(pty);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let (pty, parser, raw) = (pty.clone(), parser.clone(), raw.clone());
            std::thread::spawn(move || read_loop(&pty, &parser, &raw))
        };
        Term {
            pty,
            child,
            parser,
            raw,
            reader: Some(reader),
        }
    }

    /// Types bytes, as a person at the keyboard would.
    pub fn send(&self, bytes: &[u8]) {
        (&*self.pty).write_all(bytes).expect("write to the pty");
        (&*self.pty).flush().expect("flush the pty");
    }

    /// Resizes the terminal, as a window resized by hand: the program
    /// gets SIGWINCH; the screen read from here on has the new size.
    pub fn resize(&self, (cols, rows): (u16, u16)) {
        self.parser
            .lock()
            .expect("parser lock")
            .screen_mut()
            .set_size(rows, cols);
        self.pty
            .resize(pty_process::Size::new(rows, cols))
            .expect("resize the pty");
    }

    /// Types text one key at a time (a short pause between keys keeps each
    /// one a separate terminal event, as when a person types).
    pub fn type_text(&self, text: &str) {
        for c in text.chars() {
            let mut buf = [0u8; 4];
            self.send(c.encode_utf8(&mut buf).as_bytes());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The screen's text, rows joined by newlines.
    pub fn screen(&self) -> String {
        self.parser.lock().expect("parser lock").screen().contents()
    }

    /// Runs `f` on the parsed screen (for cursor, alternate screen, colours).
    pub fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        f(self.parser.lock().expect("parser lock").screen())
    }

    /// Everything written so far, escapes stripped to text-ish form.
    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().expect("raw lock")).into_owned()
    }

    /// Polls the screen until `cond` holds; panics with the screen after
    /// `timeout`. Returns how long it took.
    pub fn wait_for(&self, what: &str, timeout: Duration, cond: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        loop {
            if cond(&self.screen()) {
                return start.elapsed();
            }
            if start.elapsed() > timeout {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; the screen:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the screen shows `text`.
    pub fn wait_text(&self, text: &str) -> Duration {
        self.wait_for(&format!("“{text}”"), PATIENCE, |s| s.contains(text))
    }

    /// Waits until everything the program wrote (also after leaving the
    /// alternate screen) contains `text`.
    pub fn wait_raw(&self, text: &str) {
        let start = Instant::now();
        while !self.raw_text().contains(text) {
            if start.elapsed() > PATIENCE {
                panic!(
                    "timed out waiting for “{text}” in the output:\n{}",
                    self.raw_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the program to exit; returns its exit code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for stepwise") {
                self.join_reader();
                return status.code();
            }
            if start.elapsed() > PATIENCE {
                panic!("stepwise did not exit; the screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the program has exited (without waiting).
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Sends a signal to the program.
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, sig).expect("signal stepwise");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Lets the reader drain what is left after the child exited.
    fn join_reader(&mut self) {
        let start = Instant::now();
        while self.reader.as_ref().is_some_and(|r| !r.is_finished()) {
            if start.elapsed() > Duration::from_secs(5) {
                // Grandchildren may still hold the pty; what was read is enough.
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read_loop(
    pty: &pty_process::blocking::Pty,
    parser: &Mutex<vt100::Parser>,
    raw: &Mutex<Vec<u8>>,
) {
    let mut buf = [0u8; 64 * 1024];
    loop {
        match (&*pty).read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let mut p = parser.lock().expect("parser lock");
                p.process(&buf[..n]);
                raw.lock().expect("raw lock").extend_from_slice(&buf[..n]);
                if contains(&buf[..n], b"\x1b[6n") {
                    // Answer "where is the cursor?" as a real terminal does.
                    let (row, col) = p.screen().cursor_position();
                    let answer = format!("\x1b[{};{}R", row + 1, col + 1);
                    let _ = (&*pty).write_all(answer.as_bytes());
                }
            }
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Keys as a terminal sends them.
pub mod keys {
    pub const ENTER: &[u8] = b"\r";
    pub const ESC: &[u8] = b"\x1b";
    pub const TAB: &[u8] = b"\t";
    pub const UP: &[u8] = b"\x1b[A";
    pub const DOWN: &[u8] = b"\x1b[B";
    pub const CTRL_D: &[u8] = b"\x04";
    pub const CTRL_S: &[u8] = b"\x13";
}
