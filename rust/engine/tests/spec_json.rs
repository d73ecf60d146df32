//! `data/weights/spec.json` must match `WEIGHT_SPEC`, and the shipped weight files must load.

use std::path::PathBuf;

use ew_engine::Faction;
use ew_engine::weights::{WEIGHT_SPEC, Weights};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// Regenerate with `UPDATE_SPEC_JSON=1 cargo test -p ew-engine --test spec_json`.
#[test]
fn spec_json_is_current() {
    let path = data_dir().join("weights/spec.json");
    let want = Weights::spec_json();
    if std::env::var_os("UPDATE_SPEC_JSON").is_some() {
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, &want).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "data/weights/spec.json is stale: run UPDATE_SPEC_JSON=1 cargo test -p ew-engine --test spec_json"
    );
}

#[test]
fn defaults_lie_within_bounds() {
    for d in WEIGHT_SPEC {
        assert!(d.min <= d.default && d.default <= d.max, "{}", d.name);
    }
}

#[test]
fn shipped_weights_load() {
    let dir = data_dir().join("weights");
    Weights::load(&dir.join("generalist.toml")).unwrap();
    for f in Faction::PLAYABLE {
        let path = dir.join("specialists").join(format!("{}.toml", f.as_str()));
        assert!(path.is_file(), "missing {}", path.display());
        Weights::for_faction(&dir, f).unwrap();
    }
}

#[test]
fn weights_round_trip_through_toml() {
    let w = Weights::default();
    let dir = std::env::temp_dir().join(format!("ew-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("w.toml");
    std::fs::write(&path, w.to_toml_string()).unwrap();
    assert_eq!(Weights::load(&path).unwrap(), w);
    std::fs::remove_dir_all(&dir).ok();
}
