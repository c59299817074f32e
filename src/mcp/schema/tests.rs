//! The tool's schema against the subset Gemini function declarations and OpenAI strict mode
//! accept (no references, unions, constants, type arrays or formats).

use super::*;
use crate::mcp::schema::{flatten, refusals};
use rmcp::handler::server::common::schema_for_input;
use serde_json::Value;

fn tool(ring: usize) -> rmcp::model::Tool {
    NaviMcp::router(ring).list_all().into_iter().next().unwrap()
}

#[test]
fn the_emitted_schema_is_flat() {
    let t = tool(1 << 20);
    let schema = Value::Object((*t.input_schema).clone());
    assert_eq!(refusals(&schema), Vec::<String>::new(), "{schema:#}");
    let op = &schema["properties"]["operation"];
    assert_eq!(op["type"], "string");
    let ops: Vec<&str> = op["enum"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(
        ops,
        ["open", "send", "read", "list", "interrupt", "close", "write", "resize", "exec", "put", "get", "hosts"]
    );
    assert_eq!(schema["properties"]["hostnames"]["items"]["type"], "string");
    assert!(op["description"].as_str().unwrap().contains("interrupt:"), "{op}");
    assert_eq!(schema["properties"]["offset"]["type"], "integer");
    assert_eq!(schema["properties"]["hostname"]["type"], "string");
    assert_eq!(schema["required"], serde_json::json!(["operation"]));
}

#[test]
fn the_check_refuses_what_schemars_emits() {
    let raw = Value::Object((*schema_for_input::<ConnectSession>().unwrap()).clone());
    let found = refusals(&raw).join("\n");
    for construct in ["$defs", "$ref", "format", "[\"string\",\"null\"]", "$schema"] {
        assert!(found.contains(construct), "{construct} not refused in:\n{found}");
    }
    assert!(
        refusals(&serde_json::json!({"type": "object", "properties": {"a": {"oneOf": []}}}))
            .iter()
            .any(|r| r.contains("oneOf"))
    );
    // Flattening keeps every field and its doc.
    let flat = flatten(&schema_for_input::<ConnectSession>().unwrap());
    assert_eq!(flat["properties"].as_object().unwrap().len(), raw["properties"].as_object().unwrap().len());
}

#[test]
fn the_description_names_the_real_ring_and_every_optional_key() {
    assert!(tool(1 << 20).description.unwrap().contains("1 MiB ring"));
    let d = tool(65536).description.unwrap();
    assert!(d.contains("64 KiB ring"), "{d}");
    for key in ["exit_code", "timed_out", "interrupted", "waiting_for_input", "error", "reconnecting"] {
        assert!(d.contains(key), "{key}");
    }
    let a = tool(4096).annotations.unwrap();
    assert_eq!((a.destructive_hint, a.open_world_hint, a.read_only_hint), (Some(true), Some(true), None));
}
