//! One test per rule of docs/rules.md, named after the rule.

mod common;

use common::{Table, shipped_dir};
use ew_engine::action::{Action, ENEMY_FACE, NONE, OWN_LANE};
use ew_engine::card::Keyword;
use ew_engine::data::GameData;
use ew_engine::state::{GameState, Seat, Status, Support};

fn attacks_from(t: &Table, lane: u8) -> Vec<u8> {
    t.legal()
        .into_iter()
        .filter_map(|a| match a {
            Action::Attack { lane: l, target } if l == lane => Some(target),
            _ => None,
        })
        .collect()
}

fn plays_of(t: &Table, hand: u8) -> Vec<Action> {
    t.legal()
        .into_iter()
        .filter(|a| matches!(a, Action::Play { hand: h, .. } if *h == hand))
        .collect()
}

// ----- setup and turns -----------------------------------------------------------------------

#[test]
fn decks_shuffled_by_seed() {
    let data = GameData::load(&shipped_dir()).unwrap();
    let (a, b) = (&data.decks[0], &data.decks[5]);
    let s1 = GameState::new(&data, a, b, 42);
    assert_eq!(s1, GameState::new(&data, a, b, 42));
    let differs =
        (0..10).any(|seed| GameState::new(&data, a, b, seed).players[0].deck != s1.players[0].deck);
    assert!(differs);
    let mut sorted = s1.players[0].deck[..30].to_vec();
    sorted.sort();
    let mut want = a.cards.clone();
    want.sort();
    assert_eq!(sorted, want, "a shuffle keeps the deck's cards");
}

#[test]
fn opening_hands_and_seat_compensation() {
    let data = GameData::load(&shipped_dir()).unwrap();
    let s = GameState::new(&data, &data.decks[0], &data.decks[5], 3);
    let r = &data.rules;
    assert_eq!(s.players[0].hand_len, r.starting_hand);
    assert_eq!(
        s.players[1].hand_len,
        r.starting_hand + r.second_seat_extra_cards
    );
    assert_eq!(s.active_seat(), Seat::First);
    assert_eq!(s.turn, 1);
}

#[test]
fn turn_start_refills_essence_and_action_points() {
    let mut t = Table::new();
    let cap = t.data.rules.essence_cap;
    t.s.players[1].max_essence = 3;
    t.s.players[1].essence = 0;
    t.s.players[1].ap = 0;
    t.end_turn();
    assert_eq!(t.s.active, 1);
    assert_eq!(t.s.players[1].max_essence, 4);
    assert_eq!(t.s.players[1].essence, 4);
    assert_eq!(t.s.players[1].ap, t.data.rules.action_points);
    t.s.players[0].max_essence = cap;
    t.end_turn();
    assert_eq!(
        t.s.players[0].max_essence, cap,
        "essence never grows past the cap"
    );
}

#[test]
fn first_turn_has_no_draw() {
    let data = GameData::load(&shipped_dir()).unwrap();
    let mut s = GameState::new(&data, &data.decks[0], &data.decks[5], 3);
    let opening = data.rules.starting_hand + data.rules.second_seat_extra_cards;
    assert_eq!(s.players[0].hand_len, data.rules.starting_hand);
    s.apply(&data, Action::EndTurn);
    assert_eq!(
        s.players[1].hand_len,
        opening + 1,
        "every later turn starts with a draw"
    );
}

#[test]
fn draw_into_full_hand_burns_the_card() {
    let mut t = Table::new();
    for _ in 0..t.data.rules.max_hand {
        t.give(1, "t_grunt");
    }
    let pos = t.s.players[1].deck_pos;
    t.end_turn();
    assert_eq!(t.s.players[1].hand_len, t.data.rules.max_hand);
    assert_eq!(t.s.players[1].deck_pos, pos + 1, "the card left the deck");
}

#[test]
fn draw_from_empty_deck_deals_fatigue() {
    let mut t = Table::new();
    t.s.players[1].deck_pos = t.s.players[1].deck_len;
    t.end_turn();
    let start = t.data.rules.starting_life;
    assert_eq!(t.life(1), start - t.data.rules.fatigue_damage as i16);
    assert_eq!(t.s.players[1].hand_len, 0);
}

#[test]
fn playing_costs_action_point_and_essence() {
    let mut t = Table::new();
    let h = t.give(0, "t_costly");
    t.s.players[0].essence = 4;
    assert!(plays_of(&t, h).is_empty(), "cost 5 with 4 essence");
    t.s.players[0].essence = 5;
    t.play(h, 0, NONE);
    assert_eq!(t.s.players[0].essence, 0);
    assert_eq!(t.s.players[0].ap, t.data.rules.action_points - 1);
    t.s.players[0].ap = 0;
    let h = t.give(0, "t_grunt");
    assert!(plays_of(&t, h).is_empty(), "no action points, no plays");
}

#[test]
fn creature_enters_chosen_empty_lane() {
    let mut t = Table::new();
    t.put(0, 1, "t_grunt");
    let h = t.give(0, "t_grunt");
    let lanes: Vec<u8> = plays_of(&t, h)
        .into_iter()
        .map(|a| match a {
            Action::Play { lane, .. } => lane,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(lanes, vec![0, 2, 3, 4]);
    t.play(h, 3, NONE);
    assert_eq!(t.c(0, 3).card, t.id("t_grunt"));
}

#[test]
fn board_holds_at_most_five_creatures() {
    let mut t = Table::new();
    for l in 0..5 {
        t.put(0, l, "t_grunt");
    }
    let h = t.give(0, "t_grunt");
    assert!(plays_of(&t, h).is_empty());
    let h = t.give(0, "t_swarm");
    t.play(h, NONE, NONE);
    assert!(
        (0..5).all(|l| t.c(0, l).card == t.id("t_grunt")),
        "summons need an empty lane"
    );
}

#[test]
fn new_creature_waits_a_turn_to_attack() {
    let mut t = Table::new();
    let h = t.give(0, "t_grunt");
    t.play(h, 2, NONE);
    assert!(attacks_from(&t, 2).is_empty());
    t.end_turn();
    t.end_turn();
    assert_eq!(attacks_from(&t, 2), vec![ENEMY_FACE]);
}

#[test]
fn one_attack_per_turn_costs_no_action_point() {
    let mut t = Table::new();
    t.put(0, 2, "t_grunt");
    t.attack(2, ENEMY_FACE);
    assert_eq!(t.s.players[0].ap, t.data.rules.action_points);
    assert_eq!(t.life(1), t.data.rules.starting_life - 2);
    assert!(attacks_from(&t, 2).is_empty());
}

#[test]
fn reach_is_adjacent_lanes_and_open_face() {
    let mut t = Table::new();
    t.put(0, 0, "t_grunt");
    t.put(1, 0, "t_wall");
    t.put(1, 1, "t_wall");
    t.put(1, 2, "t_wall");
    assert_eq!(
        attacks_from(&t, 0),
        vec![0, 1],
        "lane 2 is out of reach, no open lane"
    );
    t.s.players[1].lanes[1] = ew_engine::state::Creature::EMPTY;
    t.s.refresh(&t.data);
    assert_eq!(attacks_from(&t, 0), vec![0, ENEMY_FACE]);
}

#[test]
fn zero_attack_cannot_attack() {
    let mut t = Table::new();
    t.put(0, 2, "t_wall");
    assert!(attacks_from(&t, 2).is_empty());
}

#[test]
fn combat_damage_is_simultaneous() {
    let mut t = Table::new();
    t.put(0, 2, "t_grunt");
    t.put(1, 2, "t_grunt");
    t.attack(2, 2);
    assert!(t.empty(0, 2) && t.empty(1, 2), "both die together");
}

#[test]
fn damage_persists_between_turns() {
    let mut t = Table::new();
    t.put(0, 2, "t_grunt");
    t.put(1, 2, "t_wall");
    t.attack(2, 2);
    t.end_turn();
    t.end_turn();
    assert_eq!(t.c(1, 2).health, 3);
}

#[test]
fn zero_life_loses() {
    let mut t = Table::new();
    t.put(0, 2, "t_grunt");
    t.set_life(1, 2);
    t.attack(2, ENEMY_FACE);
    assert_eq!(t.s.status, Status::Won(Seat::First));
    assert!(t.legal().is_empty(), "no actions after the end");
}

#[test]
fn simultaneous_zero_life_is_a_draw() {
    let mut t = Table::new();
    t.s.active = 1;
    let totem = t.id("t_totem");
    t.s.players[0].supports[0] = Support {
        card: totem,
        turns_left: 2,
    };
    t.s.players[0].deck_pos = t.s.players[0].deck_len;
    t.set_life(0, t.data.rules.fatigue_damage as i16);
    t.set_life(1, 1);
    t.end_turn();
    assert_eq!(t.s.status, Status::Draw);
}

#[test]
fn life_is_checked_after_the_whole_action() {
    let mut t = Table::new();
    t.set_life(0, 3);
    let h = t.give(0, "t_pact");
    t.play(h, NONE, NONE);
    assert_eq!(
        t.s.status,
        Status::Ongoing,
        "healed back within the same action"
    );
    assert_eq!(t.life(0), 3);
}

#[test]
fn healing_never_exceeds_starting_life() {
    let mut t = Table::new();
    let h = t.give(0, "t_drain");
    t.play(h, NONE, NONE);
    assert_eq!(t.life(0), t.data.rules.starting_life);
}

#[test]
fn turn_limit_higher_life_wins() {
    let mut t = Table::new();
    t.s.turn = t.data.rules.turn_limit - 1;
    t.end_turn();
    assert_eq!(t.s.status, Status::Ongoing, "the last turn is still played");
    t.set_life(0, 4);
    t.set_life(1, 9);
    t.end_turn();
    assert_eq!(t.s.status, Status::Won(Seat::Second));
}

#[test]
fn turn_limit_equal_life_draws() {
    let mut t = Table::new();
    t.s.turn = t.data.rules.turn_limit;
    t.end_turn();
    assert_eq!(t.s.status, Status::Draw);
}

// ----- keywords ------------------------------------------------------------------------------

#[test]
fn rush_attacks_immediately() {
    let mut t = Table::new();
    let h = t.give(0, "t_rush");
    t.play(h, 0, NONE);
    assert_eq!(attacks_from(&t, 0), vec![ENEMY_FACE]);
}

#[test]
fn ranged_reaches_every_lane_without_counter_damage() {
    let mut t = Table::new();
    t.put(0, 0, "t_ranged");
    t.put(1, 0, "t_grunt");
    t.put(1, 4, "t_grunt");
    assert_eq!(attacks_from(&t, 0), vec![0, 4, ENEMY_FACE]);
    t.attack(0, 4);
    assert!(t.empty(1, 4));
    assert_eq!(t.c(0, 0).health, 2, "no counter-damage");
}

#[test]
fn piercing_overflow_hits_the_player() {
    let mut t = Table::new();
    let start = t.data.rules.starting_life;
    t.put(0, 1, "t_pierce");
    t.put(1, 1, "t_grunt");
    t.attack(1, 1);
    assert_eq!(t.life(1), start - 3, "5 attack into 2 health");
    // A Shield takes the whole blow: nothing is dealt, nothing overflows.
    let mut t = Table::new();
    t.put(0, 1, "t_pierce");
    t.put(1, 1, "t_shield");
    t.attack(1, 1);
    assert_eq!(t.life(1), start);
}

#[test]
fn guard_must_be_attacked_first() {
    let mut t = Table::new();
    t.put(0, 1, "t_grunt");
    t.put(1, 0, "t_grunt");
    t.put(1, 2, "t_guard");
    assert_eq!(
        attacks_from(&t, 1),
        vec![2],
        "neither lane 0 nor the open face"
    );
    // A Guard out of reach does not bind.
    let mut t = Table::new();
    t.put(0, 0, "t_grunt");
    t.put(1, 4, "t_guard");
    assert_eq!(attacks_from(&t, 0), vec![ENEMY_FACE]);
}

#[test]
fn guard_and_stealth() {
    let mut t = Table::new();
    t.put(0, 1, "t_grunt");
    t.put(1, 0, "t_grunt");
    t.put(1, 2, "t_guard_stealth");
    assert_eq!(
        attacks_from(&t, 1),
        vec![0, ENEMY_FACE],
        "a hidden Guard neither binds nor can be hit"
    );
    // Once it attacks, Stealth is gone and Guard binds.
    t.s.active = 1;
    t.attack(2, ENEMY_FACE);
    t.s.active = 0;
    assert_eq!(attacks_from(&t, 1), vec![2]);
}

#[test]
fn lifesteal_heals_its_owner() {
    let mut t = Table::new();
    t.put(0, 2, "t_lifesteal");
    t.set_life(0, 20);
    t.attack(2, ENEMY_FACE);
    assert_eq!(t.life(0), 23);
    // Defending, it heals its owner too.
    t.put(1, 2, "t_grunt");
    t.set_life(0, 20);
    t.s.active = 1;
    t.attack(2, 2);
    assert_eq!(t.life(0), 23);
}

#[test]
fn lethal_destroys_on_any_damage() {
    let mut t = Table::new();
    t.put(0, 2, "t_lethal");
    t.put(1, 2, "t_big");
    t.attack(2, 2);
    assert!(t.empty(1, 2) && t.empty(0, 2));
}

#[test]
fn shield_absorbs_the_first_damage() {
    let mut t = Table::new();
    t.put(0, 1, "t_grunt");
    t.put(0, 2, "t_grunt");
    t.put(1, 2, "t_shield");
    t.attack(2, 2);
    let s = t.c(1, 2);
    assert_eq!(s.health, 2);
    assert!(!s.has(Keyword::Shield));
    t.attack(1, 2);
    assert!(t.empty(1, 2));
}

#[test]
fn shield_against_lethal() {
    let mut t = Table::new();
    t.put(0, 2, "t_lethal");
    t.put(1, 2, "t_shield");
    t.attack(2, 2);
    assert_eq!(
        t.c(1, 2).health,
        2,
        "no damage dealt, so Lethal does nothing"
    );
    assert!(!t.c(1, 2).has(Keyword::Shield));
    assert!(t.empty(0, 2), "the counter-blow kills the attacker");
}

#[test]
fn quick_strikes_first() {
    let mut t = Table::new();
    t.put(0, 2, "t_quick");
    t.put(1, 2, "t_grunt");
    t.attack(2, 2);
    assert!(t.empty(1, 2));
    assert_eq!(
        t.c(0, 2).health,
        2,
        "the defender died before striking back"
    );
    // Defending, Quick also strikes first.
    let mut t = Table::new();
    t.put(0, 2, "t_grunt");
    t.put(1, 2, "t_quick");
    t.attack(2, 2);
    assert!(t.empty(0, 2));
    assert_eq!(t.c(1, 2).health, 2);
}

#[test]
fn quick_against_quick_is_simultaneous() {
    let mut t = Table::new();
    t.put(0, 2, "t_quick");
    t.put(1, 2, "t_quick");
    t.attack(2, 2);
    assert!(t.empty(0, 2) && t.empty(1, 2));
}

#[test]
fn ephemeral_dies_at_end_of_next_own_turn() {
    let mut t = Table::new();
    let h = t.give(0, "t_ephemeral");
    t.play(h, 2, NONE);
    t.end_turn();
    assert!(!t.empty(0, 2), "survives the turn it was played");
    t.end_turn();
    assert_eq!(attacks_from(&t, 2), vec![ENEMY_FACE], "it gets its attack");
    t.end_turn();
    assert!(t.empty(0, 2));
}

#[test]
fn regenerate_heals_at_turn_start() {
    let mut t = Table::new();
    t.put(1, 2, "t_regen");
    t.s.players[1].lanes[2].health = 1;
    t.end_turn();
    assert_eq!(t.c(1, 2).health, 1 + t.data.rules.regenerate_amount as i8);
    t.s.players[1].lanes[2].health = 5;
    t.end_turn();
    t.end_turn();
    assert_eq!(t.c(1, 2).health, 6, "never above its maximum");
}

#[test]
fn stealth_untargetable_until_it_attacks() {
    let mut t = Table::new();
    t.put(0, 2, "t_grunt");
    t.put(1, 2, "t_stealth");
    assert_eq!(
        attacks_from(&t, 2),
        vec![ENEMY_FACE],
        "lanes 1 and 3 are open"
    );
    let h = t.give(0, "t_bolt");
    assert_eq!(
        plays_of(&t, h),
        vec![Action::Play {
            hand: h,
            lane: NONE,
            target: ENEMY_FACE
        }]
    );
    t.s.active = 1;
    t.attack(2, ENEMY_FACE);
    t.s.active = 0;
    assert!(attacks_from(&t, 2).contains(&2));
}

#[test]
fn charge_against_creatures_and_faces() {
    let mut t = Table::new();
    let start = t.data.rules.starting_life;
    let bonus = t.data.rules.charge_bonus as i16;
    t.put(0, 0, "t_charge");
    t.attack(0, ENEMY_FACE);
    assert_eq!(t.life(1), start - 1 - bonus);
    let mut t = Table::new();
    t.put(0, 2, "t_charge");
    t.put(1, 2, "t_grunt");
    t.attack(2, 2);
    assert!(t.empty(1, 2), "1 + 2 attack kills a 2-health creature");
    assert_eq!(t.c(0, 2).health, 1);
    // Defending, there is no bonus.
    let mut t = Table::new();
    t.put(0, 2, "t_charge");
    t.put(1, 2, "t_wall");
    t.s.active = 1;
    t.s.players[1].lanes[2].attack = 1;
    t.s.refresh(&t.data);
    t.attack(2, 2);
    assert_eq!(t.c(1, 2).health, 4);
}

#[test]
fn frenzy_attacks_twice_against_creatures_and_faces() {
    let mut t = Table::new();
    t.put(0, 2, "t_frenzy");
    t.put(1, 2, "t_wall");
    t.attack(2, 2);
    assert_eq!(t.c(1, 2).health, 3);
    t.attack(2, ENEMY_FACE);
    assert_eq!(t.life(1), t.data.rules.starting_life - 2);
    assert!(attacks_from(&t, 2).is_empty(), "two attacks a turn");
}

#[test]
fn volatile_damages_enemies_in_reach_on_death() {
    let mut t = Table::new();
    t.put(0, 2, "t_volatile");
    for l in [1, 2, 3, 4] {
        t.put(1, l, "t_grunt");
    }
    t.attack(2, 2);
    assert!(t.empty(0, 2));
    assert!(
        t.empty(1, 1) && t.empty(1, 2) && t.empty(1, 3),
        "2 damage to lanes 1..=3"
    );
    assert!(!t.empty(1, 4));
}

#[test]
fn fortify_reduces_each_damage() {
    let mut t = Table::new();
    t.put(0, 2, "t_grunt");
    t.put(1, 2, "t_fortify");
    t.attack(2, 2);
    assert_eq!(t.c(1, 2).health, 3);
    let h = t.give(0, "t_wave");
    t.play(h, NONE, NONE);
    assert_eq!(t.c(1, 2).health, 3, "1 damage minus 1");
}

#[test]
fn ward_negates_the_first_enemy_effect() {
    let mut t = Table::new();
    t.put(1, 2, "t_ward");
    let h = t.give(0, "t_bolt");
    t.play(h, NONE, 2);
    assert_eq!(t.c(1, 2).health, 4);
    assert!(!t.c(1, 2).has(Keyword::Ward));
    let h = t.give(0, "t_bolt");
    t.play(h, NONE, 2);
    assert_eq!(t.c(1, 2).health, 1);
    // Own effects are not blocked, and combat ignores Ward.
    let mut t = Table::new();
    t.put(0, 2, "t_ward");
    let h = t.give(0, "t_grow");
    t.play(h, NONE, OWN_LANE + 2);
    assert_eq!(t.c(0, 2).attack, 3);
    assert!(t.c(0, 2).has(Keyword::Ward));
}

// ----- cards and effects ---------------------------------------------------------------------

#[test]
fn spell_target_is_part_of_the_action() {
    let mut t = Table::new();
    t.put(0, 1, "t_grunt");
    t.put(1, 0, "t_grunt");
    t.put(1, 3, "t_stealth");
    let bolt = t.give(0, "t_bolt");
    let mend = t.give(0, "t_mend");
    let wave = t.give(0, "t_wave");
    let grow = t.give(0, "t_grow");
    let targets = |t: &Table, h| -> Vec<u8> {
        plays_of(t, h)
            .into_iter()
            .map(|a| match a {
                Action::Play { target, .. } => target,
                _ => unreachable!(),
            })
            .collect()
    };
    assert_eq!(targets(&t, bolt), vec![0, ENEMY_FACE]);
    assert_eq!(targets(&t, mend), vec![OWN_LANE + 1]);
    assert_eq!(targets(&t, wave), vec![NONE]);
    assert_eq!(targets(&t, grow), vec![0, OWN_LANE + 1]);
    t.play(bolt, NONE, ENEMY_FACE);
    assert_eq!(t.life(1), t.data.rules.starting_life - 3);
}

#[test]
fn spell_needs_a_target() {
    let mut t = Table::new();
    let h = t.give(0, "t_doom");
    assert!(plays_of(&t, h).is_empty());
}

#[test]
fn on_play_effects_fire_when_played() {
    let mut t = Table::new();
    t.set_life(0, 20);
    let h = t.give(0, "t_play_heal");
    t.play(h, 0, NONE);
    assert_eq!(t.life(0), 25);
}

#[test]
fn on_death_effects_fire_after_removal() {
    let mut t = Table::new();
    t.put(0, 2, "t_grunt");
    t.put(1, 2, "t_death_summon");
    t.attack(2, 2);
    assert_eq!(
        t.c(1, 2).card,
        t.id("t_token"),
        "the token takes the freed lane"
    );
}

#[test]
fn start_of_turn_effects_fire_for_the_active_player() {
    let mut t = Table::new();
    t.put(0, 0, "t_start_buff");
    t.put(1, 0, "t_start_buff");
    t.end_turn();
    assert_eq!((t.c(1, 0).attack, t.c(1, 0).health), (2, 2));
    assert_eq!((t.c(0, 0).attack, t.c(0, 0).health), (1, 1));
}

#[test]
fn on_attack_effects_resolve_before_combat() {
    let mut t = Table::new();
    t.put(0, 2, "t_attack_ping");
    t.put(1, 2, "t_lethal");
    t.put(1, 4, "t_grunt");
    t.attack(2, 2);
    assert!(t.empty(1, 2), "the ping killed the defender first");
    assert_eq!(t.c(0, 2).health, 2, "so no Lethal counter-blow");
    assert_eq!(t.c(1, 4).health, 1);
}

#[test]
fn on_kill_effects_fire_when_the_attacker_kills_and_survives() {
    let mut t = Table::new();
    t.put(0, 2, "t_kill_draw");
    t.put(1, 2, "t_grunt");
    t.attack(2, 2);
    assert_eq!(t.s.players[0].hand_len, 1);
}

#[test]
fn support_lasts_its_duration() {
    let mut t = Table::new();
    let start = t.data.rules.starting_life;
    let h = t.give(0, "t_totem");
    t.play(h, NONE, NONE);
    t.end_turn();
    t.end_turn();
    assert_eq!(t.life(1), start - 1);
    assert_eq!(t.s.players[0].supports[0].turns_left, 1);
    t.end_turn();
    t.end_turn();
    assert_eq!(t.life(1), start - 2);
    assert_eq!(t.s.players[0].supports[0], Support::EMPTY);
}

#[test]
fn support_slots_are_limited() {
    let mut t = Table::new();
    for _ in 0..t.data.rules.support_slots {
        let h = t.give(0, "t_totem");
        t.play(h, NONE, NONE);
    }
    let h = t.give(0, "t_totem");
    assert!(plays_of(&t, h).is_empty());
}

#[test]
fn summon_fills_nearest_empty_lanes() {
    let mut t = Table::new();
    t.put(0, 0, "t_grunt");
    t.put(0, 3, "t_grunt");
    let h = t.give(0, "t_swarm");
    t.play(h, NONE, NONE);
    let token = t.id("t_token");
    assert!([1, 2, 4].iter().all(|&l| t.c(0, l).card == token));
    assert!(
        t.c(0, 1).fresh,
        "summoned creatures wait a turn like played ones"
    );
}

#[test]
fn destroy_ignores_shield() {
    let mut t = Table::new();
    t.put(1, 2, "t_shield");
    let h = t.give(0, "t_doom");
    t.play(h, NONE, 2);
    assert!(t.empty(1, 2));
}

#[test]
fn buff_raises_health_and_its_maximum() {
    let mut t = Table::new();
    t.put(0, 2, "t_grunt");
    let h = t.give(0, "t_grow");
    t.play(h, NONE, OWN_LANE + 2);
    let c = t.c(0, 2);
    assert_eq!((c.attack, c.health, c.max_health), (4, 4, 4));
    t.s.players[0].lanes[2].health = 1;
    let h = t.give(0, "t_mend");
    t.play(h, NONE, OWN_LANE + 2);
    assert_eq!(t.c(0, 2).health, 4);
}

#[test]
fn identical_cards_share_actions() {
    let mut t = Table::new();
    let first = t.give(0, "t_grunt");
    let second = t.give(0, "t_grunt");
    assert_eq!(plays_of(&t, first).len(), 5);
    assert!(plays_of(&t, second).is_empty());
}
