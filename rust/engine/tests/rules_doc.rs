//! docs/rules.md and tests/rules.rs name the same rules.

use std::collections::BTreeSet;
use std::path::PathBuf;

use ew_engine::card::Keyword;

fn read(rel: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join(rel)).unwrap()
}

fn rule_tests() -> BTreeSet<String> {
    read("tests/rules.rs")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("fn "))
        .filter_map(|l| l.strip_suffix("() {"))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_rule_test_is_in_the_rule_book() {
    let doc = read("../../docs/rules.md");
    let tests = rule_tests();
    assert!(tests.len() > 40);
    for t in &tests {
        assert!(
            doc.contains(&format!("`{t}`")),
            "{t} is not in docs/rules.md"
        );
    }
}

#[test]
fn every_keyword_has_a_rule_and_a_test() {
    let doc = read("../../docs/rules.md");
    let tests = rule_tests();
    for k in Keyword::ALL {
        let row = doc
            .lines()
            .find(|l| l.to_lowercase().starts_with(&format!("| {} |", k.as_str())))
            .unwrap_or_else(|| panic!("no row for {}", k.as_str()));
        let test = row.rsplit('`').nth(1).unwrap();
        assert!(tests.contains(test), "{test} of {} has no test", k.as_str());
    }
}
