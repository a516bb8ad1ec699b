//! The few rules that read meaning into a document's words: which headings
//! are introduction, follow-up or optional, how a long item becomes a
//! readable title, which items name a command-like action, which code
//! blocks are shell, which input names are secrets.
//!
//! Every rule is a pure function of a string, listed in docs/import.md with
//! its word list. Keep them few and predictable: a rule a reader cannot
//! guess from the docs is a bug. Nothing here looks at document structure.

/// Longest step title, in characters; longer text is shortened.
pub const MAX_TITLE: usize = 80;

/// What a heading's part of the document becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartKind {
    /// Steps (the default).
    Steps,
    /// Text for the runbook's description (introduction, conclusion…).
    Description,
    /// `follow_up` items (prevention, lessons…).
    FollowUp,
}

/// First words of headings whose part is description text.
const DESCRIPTION_FIRST_WORDS: &[&str] = &[
    "introduction",
    "intro",
    "overview",
    "summary",
    "background",
    "purpose",
    "scope",
    "about",
    "context",
    "conclusion",
    "conclusions",
    "references",
];

/// Words, anywhere in a heading, whose part is follow-up items.
const FOLLOW_UP_WORDS: &[&str] = &[
    "prevention",
    "preventive",
    "preventative",
    "follow-up",
    "follow-ups",
    "followup",
    "lessons",
];

/// Two-word phrases, anywhere in a heading, whose part is follow-up items.
const FOLLOW_UP_PHRASES: &[&str] = &["follow up", "action items", "future work", "next time"];

/// Words that mark one list item as future work.
const FUTURE_WORDS: &[&str] = &["future", "eventually", "long-term", "todo", "follow-up"];
const FUTURE_PHRASES: &[&str] = &["going forward", "next time", "follow up", "longer term"];

/// First words of step titles that name a command-like action.
const COMMAND_VERBS: &[&str] = &[
    "apply",
    "back",
    "backup",
    "build",
    "checkout",
    "clear",
    "cordon",
    "delete",
    "deploy",
    "disable",
    "downgrade",
    "drain",
    "enable",
    "execute",
    "fail",
    "failover",
    "flush",
    "install",
    "kill",
    "merge",
    "migrate",
    "monitor",
    "pause",
    "promote",
    "purge",
    "push",
    "reboot",
    "rebuild",
    "redeploy",
    "reload",
    "remove",
    "restart",
    "restore",
    "resume",
    "revert",
    "roll",
    "rollback",
    "rotate",
    "run",
    "scale",
    "start",
    "stop",
    "switch",
    "tag",
    "test",
    "uninstall",
    "update",
    "upgrade",
];

/// Words skipped before a title's verb ("Then restart…").
const LEAD_WORDS: &[&str] = &["then", "now", "next", "finally", "first", "also", "please"];

/// Lowercase words of a text: letters, digits and `-`.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .map(|w| w.trim_matches('-').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

fn has_phrase(words: &[String], phrase: &str) -> bool {
    let want: Vec<&str> = phrase.split(' ').collect();
    words
        .windows(want.len())
        .any(|w| w.iter().zip(&want).all(|(a, b)| a == b))
}

/// What a heading says its part is, if it says anything: a follow-up word
/// anywhere wins; else a description word first; else `None` (the part is
/// steps, or inherits from the heading above it).
pub fn heading_kind(heading: &str) -> Option<PartKind> {
    let w = words(heading);
    let follow_up = w.iter().any(|w| FOLLOW_UP_WORDS.contains(&w.as_str()))
        || FOLLOW_UP_PHRASES.iter().any(|p| has_phrase(&w, p));
    if follow_up {
        return Some(PartKind::FollowUp);
    }
    let description = w
        .first()
        .is_some_and(|f| DESCRIPTION_FIRST_WORDS.contains(&f.as_str()))
        || has_phrase(&w[..w.len().min(2)], "see also");
    description.then_some(PartKind::Description)
}

/// A heading that makes its section optional: "Troubleshooting", "Optional…".
pub fn is_optional_heading(heading: &str) -> bool {
    words(heading)
        .iter()
        .any(|w| w.starts_with("troubleshoot") || w == "optional")
}

/// An item that reads as future work ("…in the future", "going forward").
pub fn reads_as_future_work(text: &str) -> bool {
    let w = words(text);
    w.iter().any(|w| FUTURE_WORDS.contains(&w.as_str()))
        || FUTURE_PHRASES.iter().any(|p| has_phrase(&w, p))
}

/// The command-like verb a step title starts with, if any: "deploy" for
/// "Deploy the previous stable version", "switch" for "Then switch to the tag".
pub fn command_verb(title: &str) -> Option<String> {
    title
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .map(|w| w.trim_matches('-').to_lowercase())
        .filter(|w| !w.is_empty())
        .find(|w| !LEAD_WORDS.contains(&w.as_str()))
        .filter(|w| COMMAND_VERBS.contains(&w.as_str()))
}

/// How a fenced code block's language makes it a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    /// `sh`, `bash`, `shell`: the block is the command (`$ ` prompts stripped if every command line has one).
    Script,
    /// `console`, `shell-session`: lines after a `$ ` prompt are the command, the rest is output.
    Session,
}

pub fn shell(lang: &str) -> Option<Shell> {
    match lang {
        "sh" | "bash" | "shell" => Some(Shell::Script),
        "console" | "shell-session" | "sh-session" | "shellsession" => Some(Shell::Session),
        _ => None,
    }
}

/// Input names that hold secrets: masked everywhere, never stored.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|w| upper.contains(w))
}

/// A paragraph that introduces what follows it: it ends with a colon.
pub fn is_lead_in(text: &str) -> bool {
    text.trim_end().ends_with(':')
}

/// A title from a text and whether it is shorter than the text (then the
/// full text must be kept as instructions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Title {
    pub text: String,
    pub shortened: bool,
}

/// The first sentence, without its closing `.`, `:` or `;`. Over
/// `MAX_TITLE` characters, it is cut at the last clause break (a colon, a
/// comma, a parenthesis, "while", "because"…) that keeps at least 20
/// characters, unless it opens with a condition ("If…", "When…"); else at
/// a word, marked with `…`.
pub fn title(text: &str) -> Title {
    let full = super::doc::collapse(text);
    let first = trim_end_punct(first_sentence(&full));
    let text = if first.chars().count() <= MAX_TITLE {
        first.to_owned()
    } else {
        shorten(first)
    };
    let shortened = text != trim_end_punct(&full);
    Title { text, shortened }
}

fn trim_end_punct(text: &str) -> &str {
    text.trim_end_matches(['.', ':', ';', ',']).trim_end()
}

/// Abbreviations whose period does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "vs", "cf", "approx", "incl", "no", "fig",
];

/// Byte offsets where a sentence ends: after `.`, `!` or `?` followed by a
/// space and an upper-case letter, a digit or a quote.
fn sentence_ends(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut ends = Vec::new();
    for (i, c) in text.char_indices() {
        if !matches!(c, '.' | '!' | '?') || bytes.get(i + 1) != Some(&b' ') {
            continue;
        }
        let next = text[i + 2..].chars().next();
        let starts_sentence =
            next.is_some_and(|n| n.is_uppercase() || n.is_ascii_digit() || "\"'`*".contains(n));
        let word = text[..i].rsplit(' ').next().unwrap_or("").to_lowercase();
        let abbreviation =
            c == '.' && (ABBREVIATIONS.contains(&word.as_str()) || word.chars().count() == 1);
        if starts_sentence && !abbreviation {
            ends.push(i + 1);
        }
    }
    ends
}

/// The first sentence of a one-line text (all of it if it has one).
pub fn first_sentence(text: &str) -> &str {
    match sentence_ends(text).first() {
        Some(&end) => text[..end].trim(),
        None => text.trim(),
    }
}

/// The last sentence of a one-line text (all of it if it has one).
pub fn last_sentence(text: &str) -> &str {
    match sentence_ends(text).last() {
        Some(&end) => text[end..].trim(),
        None => text.trim(),
    }
}

/// Clause breaks a long title may be cut before.
const CLAUSE_BREAKS: &[&str] = &[
    ": ",
    ", ",
    "; ",
    " (",
    " — ",
    " – ",
    " - ",
    " while ",
    " because ",
    " so that ",
    " in order to ",
    " which ",
    " unless ",
    " until ",
];

/// First words of a sentence that opens with its condition ("If it
/// fails, page the DBA"): cutting at a clause would keep only the condition.
const CONDITIONS: &[&str] = &[
    "if", "when", "unless", "once", "after", "before", "while", "until", "in",
];

fn shorten(text: &str) -> String {
    let limit = text
        .char_indices()
        .nth(MAX_TITLE)
        .map_or(text.len(), |(i, _)| i);
    let head = &text[..limit];
    let first_word = words(text).into_iter().next().unwrap_or_default();
    let conditional = CONDITIONS.contains(&first_word.as_str());
    let clause = CLAUSE_BREAKS
        .iter()
        .filter_map(|b| head.rfind(b))
        .filter(|&i| text[..i].chars().count() >= 20 && !conditional)
        .max();
    if let Some(i) = clause {
        return trim_end_punct(&text[..i]).to_owned();
    }
    let cut = text
        .char_indices()
        .nth(MAX_TITLE - 1)
        .map_or(text.len(), |(i, _)| i);
    let at = text[..cut].rfind(' ').unwrap_or(cut);
    format!("{}…", trim_end_punct(&text[..at]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_say_what_their_part_is() {
        use PartKind::*;
        assert_eq!(heading_kind("Introduction"), Some(Description));
        assert_eq!(heading_kind("Conclusion"), Some(Description));
        assert_eq!(heading_kind("See also"), Some(Description));
        assert_eq!(heading_kind("Prevention Strategies"), Some(FollowUp));
        assert_eq!(heading_kind("Lessons learned"), Some(FollowUp));
        assert_eq!(heading_kind("Post-incident follow-up"), Some(FollowUp));
        assert_eq!(heading_kind("Action items"), Some(FollowUp));
        assert_eq!(heading_kind("Steps for Rolling Back"), None);
        assert_eq!(heading_kind("What to do about the cache"), None);
        assert_eq!(heading_kind("Post-Rollback Actions"), None);
        assert!(is_optional_heading("Troubleshooting"));
        assert!(is_optional_heading("Optional: warm the cache"));
        assert!(!is_optional_heading("Rollback"));
    }

    #[test]
    fn future_work_and_command_verbs() {
        assert!(reads_as_future_work("Add a canary stage in the future"));
        assert!(reads_as_future_work("Going forward, page the DBA first"));
        assert!(!reads_as_future_work("Review logs for any error messages"));
        assert_eq!(
            command_verb("Deploy the previous stable version").as_deref(),
            Some("deploy")
        );
        assert_eq!(
            command_verb("Then switch to the tag").as_deref(),
            Some("switch")
        );
        assert_eq!(command_verb("Identify the specific issue"), None);
        assert_eq!(command_verb(""), None);
    }

    #[test]
    fn short_titles_stay_whole() {
        let t = title("Identify the specific issue causing the problem");
        assert_eq!(t.text, "Identify the specific issue causing the problem");
        assert!(!t.shortened);
        let t = title("Notify affected parties:");
        assert_eq!(t.text, "Notify affected parties");
        assert!(!t.shortened);
        assert_eq!(title("Is the database up?").text, "Is the database up?");
    }

    #[test]
    fn the_first_sentence_is_the_title() {
        let t = title("Restart the API. Wait until it answers, e.g. with curl.");
        assert_eq!(t.text, "Restart the API");
        assert!(t.shortened);
        assert_eq!(
            title("Check the logs, e.g. Kibana or journalctl").text,
            "Check the logs, e.g. Kibana or journalctl"
        );
        assert_eq!(last_sentence("The service has a check. Run it:"), "Run it:");
    }

    #[test]
    fn long_titles_are_cut_at_a_clause_or_a_word() {
        let t = title(
            "Consider implementing temporary workarounds while investigating long-term solutions",
        );
        assert_eq!(t.text, "Consider implementing temporary workarounds");
        assert!(t.shortened);
        let long = "word ".repeat(40);
        let t = title(&long);
        assert!(t.text.ends_with('…'));
        assert!(t.text.chars().count() <= MAX_TITLE);
        let t = title(
            "If the volume is still above 90 %, ask in #team-web before deleting anything else.",
        );
        assert_eq!(
            t.text,
            "If the volume is still above 90 %, ask in #team-web before deleting anything…"
        );
        let unbroken = "x".repeat(200);
        assert_eq!(title(&unbroken).text.chars().count(), MAX_TITLE);
    }

    #[test]
    fn shells_and_secrets() {
        assert_eq!(shell("bash"), Some(Shell::Script));
        assert_eq!(shell("console"), Some(Shell::Session));
        assert_eq!(shell("yaml"), None);
        assert_eq!(shell(""), None);
        assert!(is_secret_name("API_TOKEN"));
        assert!(is_secret_name("db_password"));
        assert!(!is_secret_name("NAMESPACE"));
    }
}
