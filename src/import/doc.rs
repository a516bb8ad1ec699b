//! The document model `import` works on: the few block kinds a procedure
//! document is made of (headings, paragraphs, lists, code, quotes, and
//! everything else kept as the text it was written as), each with the line
//! it starts on, and their rendering back to plain text.
//!
//! This module knows nothing about runbooks and decides nothing: it is the
//! parser's output (see `parse.rs`) and the text the heuristics carry over.
//! It must never lose text a reader of the rendered document would see.

/// A parsed Markdown document: its top-level blocks in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    pub blocks: Vec<Block>,
}

/// One block, with the 1-based line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub line: usize,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Heading {
        level: u8,
        text: Inline,
    },
    Paragraph(Inline),
    /// `start` is the first number of a numbered list, `None` for bullets.
    List {
        start: Option<u64>,
        items: Vec<Item>,
    },
    /// A code block; `lang` is the first word of a fenced block's info
    /// string, lowercase (`""` for none and for indented blocks).
    Code {
        lang: String,
        text: String,
    },
    /// A block quote; `label` is a GitHub alert's kind ("Warning", "Note"…).
    Quote {
        label: Option<&'static str>,
        blocks: Vec<Block>,
    },
    /// Tables, HTML blocks, footnote definitions: the source text as
    /// written, de-indented. Carried over, never interpreted.
    Verbatim(String),
}

/// A list item: its blocks (the first is usually its text) and, for
/// `- [ ]` task items, whether it was ticked.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub line: usize,
    pub task: Option<bool>,
    pub blocks: Vec<Block>,
}

/// Inline text two ways: `plain` for titles (link targets left out) and
/// `rich` for instructions (link targets kept in parentheses, hard breaks
/// kept as line breaks, struck-through text kept between `~~`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inline {
    pub plain: String,
    pub rich: String,
}

impl Item {
    /// The item's own text: its first block when that is a paragraph.
    pub fn text(&self) -> Option<&Inline> {
        match self.blocks.first().map(|b| &b.kind) {
            Some(Kind::Paragraph(text)) => Some(text),
            _ => None,
        }
    }

    /// The blocks after the item's own text.
    pub fn rest(&self) -> &[Block] {
        match self.text() {
            Some(_) => &self.blocks[1..],
            None => &self.blocks,
        }
    }

    /// The item as one line: its text, then its other content, nested items
    /// after a colon and separated by semicolons.
    pub fn one_line(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut nested: Vec<String> = Vec::new();
        for block in &self.blocks {
            match &block.kind {
                Kind::List { items, .. } => nested.extend(items.iter().map(Item::one_line)),
                _ => parts.push(collapse(&render_block(block))),
            }
        }
        let mut line = parts.join(" ");
        if !nested.is_empty() {
            if !line.is_empty() {
                line = format!("{}: ", line.trim_end_matches(':'));
            }
            line.push_str(&nested.join("; "));
        }
        line
    }
}

/// Whitespace runs (line breaks included) turned into single spaces.
pub fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Blocks as plain text, separated by blank lines.
pub fn render_blocks(blocks: &[Block]) -> String {
    blocks
        .iter()
        .map(render_block)
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// One block as plain text: paragraphs as written (links with their
/// targets), lists with `-` or numbers, code fenced, quotes with their
/// alert label.
pub fn render_block(block: &Block) -> String {
    match &block.kind {
        Kind::Heading { text, .. } | Kind::Paragraph(text) => text.rich.clone(),
        Kind::List { start, items } => render_list(*start, items),
        Kind::Code { lang, text } => {
            // Longer than any run of backticks inside: a block that shows
            // a fenced block keeps it whole.
            let fence = "`".repeat(longest_backticks(text).max(2) + 1);
            format!("{fence}{lang}\n{}\n{fence}", text.trim_end_matches('\n'))
        }
        Kind::Quote { label, blocks } => {
            let inner = render_blocks(blocks);
            match label {
                Some(label) => format!("{label}: {inner}"),
                None => inner,
            }
        }
        Kind::Verbatim(text) => text.clone(),
    }
}

fn render_list(start: Option<u64>, items: &[Item]) -> String {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut marker = match start {
            Some(n) => format!("{}. ", n.saturating_add(i as u64)),
            None => "- ".to_owned(),
        };
        match item.task {
            Some(true) => marker.push_str("[x] "),
            Some(false) => marker.push_str("[ ] "),
            None => {}
        }
        let body = item
            .blocks
            .iter()
            .map(render_block)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let pad = " ".repeat(marker.chars().count());
        let mut lines = body.lines();
        out.push(format!("{marker}{}", lines.next().unwrap_or("")));
        for line in lines {
            out.push(if line.is_empty() {
                String::new()
            } else {
                format!("{pad}{line}")
            });
        }
    }
    out.join("\n")
}

/// The longest run of backticks in `text`.
fn longest_backticks(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str) -> Block {
        Block {
            line: 1,
            kind: Kind::Paragraph(Inline {
                plain: text.into(),
                rich: text.into(),
            }),
        }
    }

    fn item(blocks: Vec<Block>) -> Item {
        Item {
            line: 1,
            task: None,
            blocks,
        }
    }

    #[test]
    fn lists_render_with_markers_and_nested_indentation() {
        let nested = Block {
            line: 2,
            kind: Kind::List {
                start: None,
                items: vec![item(vec![para("Cargo.toml")])],
            },
        };
        let list = Block {
            line: 1,
            kind: Kind::List {
                start: Some(3),
                items: vec![item(vec![para("Bump")]), item(vec![para("Tag"), nested])],
            },
        };
        assert_eq!(render_block(&list), "3. Bump\n4. Tag\n   - Cargo.toml");
    }

    #[test]
    fn an_item_on_one_line_lists_its_nested_items() {
        let nested = Block {
            line: 2,
            kind: Kind::List {
                start: None,
                items: vec![item(vec![para("a")]), item(vec![para("b")])],
            },
        };
        assert_eq!(
            item(vec![para("Bump the version:"), nested]).one_line(),
            "Bump the version: a; b"
        );
    }

    #[test]
    fn a_code_block_that_shows_a_fence_is_fenced_longer() {
        let block = |text: &str| Block {
            line: 1,
            kind: Kind::Code {
                lang: "markdown".into(),
                text: text.into(),
            },
        };
        assert_eq!(render_block(&block("ls\n")), "```markdown\nls\n```");
        assert_eq!(
            render_block(&block("```sh\nmake\n```\n")),
            "````markdown\n```sh\nmake\n```\n````"
        );
    }
}
