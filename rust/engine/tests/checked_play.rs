//! `GameState::play` (checked) against `GameState::apply` (unchecked).

mod common;

use common::{Table, shipped_dir};
use ew_engine::action::{Action, ActionBuf, ENEMY_FACE, NONE};
use ew_engine::data::GameData;
use ew_engine::seed;
use ew_engine::state::{GameState, IllegalAction, Status};

#[test]
fn illegal_action_is_refused_and_changes_nothing() {
    let mut t = Table::new();
    // Lane 0 is empty, so nothing can attack from it.
    let attack = Action::Attack {
        lane: 0,
        target: ENEMY_FACE,
    };
    let before = t.s;
    assert_eq!(
        t.s.play(&t.data, attack),
        Err(IllegalAction::NotLegal { action: attack })
    );
    assert_eq!(t.s, before);
    // An empty hand has no card 0 to play.
    let play = Action::Play {
        hand: 0,
        lane: 0,
        target: NONE,
    };
    assert_eq!(t.s.play(&t.data, play).map_err(|e| e.action()), Err(play));
    assert_eq!(t.s, before);
}

#[test]
fn nothing_is_legal_once_the_game_is_over() {
    let mut t = Table::new();
    t.s.status = Status::Won(ew_engine::Seat::First);
    let before = t.s;
    let err = t.s.play(&t.data, Action::EndTurn).unwrap_err();
    assert_eq!(
        err,
        IllegalAction::GameOver {
            action: Action::EndTurn
        }
    );
    assert!(err.to_string().contains("game is over"), "{err}");
    assert_eq!(t.s, before);
}

/// Along random games on the shipped data: every listed action is accepted by `play` with the
/// same result as `apply`, and a sample of unlisted ones is refused without a change.
#[test]
fn play_agrees_with_apply_on_random_games() {
    let data = GameData::load(&shipped_dir()).expect("shipped data loads");
    let candidates: Vec<Action> = (0..6u8)
        .flat_map(|lane| {
            [ENEMY_FACE, 0, 1, 9].into_iter().flat_map(move |target| {
                [
                    Action::Attack { lane, target },
                    Action::Play {
                        hand: lane,
                        lane,
                        target,
                    },
                    Action::Play {
                        hand: lane,
                        lane,
                        target: NONE,
                    },
                ]
            })
        })
        .chain([Action::EndTurn])
        .collect();
    let (mut accepted, mut refused) = (0u32, 0u32);
    for game in 0..20u64 {
        let (a, b) = (
            &data.decks[game as usize % data.decks.len()],
            &data.decks[(game as usize * 7 + 3) % data.decks.len()],
        );
        let mut s = GameState::new(&data, a, b, game);
        let mut rng = seed::rng(game, 99);
        let mut buf = ActionBuf::new();
        while !s.is_terminal() && s.turn < 60 {
            s.legal_actions(&data, &mut buf);
            let legal = buf.to_vec();
            for &c in &candidates {
                let mut checked = s;
                if legal.contains(&c) {
                    let mut unchecked = s;
                    unchecked.apply(&data, c);
                    assert_eq!(checked.play(&data, c), Ok(()));
                    assert_eq!(checked, unchecked, "{c}");
                    accepted += 1;
                } else {
                    assert_eq!(
                        checked.play(&data, c),
                        Err(IllegalAction::NotLegal { action: c })
                    );
                    assert_eq!(checked, s, "{c}");
                    refused += 1;
                }
            }
            let pick = legal[seed::below(&mut rng, legal.len())];
            s.play(&data, pick).expect("a listed action is legal");
        }
    }
    assert!(accepted > 100 && refused > 1000, "{accepted} {refused}");
}
