//! Running peer programs and the `radius` binary.

use std::fmt::Display;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// Run `cmd` with `input` on its stdin; its output (stdout and stderr
/// captured).
pub fn run_with_input(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    // A child that exits without reading its input is not our failure.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

/// `radclient OPTIONS ADDR KIND SECRET` with `input` on stdin (Debian's
/// freeradius-utils): whether it exited 0, and its stdout then stderr.
pub fn radclient(
    options: &[&str],
    addr: impl Display,
    kind: &str,
    secret: &str,
    input: &str,
) -> (bool, String) {
    let out = run_with_input(
        Command::new("radclient")
            .args(options)
            .arg(addr.to_string())
            .args([kind, secret]),
        input,
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The lines a child writes to a pipe, read on a thread so that a silent
/// child fails the test at a deadline instead of hanging it (the thread
/// keeps draining the pipe).
pub struct Lines {
    rx: Receiver<String>,
    seen: String,
}

impl Lines {
    pub fn new(pipe: impl Read + Send + 'static) -> Lines {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            // Drain to the end even when nobody listens any more: a child
            // writing to a closed pipe would die of SIGPIPE.
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Lines {
            rx,
            seen: String::new(),
        }
    }

    /// Read lines until `done(line)` says so (true) or `within` has passed
    /// or the pipe closed (false).
    pub fn wait_until(&mut self, within: Duration, mut done: impl FnMut(&str) -> bool) -> bool {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = self.rx.recv_timeout(left) else {
                return false;
            };
            self.seen.push_str(&line);
            self.seen.push('\n');
            if done(&line) {
                return true;
            }
        }
    }

    /// Every line read so far.
    pub fn seen(&self) -> &str {
        &self.seen
    }
}
