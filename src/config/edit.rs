//! Adds an entry to remotes.yaml in place (`navi remotes add`): the file's comments,
//! order and layout are kept (the yaml-edit crate edits its syntax tree), and the result
//! must read back as the old remotes plus the new one, or nothing is written.

use super::parse_remotes;
use std::path::Path;
use std::str::FromStr;
use yaml_edit::{Document, MappingBuilder};

/// The fields of a new entry, as they will be written (none of them is expanded).
#[derive(Debug, Default, Clone)]
pub struct NewRemote {
    pub name: String,
    pub host: String,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub key: Option<String>,
    pub jump_host: Option<String>,
    pub sessions_dir: Option<String>,
}

impl NewRemote {
    /// The entry as YAML lines (`  - name: …`), for a new file or for a message.
    pub fn as_yaml(&self) -> String {
        let mut out = format!("  - name: {}\n    host: {}\n", yaml_text(&self.name), yaml_text(&self.host));
        for (k, v) in self.optional() {
            out.push_str(&format!("    {k}: {}\n", yaml_text(&v)));
        }
        out
    }

    fn optional(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        let text = [("user", &self.user), ("key", &self.key), ("jump_host", &self.jump_host)];
        v.extend(text.iter().filter_map(|(k, x)| x.as_ref().map(|x| (*k, x.clone()))));
        if let Some(p) = self.port {
            v.push(("port", p.to_string()));
        }
        if let Some(d) = &self.sessions_dir {
            v.push(("sessions_dir", d.clone()));
        }
        v
    }
}

/// A YAML scalar for `s`, quoted unless it is a plain word.
fn yaml_text(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-/~@".contains(c))
        && !s.starts_with(['-', '~', '@'])
        && !matches!(s, "true" | "false" | "null" | "yes" | "no" | "on" | "off");
    if plain { s.to_string() } else { format!("'{}'", s.replace('\'', "''")) }
}

/// `text` (a remotes.yaml, maybe empty) with `entry` added at the end of `remotes:`.
pub fn add_entry(text: &str, entry: &NewRemote, home: &Path) -> Result<String, String> {
    let before = parse_remotes(text, home)?;
    if before.config.get(&entry.name).is_some() {
        return Err(format!("a remote named {:?} is already in the file", entry.name));
    }
    let edited = if text.trim().is_empty() {
        format!("remotes:\n{}", entry.as_yaml())
    } else {
        edit(text, entry).unwrap_or_else(|| {
            // No `remotes:` list to add to: a new one at the end (top-level keys are unordered).
            let sep = if text.ends_with('\n') { "" } else { "\n" };
            format!("{text}{sep}remotes:\n{}", entry.as_yaml())
        })
    };
    let after = parse_remotes(&edited, home).map_err(|e| format!("the edited file would not read: {e}"))?;
    let names = |l: &super::LoadedRemotes| l.config.remotes.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
    let mut expected = names(&before);
    expected.push(entry.name.clone());
    if names(&after) != expected {
        let why = after.warnings.first().cloned().unwrap_or_else(|| "the entries read back differently".into());
        return Err(format!("the new entry does not read back ({why})"));
    }
    Ok(edited)
}

/// Pushes the entry onto an existing block `remotes:` list; `None` when there is none.
fn edit(text: &str, entry: &NewRemote) -> Option<String> {
    let doc = Document::from_str(text).ok()?;
    let seq = doc.get_sequence("remotes")?;
    let mut m = MappingBuilder::new().pair("name", entry.name.as_str()).pair("host", entry.host.as_str());
    for (k, v) in entry.optional() {
        m = match k {
            "port" => m.pair(k, entry.port.unwrap_or(22)),
            _ => m.pair(k, v.as_str()),
        };
    }
    let built = m.build_document();
    seq.push(built.as_mapping()?);
    Some(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> NewRemote {
        NewRemote {
            name: name.into(),
            host: "box.example".into(),
            user: Some("me".into()),
            port: Some(2222),
            ..Default::default()
        }
    }

    #[test]
    fn comments_and_other_entries_are_kept() {
        let text = "# my remotes\nknown_hosts: ~/kh   # keep me\nremotes:\n  # the first box\n  - name: a\n    host: a.example\n    user: me\n    key: ~/.ssh/id\n\n# trailing comment\nhost_key_checking: strict\n";
        let out = add_entry(text, &entry("b"), Path::new("/home/u")).unwrap();
        for kept in ["# my remotes\n", "known_hosts: ~/kh   # keep me\n", "  # the first box\n", "# trailing comment\n"]
        {
            assert!(out.contains(kept), "{kept:?} lost:\n{out}");
        }
        assert!(
            out.starts_with("# my remotes\nknown_hosts: ~/kh   # keep me\nremotes:\n  # the first box\n  - name: a\n"),
            "{out}"
        );
        let l = parse_remotes(&out, Path::new("/home/u")).unwrap();
        let b = l.config.get("b").unwrap();
        assert_eq!((b.host.as_str(), b.port, b.user.as_str()), ("box.example", 2222, "me"));
    }

    #[test]
    fn a_new_or_listless_file_gets_a_list() {
        let home = Path::new("/home/u");
        let out = add_entry("", &entry("b"), home).unwrap();
        assert_eq!(parse_remotes(&out, home).unwrap().config.remotes.len(), 1);
        let out = add_entry("# only a comment\nknown_hosts: ~/kh\n", &entry("b"), home).unwrap();
        assert!(out.starts_with("# only a comment\nknown_hosts: ~/kh\n"), "{out}");
        assert_eq!(parse_remotes(&out, home).unwrap().config.remotes.len(), 1);
    }

    #[test]
    fn a_taken_name_or_hostile_text_is_refused() {
        let home = Path::new("/home/u");
        let text = "remotes:\n  - {name: b, host: h, user: u, key: /k}\n";
        assert!(add_entry(text, &entry("b"), home).unwrap_err().contains("already"));
        let evil = NewRemote { name: "x\ny: 1".into(), host: "h; rm -rf ~".into(), ..Default::default() };
        assert!(add_entry("", &evil, home).is_err(), "a host that could mislead ssh is refused");
        let quoted =
            NewRemote { name: "it's: #1".into(), host: "h".into(), user: Some("u".into()), ..Default::default() };
        let out = add_entry("", &quoted, home).unwrap();
        assert!(parse_remotes(&out, home).unwrap().config.get("it's: #1").is_some(), "{out}");
    }
}
