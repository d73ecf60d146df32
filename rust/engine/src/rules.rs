//! The rule constants. The state uses fixed-size arrays, so each constant has a capacity it
//! must fit in; `data::rules` reads them from `data/rules.toml` and checks them.

/// Capacity of the lane array; `lanes` may not exceed it.
pub const MAX_LANES: usize = 5;
/// Capacity of the hand array; `max_hand` may not exceed it.
pub const MAX_HAND: usize = 10;
/// Capacity of the deck array; `deck_size` may not exceed it.
pub const MAX_DECK: usize = 40;
/// Capacity of the support array; `support_slots` may not exceed it.
pub const MAX_SUPPORTS: usize = 2;

#[derive(Clone, Debug, PartialEq)]
pub struct Rules {
    pub starting_life: i16,
    pub lanes: u8,
    pub support_slots: u8,
    pub deck_size: u8,
    pub max_copies: u8,
    pub starting_hand: u8,
    pub second_seat_extra_cards: u8,
    pub max_hand: u8,
    pub action_points: u8,
    pub essence_cap: u8,
    pub turn_limit: u16,
    pub fatigue_damage: u8,
    pub charge_bonus: u8,
    pub regenerate_amount: u8,
    pub volatile_damage: u8,
    pub fortify_reduction: u8,
    pub frenzy_attacks: u8,
}
