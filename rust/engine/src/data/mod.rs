//! Loading `data/`: rules, cards and decks. Loading never panics: every problem becomes one
//! [`DataError`] naming the file, the entry and the field.

mod cards;
mod decks;
mod error;
mod rules;
pub(crate) mod toml_read;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use cards::{CardDb, CardInfo};
pub use error::DataError;

use crate::card::CardId;
use crate::faction::Faction;
use crate::rules::Rules;

/// A deck. Its id is the file stem, unique across factions.
#[derive(Clone, Debug, PartialEq)]
pub struct Deck {
    pub id: String,
    pub name: String,
    pub faction: Faction,
    pub playstyle: String,
    /// One entry per card copy (`deck_size` entries).
    pub cards: Vec<CardId>,
}

/// Everything the engine reads from `data/`.
#[derive(Clone, Debug)]
pub struct GameData {
    pub dir: PathBuf,
    pub rules: Rules,
    pub cards: CardDb,
    /// Ordered by faction (argentum, symbiote, obsidion), then by id.
    pub decks: Vec<Deck>,
    deck_index: HashMap<String, usize>,
}

impl GameData {
    pub fn load(dir: &Path) -> Result<GameData, DataError> {
        if !dir.is_dir() {
            return Err(DataError::Io {
                file: dir.to_path_buf(),
                msg: "not a directory".into(),
            });
        }
        let rules = Rules::load(&dir.join("rules.toml"))?;
        let cards = CardDb::load(&dir.join("cards"))?;
        let decks = decks::load_decks(&dir.join("decks"), &cards, &rules)?;
        let deck_index = decks
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        Ok(GameData {
            dir: dir.to_path_buf(),
            rules,
            cards,
            decks,
            deck_index,
        })
    }

    pub fn deck(&self, id: &str) -> Option<&Deck> {
        self.deck_index.get(id).map(|&i| &self.decks[i])
    }

    pub fn decks_of(&self, faction: Faction) -> impl Iterator<Item = &Deck> {
        self.decks.iter().filter(move |d| d.faction == faction)
    }

    /// Every pair of decks of different factions, each pair once, in deck order.
    pub fn cross_faction_pairs(&self) -> Vec<(&Deck, &Deck)> {
        let mut pairs = Vec::new();
        for (i, a) in self.decks.iter().enumerate() {
            for b in &self.decks[i + 1..] {
                if a.faction != b.faction {
                    pairs.push((a, b));
                }
            }
        }
        pairs
    }
}

/// Looks upward from `start` for a `data/` directory holding `rules.toml`.
pub fn find_data_dir(start: &Path) -> Result<PathBuf, DataError> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join("data");
        if candidate.join("rules.toml").is_file() {
            return Ok(candidate);
        }
        dir = d.parent();
    }
    Err(DataError::NotFound {
        start: start.to_path_buf(),
    })
}

/// `--data DIR` if given, else the `data/` found above the working directory.
pub fn resolve_data_dir(explicit: Option<&Path>) -> Result<PathBuf, DataError> {
    match explicit {
        Some(p) => Ok(p.to_path_buf()),
        None => {
            let cwd = std::env::current_dir().map_err(|e| DataError::io(Path::new("."), &e))?;
            find_data_dir(&cwd)
        }
    }
}
