//! Evaluation weights of the greedy and MCTS bots. [`WEIGHT_SPEC`] is the one table of weight
//! names, bounds, defaults and meanings; `data/weights/spec.json` is generated from it.

use std::fmt::Write as _;
use std::path::Path;

use crate::data::DataError;
use crate::data::toml_read::{Entry, read_table};
use crate::faction::Faction;

/// One named weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightDef {
    pub name: &'static str,
    pub min: f32,
    pub max: f32,
    pub default: f32,
    pub doc: &'static str,
    /// Added after weight files existed: a file may leave it out and then gets `default`,
    /// which plays exactly as before the weight existed.
    pub optional: bool,
}

macro_rules! weight_spec {
    (@optional) => { false };
    (@optional optional) => { true };
    ($($var:ident $name:literal [$min:expr, $max:expr] = $def:expr, $($opt:ident)? $doc:literal;)*) => {
        /// Index of each weight in [`WEIGHT_SPEC`] and [`Weights::values`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub enum W { $($var),* }

        pub const WEIGHT_SPEC: &[WeightDef] = &[
            $(WeightDef {
                name: $name,
                min: $min,
                max: $max,
                default: $def,
                doc: $doc,
                optional: weight_spec!(@optional $($opt)?),
            }),*
        ];
    };
}

weight_spec! {
    OwnLife "own_life" [0.0, 5.0] = 1.0, "per point of own life";
    EnemyLifeLost "enemy_life_lost" [0.0, 5.0] = 1.2, "per point of life the enemy has lost";
    OwnAttack "own_attack" [0.0, 5.0] = 1.0, "per point of attack on own creatures";
    OwnHealth "own_health" [0.0, 5.0] = 0.8, "per point of health on own creatures";
    EnemyAttack "enemy_attack" [0.0, 5.0] = 1.1, "per point of attack on enemy creatures (subtracted)";
    EnemyHealth "enemy_health" [0.0, 5.0] = 0.8, "per point of health on enemy creatures (subtracted)";
    OwnCreatures "own_creatures" [0.0, 10.0] = 1.5, "per own creature on the board";
    EnemyCreatures "enemy_creatures" [0.0, 10.0] = 1.5, "per enemy creature on the board (subtracted)";
    BoardAdvantage "board_advantage" [0.0, 5.0] = 0.5, "per own creature facing an empty enemy lane, minus the same for the enemy";
    HandSize "hand_size" [0.0, 5.0] = 0.5, "per card in own hand";
    SpareAp "spare_ap" [-2.0, 2.0] = 0.0, "per action point left during own turn";
    KwRush "kw_rush" [-2.0, 5.0] = 0.3, "per own creature with Rush, minus the same for the enemy";
    KwRanged "kw_ranged" [-2.0, 5.0] = 1.0, "per own creature with Ranged, minus the same for the enemy";
    KwPiercing "kw_piercing" [-2.0, 5.0] = 0.5, "per own creature with Piercing, minus the same for the enemy";
    KwGuard "kw_guard" [-2.0, 5.0] = 1.0, "per own creature with Guard, minus the same for the enemy";
    KwLifesteal "kw_lifesteal" [-2.0, 5.0] = 1.0, "per own creature with Lifesteal, minus the same for the enemy";
    KwLethal "kw_lethal" [-2.0, 5.0] = 1.5, "per own creature with Lethal, minus the same for the enemy";
    KwShield "kw_shield" [-2.0, 5.0] = 1.5, "per own creature with Shield, minus the same for the enemy";
    KwQuick "kw_quick" [-2.0, 5.0] = 0.8, "per own creature with Quick, minus the same for the enemy";
    KwEphemeral "kw_ephemeral" [-2.0, 5.0] = -1.0, "per own creature with Ephemeral, minus the same for the enemy";
    KwRegenerate "kw_regenerate" [-2.0, 5.0] = 0.8, "per own creature with Regenerate, minus the same for the enemy";
    KwStealth "kw_stealth" [-2.0, 5.0] = 1.0, "per own creature with Stealth, minus the same for the enemy";
    KwCharge "kw_charge" [-2.0, 5.0] = 1.0, "per own creature with Charge, minus the same for the enemy";
    KwFrenzy "kw_frenzy" [-2.0, 5.0] = 1.0, "per own creature with Frenzy, minus the same for the enemy";
    KwVolatile "kw_volatile" [-2.0, 5.0] = 0.8, "per own creature with Volatile, minus the same for the enemy";
    KwFortify "kw_fortify" [-2.0, 5.0] = 1.0, "per own creature with Fortify, minus the same for the enemy";
    KwWard "kw_ward" [-2.0, 5.0] = 0.8, "per own creature with Ward, minus the same for the enemy";
    ReadyAttack "ready_attack" [-2.0, 5.0] = 0.0, optional "per point of attack on own creatures that may still attack this turn, during own turn";
    ReadyCreatures "ready_creatures" [-2.0, 5.0] = 0.0, optional "per own creature that may still attack this turn, during own turn";
    PlayableCards "playable_cards" [-2.0, 5.0] = 0.0, optional "per card in own hand that is affordable now (its essence cost and an action point), during own turn";
    WinBonus "win_bonus" [0.0, 1000.0] = 500.0, "score of a won game";
    LossPenalty "loss_penalty" [0.0, 1000.0] = 500.0, "score subtracted for a lost game";
}

/// Number of weights.
pub const WEIGHT_COUNT: usize = W::LossPenalty as usize + 1;

/// Weight values in [`WEIGHT_SPEC`] order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weights {
    pub values: [f32; WEIGHT_COUNT],
}

impl Default for Weights {
    fn default() -> Self {
        let mut values = [0.0; WEIGHT_COUNT];
        for (v, d) in values.iter_mut().zip(WEIGHT_SPEC) {
            *v = d.default;
        }
        Weights { values }
    }
}

impl std::ops::Index<W> for Weights {
    type Output = f32;
    #[inline]
    fn index(&self, w: W) -> &f32 {
        &self.values[w as usize]
    }
}

impl Weights {
    /// Reads a weights file: a flat table of `name = number`, every weight within its bounds and
    /// present, except the `optional` ones, which default.
    pub fn load(path: &Path) -> Result<Weights, DataError> {
        let table = read_table(path)?;
        let e = Entry::new(path, "weights", &table);
        let names: Vec<&str> = WEIGHT_SPEC.iter().map(|d| d.name).collect();
        e.only(&names)?;
        let mut values = [0.0; WEIGHT_COUNT];
        for (v, d) in values.iter_mut().zip(WEIGHT_SPEC) {
            if d.optional && !table.contains_key(d.name) {
                *v = d.default;
                continue;
            }
            let x = e.float(d.name)?;
            if !x.is_finite() || x < d.min as f64 || x > d.max as f64 {
                return Err(e.err(
                    d.name,
                    format!("value {x} out of range {}..={}", d.min, d.max),
                ));
            }
            *v = x as f32;
        }
        Ok(Weights { values })
    }

    /// Weights from values in spec order; each value is clamped into its bounds.
    pub fn from_values(values: &[f64]) -> Option<Weights> {
        if values.len() != WEIGHT_COUNT {
            return None;
        }
        let mut w = Weights::default();
        for ((v, x), d) in w.values.iter_mut().zip(values).zip(WEIGHT_SPEC) {
            *v = (*x as f32).clamp(d.min, d.max);
        }
        Some(w)
    }

    /// The file format read by [`Weights::load`], one weight per line with its meaning.
    pub fn to_toml_string(&self) -> String {
        let mut s = String::from(
            "# Evaluation weights; names, bounds and meanings: data/weights/spec.json\n",
        );
        for (v, d) in self.values.iter().zip(WEIGHT_SPEC) {
            let _ = writeln!(s, "{} = {}  # {}", d.name, fmt_value(*v), d.doc);
        }
        s
    }

    /// The specialist weights of `faction` if that file exists, else the generalist weights.
    pub fn for_faction(weights_dir: &Path, faction: Faction) -> Result<Weights, DataError> {
        let specialist = weights_dir
            .join("specialists")
            .join(format!("{}.toml", faction.as_str()));
        if specialist.is_file() {
            Weights::load(&specialist)
        } else {
            Weights::load(&weights_dir.join("generalist.toml"))
        }
    }

    /// Bounds and defaults as JSON (the content of `data/weights/spec.json`).
    pub fn spec_json() -> String {
        // f32 -> shortest decimal -> f64, so 1.2 is written as 1.2, not 1.2000000476837158.
        let num = |x: f32| x.to_string().parse::<f64>().unwrap_or(f64::NAN);
        let items: Vec<serde_json::Value> = WEIGHT_SPEC
            .iter()
            .map(|d| {
                serde_json::json!({
                    "name": d.name,
                    "min": num(d.min),
                    "max": num(d.max),
                    "default": num(d.default),
                    "doc": d.doc,
                    "optional": d.optional,
                })
            })
            .collect();
        let mut s = serde_json::to_string_pretty(&serde_json::json!({ "weights": items }))
            .expect("static data serialises");
        s.push('\n');
        s
    }
}

/// Shortest decimal form that reads back as the same `f32`, always with a decimal point.
fn fmt_value(v: f32) -> String {
    let s = format!("{v}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}
