//! The runbook an import is about to write, as plain data: what `build`
//! decides, what `emit` writes, and what `verify` checks the written YAML
//! against. Besides the runbook's own fields it keeps the review notes that
//! become YAML comments.
//!
//! Data only: no decisions, no text formatting, no I/O.

/// A whole imported runbook.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// The document's name as shown in the header (its file name, or "stdin").
    pub source: String,
    /// SHA-256 of the document's bytes, lowercase hex.
    pub sha256: String,
    pub id: String,
    pub title: String,
    /// Where the title came from, for the header ("the # heading, line 1").
    pub title_from: String,
    pub description: Option<String>,
    /// What the description was made of ("Introduction", "Conclusion"…).
    pub description_from: Vec<String>,
    pub inputs: Vec<InputPlan>,
    pub sections: Vec<SectionPlan>,
    pub follow_up: Vec<String>,
    /// The headings the follow-up items came from.
    pub follow_up_from: Vec<String>,
    /// Comment lines above `follow_up`: where the items came from, and the
    /// text of those parts that is not an item.
    pub follow_up_notes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct InputPlan {
    pub name: String,
    pub description: String,
    pub default: Option<String>,
    pub secret: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SectionPlan {
    pub title: String,
    /// The heading's line in the document (0: no heading, the text before
    /// the first one).
    pub line: usize,
    pub description: Option<String>,
    pub optional: bool,
    pub steps: Vec<StepPlan>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepPlan {
    pub id: String,
    pub title: String,
    pub instructions: Option<String>,
    pub run: Option<String>,
    pub confirm: bool,
    pub checklist: Vec<String>,
    /// Review notes, written as comments above the step.
    pub notes: Vec<String>,
    /// Whether the step is marked `# TODO: automate?`.
    pub automate: bool,
    /// The line of the document the step comes from.
    pub line: usize,
    /// Variables the command reads: (name, placeholder it replaced).
    pub reads: Vec<(String, Option<String>)>,
}

impl Plan {
    pub fn steps(&self) -> impl Iterator<Item = &StepPlan> {
        self.sections.iter().flat_map(|s| s.steps.iter())
    }
}
