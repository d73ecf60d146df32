//! Malformed or inconsistent data gives one error line naming file, entry and field.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::fixture_dir;
use ew_engine::data::{DataError, GameData, find_data_dir};
use ew_engine::weights::Weights;

/// A private copy of the fixture data that a test may break.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ew-data-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&fixture_dir(), &dir.join("data"));
        Scratch(dir)
    }

    fn data(&self) -> PathBuf {
        self.0.join("data")
    }

    fn edit(&self, rel: &str, f: impl FnOnce(String) -> String) {
        let p = self.data().join(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, f(text)).unwrap();
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.data().join(rel), text).unwrap();
    }

    fn error(&self) -> String {
        let e = GameData::load(&self.data()).expect_err("loading must fail");
        let line = e.to_string();
        assert!(!line.contains('\n'), "one line: {line}");
        line
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn assert_names(line: &str, file: &str, entry: &str, field: &str) {
    assert!(line.contains(file), "{line}");
    assert!(line.contains(&format!("entry `{entry}`")), "{line}");
    assert!(line.contains(&format!("field `{field}`")), "{line}");
}

#[test]
fn fixture_and_shipped_data_load() {
    GameData::load(&fixture_dir()).unwrap();
    let data = GameData::load(&common::shipped_dir()).unwrap();
    assert_eq!(data.cross_faction_pairs().len(), 40);
}

#[test]
fn unknown_keyword() {
    let s = Scratch::new("kw");
    s.edit("cards/neutral.toml", |t| {
        t.replace("keywords = [\"rush\"]", "keywords = [\"rushh\"]")
    });
    let e = s.error();
    assert_names(&e, "neutral.toml", "t_rush", "keywords[0]");
    assert!(e.contains("unknown keyword `rushh`"), "{e}");
}

#[test]
fn missing_field() {
    let s = Scratch::new("missing");
    s.edit("cards/neutral.toml", |t| {
        t.replacen("attack = 2\nhealth = 2\n", "attack = 2\n", 1)
    });
    let e = s.error();
    assert_names(&e, "neutral.toml", "t_grunt", "health");
    assert!(e.contains("missing"), "{e}");
}

#[test]
fn mistyped_field() {
    let s = Scratch::new("type");
    s.edit("cards/neutral.toml", |t| {
        t.replacen("cost = 1", "cost = \"one\"", 1)
    });
    let e = s.error();
    assert_names(&e, "neutral.toml", "t_grunt", "cost");
    assert!(e.contains("expected an integer, found a string"), "{e}");
}

#[test]
fn value_out_of_range() {
    let s = Scratch::new("range");
    s.edit("cards/neutral.toml", |t| {
        t.replacen("health = 2", "health = 0", 1)
    });
    assert_names(&s.error(), "neutral.toml", "t_grunt", "health");
}

#[test]
fn unknown_field() {
    let s = Scratch::new("field");
    s.edit("cards/neutral.toml", |t| {
        t.replacen("cost = 1", "cost = 1\ncots = 2", 1)
    });
    assert_names(&s.error(), "neutral.toml", "t_grunt", "cots");
}

#[test]
fn duplicate_card_id() {
    let s = Scratch::new("dupcard");
    s.edit("cards/argentum.toml", |t| {
        t.replace("f_argentum", "t_grunt")
    });
    let e = s.error();
    assert_names(&e, "neutral.toml", "t_grunt", "id");
    assert!(e.contains("duplicate card id"), "{e}");
}

#[test]
fn unknown_effect_field_value() {
    let s = Scratch::new("effect");
    s.edit("cards/neutral.toml", |t| {
        t.replacen("effect = \"heal\"", "effect = \"heel\"", 1)
    });
    assert_names(
        &s.error(),
        "neutral.toml",
        "t_play_heal",
        "effects[0].effect",
    );
}

#[test]
fn summon_of_unknown_token() {
    let s = Scratch::new("token");
    s.edit("cards/neutral.toml", |t| {
        t.replacen("card = \"t_token\"", "card = \"t_nope\"", 1)
    });
    assert_names(
        &s.error(),
        "neutral.toml",
        "t_death_summon",
        "effects[0].card",
    );
}

#[test]
fn unknown_card_in_deck() {
    let s = Scratch::new("deckcard");
    s.edit("decks/symbiote/test_symbiote.toml", |t| {
        t.replace("t_grunt = 4", "t_grnut = 4")
    });
    let e = s.error();
    assert_names(&e, "test_symbiote.toml", "test_symbiote", "cards.t_grnut");
    assert!(e.contains("unknown card id"), "{e}");
}

#[test]
fn wrong_deck_size() {
    let s = Scratch::new("decksize");
    s.edit("decks/symbiote/test_symbiote.toml", |t| {
        t.replace("t_grunt = 4", "t_grunt = 3")
    });
    let e = s.error();
    assert_names(&e, "test_symbiote.toml", "test_symbiote", "cards");
    assert!(e.contains("exactly 10 cards, found 9"), "{e}");
}

#[test]
fn other_faction_card_in_deck() {
    let s = Scratch::new("deckfaction");
    s.edit("decks/symbiote/test_symbiote.toml", |t| {
        t.replace("t_grunt = 4", "f_argentum = 4")
    });
    assert_names(
        &s.error(),
        "test_symbiote.toml",
        "test_symbiote",
        "cards.f_argentum",
    );
}

#[test]
fn duplicate_deck_id() {
    let s = Scratch::new("dupdeck");
    let text = std::fs::read_to_string(s.data().join("decks/argentum/test_argentum.toml")).unwrap();
    s.write(
        "decks/symbiote/test_argentum.toml",
        &text.replace("f_argentum", "f_symbiote"),
    );
    let e = s.error();
    assert_names(&e, "symbiote/test_argentum.toml", "test_argentum", "id");
    assert!(e.contains("duplicate deck id"), "{e}");
}

#[test]
fn deck_missing_playstyle() {
    let s = Scratch::new("playstyle");
    s.edit("decks/obsidion/test_obsidion.toml", |t| {
        t.replace("playstyle = \"fixture\"\n", "")
    });
    assert_names(
        &s.error(),
        "test_obsidion.toml",
        "test_obsidion",
        "playstyle",
    );
}

#[test]
fn bad_toml_syntax_names_the_line() {
    let s = Scratch::new("syntax");
    s.edit("cards/neutral.toml", |t| {
        t.replacen("cost = 1", "cost = = 1", 1)
    });
    let e = s.error();
    assert!(e.contains("neutral.toml: line "), "{e}");
}

#[test]
fn rules_out_of_range() {
    let s = Scratch::new("rules");
    s.edit("rules.toml", |t| t.replace("lanes = 5", "lanes = 6"));
    assert_names(&s.error(), "rules.toml", "rules", "lanes");
}

#[test]
fn missing_card_file() {
    let s = Scratch::new("nofile");
    std::fs::remove_file(s.data().join("cards/obsidion.toml")).unwrap();
    assert!(s.error().contains("obsidion.toml"));
}

#[test]
fn weights_out_of_range_or_unknown() {
    let s = Scratch::new("weights");
    let p = s.data().join("weights/generalist.toml");
    s.edit("weights/generalist.toml", |t| {
        t.replace("own_life = 1.0", "own_life = 99.0")
    });
    let e = Weights::load(&p).unwrap_err().to_string();
    assert_names(&e, "generalist.toml", "weights", "own_life");
    s.edit("weights/generalist.toml", |t| {
        t.replace("own_life = 99.0", "own_lif = 1.0")
    });
    assert_names(
        &Weights::load(&p).unwrap_err().to_string(),
        "generalist.toml",
        "weights",
        "own_lif",
    );
}

#[test]
fn data_dir_found_upward() {
    let s = Scratch::new("find");
    let deep = s.0.join("a/b");
    std::fs::create_dir_all(&deep).unwrap();
    assert_eq!(find_data_dir(&deep).unwrap(), s.data());
    assert!(matches!(
        find_data_dir(Path::new("/")),
        Err(DataError::NotFound { .. })
    ));
}

#[test]
fn binaries_print_one_line_and_exit_2() {
    let s = Scratch::new("bins");
    s.edit("cards/neutral.toml", |t| {
        t.replace("keywords = [\"rush\"]", "keywords = [\"rushh\"]")
    });
    for (bin, args) in [
        (
            env!("CARGO_BIN_EXE_arena"),
            vec!["--bot-a", "greedy", "--bot-b", "random", "--games", "2"],
        ),
        (env!("CARGO_BIN_EXE_bench"), vec!["--repeats", "1"]),
    ] {
        let out = Command::new(bin)
            .args(&args)
            .arg("--data")
            .arg(s.data())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bin}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("entry `t_rush`: field `keywords[0]`"), "{err}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_arena"))
        .args(["--bot-a", "mcts:x", "--bot-b", "greedy"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad bot spec is a usage error"
    );
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Truncated or corrupted card and deck files give an error, never a panic.
        #[test]
        fn corrupted_files_load_without_panic(cut in 0usize..4000, at in 0usize..4000, byte in 0u8..128, deck in any::<bool>()) {
            let s = Scratch::new(&format!("fuzz-{cut}-{at}-{byte}-{deck}"));
            let rel = if deck { "decks/symbiote/test_symbiote.toml" } else { "cards/neutral.toml" };
            s.edit(rel, |t| {
                let mut b = t.into_bytes();
                let n = b.len();
                if n > 0 {
                    b[at % n] = byte;
                }
                b.truncate(n - cut % (n / 2 + 1));
                String::from_utf8_lossy(&b).into_owned()
            });
            if let Err(e) = GameData::load(&s.data()) {
                prop_assert!(!e.to_string().contains('\n'));
            }
        }
    }
}
