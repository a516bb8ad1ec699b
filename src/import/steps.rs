//! One section's blocks to steps: list items become human steps, shell code
//! blocks automated steps where they stand, and everything else text that
//! goes with the step before it (or the section's description, before the
//! first step). The rules are listed in docs/import.md, "Steps".
//!
//! Works on one section at a time and knows nothing of headings, ids or
//! inputs (see `build.rs`). Never runs a command: code is only read.

use super::doc::{self, Block, Inline, Item, Kind};
use super::heuristics::{self, Title};
use super::plan::StepPlan;
use super::shell;

/// A literal `[export] NAME=VALUE` the document runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Literal {
    pub name: String,
    pub value: String,
    pub line: usize,
    /// From a block that only sets variables (no step was made of it).
    pub setting: bool,
}

/// What a section's blocks became.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SectionSteps {
    /// Text before the first step.
    pub description: Vec<String>,
    pub steps: Vec<StepPlan>,
    pub literals: Vec<Literal>,
}

/// Turns a section's blocks into steps.
pub fn section(blocks: &[Block]) -> SectionSteps {
    let mut builder = Builder::default();
    builder.blocks(blocks, Mode::Section);
    builder.out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Section,
    /// Inside a list item that holds shell code: its lists stay text, and
    /// its own first paragraph titles a code block by its first sentence.
    Item,
}

/// What a code block is.
enum Code {
    Step(CodeStep),
    /// Only literal assignments: their values become input defaults.
    Settings(Vec<(String, String)>),
    Text,
}

struct CodeStep {
    command: shell::Command,
    run: String,
    placeholders: Vec<(String, String)>,
    scan: shell::Scan,
}

fn classify(block: &Block) -> Code {
    let Kind::Code { lang, text } = &block.kind else {
        return Code::Text;
    };
    let Some(kind) = heuristics::shell(lang) else {
        return Code::Text;
    };
    let Some(command) = shell::command(text, kind) else {
        return Code::Text;
    };
    let (run, placeholders) = shell::replace_placeholders(&command.run);
    let scan = shell::scan(&run);
    if scan.only_literals && placeholders.is_empty() && command.output.is_empty() {
        return Code::Settings(scan.literals);
    }
    Code::Step(CodeStep {
        command,
        run,
        placeholders,
        scan,
    })
}

/// A settings block as the runbook may show it: a secret's value (by its
/// name, `API_TOKEN=…`) never reaches the runbook file, nor the screens
/// and transcripts that show its text.
fn secrets_masked(block: &Block) -> Block {
    let Kind::Code { lang, text } = &block.kind else {
        return block.clone();
    };
    let text = shell::mask_secret_assignments(text, heuristics::is_secret_name);
    Block {
        line: block.line,
        kind: Kind::Code {
            lang: lang.clone(),
            text,
        },
    }
}

fn is_step_code(block: &Block) -> bool {
    matches!(classify(block), Code::Step(_))
}

/// A block carried as text that a lead-in can make a step of: a code
/// block that is not shell, a table, an HTML block.
fn shown(block: &Block) -> bool {
    match block.kind {
        Kind::Code { .. } => matches!(classify(block), Code::Text),
        Kind::Verbatim(_) => true,
        _ => false,
    }
}

#[derive(Default)]
struct Builder {
    out: SectionSteps,
    /// A lead-in ("Then, on the replica:") for the next step.
    context: Option<String>,
}

fn add_instructions(step: &mut StepPlan, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    match &mut step.instructions {
        Some(existing) => {
            existing.push_str("\n\n");
            existing.push_str(text);
        }
        None => step.instructions = Some(text.to_owned()),
    }
}

fn prepend_instructions(step: &mut StepPlan, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    step.instructions = Some(match step.instructions.take() {
        Some(rest) => format!("{text}\n\n{rest}"),
        None => text.to_owned(),
    });
}

/// The full text must be kept as instructions when the title leaves some
/// of it out (a shortened or later sentence, a link target).
fn keep_full_text(title: &Title, text: &Inline) -> bool {
    let whole = doc::collapse(&text.plain);
    title.shortened
        || whole.trim_end_matches(['.', ':', ';', ',']) != title.text
        || text.rich != text.plain
}

impl Builder {
    /// Text that is not a step: the previous step's instructions, or the
    /// description before the first step.
    fn attach(&mut self, text: String) {
        if text.trim().is_empty() {
            return;
        }
        match self.out.steps.last_mut() {
            Some(step) => add_instructions(step, &text),
            None => self.out.description.push(text),
        }
    }

    fn push_step(&mut self, mut step: StepPlan) {
        if let Some(context) = self.context.take() {
            prepend_instructions(&mut step, &context);
        }
        if step.title.trim().is_empty() {
            name_untitled(&mut step);
        }
        if !step.is_automated()
            && let Some(verb) = heuristics::command_verb(&step.title)
        {
            step.automate = true;
            step.notes.push(format!(
                "TODO: automate? (\"{verb}\" is a command-like action)"
            ));
        }
        self.out.steps.push(step);
    }

    fn blocks(&mut self, blocks: &[Block], mode: Mode) {
        let mut lead: Option<(&Inline, usize)> = None;
        for (i, block) in blocks.iter().enumerate() {
            let next = blocks.get(i + 1);
            match &block.kind {
                Kind::Paragraph(p) => {
                    let leads_code = next.is_some_and(is_step_code);
                    let leads_other = mode == Mode::Section
                        && heuristics::is_lead_in(&p.plain)
                        && next.is_some_and(|n| matches!(n.kind, Kind::List { .. }) || shown(n));
                    if leads_code || leads_other {
                        lead = Some((p, i));
                    } else {
                        self.attach(p.rich.clone());
                    }
                }
                Kind::List { start, items } if mode == Mode::Section => {
                    self.list(*start, items, lead.take().map(|(p, _)| (p, block.line)));
                }
                Kind::Code { .. } => match classify(block) {
                    Code::Step(code) => {
                        let lead = lead.take();
                        let first_of_item = mode == Mode::Item && lead.is_some_and(|(_, i)| i == 0);
                        self.code(code, lead.map(|(p, _)| p), first_of_item, block.line);
                    }
                    Code::Settings(literals) => {
                        // `export HOME=/srv/app`: the shell's own variable
                        // is no input (the loader refuses one); the block
                        // stays in the text.
                        let literals = literals
                            .into_iter()
                            .filter(|(name, _)| !crate::runbook::slug::is_the_shells(name));
                        self.out
                            .literals
                            .extend(literals.map(|(name, value)| Literal {
                                name,
                                value,
                                line: block.line,
                                setting: true,
                            }));
                        self.attach(doc::render_block(&secrets_masked(block)));
                    }
                    Code::Text => self.show(block, lead.take().map(|(p, _)| p)),
                },
                _ => self.show(block, lead.take().map(|(p, _)| p)),
            }
        }
    }

    /// A block shown as text: with a lead-in ("Promote the replica:"), a
    /// human step that shows it; else text for the step before it.
    fn show(&mut self, block: &Block, lead: Option<&Inline>) {
        let Some(lead) = lead else {
            return self.attach(doc::render_block(block));
        };
        let sentence = heuristics::last_sentence(&doc::collapse(&lead.plain)).to_owned();
        let title = heuristics::title(&sentence);
        let mut step = StepPlan {
            title: title.text.clone(),
            line: block.line,
            ..StepPlan::default()
        };
        if keep_full_text(&title, lead) {
            add_instructions(&mut step, &lead.rich);
        }
        add_instructions(&mut step, &doc::render_block(block));
        self.push_step(step);
    }

    fn list(&mut self, start: Option<u64>, items: &[Item], lead: Option<(&Inline, usize)>) {
        let simple = |item: &Item| {
            item.blocks.len() == 1 && matches!(item.blocks[0].kind, Kind::Paragraph(_))
        };
        if let Some((p, line)) = lead {
            if start.is_none() && items.iter().all(simple) {
                return self.checklist(p, line, items);
            }
            if self.out.steps.is_empty() {
                self.out.description.push(p.rich.clone());
            } else {
                self.context = Some(p.rich.clone());
            }
        }
        for item in items {
            self.item(item);
        }
    }

    /// "Notify affected parties:" and a bulleted list of short items: one
    /// step, the items its checklist.
    fn checklist(&mut self, lead: &Inline, line: usize, items: &[Item]) {
        let sentence = heuristics::last_sentence(&doc::collapse(&lead.plain)).to_owned();
        let title = heuristics::title(&sentence);
        let mut step = StepPlan {
            title: title.text.clone(),
            line,
            checklist: items.iter().map(Item::one_line).collect(),
            ..StepPlan::default()
        };
        if keep_full_text(&title, lead) {
            add_instructions(&mut step, &lead.rich);
        }
        self.push_step(step);
    }

    fn item(&mut self, item: &Item) {
        if item.blocks.iter().any(is_step_code) {
            let mut sub = Builder::default();
            sub.blocks(&item.blocks, Mode::Item);
            let SectionSteps {
                description,
                mut steps,
                literals,
            } = sub.out;
            if let Some(first) = steps.first_mut() {
                prepend_instructions(first, &description.join("\n\n"));
            }
            self.out.literals.extend(literals);
            for step in steps {
                self.push_step(step);
            }
            return;
        }
        let text = match item.text() {
            Some(text) => text.clone(),
            None => match item.blocks.first() {
                Some(first) => {
                    let t = doc::collapse(&doc::render_block(first));
                    Inline {
                        plain: t.clone(),
                        rich: t,
                    }
                }
                None => return,
            },
        };
        let title = heuristics::title(&text.plain);
        if title.text.trim().is_empty() {
            return self.attach(doc::render_blocks(&item.blocks));
        }
        let mut step = StepPlan {
            title: title.text.clone(),
            line: item.line,
            ..StepPlan::default()
        };
        if keep_full_text(&title, &text) {
            add_instructions(&mut step, &text.rich);
        }
        let rest = if item.text().is_some() {
            item.rest()
        } else {
            &item.blocks[1..]
        };
        for block in rest {
            match &block.kind {
                Kind::List { items, .. } => step.checklist.extend(items.iter().map(Item::one_line)),
                _ => add_instructions(&mut step, &doc::render_block(block)),
            }
        }
        if item.task == Some(true) {
            step.notes
                .push("ticked ([x]) in the document: still a step to confirm".to_owned());
        }
        self.push_step(step);
    }

    fn code(&mut self, code: CodeStep, lead: Option<&Inline>, first_of_item: bool, line: usize) {
        let from_lead = match lead {
            Some(p) if first_of_item => Some(heuristics::title(&p.plain)),
            Some(p) => Some(heuristics::title(heuristics::last_sentence(
                &doc::collapse(&p.plain),
            ))),
            None => None,
        };
        // A lead with no words ("...") names nothing: the command does.
        let title = from_lead
            .filter(|t| !t.text.trim().is_empty())
            .unwrap_or_else(|| Title {
                text: run_title(&code.run),
                shortened: false,
            });
        let mut step = StepPlan {
            title: title.text.clone(),
            line,
            run: Some(code.run.clone()),
            confirm: true,
            ..StepPlan::default()
        };
        if let Some(p) = lead
            && keep_full_text(&title, p)
        {
            add_instructions(&mut step, &p.rich);
        }
        if !code.command.output.is_empty() {
            let shown = code.command.output.join("\n");
            add_instructions(
                &mut step,
                &format!("The document shows this output:\n```\n{shown}\n```"),
            );
        }
        if code.command.had_prompts {
            step.notes
                .push("the document's `$ ` prompts were removed from the command".to_owned());
        }
        if code.command.root_prompts {
            step.notes.push(
                "the document becomes root (`sudo -i`, `su -`) and types the lines after it at root's `# ` prompt: they are in the command, but a step runs as the user stepwise runs as, with no terminal for a password; put `sudo` before each of them"
                    .to_owned(),
            );
        }
        for (placeholder, name) in &code.placeholders {
            step.notes.push(format!(
                "the placeholder {placeholder} is now the input {name}"
            ));
        }
        step.reads = code
            .scan
            .uses
            .iter()
            .map(|u| {
                let placeholder = code
                    .placeholders
                    .iter()
                    .find(|(_, n)| *n == u.name)
                    .map(|(p, _)| p.clone());
                (u.name.clone(), placeholder)
            })
            .collect();
        // A placeholder is an input even where the block also assigns its
        // name (`NAME=<name>`): the document means it to be filled in.
        for (placeholder, name) in &code.placeholders {
            if !step.reads.iter().any(|(n, _)| n == name) {
                step.reads.push((name.clone(), Some(placeholder.clone())));
            }
        }
        self.out
            .literals
            .extend(code.scan.literals.iter().map(|(name, value)| Literal {
                name: name.clone(),
                value: value.clone(),
                line,
                setting: false,
            }));
        self.push_step(step);
    }
}

/// A lead-in with no words (":", "...") names nothing: the command names
/// the step, else the line it came from, with a note to name it.
fn name_untitled(step: &mut StepPlan) {
    step.title = match &step.run {
        Some(run) => run_title(run),
        None => format!("Step from line {}", step.line),
    };
    step.notes
        .push("TODO: name this step (its text gave no title)".to_owned());
}

/// "Run `df -h`": the title of a code block with no sentence before it.
fn run_title(run: &str) -> String {
    let first = run
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let short: String = first.chars().take(60).collect();
    let more = if short.len() < first.len() { "…" } else { "" };
    format!("Run `{short}{more}`")
}

impl StepPlan {
    pub fn is_automated(&self) -> bool {
        self.run.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(md: &str) -> SectionSteps {
        section(&super::super::parse::parse(md).unwrap().blocks)
    }

    fn titles(s: &SectionSteps) -> Vec<&str> {
        s.steps.iter().map(|s| s.title.as_str()).collect()
    }

    #[test]
    fn a_lead_in_before_numbered_items_is_the_description() {
        let s = steps(
            "Before initiating a rollback, ensure the following:\n\n1. Identify the issue\n2. Deploy the previous version\n",
        );
        assert_eq!(
            s.description,
            ["Before initiating a rollback, ensure the following:"]
        );
        assert_eq!(
            titles(&s),
            ["Identify the issue", "Deploy the previous version"]
        );
        assert!(!s.steps[0].automate);
        assert!(s.steps[1].automate);
    }

    #[test]
    fn a_lead_in_before_short_bullets_makes_one_checklist_step() {
        let s = steps(
            "Notify affected parties:\n\n- Development team\n- End-users (if necessary)\n\nProvide regular updates.\n",
        );
        assert_eq!(titles(&s), ["Notify affected parties"]);
        assert_eq!(
            s.steps[0].checklist,
            ["Development team", "End-users (if necessary)"]
        );
        assert_eq!(
            s.steps[0].instructions.as_deref(),
            Some("Provide regular updates.")
        );
        assert!(s.description.is_empty());
    }

    #[test]
    fn bullets_without_a_lead_in_are_steps_and_nested_items_checklists() {
        let s = steps(
            "- [ ] Bump the version\n  - [ ] Cargo.toml\n  - [x] CHANGELOG.md\n- [x] Tag it\n",
        );
        assert_eq!(titles(&s), ["Bump the version", "Tag it"]);
        assert_eq!(s.steps[0].checklist, ["Cargo.toml", "CHANGELOG.md"]);
        assert!(s.steps[1].notes.iter().any(|n| n.contains("ticked")));
    }

    #[test]
    fn a_lead_in_without_words_never_makes_an_untitled_step() {
        let s = steps("...\n```sh\n1. \n```\n\n:\n```text\nkeep calm\n```\n");
        assert_eq!(titles(&s), ["Run `1.`", "Step from line 7"]);
        assert!(
            s.steps[1]
                .notes
                .iter()
                .any(|n| n.contains("name this step"))
        );
    }

    #[test]
    fn shell_blocks_are_automated_steps_titled_by_the_sentence_before() {
        let s = steps(
            "The API has a health check. Check it:\n\n```sh\ncurl -fsS \"$HEALTH_URL\"\n```\n\n```bash\ndf -h\n```\n\n```yaml\nkey: value\n```\n",
        );
        assert_eq!(titles(&s), ["Check it", "Run `df -h`"]);
        let first = &s.steps[0];
        assert_eq!(first.run.as_deref(), Some("curl -fsS \"$HEALTH_URL\""));
        assert!(first.confirm);
        assert_eq!(
            first.instructions.as_deref(),
            Some("The API has a health check. Check it:")
        );
        assert_eq!(first.reads, [("HEALTH_URL".to_owned(), None)]);
        assert_eq!(
            s.steps[1].instructions.as_deref(),
            Some("```yaml\nkey: value\n```")
        );
    }

    #[test]
    fn an_item_with_a_shell_block_is_automated_not_human() {
        let s = steps(
            "1. Roll back the deployment:\n\n   ```console\n   $ kubectl rollout undo deploy/<app>\n   deployment.apps/api rolled back\n   ```\n2. Tell the team\n",
        );
        assert_eq!(titles(&s), ["Roll back the deployment", "Tell the team"]);
        let step = &s.steps[0];
        assert_eq!(
            step.run.as_deref(),
            Some("kubectl rollout undo deploy/\"${APP}\"")
        );
        assert!(
            step.instructions
                .as_deref()
                .unwrap()
                .contains("rolled back")
        );
        assert_eq!(step.reads, [("APP".to_owned(), Some("<app>".to_owned()))]);
        assert!(step.notes.iter().any(|n| n.contains("prompts")));
    }

    #[test]
    fn a_block_that_only_sets_variables_is_no_step() {
        let s = steps("Set these first:\n\n```sh\nexport NS=payments\n```\n\n1. Check\n");
        assert_eq!(titles(&s), ["Check"]);
        assert_eq!(s.literals[0].name, "NS");
        assert!(s.literals[0].setting);
        assert!(
            s.description
                .iter()
                .any(|d| d.contains("export NS=payments"))
        );
    }

    #[test]
    fn a_lead_in_before_other_code_or_a_table_makes_a_human_step() {
        let s = steps(
            "Promote the replica:\n\n```\npatronictl failover --force\n```\n\nCheck the values:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nNot a lead.\n\n```yaml\nk: v\n```\n",
        );
        assert_eq!(titles(&s), ["Promote the replica", "Check the values"]);
        assert!(s.steps[0].automate);
        assert_eq!(
            s.steps[0].instructions.as_deref(),
            Some("```\npatronictl failover --force\n```")
        );
        assert!(
            s.steps[1]
                .instructions
                .as_deref()
                .unwrap()
                .starts_with("| a | b |")
        );
        assert!(
            s.steps[1]
                .instructions
                .as_deref()
                .unwrap()
                .ends_with("Not a lead.\n\n```yaml\nk: v\n```")
        );
    }

    #[test]
    fn long_items_keep_their_full_text() {
        let s =
            steps("1. Restart the API. It takes a minute; watch the [dashboard](https://g/d).\n");
        assert_eq!(titles(&s), ["Restart the API"]);
        assert_eq!(
            s.steps[0].instructions.as_deref(),
            Some("Restart the API. It takes a minute; watch the dashboard (https://g/d).")
        );
    }
}
