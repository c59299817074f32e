//! The tool's input schema as agent runtimes accept it. schemars derives it from the
//! argument struct (so the field docs live in one place), but with `$ref`/`$defs`, `oneOf`
//! of constants, `"type": ["string", "null"]` and `format: uint64`, which Gemini function
//! declarations (an OpenAPI 3.0 subset without references or unions) and OpenAI strict
//! mode refuse. `flatten` rewrites it into the subset both take: single `type`s,
//! `description`, inline `enum`, `properties`, `required`, `items`.

use serde_json::{Map, Value};

/// The only keywords left in the flattened schema, on any level.
pub const ALLOWED: &[&str] = &["type", "description", "enum", "properties", "required", "items"];
/// The only types left.
pub const TYPES: &[&str] = &["object", "string", "integer", "number", "boolean", "array"];

/// The flat form of a schemars schema of an object.
pub fn flatten(schema: &Map<String, Value>) -> Map<String, Value> {
    let defs = schema.get("$defs").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut out = node(&Value::Object(schema.clone()), &defs);
    // The tool has its own description; the struct's doc would only repeat it.
    out.remove("description");
    out
}

fn node(v: &Value, defs: &Map<String, Value>) -> Map<String, Value> {
    let Some(obj) = v.as_object() else { return Map::new() };
    // A reference is replaced by what it names; its own description comes first.
    let target = obj
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| defs.get(name));
    let mut out = match target {
        Some(t) => node(t, defs),
        None => Map::new(),
    };
    if let Some(d) = obj.get("description").and_then(Value::as_str) {
        let joined = match out.get("description").and_then(Value::as_str) {
            Some(named) => format!("{d} {named}"),
            None => d.to_string(),
        };
        out.insert("description".into(), Value::from(joined));
    }
    if let Some(t) = obj.get("type") {
        let single = match t {
            Value::Array(ts) => ts.iter().find(|t| t.as_str() != Some("null")).cloned(),
            t => Some(t.clone()),
        };
        if let Some(t) = single {
            out.insert("type".into(), t);
        }
    }
    if let Some(e) = obj.get("enum").and_then(Value::as_array) {
        out.insert("enum".into(), Value::Array(e.iter().filter(|x| !x.is_null()).cloned().collect()));
    }
    // `oneOf` of constants (an enum whose variants have docs): an inline `enum`, the docs
    // folded into the description.
    if let Some(vs) = obj.get("oneOf").or_else(|| obj.get("anyOf")).and_then(Value::as_array) {
        let consts: Vec<(Value, Option<&str>)> = vs
            .iter()
            .filter_map(|x| x.get("const").map(|c| (c.clone(), x.get("description").and_then(Value::as_str))))
            .collect();
        if !consts.is_empty() {
            let notes: Vec<String> =
                consts.iter().filter_map(|(c, d)| Some(format!("{}: {}", c.as_str()?, (*d)?))).collect();
            let mut desc = out.get("description").and_then(Value::as_str).unwrap_or_default().to_string();
            if !notes.is_empty() {
                let sep = if desc.is_empty() { "" } else { " " };
                desc = format!("{desc}{sep}{}", notes.join(" "));
            }
            out.insert("type".into(), Value::from("string"));
            out.insert("enum".into(), Value::Array(consts.into_iter().map(|(c, _)| c).collect()));
            out.insert("description".into(), Value::from(desc));
        } else if let Some(first) = vs.iter().find(|x| x.get("type").and_then(Value::as_str) != Some("null")) {
            // `Option<Enum>`: the one real alternative.
            let inner = node(first, defs);
            for (k, v) in inner {
                out.entry(k).or_insert(v);
            }
        }
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        let props: Map<String, Value> = props.iter().map(|(k, p)| (k.clone(), Value::Object(node(p, defs)))).collect();
        out.insert("properties".into(), Value::Object(props));
    }
    if let Some(r) = obj.get("required") {
        out.insert("required".into(), r.clone());
    }
    if let Some(items) = obj.get("items") {
        out.insert("items".into(), Value::Object(node(items, defs)));
    }
    out
}

/// Every construct in `schema` that the subset refuses, as `path: what`; empty when the
/// schema is fine. Tests hold the tool's schema to it.
pub fn refusals(schema: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(schema, "$", &mut found);
    found
}

fn walk(v: &Value, path: &str, found: &mut Vec<String>) {
    let Some(obj) = v.as_object() else {
        found.push(format!("{path}: not an object"));
        return;
    };
    for (k, x) in obj {
        let here = format!("{path}.{k}");
        match k.as_str() {
            "type" => match x.as_str() {
                Some(t) if TYPES.contains(&t) => {}
                _ => found.push(format!("{here}: type {x} (one plain type only)")),
            },
            "properties" => match x.as_object() {
                Some(ps) => ps.iter().for_each(|(name, p)| walk(p, &format!("{here}.{name}"), found)),
                None => found.push(format!("{here}: not an object")),
            },
            "items" => walk(x, &here, found),
            "enum" => {
                if !x.as_array().is_some_and(|e| !e.is_empty() && e.iter().all(Value::is_string)) {
                    found.push(format!("{here}: an enum must list strings"));
                }
            }
            "required" => {
                let names = obj.get("properties").and_then(Value::as_object);
                let ok = x.as_array().is_some_and(|r| {
                    r.iter().all(|n| n.as_str().is_some_and(|n| names.is_some_and(|ps| ps.contains_key(n))))
                });
                if !ok {
                    found.push(format!("{here}: must name properties"));
                }
            }
            "description" if x.is_string() => {}
            _ if ALLOWED.contains(&k.as_str()) => found.push(format!("{here}: malformed")),
            _ => found.push(format!("{here}: keyword `{k}` is outside the subset")),
        }
    }
    if !obj.contains_key("type") {
        found.push(format!("{path}: no type"));
    }
}
