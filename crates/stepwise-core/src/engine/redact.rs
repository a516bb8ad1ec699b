//! Secret redaction: every occurrence of a secret value becomes [`MASK`]
//! before output reaches disk, the journal or a subscriber; so does every
//! occurrence of its base64, hex and URL-encoded forms (`secret_forms.rs`
//! says exactly which).
//!
//! A [`Redactor`] holds the secret values of a session. A [`RedactStream`]
//! (one per output stream) masks a byte stream that arrives in pieces: a
//! secret split across two or more reads is still masked, because the stream
//! holds back only the longest tail of what it has seen that could still
//! become a secret, and emits the rest.
//!
//! Overlapping or adjacent-by-overlap occurrences (secrets `abc` and `bcd` in
//! `abcd`) are masked as one run, so no part of either leaks. Streaming and
//! whole-string redaction give identical output for any way of splitting the
//! input.
//!
//! Matching is plain byte comparison driven by a first-byte table: with no
//! secrets a push is a single copy; with secrets it is one scan plus a
//! comparison at each byte that could start a secret. This module must never
//! log, print or `Debug`-format a secret value.

use std::fmt;
use std::sync::Arc;

pub use crate::text::MASK;

/// The secret values of a session, ready for matching.
#[derive(Clone)]
pub struct Redactor {
    /// Distinct non-empty secrets, longest first.
    secrets: Vec<Vec<u8>>,
    /// For each byte value, the secrets starting with it (longest first).
    by_first: Vec<Vec<usize>>,
    /// For each byte value, whether some secret starts with it: the hot scan.
    starts: [bool; 256],
    longest: usize,
    /// The values given to [`Redactor::new`], without derived forms: what a
    /// step's monitor needs to build the same redactor in its own process.
    given: Vec<Vec<u8>>,
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new(Vec::<Vec<u8>>::new())
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the values themselves.
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Redactor {
    /// Builds a redactor from secret values and their derived forms;
    /// empty values are ignored.
    pub fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut secrets: Vec<Vec<u8>> = secrets
            .into_iter()
            .map(|s| s.as_ref().to_vec())
            .filter(|s| !s.is_empty())
            .collect();
        let given = secrets.clone();
        let derived: Vec<Vec<u8>> = secrets
            .iter()
            .flat_map(|s| super::secret_forms::derived(s))
            .collect();
        secrets.extend(derived);
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        let mut by_first = vec![Vec::new(); 256];
        let mut starts = [false; 256];
        for (i, s) in secrets.iter().enumerate() {
            by_first[usize::from(s[0])].push(i);
            starts[usize::from(s[0])] = true;
        }
        let longest = secrets.first().map_or(0, Vec::len);
        Redactor {
            secrets,
            by_first,
            starts,
            longest,
            given,
        }
    }

    /// The secret values this redactor was built from (not their derived
    /// forms). Only for handing them to a step's monitor over a pipe.
    pub fn given(&self) -> &[Vec<u8>] {
        &self.given
    }

    /// True when there is nothing to mask: streams pass bytes through.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Masks a whole string.
    pub fn redact_str(&self, s: &str) -> String {
        let out = self.redact_bytes(s.as_bytes());
        // Secrets are UTF-8 and match on character boundaries of UTF-8 text,
        // so this never actually replaces anything.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Masks a whole byte string.
    pub fn redact_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        if self.is_empty() {
            return bytes.to_vec();
        }
        let mut out = Vec::with_capacity(bytes.len());
        self.scan(bytes, 0, true, &mut out);
        out
    }

    fn starts_secret(&self, byte: u8) -> &[usize] {
        self.by_first
            .get(usize::from(byte))
            .map_or(&[], Vec::as_slice)
    }

    /// Length of the longest secret that occurs in full at `hay[at..]`.
    fn longest_at(&self, hay: &[u8], at: usize) -> Option<usize> {
        let rest = &hay[at..];
        self.starts_secret(rest[0])
            .iter()
            .map(|&i| &self.secrets[i])
            .find(|s| rest.starts_with(s))
            .map(Vec::len)
    }

    /// Length of the longest suffix of `hay` that is a proper prefix of some
    /// secret: the bytes that must wait for more input.
    fn pending_len(&self, hay: &[u8]) -> usize {
        let max = self.longest.saturating_sub(1).min(hay.len());
        (1..=max)
            .rev()
            .find(|&len| {
                let tail = &hay[hay.len() - len..];
                self.starts_secret(tail[0])
                    .iter()
                    .any(|&i| self.secrets[i].len() > len && self.secrets[i].starts_with(tail))
            })
            .unwrap_or(0)
    }

    /// Emits the masked form of `hay[..hold_from]` into `out` and returns
    /// `(hold_from, covered)`: the caller keeps `hay[hold_from..]` for the
    /// next call, of which the first `covered` bytes are already masked.
    ///
    /// `covered` on input says how many leading bytes of `hay` belong to a
    /// masked run whose [`MASK`] was already emitted.
    fn scan(&self, hay: &[u8], covered: usize, end: bool, out: &mut Vec<u8>) -> (usize, usize) {
        let hold_from = if end {
            hay.len()
        } else {
            hay.len() - self.pending_len(hay)
        };
        let mut emit = Emitter {
            hay,
            hold_from,
            done: 0,
            out,
        };
        // The current masked run: (start, end, its MASK already emitted).
        let mut run = (covered > 0).then_some((0, covered, true));
        let mut at = 0;
        while let Some(found) = hay[at..].iter().position(|&b| self.starts[usize::from(b)]) {
            let start = at + found;
            if let Some(len) = self.longest_at(hay, start) {
                run = match run {
                    Some((s, e, seen)) if start < e => Some((s, e.max(start + len), seen)),
                    Some(prev) => {
                        emit.run(prev);
                        Some((start, start + len, false))
                    }
                    None => Some((start, start + len, false)),
                };
            }
            at = start + 1;
        }
        if let Some(last) = run {
            emit.run(last);
        }
        emit.finish()
    }
}

/// Writes the settled part of a scan: plain bytes, and one [`MASK`] per run.
struct Emitter<'a> {
    hay: &'a [u8],
    hold_from: usize,
    /// How far `hay` has been written (or masked).
    done: usize,
    out: &'a mut Vec<u8>,
}

impl Emitter<'_> {
    fn run(&mut self, (start, end, seen): (usize, usize, bool)) {
        if start >= self.hold_from && !seen {
            return; // entirely in the held tail: found again next time
        }
        self.out.extend_from_slice(&self.hay[self.done..start]);
        if !seen {
            self.out.extend_from_slice(MASK.as_bytes());
        }
        self.done = end;
    }

    fn finish(self) -> (usize, usize) {
        if self.done < self.hold_from {
            self.out
                .extend_from_slice(&self.hay[self.done..self.hold_from]);
        }
        (self.hold_from, self.done.saturating_sub(self.hold_from))
    }
}

/// Masks one output stream that arrives in pieces.
#[derive(Debug)]
pub struct RedactStream {
    redactor: Arc<Redactor>,
    /// Bytes that could still be the start of a secret.
    held: Vec<u8>,
    /// How many leading bytes of `held` are already masked.
    covered: usize,
}

impl RedactStream {
    pub fn new(redactor: Arc<Redactor>) -> Self {
        RedactStream {
            redactor,
            held: Vec::new(),
            covered: 0,
        }
    }

    /// Masks `input` and returns what can be emitted now.
    pub fn push(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len() + self.held.len());
        self.push_into(input, &mut out);
        out
    }

    /// Like [`push`](Self::push), appending to `out`.
    pub fn push_into(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if self.redactor.is_empty() {
            out.extend_from_slice(input);
            return;
        }
        if self.held.is_empty() {
            let (hold_from, covered) = self.redactor.scan(input, 0, false, out);
            self.held.extend_from_slice(&input[hold_from..]);
            self.covered = covered;
        } else {
            let mut pending = std::mem::take(&mut self.held);
            pending.extend_from_slice(input);
            let (hold_from, covered) = self.redactor.scan(&pending, self.covered, false, out);
            pending.drain(..hold_from);
            self.held = pending;
            self.covered = covered;
        }
    }

    /// The end of the stream: emits whatever was held back.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        if !self.held.is_empty() {
            let held = std::mem::take(&mut self.held);
            self.redactor.scan(&held, self.covered, true, &mut out);
        }
        self.covered = 0;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(r: &Arc<Redactor>, pieces: &[&[u8]]) -> Vec<u8> {
        let mut s = RedactStream::new(Arc::clone(r));
        let mut out = Vec::new();
        for p in pieces {
            s.push_into(p, &mut out);
        }
        out.extend(s.finish());
        out
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn masks_whole_strings() {
        let r = Redactor::new(["hunter2", ""]);
        assert_eq!(r.redact_str("pw=hunter2 ok"), format!("pw={MASK} ok"));
        assert_eq!(r.redact_str("hunter2hunter2"), format!("{MASK}{MASK}"));
        assert_eq!(r.redact_str("hunter"), "hunter");
        assert_eq!(Redactor::new(Vec::<String>::new()).redact_str("a"), "a");
    }

    #[test]
    fn overlapping_secrets_mask_as_one_run() {
        let r = Redactor::new(["abc", "bcd"]);
        assert_eq!(r.redact_str("xabcdx"), format!("x{MASK}x"));
        let r = Redactor::new(["aa"]);
        assert_eq!(r.redact_str("aaa!aaaa"), format!("{MASK}!{MASK}"));
        let r = Redactor::new(["ab", "abcd"]);
        assert_eq!(r.redact_str("abcdab"), format!("{MASK}{MASK}"));
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let r = Redactor::new(["hunter2"]);
        assert!(!format!("{r:?}").contains("hunter2"));
    }

    #[test]
    fn no_secrets_pass_through() {
        let r = Arc::new(Redactor::default());
        let mut s = RedactStream::new(Arc::clone(&r));
        assert_eq!(s.push(b"\xff\x00abc"), b"\xff\x00abc");
        assert!(s.finish().is_empty());
    }

    /// Every split of the input into two and three pieces gives the same
    /// output as whole-string redaction, and no secret survives.
    #[test]
    fn splits_at_every_position() {
        let secrets: [&[u8]; 4] = [b"abcdef", b"defg", b"xyx", "pässwörd".as_bytes()];
        let r = Arc::new(Redactor::new(secrets));
        let inputs: [&[u8]; 5] = [
            b"..abcdef..abcdefg..",
            b"abcabcdefdefgxyxyxyx",
            "-pässwörd-pässw".as_bytes(),
            b"abcde",
            b"xyxyx abcdefdefg",
        ];
        for input in inputs {
            let whole = r.redact_bytes(input);
            for s in &secrets {
                assert!(!contains(&whole, s), "{input:?}");
            }
            for i in 0..=input.len() {
                let (a, rest) = input.split_at(i);
                assert_eq!(stream(&r, &[a, rest]), whole, "split at {i}");
                for j in 0..=rest.len() {
                    let (b, c) = rest.split_at(j);
                    assert_eq!(stream(&r, &[a, b, c]), whole, "split at {i},{j}");
                }
            }
        }
    }

    #[test]
    fn byte_by_byte() {
        let r = Arc::new(Redactor::new(["abcdef"]));
        let input = b"abcabcdefabcde";
        let pieces: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(stream(&r, &pieces), format!("abc{MASK}abcde").as_bytes());
    }

    #[test]
    fn holds_back_only_a_possible_prefix() {
        let r = Arc::new(Redactor::new(["abcdef"]));
        let mut s = RedactStream::new(Arc::clone(&r));
        assert_eq!(s.push(b"xxabc"), b"xx");
        assert_eq!(s.push(b"dxx"), b"abcdxx");
        assert_eq!(s.push(b"abcde"), b"");
        assert_eq!(s.finish(), b"abcde");
    }

    #[test]
    fn long_runs_stay_bounded() {
        let r = Arc::new(Redactor::new(["aaaa"]));
        let mut s = RedactStream::new(Arc::clone(&r));
        let mut out = Vec::new();
        for _ in 0..1000 {
            s.push_into(&[b'a'; 1000], &mut out);
            assert!(s.held.len() < 4);
        }
        out.extend(s.finish());
        assert_eq!(out, MASK.as_bytes());
    }

    proptest::proptest! {
        /// Any secrets, any input, any split: streaming equals whole-string
        /// redaction, and no secret is left in the output.
        #[test]
        fn streaming_equals_whole(
            secrets in proptest::collection::vec("[abc]{1,5}", 1..4),
            input in "[abcd]{0,40}",
            cuts in proptest::collection::vec(0usize..41, 0..5),
        ) {
            let r = Arc::new(Redactor::new(&secrets));
            let whole = r.redact_bytes(input.as_bytes());
            for s in &secrets {
                proptest::prop_assert!(!contains(&whole, s.as_bytes()));
            }
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(input.len())).collect();
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut from = 0;
            for c in cuts.into_iter().chain([input.len()]) {
                pieces.push(&input.as_bytes()[from..c]);
                from = c;
            }
            proptest::prop_assert_eq!(stream(&r, &pieces), whole);
        }
    }
}
