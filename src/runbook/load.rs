// TEMPORARY local stub, never committed: the loader branch provides the real one.
use super::model::Runbook;
use std::path::Path;
#[derive(Debug)]
pub struct LoadError(pub String);
impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
pub fn load_file(_p: &Path) -> Result<Runbook, LoadError> {
    Err(LoadError("stub".into()))
}
pub fn load_str(_n: &str, _t: &str) -> Result<Runbook, LoadError> {
    Err(LoadError("stub".into()))
}
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
pub fn render_plain(e: &LoadError) -> String {
    e.0.clone()
}
pub fn render_fancy(e: &LoadError) -> String {
    e.0.clone()
}
pub fn summary(_r: &Runbook) -> String {
    String::new()
}
pub mod schema_stub {}
