//! Writing an imported runbook to a file: atomically (a temporary file in
//! the same folder, fsync, rename, fsync of the folder), so a reader never
//! sees half a runbook and a failed import leaves the old file as it was.
//!
//! Never writes over the document being imported. A new file gets mode
//! 0644 (a runbook is meant to be shared and committed); a replaced file
//! keeps its mode.

use super::ImportError;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Writes `yaml` to `path`; `document` is the file imported (if not stdin).
pub fn write(path: &Path, yaml: &str, document: Option<&Path>) -> Result<(), ImportError> {
    let shown = path.display().to_string();
    let fail = |what: &str, e: std::io::Error| {
        ImportError::new(
            format!("cannot {what} {shown}: {e}"),
            "check that the folder exists and is writable, or write to stdout and redirect",
        )
    };
    if let Some(doc) = document
        && let (Ok(a), Ok(b)) = (doc.canonicalize(), path.canonicalize())
        && a == b
    {
        return Err(ImportError::new(
            format!("{shown} is the document being imported"),
            "write the runbook to another file, e.g. -o runbooks/NAME.yaml",
        ));
    }
    if path.is_dir() {
        return Err(ImportError::new(
            format!("{shown} is a directory"),
            "name the runbook file, e.g. -o runbooks/NAME.yaml",
        ));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mode = std::fs::metadata(path).map_or(0o644, |m| m.permissions().mode() & 0o7777);
    let mut tmp = tempfile::Builder::new()
        .prefix(".stepwise-import-")
        .tempfile_in(dir)
        .map_err(|e| fail("create a temporary file beside", e))?;
    tmp.write_all(yaml.as_bytes())
        .and_then(|_| {
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))
        })
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| fail("write", e))?;
    tmp.persist(path).map_err(|e| fail("replace", e.error))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| fail("sync the folder of", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_keeping_the_mode_and_refuses_the_document_itself() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("rb.yaml");
        write(&out, "a: 1\n", None).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "a: 1\n");
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
        write(&out, "b: 2\n", None).unwrap();
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let e = write(&out, "c: 3\n", Some(&out)).unwrap_err();
        assert!(e.message.contains("being imported"));
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "b: 2\n");
        assert!(write(dir.path(), "x", None).is_err());
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }
}
