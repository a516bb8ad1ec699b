//! Reading the shell code blocks of a document: the command without its
//! `$ ` prompts (and the output lines shown after them), the variables it
//! reads and assigns, and `<placeholder>`s turned into variables.
//!
//! A small quote-aware scanner, not a shell parser: it knows single and
//! double quotes, backslash escapes, comments, `$NAME`, `${NAME…}`, and the
//! words that assign a name (`NAME=`, `export NAME=`, `for NAME in`,
//! `read NAME`). It never runs anything and never changes a command except
//! to replace a placeholder by a quoted variable.

use super::heuristics::Shell;

/// A command taken from a code block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub run: String,
    /// Lines of a console block that were not commands: its output.
    pub output: Vec<String>,
    /// Whether `$ ` prompts were stripped.
    pub had_prompts: bool,
    /// A console block became root (`$ sudo -i`, `$ su -`) and its `# `
    /// root prompts were taken as commands: the step runs them as the
    /// user stepwise runs as, which the review comment says.
    pub root_prompts: bool,
}

/// A command that makes the console block's next prompts root's (`# `).
fn becomes_root(command: &str) -> bool {
    let c = command.split_whitespace().collect::<Vec<_>>().join(" ");
    [
        "sudo -i",
        "sudo -s",
        "sudo su",
        "sudo su -",
        "sudo -i -u root",
        "sudo bash",
        "su",
        "su -",
        "su - root",
        "su root",
    ]
    .contains(&c.as_str())
}

/// The command in a shell code block, or `None` when it holds nothing to
/// run (blank, or comments only). In a `console` block, and in a script
/// block whose every command line has one, `$ ` prompts are stripped; the
/// lines without a prompt (other than a `\` continuation) are output.
pub fn command(text: &str, kind: Shell) -> Option<Command> {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let prompt = |l: &str| {
        let t = l.trim_start();
        t == "$" || t.starts_with("$ ")
    };
    let prompted = lines.iter().filter(|l| prompt(l)).count();
    let other = lines
        .iter()
        .filter(|l| !prompt(l) && !l.trim().is_empty())
        .count();
    let strip = prompted > 0 && (kind == Shell::Session || other == 0 || continuations(&lines));
    let (mut run, mut output) = (Vec::new(), Vec::new());
    let (mut continued, mut root, mut root_prompts) = (false, false, false);
    for line in &lines {
        let t = line.trim_start();
        if !strip {
            run.push(line.to_string());
        } else if prompt(line) {
            let command = t.strip_prefix("$ ").unwrap_or("");
            root = kind == Shell::Session && becomes_root(command);
            run.push(command.to_owned());
            continued = line.ends_with('\\');
        } else if root && let Some(command) = t.strip_prefix("# ") {
            // Root's prompt after `sudo -i`: a command, not output; its
            // `exit` leaves root's shell, which the step never entered
            // (as a command it would end the step there).
            root_prompts = true;
            if matches!(command.trim(), "exit" | "logout") {
                root = false;
                continue;
            }
            run.push(command.to_owned());
            continued = line.ends_with('\\');
        } else if continued {
            run.push(line.to_string());
            continued = line.ends_with('\\');
        } else if !line.trim().is_empty() {
            output.push(line.to_string());
        }
    }
    let run = run.join("\n").trim_matches('\n').to_owned();
    let nothing = run
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
    (!nothing).then_some(Command {
        run,
        output,
        had_prompts: strip,
        root_prompts,
    })
}

/// A script block whose only unprompted lines continue a prompted one.
fn continuations(lines: &[&str]) -> bool {
    let mut continued = false;
    for line in lines {
        let t = line.trim_start();
        let prompted = t == "$" || t.starts_with("$ ");
        if prompted || continued {
            continued = line.ends_with('\\');
        } else if !t.is_empty() {
            return false;
        }
    }
    true
}

/// A variable a command reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    pub name: String,
    /// The placeholder it replaced (`<deployment-name>`), if any.
    pub placeholder: Option<String>,
}

/// What a command reads and assigns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Read without a default (`${NAME:-x}` has one), not assigned in the
    /// command, not a variable the shell or stepwise sets; first use first.
    pub uses: Vec<Use>,
    /// Names the command assigns.
    pub assigned: Vec<String>,
    /// `[export] NAME=VALUE` commands with a literal value, in order.
    pub literals: Vec<(String, String)>,
    /// Whether every command in it is such a literal assignment.
    pub only_literals: bool,
}

/// Variables the shell, the system or stepwise sets: never inputs.
const KNOWN: &[&str] = &[
    "HOME",
    "PATH",
    "USER",
    "LOGNAME",
    "SHELL",
    "PWD",
    "OLDPWD",
    "TMPDIR",
    "TERM",
    "LANG",
    "HOSTNAME",
    "HOSTTYPE",
    "OSTYPE",
    "MACHTYPE",
    "UID",
    "EUID",
    "PPID",
    "GROUPS",
    "RANDOM",
    "SECONDS",
    "EPOCHSECONDS",
    "EPOCHREALTIME",
    "LINENO",
    "IFS",
    "REPLY",
    "OPTARG",
    "OPTIND",
    "PIPESTATUS",
    "FUNCNAME",
    "SHLVL",
    "COLUMNS",
    "LINES",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "DISPLAY",
    "SSH_AUTH_SOCK",
    "GIT_TERMINAL_PROMPT",
];

fn is_known(name: &str) -> bool {
    KNOWN.contains(&name)
        || crate::runbook::slug::is_the_shells(name)
        || ["BASH", "LC_", "XDG_", "STEPWISE_"]
            .iter()
            .any(|p| name.starts_with(p))
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `NAME=value` and `export NAME=value` lines whose name `secret` says is
/// a secret, with the value replaced by `<secret: not copied>`.
pub fn mask_secret_assignments(text: &str, secret: impl Fn(&str) -> bool) -> String {
    let masked: Vec<String> = text
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            // A prompted line (`$ export TOKEN=…`) keeps its prompt.
            let body = trimmed.strip_prefix("$ ").unwrap_or(trimmed);
            let indent = &line[..line.len() - body.len()];
            let (export, rest) = match body.strip_prefix("export ") {
                Some(rest) => ("export ", rest.trim_start()),
                None => ("", body),
            };
            match rest.split_once('=') {
                Some((name, _))
                    if !name.is_empty() && name.chars().all(is_name_char) && secret(name) =>
                {
                    format!("{indent}{export}{name}=<secret: not copied>")
                }
                _ => line.to_owned(),
            }
        })
        .collect();
    let mut out = masked.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The variable a placeholder becomes: `<deployment-name>` →
/// `DEPLOYMENT_NAME`; one the shell or the system sets gets `_VALUE`
/// (`<path>` → `PATH_VALUE`: an input `PATH` would replace the shell's).
pub fn placeholder_name(placeholder: &str) -> Option<String> {
    let inner = placeholder.strip_prefix('<')?.strip_suffix('>')?;
    let name = crate::runbook::slug::env_name_suggestion(inner)?;
    if !is_known(&name) {
        return Some(name);
    }
    // `LD_…_VALUE` is still the loader's: a prefix, then, not a suffix.
    let suffixed = format!("{name}_VALUE");
    Some(match crate::runbook::slug::is_the_shells(&suffixed) {
        true => format!("TARGET_{name}"),
        false => suffixed,
    })
}

/// The length of a `<placeholder>` starting at `s` (which starts with `<`):
/// a letter, then letters, digits, `_`, `-`, `.` or single spaces, ending
/// in a letter or digit, then `>`, not followed by another `>`.
fn placeholder_len(s: &str) -> Option<usize> {
    let mut chars = s.char_indices().skip(1);
    let (_, first) = chars.next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let mut prev = first;
    for (i, c) in chars {
        match c {
            '>' if prev.is_ascii_alphanumeric() => {
                return (!s[i + 1..].starts_with('>')).then_some(i + 1);
            }
            ' ' if prev == ' ' => return None,
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ') => prev = c,
            _ => return None,
        }
        if i > 64 {
            return None;
        }
    }
    None
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// Replaces each `<placeholder>` outside comments by its variable, quoted
/// for where it stands: `"${NAME}"` outside quotes, `${NAME}` inside double
/// quotes, `'"${NAME}"'` inside single quotes. Returns the new command and
/// the placeholders replaced (text, variable), first occurrence first.
pub fn replace_placeholders(run: &str) -> (String, Vec<(String, String)>) {
    let mut out = String::with_capacity(run.len());
    let mut found: Vec<(String, String)> = Vec::new();
    let mut quote = Quote::None;
    let mut rest = run;
    let mut prev: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        let len = c.len_utf8();
        match (quote, c) {
            (Quote::None | Quote::Double, '\\') => {
                let n = rest[1..].chars().next().map_or(0, char::len_utf8);
                out.push_str(&rest[..1 + n]);
                rest = &rest[1 + n..];
                prev = Some('\\');
                continue;
            }
            (Quote::None, '#') if prev.is_none_or(|p| p.is_whitespace() || p == ';') => {
                let end = rest.find('\n').unwrap_or(rest.len());
                out.push_str(&rest[..end]);
                rest = &rest[end..];
                prev = Some('#');
                continue;
            }
            (Quote::None, '\'') => quote = Quote::Single,
            (Quote::Single, '\'') => quote = Quote::None,
            (Quote::None, '"') => quote = Quote::Double,
            (Quote::Double, '"') => quote = Quote::None,
            (_, '<') if prev != Some('<') => {
                if let Some(n) = placeholder_len(rest)
                    && let Some(name) = placeholder_name(&rest[..n])
                {
                    let var = format!("${{{name}}}");
                    out.push_str(&match quote {
                        Quote::None => format!("\"{var}\""),
                        Quote::Double => var,
                        Quote::Single => format!("'\"{var}\"'"),
                    });
                    if !found.iter().any(|(p, _)| p == &rest[..n]) {
                        found.push((rest[..n].to_owned(), name));
                    }
                    rest = &rest[n..];
                    prev = Some('>');
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        rest = &rest[len..];
        prev = Some(c);
    }
    (out, found)
}

/// The variables a command reads and assigns (see `Scan`).
pub fn scan(run: &str) -> Scan {
    let commands = simple_commands(run);
    let mut reads: Vec<String> = Vec::new();
    let mut assigned: Vec<String> = Vec::new();
    for command in &commands {
        for (name, defaulted) in &command.reads {
            if !defaulted && !reads.contains(name) {
                reads.push(name.clone());
            }
        }
        for name in &command.assigns {
            if !assigned.contains(name) {
                assigned.push(name.clone());
            }
        }
    }
    let literals: Vec<(String, String)> = commands.iter().filter_map(literal_assignment).collect();
    let only_literals = !commands.is_empty() && literals.len() == commands.len();
    let uses = reads
        .into_iter()
        .filter(|n| !assigned.contains(n) && !is_known(n))
        .map(|name| Use {
            name,
            placeholder: None,
        })
        .collect();
    Scan {
        uses,
        assigned,
        literals,
        only_literals,
    }
}

/// One simple command: its words as written, and what it reads.
#[derive(Default)]
struct Simple {
    words: Vec<String>,
    reads: Vec<(String, bool)>,
    assigns: Vec<String>,
}

impl Simple {
    fn end_word(&mut self, word: &mut String) {
        if word.is_empty() {
            return;
        }
        let w = std::mem::take(word);
        let first = self.words.first().map(String::as_str);
        let prev = self.words.last().map(String::as_str);
        let leading = self.words.iter().all(|w| {
            assignment_name(w).is_some()
                || matches!(
                    w.as_str(),
                    "export" | "local" | "declare" | "readonly" | "typeset"
                )
                || w.starts_with('-')
        });
        if let Some(name) = assignment_name(&w).filter(|_| leading) {
            self.assigns.push(name.to_owned());
        } else if is_name(&w)
            && (matches!(prev, Some("for" | "select"))
                || matches!(first, Some("read" | "mapfile" | "readarray")))
        {
            self.assigns.push(w.clone());
        }
        self.words.push(w);
    }
}

fn is_name(w: &str) -> bool {
    w.starts_with(is_name_start) && w.chars().all(is_name_char)
}

/// `NAME` of a word `NAME=…` or `NAME+=…`.
fn assignment_name(word: &str) -> Option<&str> {
    let eq = word.find('=')?;
    let name = word[..eq].strip_suffix('+').unwrap_or(&word[..eq]);
    is_name(name).then_some(name)
}

/// `(NAME, VALUE)` of a command that is only `[export] NAME=VALUE` with a
/// literal value (no expansion, no command substitution).
fn literal_assignment(c: &Simple) -> Option<(String, String)> {
    let words: Vec<&str> = c.words.iter().map(String::as_str).collect();
    let word = match words.as_slice() {
        [w] => *w,
        ["export", w] => *w,
        _ => return None,
    };
    let name = assignment_name(word)?;
    let raw = &word[word.find('=')? + 1..];
    let value = ['"', '\'']
        .iter()
        .find_map(|q| {
            raw.strip_prefix(*q)
                .and_then(|r| r.strip_suffix(*q))
                .filter(|_| raw.len() >= 2)
        })
        .unwrap_or(raw);
    let literal = !value.contains(['$', '`', '\\', '"', '\'', '(', ')', '\n'])
        && (raw.starts_with(['"', '\'']) || !value.contains(char::is_whitespace));
    (literal && !word.contains("+=")).then(|| (name.to_owned(), value.to_owned()))
}

/// Splits a command text into simple commands (at newlines outside quotes,
/// `;`, `&`, `|`, parentheses and braces), with the words of each and the
/// variables each reads.
fn simple_commands(run: &str) -> Vec<Simple> {
    let mut out = Vec::new();
    let mut cur = Simple::default();
    let mut word = String::new();
    let mut quote = Quote::None;
    let mut chars = run.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Quote::None | Quote::Double, '\\') => {
                word.push(c);
                if let Some((_, n)) = chars.next() {
                    word.push(n);
                }
            }
            (Quote::None, '#') if word.is_empty() => {
                while chars.peek().is_some_and(|(_, n)| *n != '\n') {
                    chars.next();
                }
            }
            (Quote::None | Quote::Double, '$') => {
                word.push(c);
                if let Some((name, defaulted, len)) = variable(&run[i + 1..]) {
                    cur.reads.push((name, defaulted));
                    for _ in 0..len {
                        if let Some((_, n)) = chars.next() {
                            word.push(n);
                        }
                    }
                }
            }
            (Quote::None, '\'') => {
                quote = Quote::Single;
                word.push(c);
            }
            (Quote::Single, '\'') => {
                quote = Quote::None;
                word.push(c);
            }
            (Quote::None, '"') => {
                quote = Quote::Double;
                word.push(c);
            }
            (Quote::Double, '"') => {
                quote = Quote::None;
                word.push(c);
            }
            (Quote::None, c) if c.is_whitespace() && c != '\n' => cur.end_word(&mut word),
            (Quote::None, '\n' | ';' | '&' | '|' | '(' | ')' | '{' | '}' | '`') => {
                cur.end_word(&mut word);
                if !cur.words.is_empty() || !cur.reads.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => word.push(c),
        }
        // Reserved words start a new command: `then NAME=x`, `do read X`.
        if quote == Quote::None
            && word.is_empty()
            && cur.words.len() == 1
            && matches!(
                cur.words[0].as_str(),
                "then" | "do" | "else" | "elif" | "if" | "while" | "until" | "!" | "time"
            )
        {
            cur.words.clear();
        }
    }
    cur.end_word(&mut word);
    if !cur.words.is_empty() || !cur.reads.is_empty() {
        out.push(cur);
    }
    out
}

/// The variable after a `$`: `(name, has a default, characters consumed)`.
fn variable(rest: &str) -> Option<(String, bool, usize)> {
    if let Some(inner) = rest.strip_prefix('{') {
        let body = inner.strip_prefix('#').unwrap_or(inner);
        let skipped = inner.len() - body.len();
        let name: String = body.chars().take_while(|&c| is_name_char(c)).collect();
        if name.is_empty() || !name.starts_with(is_name_start) {
            return None;
        }
        let after = &body[name.len()..];
        let defaulted = ["-", ":-", "=", ":=", "+", ":+"]
            .iter()
            .any(|op| after.starts_with(op));
        return Some((name.clone(), defaulted, 1 + skipped + name.len()));
    }
    let name: String = rest.chars().take_while(|&c| is_name_char(c)).collect();
    (!name.is_empty() && name.starts_with(is_name_start)).then(|| {
        let len = name.len();
        (name, false, len)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_prompts_are_stripped_and_output_kept_apart() {
        let c = command(
            "$ kubectl get pods \\\n    -n prod\nNAME   READY\napi-1  1/1\n$ echo done\n",
            Shell::Session,
        )
        .unwrap();
        assert_eq!(c.run, "kubectl get pods \\\n    -n prod\necho done");
        assert_eq!(c.output, ["NAME   READY", "api-1  1/1"]);
        assert!(c.had_prompts);
    }

    #[test]
    fn script_blocks_keep_every_line_unless_all_are_prompted() {
        let c = command(
            "$ systemctl restart api\n$ systemctl status api\n",
            Shell::Script,
        )
        .unwrap();
        assert_eq!(c.run, "systemctl restart api\nsystemctl status api");
        let c = command("echo $HOME\n$ not a prompt here\n", Shell::Script).unwrap();
        assert_eq!(c.run, "echo $HOME\n$ not a prompt here");
        assert!(!c.had_prompts);
        assert_eq!(command("# only a comment\n\n", Shell::Script), None);
    }

    #[test]
    fn placeholders_become_quoted_variables() {
        let (run, found) = replace_placeholders(
            "kubectl rollout undo deployment/<deployment-name> -n \"<namespace>\" -H 'X: <api token>' # not <this>\ncat <<EOF\nsort < in.txt > out.txt",
        );
        assert_eq!(
            run,
            "kubectl rollout undo deployment/\"${DEPLOYMENT_NAME}\" -n \"${NAMESPACE}\" -H 'X: '\"${API_TOKEN}\"'' # not <this>\ncat <<EOF\nsort < in.txt > out.txt"
        );
        let names: Vec<&str> = found.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["DEPLOYMENT_NAME", "NAMESPACE", "API_TOKEN"]);
    }

    #[test]
    fn a_placeholder_named_like_the_shells_own_variable_gets_value_added() {
        let (run, found) = replace_placeholders("cp a.tgz <path>; ls <home>/r; echo <user> <ifs>");
        assert_eq!(
            run,
            "cp a.tgz \"${PATH_VALUE}\"; ls \"${HOME_VALUE}\"/r; echo \"${USER_VALUE}\" \"${IFS_VALUE}\""
        );
        let names: Vec<&str> = found.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(
            names,
            ["PATH_VALUE", "HOME_VALUE", "USER_VALUE", "IFS_VALUE"]
        );
        let (_, found) = replace_placeholders("x <ld-library-path> <stepwise-dir>");
        let names: Vec<&str> = found.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["TARGET_LD_LIBRARY_PATH", "TARGET_STEPWISE_DIR"]);
    }

    #[test]
    fn root_prompts_after_sudo_i_in_a_console_block_are_commands() {
        let c = command(
            "$ sudo -i\n# touch /tmp/m\n# echo restarted\nrestarted\n# exit\n# not a command\n",
            Shell::Session,
        )
        .unwrap();
        assert_eq!(c.run, "sudo -i\ntouch /tmp/m\necho restarted");
        assert_eq!(c.output, ["restarted", "# not a command"]);
        assert!(c.root_prompts);
        // Without a switch to root, `# ` stays a comment shown as output.
        let c = command("$ ls\n# a remark\n", Shell::Session).unwrap();
        assert_eq!(c.run, "ls");
        assert!(!c.root_prompts);
    }

    #[test]
    fn a_secrets_value_is_masked_in_shown_assignments() {
        let text = "export API_TOKEN=abc123\n  DB_PASSWORD='p w'\nexport REGION=eu-west-1\n$ export GH_TOKEN=x\n";
        assert_eq!(
            mask_secret_assignments(text, crate::import::heuristics::is_secret_name),
            "export API_TOKEN=<secret: not copied>\n  DB_PASSWORD=<secret: not copied>\nexport REGION=eu-west-1\n$ export GH_TOKEN=<secret: not copied>\n"
        );
    }

    #[test]
    fn reads_without_assignments_defaults_or_known_names() {
        let s = scan(
            "export KUBECONFIG=/etc/k.conf\nkubectl -n \"$NAMESPACE\" get pods ${SELECTOR:-} $HOME\necho '$NOT_EXPANDED' ${#TAGS} $1 $$\nfor pod in $PODS; do echo $pod; done\nread -r ANSWER; echo $ANSWER $STEPWISE_STEP",
        );
        let names: Vec<&str> = s.uses.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["NAMESPACE", "TAGS", "PODS"]);
        assert!(s.assigned.contains(&"KUBECONFIG".to_owned()));
        assert!(s.assigned.contains(&"pod".to_owned()));
        assert!(s.assigned.contains(&"ANSWER".to_owned()));
        assert!(!s.only_literals);
        assert_eq!(s.literals, [("KUBECONFIG".into(), "/etc/k.conf".into())]);
    }

    #[test]
    fn a_block_of_literal_assignments_is_recognised() {
        let s = scan("export NAMESPACE=payments\nDAYS=\"7\"\n# comment\nexport LABEL='app=api'\n");
        assert!(s.only_literals);
        assert_eq!(
            s.literals,
            [
                ("NAMESPACE".into(), "payments".into()),
                ("DAYS".into(), "7".into()),
                ("LABEL".into(), "app=api".into())
            ]
        );
        assert!(!scan("NOW=$(date)\n").only_literals);
        assert!(!scan("X=1 make deploy\n").only_literals);
        assert!(!scan("").only_literals);
    }
}
