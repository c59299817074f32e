//! Codex's config.toml and OpenCode's plugin file, on real files with comments.

use super::*;

const CONFIG: &str = r#"# my Codex settings
model = "gpt-5-codex"   # the good one

[features]
# web search on
web_search = true

[mcp_servers.docs]
command = "docs-mcp"
args = ["--port", "0"]
"#;

#[test]
fn the_hooks_switch_is_added_with_comments_kept_and_taken_away_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("config.toml");
    std::fs::write(&p, CONFIG).unwrap();
    let out = codex_features(&p, false).unwrap();
    assert!(matches!(out, Outcome::Written { backup: Some(_) }), "{out:?}");
    let now = std::fs::read_to_string(&p).unwrap();
    assert!(now.contains("# my Codex settings\nmodel = \"gpt-5-codex\"   # the good one\n"), "{now}");
    assert!(now.contains("# web search on\nweb_search = true\n"), "{now}");
    assert!(now.contains(&format!("{MARK}hooks = true")), "{now}");
    let doc: DocumentMut = now.parse().unwrap();
    assert_eq!(doc["features"]["hooks"].as_bool(), Some(true));
    assert_eq!(doc["mcp_servers"]["docs"]["command"].as_str(), Some("docs-mcp"));
    assert_eq!(codex_features(&p, false).unwrap(), Outcome::Unchanged);
    codex_features(&p, true).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CONFIG, "byte for byte");
}

#[test]
fn a_new_file_gets_a_features_table_that_uninstall_removes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("config.toml");
    std::fs::write(&p, "model = \"o3\"\n").unwrap();
    codex_features(&p, false).unwrap();
    let doc: DocumentMut = std::fs::read_to_string(&p).unwrap().parse().unwrap();
    assert_eq!(doc["features"]["hooks"].as_bool(), Some(true));
    codex_features(&p, true).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "model = \"o3\"\n");
    let fresh = dir.path().join("sub/config.toml");
    assert_eq!(codex_features(&fresh, false).unwrap(), Outcome::Written { backup: None });
}

#[test]
fn the_users_own_choice_and_a_broken_file_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("config.toml");
    for own in ["[features]\nhooks = false\n", "[features]\ncodex_hooks = true # old name\n"] {
        std::fs::write(&p, own).unwrap();
        assert_eq!(codex_features(&p, false).unwrap(), Outcome::Unchanged);
        assert_eq!(codex_features(&p, true).unwrap(), Outcome::Unchanged, "not navi's to remove");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), own);
    }
    std::fs::write(&p, "[features\nhooks = ").unwrap();
    let e = codex_features(&p, false).unwrap_err().to_string();
    assert!(e.contains("not valid TOML"), "{e}");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "[features\nhooks = ");
}

#[test]
fn the_opencode_plugin_is_navis_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("plugins/navi.js");
    let hook: Vec<String> = ["/opt/navi", "hook", "--agent", "opencode"].map(String::from).into();
    assert_eq!(opencode_plugin(&p, &hook, false).unwrap(), Outcome::Written { backup: None });
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.starts_with(PLUGIN_MARK));
    assert!(text.contains(r#"const HOOK = ["/opt/navi","hook","--agent","opencode"];"#), "{text}");
    assert_eq!(opencode_plugin(&p, &hook, false).unwrap(), Outcome::Unchanged);
    opencode_plugin(&p, &hook, true).unwrap();
    assert!(!p.exists());
    std::fs::write(&p, "export const Mine = async () => ({})\n").unwrap();
    assert!(opencode_plugin(&p, &hook, false).unwrap_err().to_string().contains("not written by navi"));
    assert!(opencode_plugin(&p, &hook, true).is_err());
    assert!(p.exists());
}
