//! The one part of a tool's reply (`tool_response`) the hook reads: whether the lead's tool
//! call spawned an agent-team teammate (`"status": "teammate_spawned"`, with the teammate's
//! own `session_id`). The reply may be megabytes of tool output of any type: only those two
//! keys of an object are kept, everything else is skipped unbuilt.

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolReply {
    pub status: Option<String>,
    pub session_id: Option<String>,
}

impl<'de> Deserialize<'de> for ToolReply {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ReplyVisitor)
    }
}

struct ReplyVisitor;

/// A string value, or nothing for any other type.
fn string<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<String>, A::Error> {
    Ok(match map.next_value::<serde_json::Value>()? {
        serde_json::Value::String(s) if s.len() <= 256 => Some(s),
        _ => None,
    })
}

impl<'de> Visitor<'de> for ReplyVisitor {
    type Value = ToolReply;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a tool reply")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ToolReply, A::Error> {
        let mut reply = ToolReply::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "status" => reply.status = string(&mut map)?,
                "session_id" => reply.session_id = string(&mut map)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(reply)
    }

    // Text, a list, a number…: a reply that spawned nothing.
    fn visit_str<E>(self, _: &str) -> Result<ToolReply, E> {
        Ok(ToolReply::default())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<ToolReply, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(ToolReply::default())
    }
    fn visit_bool<E>(self, _: bool) -> Result<ToolReply, E> {
        Ok(ToolReply::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<ToolReply, E> {
        Ok(ToolReply::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<ToolReply, E> {
        Ok(ToolReply::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<ToolReply, E> {
        Ok(ToolReply::default())
    }
    fn visit_unit<E>(self) -> Result<ToolReply, E> {
        Ok(ToolReply::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_status_and_session_id_of_an_object_are_read() {
        let r: ToolReply = serde_json::from_str(
            r#"{"content":[{"type":"text","text":"hi"}],"status":"teammate_spawned","session_id":"mate","n":1}"#,
        )
        .unwrap();
        assert_eq!(r, ToolReply { status: Some("teammate_spawned".into()), session_id: Some("mate".into()) });
        for other in [r#""plain output""#, "[1,2]", "3", "null", "true", r#"{"status":5}"#] {
            assert_eq!(serde_json::from_str::<ToolReply>(other).unwrap(), ToolReply::default(), "{other}");
        }
    }
}
