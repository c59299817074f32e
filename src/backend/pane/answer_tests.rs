//! Choosing a permission dialog's answer on the real captured dialogs of Claude Code
//! 2.1.197 (and dialogs built from them), and naming the screens that are not one.

use super::tests::{choice, screen};
use super::*;

/// The choices of the permission dialog on `text`.
fn permission_choices(text: &str) -> Vec<Choice> {
    match read(text) {
        PaneView::Permission { choices, .. } => choices,
        other => panic!("not a permission dialog: {other:?}"),
    }
}

fn pick(choices: &[Choice], answer: Answer) -> Option<u32> {
    choose(choices, answer).map(|c| c.number)
}

#[test]
fn the_captured_dialog_answers_yes_always_and_no_with_its_digits() {
    let choices = permission_choices(&screen("permission-dialog.txt"));
    assert_eq!(pick(&choices, Answer::Approve), Some(1));
    assert_eq!(pick(&choices, Answer::ApproveAlways), Some(2));
    assert_eq!(pick(&choices, Answer::Deny), Some(3));
}

#[test]
fn the_captured_write_dialog_answers_with_its_digits_too() {
    let choices = permission_choices(&screen("screens/permission-write.txt"));
    assert_eq!(pick(&choices, Answer::Approve), Some(1));
    assert_eq!(pick(&choices, Answer::ApproveAlways), Some(2));
    assert_eq!(pick(&choices, Answer::Deny), Some(3));
}

#[test]
fn a_dialog_without_a_dont_ask_again_choice_has_no_always() {
    let text = screen("permission-dialog.txt")
        .replace("   2. Yes, and always allow access to repo/ from this project\n", "")
        .replace("3. No", "2. No");
    let choices = permission_choices(&text);
    assert_eq!(choices.len(), 2);
    assert_eq!(pick(&choices, Answer::Approve), Some(1));
    assert_eq!(pick(&choices, Answer::ApproveAlways), None);
    assert_eq!(pick(&choices, Answer::Deny), Some(2));
}

#[test]
fn other_versions_and_tools_word_their_choices_differently() {
    let c = |labels: &[&str]| -> Vec<Choice> {
        labels.iter().enumerate().map(|(i, l)| choice(i as u32 + 1, l, i == 0)).collect()
    };
    // Earlier Claude Code versions.
    let old = c(&[
        "Yes",
        "Yes, and don't ask again for touch commands in /tmp/x",
        "No, and tell Claude what to do differently (esc)",
    ]);
    assert_eq!((pick(&old, Answer::Approve), pick(&old, Answer::ApproveAlways)), (Some(1), Some(2)));
    assert_eq!(pick(&old, Answer::Deny), Some(3));
    // File edits.
    let edit = c(&["Yes", "Yes, allow all edits during this session (shift+tab)", "No"]);
    assert_eq!(pick(&edit, Answer::ApproveAlways), Some(2));
    // "Nothing"/"Yesterday" are not "No"/"Yes"; a dialog with neither answers nothing.
    let odd = c(&["Yesterday", "Nothing"]);
    assert_eq!((pick(&odd, Answer::Approve), pick(&odd, Answer::Deny)), (None, None));
    // The always choice is never taken for a plain yes, even when it comes first.
    let first = c(&["Yes, and always allow access to x/", "Yes", "No"]);
    assert_eq!(pick(&first, Answer::Approve), Some(2));
}

#[test]
fn screens_that_are_not_a_permission_dialog_say_what_they_are() {
    for (name, says) in [
        ("askuserquestion-dialog.txt", "a question from Claude Code"),
        ("plan-approval-dialog.txt", "plan-approval dialog"),
        ("screens/busy-spinner.txt", "Claude Code at work (✻ Wrangling…)"),
        ("screens/idle-after-turn.txt", "input box, no dialog"),
        ("screens/not-found.txt", "a shell prompt"),
    ] {
        let view = read(&screen(name));
        assert!(!matches!(view, PaneView::Permission { .. }), "{name}");
        assert!(view.describe().contains(says), "{name}: {}", view.describe());
    }
    assert!(PaneView::Unknown.describe().contains("no Claude Code screen"));
}
