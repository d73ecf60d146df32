//! Reading `data/rules.toml` into [`Rules`], checking each constant against the capacity the
//! state reserves for it.

use std::path::Path;

use super::DataError;
use super::toml_read::{Entry, read_table};
use crate::rules::{MAX_DECK, MAX_HAND, MAX_LANES, MAX_SUPPORTS, Rules};

const FIELDS: &[&str] = &[
    "starting_life",
    "lanes",
    "support_slots",
    "deck_size",
    "max_copies",
    "starting_hand",
    "second_seat_extra_cards",
    "max_hand",
    "action_points",
    "essence_cap",
    "turn_limit",
    "fatigue_damage",
    "charge_bonus",
    "regenerate_amount",
    "volatile_damage",
    "fortify_reduction",
    "frenzy_attacks",
];

impl Rules {
    pub fn load(path: &Path) -> Result<Rules, DataError> {
        let table = read_table(path)?;
        let e = Entry::new(path, "rules", &table);
        e.only(FIELDS)?;
        let rules = Rules {
            starting_life: e.int("starting_life", 1, 99)? as i16,
            lanes: e.int("lanes", 1, MAX_LANES as i64)? as u8,
            support_slots: e.int("support_slots", 1, MAX_SUPPORTS as i64)? as u8,
            deck_size: e.int("deck_size", 10, MAX_DECK as i64)? as u8,
            max_copies: e.int("max_copies", 1, 10)? as u8,
            starting_hand: e.int("starting_hand", 0, MAX_HAND as i64)? as u8,
            second_seat_extra_cards: e.int("second_seat_extra_cards", 0, 5)? as u8,
            max_hand: e.int("max_hand", 1, MAX_HAND as i64)? as u8,
            action_points: e.int("action_points", 1, 10)? as u8,
            essence_cap: e.int("essence_cap", 1, 20)? as u8,
            turn_limit: e.int("turn_limit", 2, 200)? as u16,
            fatigue_damage: e.int("fatigue_damage", 0, 10)? as u8,
            charge_bonus: e.int("charge_bonus", 0, 10)? as u8,
            regenerate_amount: e.int("regenerate_amount", 0, 10)? as u8,
            volatile_damage: e.int("volatile_damage", 0, 10)? as u8,
            fortify_reduction: e.int("fortify_reduction", 0, 10)? as u8,
            frenzy_attacks: e.int("frenzy_attacks", 1, 5)? as u8,
        };
        if rules.starting_hand + rules.second_seat_extra_cards > rules.max_hand {
            return Err(e.err(
                "second_seat_extra_cards",
                format!(
                    "starting_hand + second_seat_extra_cards exceeds max_hand ({})",
                    rules.max_hand
                ),
            ));
        }
        if rules.starting_hand + rules.second_seat_extra_cards > rules.deck_size {
            return Err(e.err("starting_hand", "opening hand larger than the deck"));
        }
        Ok(rules)
    }
}
