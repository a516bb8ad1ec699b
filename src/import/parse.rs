//! Markdown to the document model (`doc.rs`), with pulldown-cmark.
//!
//! Why pulldown-cmark and not comrak: it is a CommonMark-conformant pull
//! parser that hands out events with their byte ranges in the source, so
//! one pass builds our small model, line numbers come for free, and tables
//! and HTML can be carried over exactly as written (the source slice). It
//! allocates no AST of its own, is fast (the 1 MB benchmark in
//! docs/PERFORMANCE.md), and adds one crate to the tree (`unicase`; its
//! `bitflags` and `memchr` were already there). comrak builds an arena AST
//! we would only walk once, with more dependencies.
//!
//! The GitHub extensions real documents use are on: tables, task lists,
//! strikethrough, footnotes, alerts (`> [!WARNING]`), and YAML front matter
//! (recognised so it is not mistaken for a heading, and left out).
//!
//! This module never interprets what it reads (no heuristics here) and
//! never recurses on input: containers are built with an explicit stack,
//! and nesting deeper than `MAX_DEPTH` is refused.

use super::doc::{Block, Document, Inline, Item, Kind};
use pulldown_cmark::{BlockQuoteKind, CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;

/// Deepest nesting of lists and quotes accepted (a list item counts one
/// level, its list another).
pub const MAX_DEPTH: usize = 32;

/// Why a document is not read: it would not import as its author meant.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Containers nest deeper than `MAX_DEPTH`, at this line.
    TooDeep { line: usize },
    /// A fenced code block opened here (1-based line and column, its fence
    /// as written) is never closed: CommonMark makes the rest of its
    /// container code, so headings, steps and a second command after it
    /// would silently become one command.
    Unclosed {
        line: usize,
        column: usize,
        fence: String,
        /// The line inside it that opens another block of the same fence
        /// (```` ```sh ````): CommonMark reads it as text and the block goes
        /// on to the next bare fence, but its author meant a new block.
        reopened: Option<usize>,
    },
}

/// Parses Markdown text (LF line endings) into the document model.
pub fn parse(text: &str) -> Result<Document, Refusal> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_GFM;
    let mut builder = Builder::new(text);
    let mut events = Parser::new_ext(text, options).into_offset_iter();
    while let Some((event, range)) = events.next() {
        match event {
            Event::Start(tag) if is_opaque(&tag) => {
                builder.opaque(&tag, range);
                // Skip the opaque block's own events up to its end.
                let mut depth = 1usize;
                while depth > 0 {
                    match events.next() {
                        Some((Event::Start(_), _)) => depth += 1,
                        Some((Event::End(_), _)) => depth -= 1,
                        Some(_) => {}
                        None => break,
                    }
                }
            }
            Event::Start(tag) => {
                if let Tag::CodeBlock(CodeBlockKind::Fenced(_)) = &tag {
                    closed_fence(text, &range)?;
                }
                builder.start(tag, range)?
            }
            Event::End(end) => builder.end(end),
            other => builder.inline(other, range),
        }
    }
    Ok(builder.finish())
}

/// Refuses a fenced code block that was not closed where its author
/// meant: it runs to the end of the document and its source range does
/// not end with a closing fence (the same
/// character as its opening fence, at least as many, nothing else on the
/// line after a container's indentation or `>` marks), or a line inside
/// it opens another block with that fence and an info string. A block of
/// one line is its opening fence alone.
fn closed_fence(text: &str, range: &Range<usize>) -> Result<(), Refusal> {
    let block = text[range.clone()].trim_end_matches('\n');
    let at = range.start + block.find(['`', '~']).unwrap_or(0);
    let opening = &text[at..];
    let ch = opening.chars().next().unwrap_or('`');
    let fence: String = opening.chars().take_while(|c| *c == ch).collect();
    // A fence line is indented at most three columns more than the
    // opening fence (after a quote's `>` marks): one indented further is
    // the block's text (a heredoc quoting Markdown), never a fence.
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let reach = unquoted(&text[line_start..at]).0 + 3;
    let fence_line = |line: &str| {
        let (indent, rest) = unquoted(line);
        (indent <= reach).then(|| rest.trim_end().to_owned())
    };
    let is_fence = |l: &str| l.len() >= fence.len() && l.chars().all(|c| c == ch);
    let last = block.rsplit('\n').next().and_then(fence_line);
    let closes = block.contains('\n') && last.is_some_and(|l| is_fence(&l));
    // Content lines: after the opening one, before the closing one.
    let inner = block
        .lines()
        .count()
        .saturating_sub(1 + usize::from(closes));
    let reopened = block.lines().skip(1).take(inner).position(|l| {
        let Some(l) = fence_line(l) else { return false };
        let run = l.chars().take_while(|c| *c == ch).count();
        run >= fence.len() && !l[run..].trim().is_empty() && !l[run..].contains(ch)
    });
    // A block its container ends (a list item, a quote) holds only what
    // is inside it: nothing after it is swallowed.
    let to_the_end = text[range.end..].trim().is_empty();
    if reopened.is_none() && (closes || !to_the_end) {
        return Ok(());
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    Err(Refusal::Unclosed {
        line,
        column,
        fence,
        reopened: reopened.map(|i| line + 1 + i),
    })
}

/// A line's indentation in columns (a tab to the next multiple of four)
/// after any quote marks (`>` and the space after one), and the rest.
fn unquoted(line: &str) -> (usize, &str) {
    let mut rest = line;
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t']);
        match trimmed.strip_prefix('>') {
            Some(after) => rest = after.strip_prefix(' ').unwrap_or(after),
            None => break,
        }
    }
    let mut cols = 0;
    for c in rest.chars() {
        match c {
            ' ' => cols += 1,
            '\t' => cols = cols / 4 * 4 + 4,
            _ => break,
        }
    }
    (cols, rest.trim_start_matches([' ', '\t']))
}

/// Blocks kept as their source text rather than parsed further.
fn is_opaque(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::Table(_)
            | Tag::HtmlBlock
            | Tag::FootnoteDefinition(_)
            | Tag::MetadataBlock(_)
            | Tag::DefinitionList
    )
}

enum Frame {
    Root(Vec<Block>),
    List {
        line: usize,
        start: Option<u64>,
        items: Vec<Item>,
    },
    Item(Item),
    Quote {
        line: usize,
        label: Option<&'static str>,
        blocks: Vec<Block>,
    },
}

/// A paragraph or heading being filled with inline events. `implicit`:
/// the text of a tight list item, which has no paragraph events.
struct Open {
    line: usize,
    heading: Option<u8>,
    implicit: bool,
    buf: InlineBuf,
}

#[derive(Default)]
struct InlineBuf {
    plain: String,
    rich: String,
    /// Open links and images: where their text starts in `rich`, and the target.
    links: Vec<(usize, String)>,
}

impl InlineBuf {
    fn push(&mut self, plain: &str, rich: &str) {
        self.plain.push_str(plain);
        self.rich.push_str(rich);
    }

    fn link_end(&mut self) {
        let Some((at, url)) = self.links.pop() else {
            return;
        };
        let shown = self.rich[at..].trim();
        let trivial = url.is_empty()
            || url.starts_with('#')
            || shown == url
            || url.strip_prefix("mailto:") == Some(shown);
        if !trivial {
            self.rich.push_str(&format!(" ({url})"));
        }
    }

    fn finish(self) -> Inline {
        Inline {
            plain: self.plain.trim().to_owned(),
            rich: self.rich.trim().to_owned(),
        }
    }
}

struct Builder<'a> {
    src: &'a str,
    line_starts: Vec<usize>,
    stack: Vec<Frame>,
    open: Option<Open>,
    /// A code block being read: its line, language and text.
    code: Option<(usize, String, String)>,
}

impl<'a> Builder<'a> {
    fn new(src: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Builder {
            src,
            line_starts,
            stack: vec![Frame::Root(Vec::new())],
            open: None,
            code: None,
        }
    }

    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }

    fn push_frame(&mut self, frame: Frame, line: usize) -> Result<(), Refusal> {
        if self.stack.len() > MAX_DEPTH {
            return Err(Refusal::TooDeep { line });
        }
        self.stack.push(frame);
        Ok(())
    }

    fn start(&mut self, tag: Tag, range: Range<usize>) -> Result<(), Refusal> {
        let line = self.line(range.start);
        match tag {
            Tag::Paragraph | Tag::Heading { .. } => {
                self.close_implicit();
                let heading = match tag {
                    Tag::Heading { level, .. } => Some(level as u8),
                    _ => None,
                };
                self.open = Some(Open {
                    line,
                    heading,
                    implicit: false,
                    buf: InlineBuf::default(),
                });
            }
            Tag::BlockQuote(kind) => {
                self.close_implicit();
                let label = kind.map(alert_label);
                let frame = Frame::Quote {
                    line,
                    label,
                    blocks: Vec::new(),
                };
                self.push_frame(frame, line)?;
            }
            Tag::CodeBlock(kind) => {
                self.close_implicit();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => language(&info),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((line, lang, String::new()));
            }
            Tag::List(start) => {
                self.close_implicit();
                let frame = Frame::List {
                    line,
                    start,
                    items: Vec::new(),
                };
                self.push_frame(frame, line)?;
            }
            Tag::Item => {
                let item = Item {
                    line,
                    task: None,
                    blocks: Vec::new(),
                };
                self.push_frame(Frame::Item(item), line)?;
            }
            Tag::Strikethrough => self.ensure_open(line).buf.push("", "~~"),
            Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => {
                let buf = &mut self.ensure_open(line).buf;
                let at = buf.rich.len();
                buf.links.push((at, dest_url.to_string()));
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, end: TagEnd) {
        match end {
            TagEnd::Paragraph | TagEnd::Heading(_) => self.close_open(),
            TagEnd::Strikethrough => {
                if let Some(open) = &mut self.open {
                    open.buf.push("", "~~");
                }
            }
            TagEnd::Link | TagEnd::Image => {
                if let Some(open) = &mut self.open {
                    open.buf.link_end();
                }
            }
            TagEnd::CodeBlock => {
                if let Some((line, lang, text)) = self.code.take() {
                    self.push_block(Block {
                        line,
                        kind: Kind::Code { lang, text },
                    });
                }
            }
            TagEnd::BlockQuote(_) => {
                self.close_implicit();
                if let Some(Frame::Quote {
                    line,
                    label,
                    blocks,
                }) = self.pop_if(|f| matches!(f, Frame::Quote { .. }))
                {
                    let kind = Kind::Quote { label, blocks };
                    self.push_block(Block { line, kind });
                }
            }
            TagEnd::List(_) => {
                self.close_implicit();
                if let Some(Frame::List { line, start, items }) =
                    self.pop_if(|f| matches!(f, Frame::List { .. }))
                {
                    let kind = Kind::List { start, items };
                    self.push_block(Block { line, kind });
                }
            }
            TagEnd::Item => {
                self.close_implicit();
                if let Some(Frame::Item(item)) = self.pop_if(|f| matches!(f, Frame::Item(_)))
                    && let Some(Frame::List { items, .. }) = self.stack.last_mut()
                {
                    items.push(item);
                }
            }
            _ => {}
        }
    }

    fn inline(&mut self, event: Event, range: Range<usize>) {
        if let Some((_, _, text)) = &mut self.code {
            if let Event::Text(t) = &event {
                text.push_str(t);
            }
            return;
        }
        let line = self.line(range.start);
        match event {
            Event::Text(t) => self.ensure_open(line).buf.push(&t, &t),
            Event::Code(c) => {
                let code = format!("`{c}`");
                self.ensure_open(line).buf.push(&code, &code);
            }
            Event::InlineHtml(h) | Event::Html(h) => {
                let tag = h.trim().to_ascii_lowercase();
                if matches!(tag.as_str(), "<br>" | "<br/>" | "<br />") {
                    self.ensure_open(line).buf.push(" ", "\n");
                } else {
                    self.ensure_open(line).buf.push(&h, &h);
                }
            }
            Event::SoftBreak => self.ensure_open(line).buf.push(" ", " "),
            Event::HardBreak => self.ensure_open(line).buf.push(" ", "\n"),
            Event::FootnoteReference(label) => {
                let r = format!("[^{label}]");
                self.ensure_open(line).buf.push(&r, &r);
            }
            Event::InlineMath(m) => {
                let m = format!("${m}$");
                self.ensure_open(line).buf.push(&m, &m);
            }
            Event::DisplayMath(m) => {
                let m = format!("$${m}$$");
                self.ensure_open(line).buf.push(&m, &m);
            }
            Event::TaskListMarker(ticked) => {
                if let Some(Frame::Item(item)) = self.stack.last_mut() {
                    item.task = Some(ticked);
                }
            }
            Event::Rule => self.close_implicit(),
            Event::Start(_) | Event::End(_) => {}
        }
    }

    /// A table, HTML block or footnote: its source, de-indented. Front
    /// matter and HTML comments are left out (readers do not see them).
    fn opaque(&mut self, tag: &Tag, range: Range<usize>) {
        self.close_implicit();
        if matches!(tag, Tag::MetadataBlock(_)) {
            return;
        }
        let text = dedent(&self.src[range.clone()]);
        let comment = text.starts_with("<!--") && text.find("-->") == Some(text.len() - 3);
        if text.is_empty() || (matches!(tag, Tag::HtmlBlock) && comment) {
            return;
        }
        let line = self.line(range.start);
        self.push_block(Block {
            line,
            kind: Kind::Verbatim(text),
        });
    }

    fn ensure_open(&mut self, line: usize) -> &mut Open {
        self.open.get_or_insert_with(|| Open {
            line,
            heading: None,
            implicit: true,
            buf: InlineBuf::default(),
        })
    }

    fn close_implicit(&mut self) {
        if self.open.as_ref().is_some_and(|o| o.implicit) {
            self.close_open();
        }
    }

    fn close_open(&mut self) {
        let Some(open) = self.open.take() else {
            return;
        };
        let text = open.buf.finish();
        if text.plain.is_empty() && text.rich.is_empty() {
            return;
        }
        let kind = match open.heading {
            Some(level) => Kind::Heading { level, text },
            None => Kind::Paragraph(text),
        };
        self.push_block(Block {
            line: open.line,
            kind,
        });
    }

    fn pop_if(&mut self, wanted: impl Fn(&Frame) -> bool) -> Option<Frame> {
        if self.stack.len() > 1 && self.stack.last().is_some_and(wanted) {
            self.stack.pop()
        } else {
            None
        }
    }

    fn push_block(&mut self, block: Block) {
        match self.stack.last_mut() {
            Some(Frame::Root(blocks)) | Some(Frame::Quote { blocks, .. }) => blocks.push(block),
            Some(Frame::Item(item)) => item.blocks.push(block),
            // A list holds only items; keep stray text in its last item.
            Some(Frame::List { items, line, .. }) => match items.last_mut() {
                Some(item) => item.blocks.push(block),
                None => items.push(Item {
                    line: *line,
                    task: None,
                    blocks: vec![block],
                }),
            },
            None => {}
        }
    }

    fn finish(mut self) -> Document {
        self.close_open();
        // Close whatever an unbalanced stream left open, innermost first.
        while self.stack.len() > 1 {
            let end = match self.stack.last() {
                Some(Frame::List { .. }) => TagEnd::List(false),
                Some(Frame::Item(_)) => TagEnd::Item,
                _ => TagEnd::BlockQuote(None),
            };
            self.end(end);
        }
        match self.stack.pop() {
            Some(Frame::Root(blocks)) => Document { blocks },
            _ => Document::default(),
        }
    }
}

/// The first word of a fence's info string, lowercase: "bash" for
/// "bash title=x", "sh" for "{.sh}".
fn language(info: &str) -> String {
    info.split(|c: char| c.is_whitespace() || matches!(c, ',' | '{' | '}'))
        .map(|w| w.trim_start_matches('.'))
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn alert_label(kind: BlockQuoteKind) -> &'static str {
    match kind {
        BlockQuoteKind::Note => "Note",
        BlockQuoteKind::Tip => "Tip",
        BlockQuoteKind::Important => "Important",
        BlockQuoteKind::Warning => "Warning",
        BlockQuoteKind::Caution => "Caution",
    }
}

/// Source text of a block nested in a list item: the lines after the first
/// lose the indentation they share; trailing whitespace goes.
fn dedent(text: &str) -> String {
    let text = text.trim_end();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").trim_start();
    let rest: Vec<&str> = lines.collect();
    let indent = rest
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let mut out = first.to_owned();
    for line in rest {
        out.push('\n');
        out.push_str(line.get(indent..).unwrap_or(line.trim_start()).trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(md: &str) -> Vec<Kind> {
        parse(md)
            .unwrap()
            .blocks
            .into_iter()
            .map(|b| b.kind)
            .collect()
    }

    fn para(md: &str) -> Inline {
        match kinds(md).remove(0) {
            Kind::Paragraph(i) => i,
            other => panic!("not a paragraph: {other:?}"),
        }
    }

    #[test]
    fn headings_paragraphs_and_lines() {
        let doc = parse("# Title\n\nSome *text*\nwrapped.\n\n## Part\n").unwrap();
        let lines: Vec<usize> = doc.blocks.iter().map(|b| b.line).collect();
        assert_eq!(lines, [1, 3, 6]);
        assert!(
            matches!(&doc.blocks[0].kind, Kind::Heading { level: 1, text } if text.plain == "Title")
        );
        assert!(
            matches!(&doc.blocks[1].kind, Kind::Paragraph(t) if t.plain == "Some text wrapped.")
        );
    }

    #[test]
    fn links_keep_their_target_in_rich_text_only() {
        let text = para("See [the dashboard](https://grafana/d/1) and <https://x.io>.");
        assert_eq!(text.plain, "See the dashboard and https://x.io.");
        assert_eq!(
            text.rich,
            "See the dashboard (https://grafana/d/1) and https://x.io."
        );
        assert_eq!(para("[top](#top) `code`").rich, "top `code`");
    }

    #[test]
    fn placeholders_in_text_stay_as_written() {
        assert_eq!(
            para("Restart <service-name> now").plain,
            "Restart <service-name> now"
        );
        assert_eq!(para("a<br>b").rich, "a\nb");
        let struck = para("~~move config to git~~ done");
        assert_eq!(
            (struck.plain.as_str(), struck.rich.as_str()),
            ("move config to git done", "~~move config to git~~ done")
        );
    }

    #[test]
    fn tight_and_loose_items_nested_lists_and_tasks() {
        let md = "1. First\n   - [ ] sub a\n   - [x] sub b\n2. Second\n\n   More about it.\n";
        let Kind::List { start, items } = kinds(md).remove(0) else {
            panic!("not a list")
        };
        assert_eq!(start, Some(1));
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].text().unwrap().plain, "First");
        let Kind::List { items: sub, .. } = &items[0].blocks[1].kind else {
            panic!("no nested list")
        };
        assert_eq!(sub[0].task, Some(false));
        assert_eq!(sub[1].task, Some(true));
        assert_eq!(sub[1].text().unwrap().plain, "sub b");
        assert_eq!(items[1].blocks.len(), 2, "{:?}", items[1].blocks);
        assert_eq!(items[1].line, 4);
    }

    #[test]
    fn code_blocks_with_language_and_indented() {
        let md = "```Bash title=x\n$ ls\n```\n\n    plain\n";
        assert_eq!(
            kinds(md),
            [
                Kind::Code {
                    lang: "bash".into(),
                    text: "$ ls\n".into()
                },
                Kind::Code {
                    lang: String::new(),
                    text: "plain\n".into()
                }
            ]
        );
    }

    #[test]
    fn tables_and_html_are_kept_as_written_comments_and_front_matter_dropped() {
        let md = "---\ntitle: x\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<!-- hidden -->\n\n<details>\n<summary>More</summary>\n</details>\n";
        assert_eq!(
            kinds(md),
            [
                Kind::Verbatim("| a | b |\n|---|---|\n| 1 | 2 |".into()),
                Kind::Verbatim("<details>\n<summary>More</summary>\n</details>".into()),
            ]
        );
    }

    #[test]
    fn a_table_inside_an_item_is_de_indented() {
        let md = "- Check:\n\n  | a | b |\n  |---|---|\n  | 1 | 2 |\n";
        let Kind::List { items, .. } = kinds(md).remove(0) else {
            panic!()
        };
        assert_eq!(
            items[0].blocks[1].kind,
            Kind::Verbatim("| a | b |\n|---|---|\n| 1 | 2 |".into())
        );
    }

    #[test]
    fn alerts_and_quotes() {
        let md = "> [!WARNING]\n> This deletes data.\n";
        let Kind::Quote { label, blocks } = kinds(md).remove(0) else {
            panic!()
        };
        assert_eq!(label, Some("Warning"));
        assert_eq!(blocks.len(), 1);
    }

    #[test]
    fn nesting_beyond_the_limit_is_refused_without_recursion() {
        let deep = ">".repeat(100_000) + " x\n";
        assert!(parse(&deep).is_err());
        let lists: String = (0..40)
            .map(|i| format!("{}- x\n", "  ".repeat(i)))
            .collect();
        assert!(parse(&lists).is_err());
        let ok: String = (0..8).map(|i| format!("{}- x\n", "  ".repeat(i))).collect();
        assert!(parse(&ok).is_ok());
        // As the refusal tells the user: 16 lists inside each other, not 17.
        let nested =
            |n: usize| -> String { (0..n).map(|i| format!("{}- x\n", "  ".repeat(i))).collect() };
        assert!(parse(&nested(16)).is_ok());
        assert_eq!(parse(&nested(17)), Err(Refusal::TooDeep { line: 17 }));
    }

    #[test]
    fn closed_fences_of_every_shape_parse() {
        for md in [
            "```sh\nls\n```\n",
            "```sh\nls\n```",
            "```\n```\n",
            "~~~~bash\necho\n~~~~~\n",
            "````sh\necho ```\n````\n",
            "1. Do it:\n   ```sh\n   ls\n   ```\n2. Then\n",
            "> ```sh\n> echo quoted\n> ```\n",
            "```sh\nls\n```   \n",
        ] {
            assert!(parse(md).is_ok(), "{md:?}: {:?}", parse(md).err());
        }
    }

    #[test]
    fn a_fence_never_closed_is_refused_where_it_opens() {
        let unclosed = |md: &str| match parse(md) {
            Err(Refusal::Unclosed {
                line,
                column,
                fence,
                reopened: None,
            }) => (line, column, fence),
            other => panic!("{md:?} was not refused: {other:?}"),
        };
        let rest_of_the_page = "# T\n\n## Check\n\n```sh\nls\n\n## Delete\n\n1. rm\n";
        assert_eq!(unclosed(rest_of_the_page), (5, 1, "```".into()));
        // Inside a list item or a quote, its container ends it: nothing
        // after it is swallowed, so it is not refused.
        assert!(parse("1. Do it:\n   ```sh\n   ls\n2. Then\n").is_ok());
        assert!(parse("> ```sh\n> echo a\n\n```sh\nls\n```\n").is_ok());
        // The last item's block runs to the end of the page: refused.
        assert_eq!(
            unclosed("1. Do it:\n   ```sh\n   ls\n"),
            (2, 4, "```".into())
        );
        // A shorter fence or another character does not close it.
        assert_eq!(unclosed("````sh\nls\n```\n"), (1, 1, "````".into()));
        assert_eq!(unclosed("~~~\nls\n```\n"), (1, 1, "~~~".into()));
        // An opening fence alone at the end, and one with a closing fence's
        // text on its own line only as content.
        assert_eq!(unclosed("# T\n\n```"), (3, 1, "```".into()));
        assert_eq!(unclosed("```sh\necho x```\n"), (1, 1, "```".into()));
    }

    #[test]
    fn a_block_that_opens_another_inside_it_is_refused() {
        // The author forgot the first block's end: the next ```sh is read
        // as text, and the heading and step between become its command.
        let md = "## Check\n\n```sh\nls /var/tmp/old\n\n## Delete\n\n1. Tell #ops.\n\n```sh\nrm -rf /var/tmp/old\n```\n";
        assert_eq!(
            parse(md),
            Err(Refusal::Unclosed {
                line: 3,
                column: 1,
                fence: "```".into(),
                reopened: Some(10),
            })
        );
        // A longer outer fence may hold a shorter one, and a line of
        // backticks inside a command is not a new block.
        assert!(parse("````md\n```sh\nls\n```\n````\n").is_ok());
        // Indented four or more past the opening fence: the block's text
        // (a heredoc quoting Markdown), neither a new block nor its end.
        let heredoc = "```sh\nkubectl apply -f - <<'EOF'\ndata:\n  README.md: |\n    ```bash\n    make\n    ```\nEOF\n```\n";
        assert!(parse(heredoc).is_ok(), "{:?}", parse(heredoc));
        assert!(matches!(
            parse("```sh\nls\n    ```"),
            Err(Refusal::Unclosed { line: 1, .. })
        ));
        assert!(parse("```sh\necho ```x``` y\n```\n").is_ok());
    }
}
