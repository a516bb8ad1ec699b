//! The JSON Schema of the runbook format (placeholder, filled in below).
pub fn json_schema() -> serde_json::Value {
    serde_json::json!({})
}
