//! One file per panel of the main screen. Each draws from `&App` and
//! never changes it. The modals are components of their own (`modals`:
//! state, keys and drawing in one file each). One exception owns a
//! terminal loop: `inputs_form`, the screen that asks for inputs before a
//! session exists (so before there is an `App`); its state, keys and
//! drawing stay together in that file.
//!
//! This file holds the drawing helpers every panel and modal shares; it
//! imports nothing of the app, so modals can use it.

pub mod details;
pub mod host_grid;
pub mod inputs_form;
pub mod log_pane;
pub mod status_bar;
pub mod steps;
pub mod too_small;
pub mod vt_screen;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// The terminal columns a text takes (a CJK character or an emoji two):
/// what every fitting below counts, grapheme by grapheme as ratatui counts
/// when it draws.
pub use crate::text::{cols, pad};

/// A bordered block with a title; the border is bold when focused.
pub fn block(title: &str, focused: bool) -> Block<'static> {
    let style = if focused {
        super::theme::bold()
    } else {
        Style::default()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(style);
    if title.is_empty() {
        block
    } else {
        block.title(format!(" {title} "))
    }
}

/// Lines holding a wide character (CJK, an emoji) wrapped here, at
/// `width` columns: before a wide character that does not fit (CJK text
/// breaks between any two characters), else after the row's last space
/// or wide character (a word of Latin text stays whole), else where the
/// row is full. ratatui's word wrapper can let a wide
/// character that starts on a row's last column cross it, over a border
/// (ratatui/ratatui#2679). Lines of narrow characters only are left, as
/// they are, to the paragraph's own wrapping.
pub fn prewrap_wide<'a>(lines: Vec<Line<'a>>, width: u16) -> Vec<Line<'a>> {
    let width = usize::from(width.max(2));
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        // Most lines fit: only those that do not are looked at closely
        // (this runs on every frame of the Details pane).
        let wide = || {
            line.spans
                .iter()
                .any(|s| s.content.graphemes(true).any(|g| g.width() > 1))
        };
        if line.width() <= width || !wide() {
            out.push(line);
            continue;
        }
        out.extend(wrap_rows(&line, width));
    }
    out
}

/// `text` after `lead`, wrapped at `width` columns with every row after
/// the first indented to where the text began (a hanging indent), so that
/// a long error under a name stays in its column instead of running back
/// to the box's edge. A lead that takes over a third of the row (a long
/// name) would leave a narrow column: the rows after the first then start
/// four columns in from the lead's own indent, and the text starts on the
/// row after the lead when too little is left beside it. Too narrow a box
/// for any of it: one line, left to the paragraph's own wrapping.
pub fn hang(lead: &str, text: &str, style: Style, width: u16) -> Vec<Line<'static>> {
    // One line: a line break in it (a multi-line command named in an
    // error) would be dropped by `Line::raw` and shift every byte after.
    let text = text.replace(['\r', '\n'], " ");
    let text = text.as_str();
    let width = usize::from(width);
    let indent = cols(lead);
    let under = match indent * 3 > width {
        true => cols(lead) - cols(lead.trim_start()) + 4,
        false => indent,
    };
    let beside = width.saturating_sub(indent);
    if cols(text) <= beside || width.saturating_sub(under) < 12 {
        return vec![Line::styled(format!("{lead}{text}"), style)];
    }
    let (first, rest) = match beside >= 12 {
        true => {
            let row = wrap_rows(&Line::raw(text.to_owned()), beside).swap_remove(0);
            let taken: usize = row.spans.iter().map(|s| s.content.len()).sum();
            (
                format!("{lead}{}", row.to_string().trim_end()),
                &text[taken..],
            )
        }
        false => (lead.trim_end().to_owned(), text),
    };
    let pad = " ".repeat(under);
    let mut lines = vec![Line::styled(first, style)];
    let rows = wrap_rows(&Line::raw(rest.trim_start().to_owned()), width - under);
    lines.extend(
        rows.iter()
            .map(|r| r.to_string())
            .filter(|r| !r.trim().is_empty())
            .map(|r| Line::styled(format!("{pad}{}", r.trim()), style)),
    );
    lines
}

/// One line of a command after its `prompt` (`$ ` on the first line, two
/// spaces on the others), wrapped at `width` with its wrapped rows four
/// columns in: deeper than the command's own next line, so a wrapped row
/// never reads as a line of its own.
pub fn code_rows(prompt: &str, text: &str, style: Style, width: u16) -> Vec<Line<'static>> {
    let room = usize::from(width).saturating_sub(4);
    if cols(prompt) + cols(text) <= usize::from(width) || room < 12 {
        return vec![Line::styled(format!("{prompt}{text}"), style)];
    }
    wrap_rows(&Line::raw(text.to_owned()), room)
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let lead = if i == 0 { prompt } else { "    " };
            Line::styled(format!("{lead}{}", row.to_string().trim_end()), style)
        })
        .collect()
}

/// One line's rows, at most `width` columns each (see [`prewrap_wide`]).
fn wrap_rows<'a>(line: &Line<'a>, width: usize) -> Vec<Line<'a>> {
    let cells: Vec<(&str, Style)> = line
        .spans
        .iter()
        .flat_map(|s| s.content.graphemes(true).map(move |g| (g, s.style)))
        .collect();
    let mut rows = Vec::new();
    // `brk`: where the row may end, after a space or a wide character.
    let (mut start, mut used, mut brk) = (0, 0, None);
    for (i, (g, _)) in cells.iter().enumerate() {
        let w = g.width();
        // A space where the row is full ends it and is dropped: the next
        // row does not start with it (nor is it a row of its own).
        if used + w > width && *g == " " {
            rows.push(row(line, &cells[start..i]));
            (start, used, brk) = (i + 1, 0, None);
            continue;
        }
        if used + w > width && i > start {
            let end = match w > 1 {
                true => i,
                false => brk.filter(|&b| b > start).unwrap_or(i),
            };
            rows.push(row(line, &cells[start..end]));
            used = cells[end..i].iter().map(|(g, _)| g.width()).sum();
            (start, brk) = (end, None);
        }
        used += w;
        if *g == " " || w > 1 {
            brk = Some(i + 1);
        }
    }
    if start < cells.len() || rows.is_empty() {
        rows.push(row(line, &cells[start..]));
    }
    rows
}

/// A row of `cells` with `line`'s own style and alignment, a span per run
/// of one style.
fn row<'a>(line: &Line<'_>, cells: &[(&str, Style)]) -> Line<'a> {
    let mut spans: Vec<Span<'a>> = Vec::new();
    for (g, style) in cells {
        match spans.last_mut() {
            Some(last) if last.style == *style => last.content.to_mut().push_str(g),
            _ => spans.push(Span::styled(g.to_string(), *style)),
        }
    }
    let mut out = Line::from(spans).style(line.style);
    out.alignment = line.alignment;
    out
}

/// How many rows lines take once wrapped at `width` (a close estimate:
/// word wrapping can use a row more than character wrapping).
pub fn wrapped_height(lines: &[ratatui::text::Line], width: u16) -> usize {
    let width = usize::from(width.max(1));
    lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum()
}

/// `+HH:MM:SS` since the session started (the incident clock at that time).
pub fn since_start(
    session: &crate::session::state::Session,
    at: chrono::DateTime<chrono::Utc>,
) -> String {
    let start = session.started_at.unwrap_or(at);
    format!(
        "+{}",
        crate::runbook::duration::clock((at - start).to_std().unwrap_or_default())
    )
}

/// A title made of `parts` (text with its own separator, and a rank: 0
/// must stay), at most `max` columns: the parts of the highest rank
/// go first, so an instruction is left out whole rather than cut; what
/// still does not fit is cut after a word, with an ellipsis.
pub fn fit_title(parts: &[(String, u8)], max: usize) -> String {
    let mut keep: Vec<&(String, u8)> = parts.iter().collect();
    let len = |k: &[&(String, u8)]| k.iter().map(|(t, _)| cols(t)).sum::<usize>();
    while len(&keep) > max {
        let Some(worst) = keep.iter().map(|(_, r)| *r).max().filter(|r| *r > 0) else {
            break;
        };
        let at = keep.iter().rposition(|(_, r)| *r == worst).unwrap_or(0);
        keep.remove(at);
    }
    let text: String = keep.iter().map(|(t, _)| t.as_str()).collect();
    cut_after_word(&text, max)
}

/// Cuts text to `max` columns at the end of a word, with an ellipsis.
pub fn cut_after_word(text: &str, max: usize) -> String {
    if cols(text) <= max {
        return text.to_string();
    }
    let cut = truncate(text, max);
    let body = cut.trim_end_matches('…');
    // A word is not cut unless it is a long one (a step id, a path).
    match body.rfind(' ') {
        Some(i) if cols(&body[i..]) < 12 => format!("{}…", body[..i].trim_end_matches([' ', '·'])),
        _ => cut,
    }
}

/// A shell command to copy, indented, on lines of at most `width`
/// characters: never wrapped by the box it is in, it breaks only between
/// words, with a ` \` continuation, so it pastes into a shell as written.
pub fn command_lines(cmd: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::from(" ")];
    for word in shell_words(cmd) {
        let last = lines.last_mut().expect("one line at least");
        let fits = cols(last) + 1 + cols(word) + 2 <= width;
        if fits || last.trim().is_empty() {
            last.push(' ');
            last.push_str(word);
        } else {
            last.push_str(" \\");
            lines.push(format!("    {word}"));
        }
    }
    lines
}

/// `cmd` split at the spaces between its shell words: a single-quoted
/// word (a path with a space) stays whole.
fn shell_words(cmd: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in cmd.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                words.push(&cmd[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    words.push(&cmd[start..]);
    words
}

/// Cuts text to at most `max` columns, with an ellipsis (a wide
/// character that would cross the edge goes whole; no room, no text).
pub fn truncate(text: &str, max: usize) -> String {
    if cols(text) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let room = max - 1;
    let mut s = String::new();
    let mut used = 0;
    for g in text.graphemes(true) {
        let w = g.width();
        if used + w > room {
            break;
        }
        used += w;
        s.push_str(g);
    }
    s.push('…');
    s
}

/// Clears `r` for a box drawn over the screen. A wide character just left
/// of it (a CJK title in the list behind) would spill its second column
/// over the box's left border, so it goes too (ratatui's `Clear` leaves
/// it).
pub fn clear_box(frame: &mut Frame, r: Rect) {
    frame.render_widget(ratatui::widgets::Clear, r);
    if r.x == 0 {
        return;
    }
    let buf = frame.buffer_mut();
    for y in r.top()..r.bottom() {
        let cell = &mut buf[(r.x - 1, y)];
        if cell.symbol().width() > 1 {
            cell.set_symbol(" ");
        }
    }
}

/// A centred rectangle of at most `w` x `h`, cleared, for a modal.
pub fn centered(frame: &mut Frame, area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2));
    let h = h.min(area.height.saturating_sub(2));
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    clear_box(frame, r);
    r
}

/// A modal's box of text: centred, at most `width` wide, as tall as its
/// lines once wrapped at that width (so nothing is cut while the screen
/// has room), with a bold border and `title`.
pub fn dialog(
    frame: &mut Frame,
    area: Rect,
    width: u16,
    title: &str,
    lines: Vec<ratatui::text::Line<'_>>,
) {
    dialog_hiding(
        frame,
        area,
        width,
        title,
        lines,
        "a taller screen shows them",
    );
}

/// [`dialog`], with `why` after the count of rows hidden on a short screen.
pub fn dialog_hiding(
    frame: &mut Frame,
    area: Rect,
    width: u16,
    title: &str,
    lines: Vec<ratatui::text::Line<'_>>,
    why: &str,
) {
    let inner = dialog_inner(area, width);
    let lines = keep_last(prewrap_wide(lines, inner), inner, dialog_rows(area), 1, why);
    let h = dialog_height(area, width, &lines);
    let r = centered(frame, area, width, h);
    boxed(frame, r, title, lines);
}

/// The rows of text a [`dialog`] has on a screen of `area`.
pub fn dialog_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(4))
}

/// The rows `lines` take in a box `width` wide, wrapped as the box wraps
/// them (at words: a count by length alone comes out short).
pub fn box_rows(lines: &[Line<'_>], width: u16) -> usize {
    ratatui::widgets::Paragraph::new(lines.to_vec())
        .wrap(ratatui::widgets::Wrap { trim: false })
        .line_count(width.max(1))
}

/// `lines` in at most `rows` rows of `width`, the last `keys` lines kept:
/// every box ends with its keys, which must show on the smallest screen.
/// What does not fit before them gives way to a row saying how much is
/// hidden, and `why`.
fn keep_last<'a>(
    mut lines: Vec<Line<'a>>,
    width: u16,
    rows: usize,
    keys: usize,
    why: &str,
) -> Vec<Line<'a>> {
    if box_rows(&lines, width) <= rows || lines.len() <= keys {
        return lines;
    }
    let last = lines.split_off(lines.len() - keys);
    let total = box_rows(&lines, width);
    let more = |n: usize| Line::styled(format!("… {n} more rows: {why}"), super::theme::dim());
    let reserved = box_rows(&last, width) + box_rows(&[more(total)], width);
    let budget = rows.saturating_sub(reserved);
    let mut used = 0;
    let mut kept: Vec<Line<'a>> = Vec::new();
    for line in lines {
        let h = box_rows(std::slice::from_ref(&line), width);
        if used + h > budget {
            break;
        }
        used += h;
        kept.push(line);
    }
    kept.push(more(total - used));
    kept.extend(last);
    kept
}

/// A question about output (a failed step, a batch's results): the box of
/// [`dialog`], centred across the screen but placed above the log pane
/// when it fits there, else at the top of the screen. The log pane is then
/// drawn below it (see [`AboveLog::log_below`]), so that the output it asks
/// about stays in view (its last lines at least).
pub struct AboveLog<'a> {
    pub width: u16,
    pub title: &'static str,
    pub lines: Vec<ratatui::text::Line<'a>>,
    /// How many of the last lines are its keys, kept on any screen.
    pub keys: usize,
}

impl<'a> AboveLog<'a> {
    /// The lines as the box shows them on a screen of `area` (see
    /// [`prewrap_wide`]).
    fn shown(&self, area: Rect) -> Vec<Line<'a>> {
        let inner = dialog_inner(area, self.width);
        let lines = prewrap_wide(self.lines.clone(), inner);
        let why = "a taller screen shows them";
        keep_last(lines, inner, dialog_rows(area), self.keys, why)
    }

    /// Where the box goes on a screen of `area` (the whole frame).
    pub fn rect(&self, area: Rect) -> Rect {
        let log = super::layout::areas((area.width, area.height)).log;
        let w = self.width.min(area.width.saturating_sub(2));
        let h =
            dialog_height(area, self.width, &self.shown(area)).min(area.height.saturating_sub(2));
        let room = log.y.saturating_sub(area.y);
        let y = if h <= room {
            area.y + (room - h) / 2
        } else {
            area.y
        };
        Rect::new(area.x + (area.width - w) / 2, y, w, h)
    }

    /// The part of the log pane `log` below the box, when the box reaches
    /// into it and at least one line of output still fits; else `log`.
    pub fn log_below(&self, area: Rect, log: Rect) -> Rect {
        let bottom = self.rect(area).bottom();
        if bottom <= log.y || bottom + 3 > log.bottom() {
            return log;
        }
        Rect::new(log.x, bottom, log.width, log.bottom() - bottom)
    }

    /// Draws the box over `area` (the whole frame).
    pub fn draw(self, frame: &mut Frame, area: Rect) {
        let r = self.rect(area);
        clear_box(frame, r);
        boxed(frame, r, self.title, self.shown(area));
    }
}

/// The height of a dialog box of `lines` at most `width` wide.
fn dialog_height(area: Rect, width: u16, lines: &[ratatui::text::Line<'_>]) -> u16 {
    box_rows(lines, dialog_inner(area, width)) as u16 + 2
}

/// The text width inside a [`dialog`] of `width` on a screen of `area`
/// (narrower when the screen is).
pub fn dialog_inner(area: Rect, width: u16) -> u16 {
    width.min(area.width.saturating_sub(2)).saturating_sub(2)
}

fn boxed(frame: &mut Frame, r: Rect, title: &str, lines: Vec<ratatui::text::Line<'_>>) {
    let p = ratatui::widgets::Paragraph::new(lines)
        .block(block(title, true))
        .wrap(ratatui::widgets::Wrap { trim: false });
    frame.render_widget(p, r);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_too_tall_for_the_screen_keeps_its_last_line() {
        let lines: Vec<Line> = (0..10).map(|i| Line::raw(format!("line {i}"))).collect();
        let why = "a taller screen shows them";
        let kept = keep_last(lines.clone(), 60, 20, 1, why);
        assert_eq!(kept.len(), 10, "fits: unchanged");
        let kept = keep_last(lines, 60, 5, 1, why);
        let text: Vec<String> = kept.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            text,
            [
                "line 0",
                "line 1",
                "line 2",
                "… 6 more rows: a taller screen shows them",
                "line 9"
            ]
        );
    }

    /// Rows are counted as the box wraps: at words.
    #[test]
    fn rows_are_counted_as_the_box_wraps_them() {
        assert_eq!(box_rows(&[Line::raw("aaaaaaaa bbbbbbbb cc")], 10), 3);
        assert_eq!(wrapped_height(&[Line::raw("aaaaaaaa bbbbbbbb cc")], 10), 2);
    }

    #[test]
    fn a_long_command_breaks_between_words_with_a_continuation() {
        let cmd = "stepwise export 20261130T020314Z-a-rather-long-runbook-id-0282 --format html";
        assert_eq!(command_lines(cmd, 90), vec![format!("  {cmd}")]);
        let lines = command_lines(cmd, 70);
        assert_eq!(
            lines,
            vec![
                "  stepwise export 20261130T020314Z-a-rather-long-runbook-id-0282 \\",
                "    --format html",
            ]
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 70));
    }

    /// A quoted path with spaces is one shell word: never broken inside
    /// its quotes, where a ` \` and a newline would change the path.
    #[test]
    fn a_quoted_path_with_spaces_is_not_broken() {
        let cmd = "stepwise --home '/Users/me/Library/Application Support/stepwise' resume 20261130T020314Z-x";
        let lines = command_lines(cmd, 50);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("'/Users/me/Library/Application Support/stepwise'")),
            "{lines:?}"
        );
    }

    /// Two columns a CJK character, two an emoji: a cut never leaves
    /// text wider than asked, and a wide character that would cross the
    /// edge goes whole.
    #[test]
    fn text_is_cut_by_the_columns_it_takes() {
        assert_eq!(cols("データ"), 6);
        assert_eq!(truncate("データベース", 7), "データ…");
        assert_eq!(truncate("データベース", 8), "データ…");
        assert_eq!(truncate("データベース", 12), "データベース");
        assert_eq!(truncate("🚀 deploy now", 8), "🚀 depl…");
        // An emoji with its variation selector is two columns, one grapheme.
        assert_eq!(cols("⚠️"), 2);
        assert_eq!(truncate("⚠️⚠️⚠️ab", 4), "⚠️…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(cut_after_word("確認 する 作業 の 許可", 11), "確認 する…");
        let parts = [
            ("Log · 本番環境".to_string(), 0),
            (" · following".to_string(), 1),
        ];
        assert_eq!(fit_title(&parts, 20), "Log · 本番環境");
    }

    /// A long error after a channel's name: every row after the first
    /// starts where the error began, no row is wider than the box, and no
    /// word is lost or cut.
    #[test]
    fn a_hanging_line_keeps_its_indent() {
        let why = "`./notify.sh` failed (exit status: 1): connection refused after 3 retries";
        let rows = hang("  pager: ", why, Style::default(), 40);
        let texts: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        assert!(texts.len() > 1, "{texts:?}");
        assert!(texts[0].starts_with("  pager: `./notify.sh`"), "{texts:?}");
        for t in &texts[1..] {
            assert!(
                t.starts_with("         ") && !t[9..].starts_with(' '),
                "{texts:?}"
            );
        }
        assert!(texts.iter().all(|t| cols(t) <= 40), "{texts:?}");
        let words: Vec<&str> = texts.iter().flat_map(|t| t.split_whitespace()).collect();
        assert_eq!(words[1..].join(" "), why);
        // A path that fills a row to its last column, then another as
        // long: no row of the indent alone, none starting a column late.
        let paths = format!("{} {} refused", "/a".repeat(15), "/b".repeat(15));
        let rows = hang("  pager: ", &paths, Style::default(), 39);
        let texts: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            texts,
            [
                format!("  pager: {}", "/a".repeat(15)),
                format!("         {}", "/b".repeat(15)),
                "         refused".to_owned(),
            ],
        );
        // A long name: the rows after the first start four columns in,
        // not under the end of the name.
        let lead = "      ops-chat-very-long-channel-name: ";
        let rows = hang(lead, why, Style::default(), 72);
        let texts: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        assert!(texts[0].starts_with(lead), "{texts:?}");
        for t in &texts[1..] {
            assert!(
                t.starts_with(&" ".repeat(10)) && !t[10..].starts_with(' '),
                "{texts:?}"
            );
        }
        assert!(texts.iter().all(|t| cols(t) <= 72), "{texts:?}");
        let words: Vec<&str> = texts.iter().flat_map(|t| t.split_whitespace()).collect();
        assert_eq!(words[1..].join(" "), why);
        // A line break in the text (a multi-line command named in an
        // error) is a space: nothing shifts, nothing is repeated.
        let broken =
            "`printf 'é…'\nexit 1` failed (exit status: 1): ⏎ ⏎ ⏎ relay-02 refused the connection";
        let rows = hang("  pager: ", broken, Style::default(), 40);
        let words: Vec<String> = rows
            .iter()
            .flat_map(|r| {
                r.to_string()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(words[1..].join(" "), broken.replace('\n', " "));
        // It fits: one line, as it was. Too narrow for the indent: one line.
        assert_eq!(hang("  pager: ", "refused", Style::default(), 40).len(), 1);
        assert_eq!(hang("  pager: ", why, Style::default(), 16).len(), 1);
    }

    /// A line of wide characters one column too long for its box: wrapped
    /// here, every row fits and the box's right border stays (ratatui's
    /// own wrapping let the last character cross it); the words and
    /// styles are all there. A line of narrow characters is left alone.
    #[test]
    fn wide_lines_are_wrapped_within_their_box() {
        use ratatui::style::Modifier;
        use ratatui::widgets::{Paragraph, Wrap};
        let text = "🚀 デプロイ担当者に連絡して作業開始の許可を得る 📞 電話で";
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let line = Line::from(vec![Span::styled("🚀 ", bold), Span::raw(&text[5..])]);
        let rows = prewrap_wide(vec![line], 46);
        assert!(
            rows.len() > 1 && rows.iter().all(|r| r.width() <= 46),
            "{rows:?}"
        );
        // CJK text breaks between characters, filling the row; a Latin
        // word after CJK text stays whole.
        assert!(rows[0].width() >= 45, "{rows:?}");
        let mixed = prewrap_wide(
            vec![Line::raw("本番環境の切り戻しを担当者へ連絡（Slack・電話）")],
            36,
        );
        let texts: Vec<String> = mixed.iter().map(|r| r.to_string()).collect();
        assert!(texts.iter().any(|t| t.contains("Slack")), "{texts:?}");
        let joined: String = rows
            .iter()
            .flat_map(|r| r.spans.iter())
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(joined, text);
        assert_eq!(rows[0].spans[0].style, bold);
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(48, 5)).unwrap();
        t.draw(|f| {
            let p = Paragraph::new(rows.clone())
                .block(block("", false))
                .wrap(Wrap { trim: false });
            f.render_widget(p, f.area());
        })
        .unwrap();
        let b = t.backend().buffer();
        for y in 1..4 {
            assert_eq!(b[(47, y)].symbol(), "│", "row {y}: {:?}", t.backend());
        }
        let plain = Line::raw("x ".repeat(40));
        assert_eq!(prewrap_wide(vec![plain.clone()], 46), vec![plain]);
    }

    #[test]
    fn a_title_leaves_out_whole_parts_before_cutting() {
        let parts = [
            ("Log · deploy-stable".to_string(), 0),
            (" attempt 2/3".to_string(), 2),
            (" · following".to_string(), 4),
            (" · PAUSED · f to follow".to_string(), 1),
        ];
        let paused = "Log · deploy-stable attempt 2/3 · PAUSED · f to follow";
        assert_eq!(fit_title(&parts, 60), paused);
        assert_eq!(
            fit_title(&parts, 55),
            "Log · deploy-stable attempt 2/3 · PAUSED · f to follow"
        );
        assert_eq!(
            fit_title(&parts, 44),
            "Log · deploy-stable · PAUSED · f to follow"
        );
        assert_eq!(
            cut_after_word("Log · waits for you: Enter to review", 33),
            "Log · waits for you: Enter to…"
        );
    }
}
