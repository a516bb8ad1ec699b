//! An attempt's whole log on disk (`output/<step>.<attempt>.log`) as
//! numbered lines, for a log pane that pages through all of it.
//!
//! Lines are indexed lazily and sparsely: the offset of every
//! [`EVERY`]th line is kept (about 80 kilobytes for a 1 GB log of
//! 100-byte lines), and the line offsets of at most [`CACHED_BLOCKS`]
//! blocks around what is looked at. Only the lines asked for are read, so memory stays flat
//! whatever the log's size. [`search`] scans the file from a line on, on
//! whatever thread calls it (the interface runs it on a blocking task),
//! and can be cancelled.
//!
//! Lines end at `\n`; a line with no newline for [`MAX_LINE`] bytes is cut
//! there and goes on as the next line (marked [`FileLine::cut`]), so no
//! read is ever bigger than that. The index and the search cut lines with
//! the same [`Splitter`], so their line numbers always agree. This module
//! only reads the file; it never writes, and knows nothing of the screen.

use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The longest line read as one; longer ones go on as the next line.
pub const MAX_LINE: usize = 64 * 1024;
/// One line offset is kept for every this many lines.
pub const EVERY: u64 = 1024;
/// Blocks of line offsets kept in memory.
const CACHED_BLOCKS: usize = 16;
/// Bytes read at a time when indexing or searching.
const READ: usize = 256 * 1024;
/// Bytes indexed per call of [`LogFile::refresh`]: a flood is caught up
/// over a few frames rather than stalling one.
const REFRESH_BUDGET: u64 = 16 * 1024 * 1024;

/// Where lines end: at `\n`, or after [`MAX_LINE`] bytes without one.
#[derive(Clone, Copy, Debug, Default)]
pub struct Splitter {
    /// Bytes of the current line seen so far.
    len: usize,
}

impl Splitter {
    /// The next line end in `buf[from..]`: `(content_end, next_start)`,
    /// or `None` when the line goes on past `buf` (then it is counted).
    pub fn next(&mut self, buf: &[u8], from: usize) -> Option<(usize, usize)> {
        let room = MAX_LINE - self.len;
        let window = &buf[from..buf.len().min(from + room)];
        if let Some(i) = window.iter().position(|&b| b == b'\n') {
            self.len = 0;
            return Some((from + i, from + i + 1));
        }
        if window.len() == room {
            self.len = 0;
            return Some((from + room, from + room));
        }
        self.len += window.len();
        None
    }
}

/// One line of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileLine {
    /// Byte offset of the line's first byte.
    pub offset: u64,
    pub bytes: Vec<u8>,
    /// The line was longer than [`MAX_LINE`]: it goes on in the next one.
    pub cut: bool,
}

/// A line's place: `[start, end)` of its text, and whether it was cut.
#[derive(Clone, Copy, Debug)]
struct Place {
    start: u64,
    end: u64,
    cut: bool,
}

/// The lazily built index of one log file.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    file: Option<File>,
    /// `marks[k]` is the offset of line `k * EVERY`.
    marks: Vec<u64>,
    /// Whole lines seen.
    lines: u64,
    /// Bytes indexed.
    scanned: u64,
    /// Where the unfinished last line starts.
    open_start: u64,
    split: Splitter,
    /// Line places of recently read blocks, newest last.
    blocks: VecDeque<(u64, Vec<Place>)>,
}

impl LogFile {
    /// An index of the file at `path` (opened when first needed).
    pub fn new(path: PathBuf) -> LogFile {
        LogFile {
            path,
            file: None,
            marks: vec![0],
            lines: 0,
            scanned: 0,
            open_start: 0,
            split: Splitter::default(),
            blocks: VecDeque::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the file if needed; false when it cannot be read (yet).
    pub fn ready(&mut self) -> bool {
        if self.file.is_none() {
            self.file = File::open(&self.path).ok();
        }
        self.file.is_some()
    }

    /// Indexes what was written since the last call (up to a budget);
    /// starts over should the file have shrunk.
    pub fn refresh(&mut self) -> io::Result<()> {
        if !self.ready() {
            return Ok(());
        }
        let file = self.file.take().expect("opened");
        let done = self.index_file(&file);
        self.file = Some(file);
        done
    }

    fn index_file(&mut self, file: &File) -> io::Result<()> {
        let size = file.metadata()?.len();
        if size < self.scanned {
            *self = LogFile::new(std::mem::take(&mut self.path));
            return self.refresh();
        }
        let stop = size.min(self.scanned + REFRESH_BUDGET);
        let mut buf = vec![0; READ];
        while self.scanned < stop {
            let want = ((stop - self.scanned) as usize).min(READ);
            let n = file.read_at(&mut buf[..want], self.scanned)?;
            if n == 0 {
                break;
            }
            self.index(&buf[..n]);
        }
        Ok(())
    }

    /// Indexes `bytes`, just written at offset `at` of the file, without
    /// reading them back: a flood is indexed from the chunks the pane is
    /// given rather than read twice. Only when they are exactly the next
    /// bytes to index and the file has them (a chunk the disk refused is
    /// not in it); `false` otherwise (`refresh` then reads the file).
    pub fn feed(&mut self, at: u64, bytes: &[u8]) -> bool {
        let end = at + bytes.len() as u64;
        let in_file = self.ready()
            && self
                .file
                .as_ref()
                .and_then(|f| f.metadata().ok())
                .is_some_and(|m| m.len() >= end);
        if !in_file || at != self.scanned {
            return false;
        }
        self.index(bytes);
        true
    }

    /// Counts the line ends in `buf`, the bytes at `self.scanned`.
    fn index(&mut self, buf: &[u8]) {
        // The last block cached may grow: forget it.
        let last = self.lines / EVERY;
        self.blocks.retain(|(b, _)| *b < last);
        // The fast way while lines stay shorter than `MAX_LINE`; from the
        // first longer one, the splitter.
        let mut from = self.count_short_lines(buf);
        while let Some((_, next)) = self.split.next(buf, from) {
            self.line_ends(next);
            from = next;
        }
        self.scanned += buf.len() as u64;
    }

    /// Counts the lines of `buf` 64 bytes at a time (a mask of newlines, a
    /// bit count; line by line only in a block where a mark falls) until
    /// a line would reach `MAX_LINE`; returns where the current line
    /// starts, where the splitter takes over.
    fn count_short_lines(&mut self, buf: &[u8]) -> usize {
        let (mut from, mut base) = (0, 0);
        for block in buf.chunks(64) {
            let mut ends = crate::text::newline_mask(block);
            let first = base + ends.trailing_zeros().min(block.len() as u32) as usize;
            if self.split.len + (first - from) >= MAX_LINE {
                return from;
            }
            if ends != 0 {
                self.split.len = 0;
                let count = u64::from(ends.count_ones());
                if self.lines % EVERY + count < EVERY {
                    let last = base + 63 - ends.leading_zeros() as usize;
                    self.lines += count;
                    self.open_start = self.scanned + last as u64 + 1;
                    from = last + 1;
                } else {
                    while ends != 0 {
                        from = base + ends.trailing_zeros() as usize + 1;
                        self.line_ends(from);
                        ends &= ends - 1;
                    }
                }
            }
            base += block.len();
        }
        from
    }

    /// A line ended; the next starts at `next` in the buffer being indexed.
    fn line_ends(&mut self, next: usize) {
        self.lines += 1;
        self.open_start = self.scanned + next as u64;
        if self.lines.is_multiple_of(EVERY) {
            self.marks.push(self.open_start);
        }
    }

    /// Lines known, an unfinished last line included.
    pub fn end(&self) -> u64 {
        self.lines + u64::from(self.scanned > self.open_start)
    }

    /// Bytes indexed so far.
    pub fn indexed(&self) -> u64 {
        self.scanned
    }

    /// Line `n` (from 0), if indexed.
    pub fn line(&mut self, n: u64) -> Option<FileLine> {
        if n >= self.end() || !self.ready() {
            return None;
        }
        let place = self
            .block(n / EVERY)
            .ok()?
            .get((n % EVERY) as usize)
            .copied()?;
        let mut bytes = vec![0; (place.end - place.start) as usize];
        let file = self.file.as_ref()?;
        file.read_exact_at(&mut bytes, place.start).ok()?;
        Some(FileLine {
            offset: place.start,
            bytes,
            cut: place.cut,
        })
    }

    /// The places of block `b`'s lines, from the cache or the file.
    fn block(&mut self, b: u64) -> io::Result<&Vec<Place>> {
        if let Some(i) = self.blocks.iter().position(|(k, _)| *k == b) {
            let entry = self.blocks.remove(i).expect("found");
            self.blocks.push_back(entry);
        } else {
            let places = self.read_block(b)?;
            if self.blocks.len() == CACHED_BLOCKS {
                self.blocks.pop_front();
            }
            self.blocks.push_back((b, places));
        }
        Ok(&self.blocks.back().expect("pushed").1)
    }

    fn read_block(&self, b: u64) -> io::Result<Vec<Place>> {
        let file = self.file.as_ref().ok_or(io::ErrorKind::NotFound)?;
        let mut at = self.marks[b as usize];
        let mut places = Vec::new();
        let mut split = Splitter::default();
        let mut start = at;
        let mut buf = vec![0; READ];
        while places.len() < EVERY as usize && at < self.scanned {
            let want = ((self.scanned - at) as usize).min(READ);
            let n = file.read_at(&mut buf[..want], at)?;
            if n == 0 {
                break;
            }
            let mut from = 0;
            while let Some((end, next)) = split.next(&buf[..n], from) {
                places.push(Place {
                    start,
                    end: at + end as u64,
                    cut: end == next,
                });
                start = at + next as u64;
                from = next;
                if places.len() == EVERY as usize {
                    break;
                }
            }
            at += n as u64;
        }
        if places.len() < EVERY as usize && start < self.scanned {
            places.push(Place {
                start,
                end: self.scanned,
                cut: false,
            });
        }
        Ok(places)
    }
}

/// Which way a search goes from its first line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// What a search reports while it runs: bytes read so far of `total`.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub total: AtomicU64,
    pub cancel: AtomicBool,
}

/// Finds the first line from `from` on (forward) or the last line before
/// `from` (backward) for which `hit` holds, going round the file's end
/// when there is none that way. `Ok(None)`: nowhere in the file, or
/// cancelled (then `progress.cancel` is set).
pub fn search(
    path: &Path,
    from: u64,
    dir: Direction,
    hit: &dyn LineMatch,
    progress: &Arc<Progress>,
) -> io::Result<Option<u64>> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    progress.total.store(size, Ordering::Relaxed);
    let mut first = None;
    let mut before = None;
    let mut last = None;
    let mut found = None;
    scan(&file, size, progress, hit, &mut |n, text| {
        if !hit.line(text) {
            return true;
        }
        first.get_or_insert(n);
        last = Some(n);
        if n < from {
            before = Some(n);
        }
        if dir == Direction::Forward && n >= from {
            found = Some(n);
            return false;
        }
        true
    })?;
    if progress.cancel.load(Ordering::Relaxed) {
        return Ok(None);
    }
    Ok(match dir {
        Direction::Forward => found.or(first),
        Direction::Backward => before.or(last),
    })
}

/// What a search looks for.
pub trait LineMatch: Sync {
    /// Whether the line (its bytes as in the file) is a match.
    fn line(&self, bytes: &[u8]) -> bool;
    /// Whether any of `lines` (whole lines of printable ASCII, each ending
    /// in `\n`) may be a match: `false` lets the search skip them unread
    /// line by line. A cheap, certain "no" is what makes a 1 GB search
    /// take about as long as reading the file.
    fn may_hold(&self, _lines: &[u8]) -> bool {
        true
    }
}

impl<F: Fn(&[u8]) -> bool + Sync> LineMatch for F {
    fn line(&self, bytes: &[u8]) -> bool {
        self(bytes)
    }
}

/// Calls `each(line number, text)` for the file's lines until it says
/// stop, the file ends at `size`, or the search is cancelled. Blocks of
/// plain lines that `hit` says cannot match are counted, not split.
fn scan(
    file: &File,
    size: u64,
    progress: &Progress,
    hit: &dyn LineMatch,
    each: &mut dyn FnMut(u64, &[u8]) -> bool,
) -> io::Result<()> {
    let mut buf = vec![0; READ];
    let mut line = Vec::new();
    let mut split = Splitter::default();
    let (mut at, mut n) = (0u64, 0u64);
    while at < size {
        if progress.cancel.load(Ordering::Relaxed) {
            return Ok(());
        }
        let got = file.read_at(&mut buf[..((size - at) as usize).min(READ)], at)?;
        if got == 0 {
            break;
        }
        // Every read starts at a line's start, unless a line is longer
        // than a read: then its bytes are carried in `line`.
        if line.is_empty()
            && let Some((lines, count)) = skippable(&buf[..got], hit)
        {
            n += count;
            at += lines as u64;
            progress.done.store(at, Ordering::Relaxed);
            continue;
        }
        let mut from = 0;
        while let Some((end, next)) = split.next(&buf[..got], from) {
            line.extend_from_slice(&buf[from..end]);
            if !each(n, &line) {
                return Ok(());
            }
            line.clear();
            n += 1;
            from = next;
        }
        if from > 0 && at + (got as u64) < size {
            // The unfinished last line is read again with the next block.
            split = Splitter::default();
            at += from as u64;
        } else {
            line.extend_from_slice(&buf[from..got]);
            at += got as u64;
        }
        progress.done.store(at, Ordering::Relaxed);
    }
    if !line.is_empty() {
        each(n, &line);
    }
    Ok(())
}

/// The whole lines at the start of `block` (which starts at a line's
/// start), as `(bytes, lines)`, when they are all printable ASCII, none
/// is cut at [`MAX_LINE`], and `hit` says none can match.
fn skippable(block: &[u8], hit: &dyn LineMatch) -> Option<(usize, u64)> {
    let end = block.iter().rposition(|&b| b == b'\n')? + 1;
    let lines = &block[..end];
    // A newline in every half of MAX_LINE: no line reaches MAX_LINE.
    if !lines.chunks(MAX_LINE / 2).all(|c| c.contains(&b'\n')) {
        return None;
    }
    // Byte counters over 255 bytes and no early exit inside: the compiler
    // turns this loop into vector instructions (3x the plain loop).
    let mut count = 0u64;
    for chunk in lines.chunks(255) {
        let (mut nl, mut odd) = (0u8, 0u8);
        for &b in chunk {
            nl += u8::from(b == b'\n');
            // A control byte other than `\n`, DEL, or not ASCII.
            odd |= u8::from(b.wrapping_sub(0x20) >= 0x5f) & u8::from(b != b'\n');
        }
        if odd != 0 {
            return None;
        }
        count += u64::from(nl);
    }
    (!hit.may_hold(lines)).then_some((end, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_of(text: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.1.log");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn text(f: &mut LogFile, n: u64) -> String {
        String::from_utf8(f.line(n).unwrap().bytes).unwrap()
    }

    fn numbered(count: u64) -> Vec<u8> {
        (0..count)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect()
    }

    #[test]
    fn every_line_of_a_big_file_is_there_by_number() {
        let (_d, path) = file_of(&numbered(10_000));
        let mut f = LogFile::new(path);
        f.refresh().unwrap();
        assert_eq!(f.end(), 10_000);
        assert_eq!(text(&mut f, 0), "line 0");
        assert_eq!(text(&mut f, 9_999), "line 9999");
        assert_eq!(text(&mut f, 1_234), "line 1234");
        assert_eq!(text(&mut f, EVERY), format!("line {EVERY}"));
        assert!(f.line(10_000).is_none());
        assert_eq!(f.marks.len() as u64, 10_000 / EVERY + 1);
        assert!(f.blocks.len() <= CACHED_BLOCKS);
    }

    #[test]
    fn the_cache_stays_bounded_while_paging_through() {
        let (_d, path) = file_of(&numbered(100_000));
        let mut f = LogFile::new(path);
        f.refresh().unwrap();
        for n in (0..100_000).step_by(97) {
            assert_eq!(text(&mut f, n), format!("line {n}"));
        }
        assert_eq!(f.blocks.len(), CACHED_BLOCKS);
    }

    #[test]
    fn growing_and_unfinished_lines_are_followed() {
        let (_d, path) = file_of(b"a\nb");
        let mut f = LogFile::new(path.clone());
        f.refresh().unwrap();
        assert_eq!(f.end(), 2);
        assert_eq!(text(&mut f, 1), "b");
        let mut more = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut more, b"c\nd\n").unwrap();
        f.refresh().unwrap();
        assert_eq!(f.end(), 3);
        assert_eq!(text(&mut f, 1), "bc");
        assert_eq!(text(&mut f, 2), "d");
    }

    #[test]
    fn a_missing_file_has_no_lines_until_it_appears() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("later.log");
        let mut f = LogFile::new(path.clone());
        f.refresh().unwrap();
        assert_eq!(f.end(), 0);
        std::fs::write(&path, "x\n").unwrap();
        f.refresh().unwrap();
        assert_eq!(text(&mut f, 0), "x");
    }

    #[test]
    fn an_overlong_line_goes_on_in_the_next_and_says_so() {
        let mut data = vec![b'x'; MAX_LINE + 10];
        data.extend_from_slice(b"\nend\n");
        let (_d, path) = file_of(&data);
        let mut f = LogFile::new(path);
        f.refresh().unwrap();
        assert_eq!(f.end(), 3);
        let first = f.line(0).unwrap();
        assert_eq!((first.bytes.len(), first.cut), (MAX_LINE, true));
        let rest = f.line(1).unwrap();
        assert_eq!((rest.bytes.len(), rest.cut), (10, false));
        assert_eq!(text(&mut f, 2), "end");
    }

    /// What the index knows, line by line: number, offset, text, cut.
    fn lines_of(f: &mut LogFile) -> Vec<(u64, u64, Vec<u8>, bool)> {
        (0..f.end())
            .map(|n| {
                let l = f.line(n).unwrap();
                (n, l.offset, l.bytes, l.cut)
            })
            .collect()
    }

    #[test]
    fn chunks_fed_as_written_index_as_reading_the_file_does() {
        let mut data = numbered(3_000);
        data.extend(vec![b'y'; MAX_LINE * 2 + 7]);
        data.extend_from_slice(b"\nshort\n\n");
        data.extend(vec![b'z'; MAX_LINE - 1]);
        data.extend_from_slice(b"\nend");
        let (_d, read) = file_of(&data);
        let mut whole = LogFile::new(read);
        whole.refresh().unwrap();
        let expected = lines_of(&mut whole);
        for size in [1, 7, 4096, MAX_LINE + 1, 1 << 20] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("s.1.log");
            let mut fed = LogFile::new(path.clone());
            let mut at = 0;
            for chunk in data.chunks(size) {
                let mut log = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .unwrap();
                std::io::Write::write_all(&mut log, chunk).unwrap();
                assert!(fed.feed(at, chunk), "chunk at {at} of {size}");
                at += chunk.len() as u64;
            }
            assert_eq!(fed.indexed(), data.len() as u64);
            assert_eq!(lines_of(&mut fed), expected, "chunks of {size}");
        }
    }

    #[test]
    fn a_chunk_not_in_the_file_or_out_of_place_is_not_fed() {
        let (_d, path) = file_of(b"a\nb\n");
        let mut f = LogFile::new(path);
        assert!(!f.feed(0, b"a\nb\nc\n"), "the file does not have it all");
        assert!(!f.feed(2, b"b\n"), "not the next bytes to index");
        assert!(f.feed(0, b"a\n"));
        assert_eq!(f.end(), 1);
        f.refresh().unwrap();
        assert_eq!(f.end(), 2);
        assert_eq!(text(&mut f, 1), "b");
    }

    fn find(path: &Path, needle: &str, from: u64, dir: Direction) -> Option<u64> {
        let needle = needle.as_bytes().to_vec();
        let hit = move |l: &[u8]| l.windows(needle.len()).any(|w| w == needle.as_slice());
        search(path, from, dir, &hit, &Arc::new(Progress::default())).unwrap()
    }

    #[test]
    fn search_goes_from_the_cursor_and_round_the_end() {
        let (_d, path) = file_of(&numbered(200_000));
        assert_eq!(
            find(&path, "line 12345", 0, Direction::Forward),
            Some(12_345)
        );
        assert_eq!(find(&path, "line 1234", 0, Direction::Forward), Some(1_234));
        assert_eq!(
            find(&path, "line 1234", 1_235, Direction::Forward),
            Some(12_340)
        );
        assert_eq!(find(&path, "line 5", 199_000, Direction::Forward), Some(5));
        assert_eq!(
            find(&path, "line 1234", 12_340, Direction::Backward),
            Some(1_234)
        );
        assert_eq!(
            find(&path, "line 12", 5, Direction::Backward),
            Some(129_999)
        );
        assert_eq!(find(&path, "nowhere", 0, Direction::Forward), None);
    }

    #[test]
    fn search_numbers_lines_as_the_index_does() {
        let mut data = vec![b'y'; MAX_LINE * 2 + 3];
        data.extend_from_slice(b"\nneedle\n");
        let (_d, path) = file_of(&data);
        let mut f = LogFile::new(path.clone());
        f.refresh().unwrap();
        let n = find(&path, "needle", 0, Direction::Forward).unwrap();
        assert_eq!(text(&mut f, n), "needle");
    }

    /// Finds bytes; rules out plain blocks with the same test, and counts
    /// the lines it was asked about one by one.
    struct Counted(Vec<u8>, AtomicU64);

    impl LineMatch for Counted {
        fn line(&self, l: &[u8]) -> bool {
            self.1.fetch_add(1, Ordering::Relaxed);
            l.windows(self.0.len()).any(|w| w == self.0.as_slice())
        }
        fn may_hold(&self, lines: &[u8]) -> bool {
            lines.windows(self.0.len()).any(|w| w == self.0.as_slice())
        }
    }

    #[test]
    fn plain_blocks_are_skipped_and_numbered_as_the_index_does() {
        let mut data = numbered(100_000);
        data.extend_from_slice(b"tab\there\n");
        data.extend(vec![b'y'; MAX_LINE + 5]);
        data.extend_from_slice(b"\n");
        data.extend(numbered(100_000));
        data.extend_from_slice(b"needle at the end");
        let (_d, path) = file_of(&data);
        let mut f = LogFile::new(path.clone());
        f.refresh().unwrap();
        for needle in ["line 99999", "needle at", "tab", "line 5"] {
            let m = Counted(needle.as_bytes().to_vec(), AtomicU64::new(0));
            let n = search(
                &path,
                100_000,
                Direction::Forward,
                &m,
                &Arc::new(Progress::default()),
            );
            let n = n.unwrap().unwrap();
            assert_eq!(n, find(&path, needle, 100_000, Direction::Forward).unwrap());
            assert!(text(&mut f, n).contains(needle), "{needle}: line {n}");
            // Only the blocks that hold the text were split into lines.
            assert!(m.1.load(Ordering::Relaxed) < 60_000, "{needle}");
        }
    }

    #[test]
    fn a_cancelled_search_stops_and_finds_nothing() {
        let (_d, path) = file_of(&numbered(1_000));
        let progress = Arc::new(Progress::default());
        progress.cancel.store(true, Ordering::Relaxed);
        let hit = |_: &[u8]| true;
        assert_eq!(
            search(&path, 0, Direction::Forward, &hit, &progress).unwrap(),
            None
        );
    }
}
