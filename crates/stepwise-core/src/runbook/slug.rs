//! Names: slugs for step ids, the rules names must follow, and "did you mean"
//! suggestions for misspelt keys.
//!
//! Pure string functions; they never look at YAML or report problems.

/// Lowercase ASCII letters and digits, every other run of characters turned
/// into a single `-`, no leading or trailing `-`. Non-ASCII letters are dropped.
///
/// `"Deploy the previous stable version"` becomes `deploy-the-previous-stable-version`.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii() {
            pending_dash = true;
        }
    }
    out
}

/// Longest id accepted (runbook ids go into file names).
pub const MAX_ID_LEN: usize = 64;

/// An id for a runbook or a step: lowercase ASCII letters, digits, `-` and
/// `_`, starting with a letter or digit, at most 64 characters.
pub fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    first_ok
        && id.len() <= MAX_ID_LEN
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A valid environment variable name: `^[A-Za-z_][A-Za-z0-9_]*$`.
pub fn is_valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Turns an invalid variable name into a valid one, when that is obvious:
/// `stable-tag` becomes `STABLE_TAG`, `2fa` becomes `_2FA`.
pub fn env_name_suggestion(name: &str) -> Option<String> {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    (is_valid_env_name(&out) && !out.trim_matches('_').is_empty()).then_some(out)
}

/// Edit distance counting insertions, deletions, substitutions and swaps of
/// two neighbouring characters (optimal string alignment), in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The closest candidate to a misspelt word, if it is close enough to be a
/// plausible typo (at most a third of its length, and at most 3 edits).
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .iter()
        .map(|c| (edit_distance(&lower, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Variables that decide how a step's shell starts, finds programs or
/// reads its words: an input or a capture by such a name would replace
/// them in every step (an input `PATH` and bash is not found).
pub fn is_the_shells(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "PATH",
        "IFS",
        "HOME",
        "SHELL",
        "BASH_ENV",
        "SHELLOPTS",
        "BASHOPTS",
        "POSIXLY_CORRECT",
        "CDPATH",
        "GLOBIGNORE",
    ];
    NAMES.contains(&name)
        || ["LD_", "BASH_FUNC_", "STEPWISE_"]
            .iter()
            .any(|p| name.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_titles() {
        assert_eq!(
            slug("Deploy the previous stable version"),
            "deploy-the-previous-stable-version"
        );
        assert_eq!(slug("  Notify: ops & devs!  "), "notify-ops-devs");
        assert_eq!(slug("Étape 2 — vérifier"), "tape-2-vrifier");
        assert_eq!(slug("🚀"), "");
    }

    #[test]
    fn checks_ids_and_env_names() {
        assert!(is_valid_id("deployment-rollback"));
        assert!(is_valid_id("step_2"));
        assert!(!is_valid_id("Rollback"));
        assert!(!is_valid_id("-x"));
        assert!(!is_valid_id("a/b"));
        assert!(!is_valid_id(&"a".repeat(65)));
        assert!(is_valid_env_name("STABLE_TAG"));
        assert!(is_valid_env_name("_x1"));
        assert!(!is_valid_env_name("1X"));
        assert!(!is_valid_env_name("A-B"));
        assert!(!is_valid_env_name(""));
    }

    #[test]
    fn suggests_env_names() {
        assert_eq!(
            env_name_suggestion("stable-tag").as_deref(),
            Some("STABLE_TAG")
        );
        assert_eq!(env_name_suggestion("2fa").as_deref(), Some("_2FA"));
        assert_eq!(env_name_suggestion("--"), None);
    }

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["title", "timeout", "retry", "run"];
        assert_eq!(did_you_mean("tilte", &keys), Some("title"));
        assert_eq!(did_you_mean("Timeout", &keys), Some("timeout"));
        assert_eq!(did_you_mean("rn", &keys), Some("run"));
        assert_eq!(did_you_mean("titel", &keys), Some("title"));
        assert_eq!(did_you_mean("banana", &keys), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
