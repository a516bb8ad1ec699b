//! The errors of loading a runbook, for people: every problem found in one
//! pass, each with its place in the file (a labelled snippet) and how to fix it.
//!
//! `LoadError` is a miette diagnostic whose `related` items are the individual
//! `Problem`s. `render_plain` renders it without colour at a fixed width, so
//! the output is the same on every terminal (and in snapshot tests). This
//! module only describes and renders problems; it never decides what is valid.

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use std::fmt;
use std::sync::Arc;

/// The source text a problem points into, shared by all problems of a file.
pub type Source = NamedSource<Arc<str>>;

/// The class of a problem; each has a stable diagnostic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// The file could not be opened or read (missing, permissions).
    Unreadable,
    /// The path is a directory or another non-regular file.
    NotAFile,
    /// The file is larger than the 1 MiB limit.
    TooLarge,
    /// The file holds NUL bytes: a binary file.
    Binary,
    /// The file is not valid UTF-8.
    NotUtf8,
    /// The file holds nothing (or only comments).
    Empty,
    /// The text is not well-formed YAML.
    Syntax,
    /// Collections nested deeper than the limit.
    TooDeep,
    /// Aliases that expand to too much data ("billion laughs").
    AliasBomb,
    /// Other parser limits (too many nodes, aliases, documents…).
    TooComplex,
    /// More than one YAML document in the file.
    MultipleDocuments,
    /// The same key twice in one mapping.
    DuplicateKey,
    /// A key this format does not know.
    UnknownKey,
    /// A value of the wrong type (a list where a string belongs…).
    WrongType,
    /// A required field is absent or empty.
    Missing,
    /// `runbook:` is missing or not a version this build understands.
    Version,
    /// A runbook or step id that is not a valid slug.
    InvalidId,
    /// Two steps with the same id.
    DuplicateId,
    /// A duration that does not parse.
    InvalidDuration,
    /// A `pattern` that is not a valid regular expression.
    InvalidPattern,
    /// An input, env or capture name that is not a valid variable name.
    InvalidName,
    /// A `capture` that would overwrite an input.
    CaptureCollision,
    /// `retry.attempts` below 1.
    RetryAttempts,
    /// A section without steps (or a runbook without sections).
    EmptySection,
    /// A value outside its allowed set (`note`, `on_failure`, `choices`, exit codes…).
    InvalidValue,
    /// Fields that cannot be used together, or in this kind of step.
    Conflict,
    /// A control character or bidirectional override inside runbook text.
    ControlCharacter,
    /// Marker for problems left out because there were too many.
    TooManyProblems,
}

impl ProblemKind {
    /// The diagnostic code, e.g. `runbook::unknown_key`.
    pub fn code(self) -> &'static str {
        use ProblemKind::*;
        match self {
            Unreadable => "runbook::unreadable",
            NotAFile => "runbook::not_a_file",
            TooLarge => "runbook::too_large",
            Binary => "runbook::binary",
            NotUtf8 => "runbook::not_utf8",
            Empty => "runbook::empty",
            Syntax => "runbook::yaml_syntax",
            TooDeep => "runbook::too_deep",
            AliasBomb => "runbook::alias_bomb",
            TooComplex => "runbook::too_complex",
            MultipleDocuments => "runbook::multiple_documents",
            DuplicateKey => "runbook::duplicate_key",
            UnknownKey => "runbook::unknown_key",
            WrongType => "runbook::wrong_type",
            Missing => "runbook::missing_field",
            Version => "runbook::version",
            InvalidId => "runbook::invalid_id",
            DuplicateId => "runbook::duplicate_id",
            InvalidDuration => "runbook::invalid_duration",
            InvalidPattern => "runbook::invalid_pattern",
            InvalidName => "runbook::invalid_name",
            CaptureCollision => "runbook::capture_collision",
            RetryAttempts => "runbook::retry_attempts",
            EmptySection => "runbook::empty_section",
            InvalidValue => "runbook::invalid_value",
            Conflict => "runbook::conflict",
            ControlCharacter => "runbook::control_character",
            TooManyProblems => "runbook::too_many_problems",
        }
    }
}

/// One thing wrong with a runbook file.
#[derive(Clone, Debug)]
pub struct Problem {
    pub kind: ProblemKind,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// 1-based line and column of the primary label, when the problem has a place.
    pub line: Option<usize>,
    pub column: Option<usize>,
    labels: Vec<LabeledSpan>,
    source: Option<Box<Source>>,
}

impl Problem {
    /// A problem with no place in the file (a missing file, a directory…).
    pub fn new(kind: ProblemKind, message: impl Into<String>) -> Self {
        Problem {
            kind,
            message: message.into(),
            help: None,
            line: None,
            column: None,
            labels: Vec::new(),
            source: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Points at `len` bytes from `offset` in `source`, which sits at `line`:`column`.
    /// The first label added is the primary one and gives the problem its position.
    ///
    /// A place on a line too long to show (a 10,000-bracket line, a
    /// megabyte string) is named in the message instead of drawn: the
    /// snippet would bury the one sentence that matters.
    pub fn with_label(mut self, source: &Source, at: Span, text: impl Into<String>) -> Self {
        let first = self.line.is_none();
        if first {
            self.line = Some(at.line);
            self.column = Some(at.column);
        }
        if line_too_wide(source.inner(), at.offset) {
            if first {
                self.message.push_str(&format!(
                    " (line {}, column {}; the line is too long to show)",
                    at.line, at.column
                ));
            }
            return self;
        }
        if self.source.is_none() {
            self.source = Some(Box::new(source.clone()));
        }
        self.labels
            .push(LabeledSpan::new(Some(text.into()), at.offset, at.len));
        self
    }

    /// `line:column`, when the problem has a place.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.line.zip(self.column)
    }
}

/// Lines longer than this (in bytes) are not drawn in diagnostics.
pub const MAX_SHOWN_LINE: usize = 240;

/// Whether the line holding `offset` is longer than [`MAX_SHOWN_LINE`].
fn line_too_wide(text: &str, offset: usize) -> bool {
    let bytes = text.as_bytes();
    let at = offset.min(bytes.len());
    let start = bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| at + i);
    end - start > MAX_SHOWN_LINE
}

/// A located stretch of the source: byte offset and length, 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.kind.code()))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_deref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Everything wrong with one runbook file. Never empty.
#[derive(Clone, Debug)]
pub struct LoadError {
    /// The file as the user named it.
    pub file: String,
    problems: Vec<Problem>,
}

impl LoadError {
    /// Wraps the problems of `file`, sorted by position (file-level problems
    /// first, the "more problems" marker last).
    pub fn new(file: impl Into<String>, mut problems: Vec<Problem>) -> Self {
        problems.sort_by_key(|p| {
            let last = p.kind == ProblemKind::TooManyProblems;
            (last, p.line.unwrap_or(0), p.column.unwrap_or(0))
        });
        LoadError {
            file: file.into(),
            problems,
        }
    }

    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Whether any problem is of this kind.
    pub fn has(&self, kind: ProblemKind) -> bool {
        self.problems.iter().any(|p| p.kind == kind)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.problems.iter().all(|p| p.source.is_none()) {
            return write!(f, "cannot load runbook {}", self.file);
        }
        match self.problems.len() {
            1 => write!(f, "{} is not a valid runbook: 1 problem", self.file),
            n => write!(f, "{} is not a valid runbook: {n} problems", self.file),
        }
    }
}

impl std::error::Error for LoadError {}

impl Diagnostic for LoadError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("runbook::invalid"))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|p| p as &dyn Diagnostic)))
    }
}

/// Renders the error as plain text: unicode box drawing, no colour, no
/// hyperlinks, 100 columns wide. Stable enough for snapshot tests.
pub fn render_plain(err: &LoadError) -> String {
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, err).is_err() {
        // Rendering into a String only fails if a label points outside the
        // source; fall back to the bare messages rather than lose them.
        out = fallback_text(err);
    }
    out
}

/// Renders the error for a person at a terminal: colours and width follow
/// the terminal (and `NO_COLOR`), like miette's own reports on stderr.
pub fn render_fancy(err: &LoadError) -> String {
    struct Fancy<'a>(&'a LoadError, miette::MietteHandler);
    impl fmt::Display for Fancy<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            miette::ReportHandler::debug(&self.1, self.0, f)
        }
    }
    let handler = miette::MietteHandlerOpts::new().build();
    let mut out = String::new();
    if fmt::Write::write_fmt(&mut out, format_args!("{}", Fancy(err, handler))).is_err() {
        out = fallback_text(err);
    }
    out
}

/// Renders the error for a terminal with nothing in it that can act on
/// the terminal: a file whose quoted text holds control characters (an
/// escape in a title or a comment) is rendered plain, every control shown
/// inert (`␛]52…`); otherwise in colour, keeping only the colours miette
/// adds (the file name, from the command line, may hold anything too).
pub fn render_for_terminal(err: &LoadError) -> String {
    // Every problem of a file points into the same source: looked at once.
    let source = err.problems.iter().find_map(|p| p.source.as_ref());
    let quotes_controls = source.is_some_and(|s| s.inner().chars().any(is_raw_control));
    if quotes_controls {
        crate::text::show_controls(&render_plain(err))
    } else {
        crate::text::show_controls_keeping_sgr(&render_fancy(err))
    }
}

fn is_raw_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t' | '\r')) || crate::text::is_hostile(c)
}

fn fallback_text(err: &LoadError) -> String {
    let mut out = format!("{err}\n");
    for p in err.problems() {
        let place = p
            .position()
            .map(|(l, c)| format!("{}:{l}:{c}: ", err.file))
            .unwrap_or_default();
        out.push_str(&format!("  {place}{}\n", p.message));
    }
    out
}
