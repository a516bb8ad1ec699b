//! The log pane's rows: how log lines become screen rows at the pane's
//! width, either wrapped or cut (with a marker in the last column), and the
//! scroll position counted in rows.
//!
//! Lines wrap at the column, as a terminal wraps them (not at words): the
//! text stays exactly what the program printed, and a row count is the
//! same whoever asks. `App` keeps the position and moves it; the log pane
//! draws the rows; both go through [`Layout`] so they always agree.
//!
//! Only what is looked at is laid out: the bottom of the log is found by
//! wrapping lines from the end upward until the pane is full, and a move
//! of N rows wraps the lines it passes over. The scrollback (thousands of
//! lines in the ring) is never wrapped as a whole. Pure: no state, no I/O.

use super::log::{LogLine, LogPane, strip_sgr};
use crate::session::event::Stream;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// The mark drawn in the last column of a line that is cut.
pub const CUT_MARK: &str = "…";

/// Where the top row of the pane is: row `row` of log line `line` (rows
/// before it belong to the lines above, or to that line's start).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: u64,
    pub row: usize,
}

/// How lines are laid out: the columns for text, and wrap or cut.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub width: usize,
    pub wrap: bool,
    pub color: bool,
}

impl Layout {
    /// A line's text, with its SGR colours as styles (or none, without
    /// colour).
    pub fn text(&self, line: &LogLine) -> Line<'static> {
        use ansi_to_tui::IntoText;
        let colored = if self.color {
            line.text.into_text().ok()
        } else {
            None
        };
        match colored.and_then(|t| t.lines.into_iter().next()) {
            Some(l) => l,
            None => Line::raw(strip_sgr(&line.text)),
        }
    }

    /// The rows a line takes: its wrapped pieces, or one row, cut with
    /// [`CUT_MARK`] when it is wider than the pane.
    pub fn rows(&self, line: &LogLine) -> Vec<Line<'static>> {
        let text = self.text(line);
        if self.wrap {
            wrap(&text, self.width.max(1))
        } else {
            vec![cut(text, self.width.max(1))]
        }
    }

    /// How many rows log line `n` takes (1 for a line no longer kept).
    pub fn row_count(&self, log: &LogPane, n: u64) -> usize {
        if !self.wrap {
            return 1;
        }
        log.line(n).map_or(1, |l| self.rows(&l).len())
    }

    /// The position that puts the log's last row at the bottom of a pane
    /// of `height` rows (the first line, when all of it fits).
    pub fn bottom(&self, log: &LogPane, height: usize) -> Pos {
        let first = Pos {
            line: log.first(),
            row: 0,
        };
        if !self.wrap {
            let line = log.end().saturating_sub(height as u64).max(log.first());
            return Pos { line, row: 0 };
        }
        let mut need = height.max(1);
        let mut n = log.end();
        while n > log.first() {
            n -= 1;
            let rows = self.row_count(log, n);
            if rows >= need {
                return Pos {
                    line: n,
                    row: rows - need,
                };
            }
            need -= rows;
        }
        first
    }

    /// `pos` made valid: on a kept line, on one of its rows, and no lower
    /// than [`Layout::bottom`].
    pub fn clamp(&self, log: &LogPane, height: usize, pos: Pos) -> Pos {
        let bottom = self.bottom(log, height);
        if pos.line < log.first() {
            return Pos {
                line: log.first(),
                row: 0,
            }
            .min(bottom);
        }
        if pos >= bottom {
            return bottom;
        }
        let rows = self.row_count(log, pos.line);
        Pos {
            line: pos.line,
            row: pos.row.min(rows - 1),
        }
    }

    /// `pos` moved by `delta` rows (up when negative), stopping at the
    /// log's first and last rows. Only the lines passed over are laid out.
    pub fn moved(&self, log: &LogPane, pos: Pos, delta: i64) -> Pos {
        let last = log.end().saturating_sub(1).max(log.first());
        if !self.wrap {
            let line = (pos.line as i64 + delta).clamp(log.first() as i64, last as i64);
            return Pos {
                line: line as u64,
                row: 0,
            };
        }
        let mut p = pos;
        let mut left = delta.unsigned_abs() as usize;
        if delta < 0 {
            while p.row < left {
                if p.line <= log.first() {
                    return Pos {
                        line: log.first(),
                        row: 0,
                    };
                }
                left -= p.row + 1;
                p.line -= 1;
                p.row = self.row_count(log, p.line) - 1;
            }
            p.row -= left;
        } else {
            loop {
                let rows = self.row_count(log, p.line);
                if p.row + left < rows {
                    p.row += left;
                    break;
                }
                if p.line >= last {
                    p.row = rows - 1;
                    break;
                }
                left -= rows - p.row;
                p.line += 1;
                p.row = 0;
            }
        }
        p
    }

    /// The rows seen from `top` down, at most `height`, each with the
    /// number and stream of its log line.
    pub fn visible(
        &self,
        log: &LogPane,
        top: Pos,
        height: usize,
    ) -> Vec<(u64, Stream, Line<'static>)> {
        let mut out = Vec::with_capacity(height);
        let mut skip = top.row;
        for n in top.line..log.end() {
            let Some(line) = log.line(n) else { continue };
            for row in self.rows(&line).into_iter().skip(skip) {
                if out.len() == height {
                    return out;
                }
                out.push((n, line.stream, row));
            }
            skip = 0;
        }
        out
    }

    /// Whether a line is wider than the pane (it wraps, or is cut).
    pub fn is_long(&self, line: &LogLine) -> bool {
        width(&self.text(line)) > self.width
    }
}

/// The display width of one grapheme, as the buffer will count it.
fn width_of(grapheme: &str) -> usize {
    Span::raw(grapheme).width()
}

/// A line's width, grapheme by grapheme (as `wrap` and `cut` count).
fn width(line: &Line) -> usize {
    line.styled_graphemes(Style::default())
        .map(|g| width_of(g.symbol))
        .sum()
}

/// Splits a line into rows of at most `width` columns; a wide character
/// that does not fit at the end of a row starts the next one.
fn wrap(line: &Line<'static>, width: usize) -> Vec<Line<'static>> {
    let mut rows = Vec::new();
    let mut row: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in &line.spans {
        let mut chunk = String::new();
        for g in span.styled_graphemes(Style::default()) {
            let w = width_of(g.symbol);
            if used + w > width && used > 0 {
                if !chunk.is_empty() {
                    row.push(Span::styled(std::mem::take(&mut chunk), span.style));
                }
                rows.push(Line::from(std::mem::take(&mut row)).style(line.style));
                used = 0;
            }
            chunk.push_str(g.symbol);
            used += w;
        }
        if !chunk.is_empty() {
            row.push(Span::styled(chunk, span.style));
        }
    }
    rows.push(Line::from(row).style(line.style));
    rows
}

/// The line itself when it fits in `width` columns; else its first
/// `width - 1` columns and [`CUT_MARK`] in the last one.
fn cut(line: Line<'static>, width: usize) -> Line<'static> {
    if self::width(&line) <= width {
        return line;
    }
    let room = width - 1;
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    'spans: for span in &line.spans {
        let mut chunk = String::new();
        for g in span.styled_graphemes(Style::default()) {
            let w = width_of(g.symbol);
            if used + w > room {
                if !chunk.is_empty() {
                    spans.push(Span::styled(chunk, span.style));
                }
                break 'spans;
            }
            chunk.push_str(g.symbol);
            used += w;
        }
        if !chunk.is_empty() {
            spans.push(Span::styled(chunk, span.style));
        }
    }
    // A wide character that did not fit leaves a column: keep the mark in
    // the last one.
    spans.push(Span::raw(" ".repeat(room - used)));
    spans.push(Span::styled(
        CUT_MARK,
        Style::default().add_modifier(Modifier::REVERSED),
    ));
    Line::from(spans).style(line.style)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lay(width: usize, wrap: bool) -> Layout {
        Layout {
            width,
            wrap,
            color: true,
        }
    }

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    fn log_of(lines: &[&str]) -> LogPane {
        let mut log = LogPane::default();
        for l in lines {
            log.push(Stream::Stdout, format!("{l}\n").as_bytes());
        }
        log
    }

    fn line(s: &str) -> LogLine {
        LogLine {
            stream: Stream::Stdout,
            text: s.into(),
            lossy: false,
            cut: false,
        }
    }

    #[test]
    fn wrapping_cuts_at_the_column_and_keeps_colours() {
        let rows = lay(4, true).rows(&line("ab\x1b[31mcdef\x1b[0mghi"));
        let texts: Vec<_> = rows.iter().map(text).collect();
        assert_eq!(texts, ["abcd", "efgh", "i"]);
        assert_eq!(
            rows[1].spans[0].style.fg,
            Some(ratatui::style::Color::Red),
            "{rows:?}"
        );
    }

    #[test]
    fn a_wide_character_that_does_not_fit_starts_the_next_row() {
        let texts: Vec<_> = lay(3, true)
            .rows(&line("ab日本"))
            .iter()
            .map(text)
            .collect();
        assert_eq!(texts, ["ab", "日", "本"]);
        let cut = lay(4, false).rows(&line("abc日本"));
        assert_eq!(text(&cut[0]), "abc…");
        let cut = lay(5, false).rows(&line("a日本x"));
        assert_eq!(text(&cut[0]), "a日 …");
    }

    #[test]
    fn a_cut_line_ends_in_the_mark_and_a_short_one_is_untouched() {
        let rows = lay(5, false).rows(&line("abcdefgh"));
        assert_eq!(rows.len(), 1);
        assert_eq!(text(&rows[0]), "abcd…");
        assert_eq!(text(&lay(5, false).rows(&line("abcde"))[0]), "abcde");
        assert!(lay(5, false).is_long(&line("abcdef")));
        assert!(!lay(5, false).is_long(&line("\x1b[1mabcde\x1b[0m")));
    }

    #[test]
    fn the_bottom_counts_rows_from_the_end() {
        let log = log_of(&["a", "bbbbbbbbbb", "c", "dddddd"]);
        // Rows at width 4: a | bbbb bbbb bb | c | dddd dd.
        let l = lay(4, true);
        assert_eq!(l.bottom(&log, 3), Pos { line: 2, row: 0 });
        assert_eq!(l.bottom(&log, 4), Pos { line: 1, row: 2 });
        assert_eq!(l.bottom(&log, 1), Pos { line: 3, row: 1 });
        assert_eq!(l.bottom(&log, 50), Pos { line: 0, row: 0 });
        assert_eq!(lay(4, false).bottom(&log, 3), Pos { line: 1, row: 0 });
    }

    #[test]
    fn moving_walks_rows_across_lines_and_stops_at_the_ends() {
        let log = log_of(&["a", "bbbbbbbbbb", "c", "dddddd"]);
        let l = lay(4, true);
        let top = Pos { line: 0, row: 0 };
        assert_eq!(l.moved(&log, top, 2), Pos { line: 1, row: 1 });
        assert_eq!(l.moved(&log, top, 4), Pos { line: 2, row: 0 });
        assert_eq!(l.moved(&log, top, 100), Pos { line: 3, row: 1 });
        let p = Pos { line: 3, row: 1 };
        assert_eq!(l.moved(&log, p, -3), Pos { line: 1, row: 2 });
        assert_eq!(l.moved(&log, p, -100), top);
        assert_eq!(lay(4, false).moved(&log, p, -2), Pos { line: 1, row: 0 });
    }

    #[test]
    fn visible_rows_start_inside_a_line() {
        let log = log_of(&["a", "bbbbbbbbbb", "c"]);
        let rows = lay(4, true).visible(&log, Pos { line: 1, row: 1 }, 3);
        let got: Vec<_> = rows.iter().map(|(n, _, r)| (*n, text(r))).collect();
        assert_eq!(got, [(1, "bbbb".into()), (1, "bb".into()), (2, "c".into())]);
    }

    #[test]
    fn clamping_keeps_the_position_on_a_row_and_above_the_bottom() {
        let log = log_of(&["a", "bbbbbbbbbb", "c", "dddddd"]);
        let l = lay(4, true);
        assert_eq!(
            l.clamp(&log, 3, Pos { line: 1, row: 9 }),
            Pos { line: 1, row: 2 }
        );
        assert_eq!(
            l.clamp(&log, 3, Pos { line: 3, row: 0 }),
            Pos { line: 2, row: 0 }
        );
    }
}
