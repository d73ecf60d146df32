//! Reading `data/decks/<faction>/<deck>.toml`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::toml_read::{Entry, read_table};
use super::{CardDb, DataError, Deck};
use crate::faction::Faction;
use crate::rules::Rules;

pub fn load_decks(dir: &Path, cards: &CardDb, rules: &Rules) -> Result<Vec<Deck>, DataError> {
    let mut decks = Vec::new();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, &e))?;
    let mut subdirs: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| DataError::io(dir, &e))?.path();
        if path.is_dir() {
            subdirs.push(path);
        }
    }
    for sub in &subdirs {
        let name = sub.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match name.parse::<Faction>() {
            Ok(f) if f != Faction::Neutral => {}
            _ => {
                return Err(DataError::Io {
                    file: sub.clone(),
                    msg: "deck directories must be named argentum, symbiote or obsidion".into(),
                });
            }
        }
    }
    for faction in Faction::PLAYABLE {
        let fdir = dir.join(faction.as_str());
        if !fdir.is_dir() {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&fdir)
            .map_err(|e| DataError::io(&fdir, &e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for file in files {
            let deck = load_deck(&file, faction, cards, rules)?;
            if let Some(other) = seen.get(&deck.id) {
                return Err(DataError::field(
                    &file,
                    &deck.id,
                    "id",
                    format!("duplicate deck id (also {})", other.display()),
                ));
            }
            seen.insert(deck.id.clone(), file.clone());
            decks.push(deck);
        }
    }
    Ok(decks)
}

pub fn load_deck(
    path: &Path,
    faction: Faction,
    cards: &CardDb,
    rules: &Rules,
) -> Result<Deck, DataError> {
    let id = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_string();
    let table = read_table(path)?;
    let e = Entry::new(path, id.clone(), &table);
    e.only(&["name", "playstyle", "cards"])?;
    let name = e.str("name")?.to_string();
    let playstyle = e.str("playstyle")?.to_string();
    let list = e.table("cards")?;
    let mut deck_cards = Vec::new();
    for (card, count) in list {
        let field = format!("cards.{card}");
        let Some(cid) = cards.id_of(card) else {
            return Err(e.err(&field, format!("unknown card id `{card}`")));
        };
        let def = cards.get(cid);
        if def.token {
            return Err(e.err(&field, "tokens cannot be put in a deck"));
        }
        if def.faction != faction && def.faction != Faction::Neutral {
            return Err(e.err(
                &field,
                format!("a {} card in a {} deck", def.faction, faction),
            ));
        }
        let n = match count {
            toml::Value::Integer(n) if (1..=rules.max_copies as i64).contains(n) => *n as usize,
            toml::Value::Integer(n) => {
                return Err(e.err(
                    &field,
                    format!("value {n} out of range 1..={}", rules.max_copies),
                ));
            }
            _ => return Err(e.err(&field, "expected an integer copy count")),
        };
        deck_cards.extend(std::iter::repeat_n(cid, n));
    }
    if deck_cards.len() != rules.deck_size as usize {
        return Err(e.err(
            "cards",
            format!(
                "a deck holds exactly {} cards, found {}",
                rules.deck_size,
                deck_cards.len()
            ),
        ));
    }
    Ok(Deck {
        id,
        name,
        faction,
        playstyle,
        cards: deck_cards,
    })
}
