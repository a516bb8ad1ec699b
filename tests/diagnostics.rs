//! The diagnostics people see, pinned by snapshots: one fixture per error
//! class under `tests/fixtures/invalid/`, and hostile files under
//! `tests/fixtures/hostile/`. A worse message shows up as a snapshot diff.

use std::path::{Path, PathBuf};
use stepwise::runbook::{LoadError, ProblemKind, load_file, render_plain};

const INVALID: &str = "tests/fixtures/invalid";
const HOSTILE: &str = "tests/fixtures/hostile";

/// Loads a fixture by its path relative to the package (so messages name
/// `tests/fixtures/…`, the same on every machine) and renders the error.
fn rendered(path: &Path) -> (LoadError, String) {
    let err = load_file(path).expect_err(&format!("{} should be refused", path.display()));
    let text = render_plain(&err);
    (err, text)
}

/// Snapshot settings: absolute paths of this checkout become `[ROOT]`.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    let root = env!("CARGO_MANIFEST_DIR");
    s.add_filter(&regex_escape(root), "[ROOT]");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn regex_escape(text: &str) -> String {
    regex::escape(text)
}

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| Path::new(dir).join(p.file_name().unwrap()))
        .collect()
}

/// The class each invalid fixture stands for.
fn expected_kind(stem: &str) -> ProblemKind {
    use ProblemKind::*;
    match stem {
        "yaml-syntax" | "unclosed-flow" => Syntax,
        "unknown-key" | "misplaced-key" => UnknownKey,
        "wrong-type" | "not-a-mapping" | "bad-shell" => WrongType,
        "missing-title" | "missing-id" => Missing,
        "duplicate-ids" => DuplicateId,
        "bad-duration" => InvalidDuration,
        "bad-regex" => InvalidPattern,
        "bad-input-name" => InvalidName,
        "capture-collision" => CaptureCollision,
        "retry-zero" => RetryAttempts,
        "bad-version" | "missing-version" => Version,
        "empty-section" => EmptySection,
        "bad-choice-default" | "bad-expect-exit" | "bad-note-on-failure" => InvalidValue,
        "bad-id" => InvalidId,
        "automated-only-on-human" => Conflict,
        "many-problems" => UnknownKey,
        "multiple-documents" => MultipleDocuments,
        "empty" | "only-comments" => Empty,
        other => panic!("add {other}.yaml to expected_kind in tests/diagnostics.rs"),
    }
}

#[test]
fn every_invalid_fixture_is_refused_with_its_class() {
    for path in fixtures(INVALID) {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let (err, text) = rendered(&path);
        let kind = expected_kind(&stem);
        assert!(err.has(kind), "{stem}: expected {kind:?} in\n{text}");
        for p in err.problems() {
            assert!(
                p.help.is_some(),
                "{stem}: a problem without help: {}",
                p.message
            );
        }
        settings().bind(|| insta::assert_snapshot!(format!("invalid__{stem}"), text));
    }
}

#[test]
fn every_located_problem_names_file_line_and_column() {
    for path in fixtures(INVALID) {
        let (err, text) = rendered(&path);
        // Problems that point at two places show one snippet headed by the
        // place that comes first in the file; their primary place is then a
        // labelled line inside it.
        let two_places = [
            ProblemKind::DuplicateId,
            ProblemKind::DuplicateKey,
            ProblemKind::CaptureCollision,
        ];
        for p in err
            .problems()
            .iter()
            .filter(|p| !two_places.contains(&p.kind))
        {
            if let Some((line, column)) = p.position() {
                let place = format!("{}:{line}:{column}", path.display());
                assert!(text.contains(&place), "{place} not shown in\n{text}");
            }
        }
    }
}

#[test]
fn hostile_fixtures_are_refused_with_snapshots() {
    for path in fixtures(HOSTILE) {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if stem.ends_with("-accepted") {
            continue;
        }
        let (_, text) = rendered(&path);
        settings().bind(|| insta::assert_snapshot!(format!("hostile__{stem}"), text));
    }
}

#[test]
fn a_directory_and_a_missing_file_are_refused() {
    let (err, text) = rendered(Path::new(HOSTILE));
    assert!(err.has(ProblemKind::NotAFile));
    settings().bind(|| insta::assert_snapshot!("hostile__directory", text));
    let (err, text) = rendered(Path::new("tests/fixtures/no-such-runbook.yaml"));
    assert!(err.has(ProblemKind::Unreadable));
    settings().bind(|| insta::assert_snapshot!("hostile__missing_file", text));
}

#[test]
fn a_file_over_one_mebibyte_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    let line = "# padding padding padding padding padding padding padding padding\n";
    let text = line.repeat((1 << 20) / line.len() + 1);
    std::fs::write(&path, &text).unwrap();
    let err = load_file(&path).unwrap_err();
    assert!(err.has(ProblemKind::TooLarge));
    let mut s = settings();
    s.add_filter(&regex_escape(&dir.path().display().to_string()), "[TMP]");
    s.bind(|| insta::assert_snapshot!("hostile__too_large", render_plain(&err)));
}
