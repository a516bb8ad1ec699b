//! Fills an update's template: `$NAME` and `${NAME}` become the value of an
//! input, a capture or a built-in (`$PROGRESS`, `$CURRENT_STEP`,
//! `$ELAPSED`, `$EXPECTED_END`). An unknown name stays as written, so a
//! typo shows in the draft instead of vanishing. Pure; masking is the
//! caller's (the result may hold real values until masked).

/// Replaces every `$NAME` / `${NAME}` found in `values` (later entries win).
pub fn render(template: &str, values: &[(String, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (braced, body) = match after.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, after),
        };
        let len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let name = &body[..len];
        let closed = !braced || body[len..].starts_with('}');
        let value = values.iter().rev().find(|(k, _)| k == name);
        match value {
            Some((_, v)) if !name.is_empty() && closed => {
                out.push_str(v);
                let used = 1 + usize::from(braced) * 2 + len;
                rest = &rest[i + used..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Variable names a template refers to (`$NAME` or `${NAME}`).
pub fn names(template: &str) -> Vec<String> {
    template
        .match_indices('$')
        .filter_map(|(i, _)| {
            let rest = &template[i + 1..];
            let rest = rest.strip_prefix('{').unwrap_or(rest);
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (len > 0).then(|| rest[..len].to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fills_plain_and_braced_names_and_leaves_unknown_ones() {
        let values = v(&[("TAG", "v2"), ("TAG_OLD", "v1")]);
        assert_eq!(render("$TAG and ${TAG_OLD}.", &values), "v2 and v1.");
        assert_eq!(render("$NOPE ${TAG", &values), "$NOPE ${TAG");
        assert_eq!(render("cost $5", &values), "cost $5");
        assert_eq!(render("$TAGS", &values), "$TAGS");
    }

    #[test]
    fn lists_the_names_used() {
        assert_eq!(names("$A ${B} $ c"), vec!["A", "B"]);
    }
}
