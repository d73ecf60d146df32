//! `bench`: engine and bot speed, as medians over repeats, on one core (MCTS also on two), and
//! instruction counts under callgrind where valgrind is installed.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use clap::{Parser, ValueEnum};
use ew_engine::action::ActionBuf;
use ew_engine::bots::{Bot, MctsParams, MctsScratch};
use ew_engine::data::{Deck, GameData, resolve_data_dir};
use ew_engine::eval::Evaluator;
use ew_engine::game::play_game;
use ew_engine::seed;
use ew_engine::state::GameState;
use ew_engine::weights::Weights;

/// Measures random and greedy game speed, greedy decision time, MCTS simulations per second,
/// state clone and legal-action generation, single-threaded, as medians over repeats.
#[derive(Parser, Debug)]
#[command(name = "bench", version)]
struct Args {
    /// Print one JSON object on stdout instead of the text report.
    #[arg(long)]
    json: bool,
    /// Repeats of every measurement; the median is reported.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Random games per repeat.
    #[arg(long, default_value_t = 4000)]
    random_games: usize,
    /// Greedy mirror games per repeat.
    #[arg(long, default_value_t = 400)]
    greedy_games: usize,
    /// MCTS searches per repeat (from positions of greedy games).
    #[arg(long, default_value_t = 24)]
    mcts_searches: usize,
    /// Simulations per MCTS search.
    #[arg(long, default_value_t = 200)]
    mcts_sims: u32,
    /// Weights of the greedy and MCTS bots [default: DATA/weights/generalist.toml].
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Data directory [default: the nearest data/ upward from the working directory].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Skip the instruction counts (they run bench again under valgrind's callgrind).
    #[arg(long)]
    no_instructions: bool,
    /// Run only this workload once, for counting its instructions under callgrind.
    #[arg(long, value_enum, hide = true)]
    workload: Option<Workload>,
    /// Size of `--workload`: games, or rounds over the sampled positions.
    #[arg(long, hide = true, default_value_t = 0)]
    workload_size: usize,
}

/// The workloads whose instructions are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Workload {
    /// Random-vs-random games.
    Random,
    /// Greedy mirror games.
    Greedy,
    /// Rounds of legal-action listing over the sampled positions.
    Legal,
    /// MCTS searches (`--mcts-sims` simulations each) from sampled decisions.
    Mcts,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("bench: error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

struct Series {
    us_per_game: f64,
    us_per_action: f64,
    turns: f64,
    actions: f64,
}

fn games(data: &GameData, pairs: &[(&Deck, &Deck)], bot: &Bot, n: usize, salt: u64) -> Series {
    let t = Instant::now();
    let (mut turns, mut actions) = (0u64, 0u64);
    for i in 0..n {
        let (a, b) = pairs[i % pairs.len()];
        let (a, b) = if (i / pairs.len()).is_multiple_of(2) {
            (a, b)
        } else {
            (b, a)
        };
        let out = play_game(data, a, b, bot, bot, seed::derive(salt, i as u64));
        turns += out.turns as u64;
        actions += out.actions as u64;
    }
    let us = t.elapsed().as_secs_f64() * 1e6;
    Series {
        us_per_game: us / n as f64,
        us_per_action: us / actions.max(1) as f64,
        turns: turns as f64 / n as f64,
        actions: actions as f64 / n as f64,
    }
}

/// Positions met in greedy mirror games, a sample of every stage of the game.
fn sample_states(
    data: &GameData,
    pairs: &[(&Deck, &Deck)],
    w: &Weights,
    n: usize,
) -> Vec<GameState> {
    let bot = Bot::Greedy(*w);
    let mut out = Vec::with_capacity(n);
    let mut game = 0u64;
    while out.len() < n {
        let (a, b) = pairs[game as usize % pairs.len()];
        let mut s = GameState::new(data, a, b, seed::derive(99, game));
        let mut players = [bot.player(1), bot.player(2)];
        let mut step = 0;
        while !s.is_terminal() && out.len() < n {
            if step % 3 == 0 {
                out.push(s);
            }
            let act = players[s.active as usize].choose(data, &s);
            s.apply(data, act);
            step += 1;
        }
        game += 1;
    }
    out
}

/// Runs one workload of `size` and prints how many units (games, actions, listings) it did.
fn run_workload(
    data: &GameData,
    pairs: &[(&Deck, &Deck)],
    w: &Weights,
    workload: Workload,
    size: usize,
    params: &MctsParams,
) {
    let units = match workload {
        Workload::Random => {
            games(data, pairs, &Bot::Random, size, 0);
            size as f64
        }
        Workload::Greedy => games(data, pairs, &Bot::Greedy(*w), size, 1000).actions * size as f64,
        Workload::Legal => {
            let states = sample_states(data, pairs, w, 1024);
            let mut buf = ActionBuf::new();
            for _ in 0..size {
                for st in &states {
                    black_box(st).legal_actions(data, &mut buf);
                    black_box(buf.len());
                }
            }
            (size * states.len()) as f64
        }
        Workload::Mcts => {
            let states = sample_states(data, pairs, w, 1024);
            let eval = Evaluator::new(w);
            let mut scratch = MctsScratch::default();
            let mut rng = seed::rng(0, 7);
            let decisions = states.iter().filter(|s| s.legal_count(data) > 1).cycle();
            for st in decisions.take(size) {
                black_box(scratch.search(data, st, &eval, params, &mut rng));
            }
            (size as u64 * params.sims as u64) as f64
        }
    };
    println!("{units}");
}

/// Instructions per unit of `workload` under callgrind: the difference between runs of `2n`
/// and `n`, so data loading and setup cancel out. `None` when valgrind is not available.
fn count_instructions(args: &Args, data_dir: &Path, workload: Workload, n: usize) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let run = |size: usize| -> Option<(f64, f64)> {
        let out_file = std::env::temp_dir().join(format!(
            "bench-callgrind-{}-{workload:?}-{size}.out",
            std::process::id()
        ));
        let mut cmd = Command::new("valgrind");
        cmd.arg("--tool=callgrind")
            .arg("--quiet")
            .arg(format!("--callgrind-out-file={}", out_file.display()))
            .arg(&exe)
            .arg("--data")
            .arg(data_dir)
            .arg("--workload")
            .arg(workload.to_possible_value()?.get_name())
            .arg("--workload-size")
            .arg(size.to_string())
            .arg("--mcts-sims")
            .arg(args.mcts_sims.to_string());
        if let Some(w) = &args.weights {
            cmd.arg("--weights").arg(w);
        }
        let out = cmd.output().ok()?;
        let text = std::fs::read_to_string(&out_file).ok();
        let _ = std::fs::remove_file(&out_file);
        if !out.status.success() {
            return None;
        }
        let units: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
        let total = text?
            .lines()
            .find_map(|l| {
                l.strip_prefix("totals:")
                    .or_else(|| l.strip_prefix("summary:"))
            })?
            .trim()
            .parse::<f64>()
            .ok()?;
        Some((total, units))
    };
    let (i1, u1) = run(n)?;
    let (i2, u2) = run(2 * n)?;
    (u2 > u1).then(|| ((i2 - i1) / (u2 - u1)).round())
}

/// MCTS simulations per second per core with `threads` threads, each searching every position.
fn mcts_rate_of(
    data: &GameData,
    states: &[GameState],
    eval: &Evaluator,
    params: &MctsParams,
    threads: usize,
    salt: u64,
) -> f64 {
    let t = Instant::now();
    std::thread::scope(|scope| {
        for k in 0..threads {
            scope.spawn(move || {
                let mut scratch = MctsScratch::default();
                let mut rng = seed::rng(salt, 7 + k as u64);
                for st in states {
                    black_box(scratch.search(data, st, eval, params, &mut rng));
                }
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    (states.len() as f64 * params.sims as f64) / secs / threads as f64
}

fn run(args: &Args) -> Result<(), String> {
    let dir = resolve_data_dir(args.data.as_deref()).map_err(|e| e.to_string())?;
    let data = GameData::load(&dir).map_err(|e| e.to_string())?;
    let weights_path = args
        .weights
        .clone()
        .unwrap_or_else(|| dir.join("weights").join("generalist.toml"));
    let w = Weights::load(&weights_path).map_err(|e| e.to_string())?;
    let pairs = data.cross_faction_pairs();
    if pairs.is_empty() {
        return Err(format!(
            "{}: no cross-faction deck pairs",
            dir.join("decks").display()
        ));
    }
    if let Some(workload) = args.workload {
        let params = MctsParams {
            sims: args.mcts_sims,
            ..MctsParams::default()
        };
        run_workload(&data, &pairs, &w, workload, args.workload_size, &params);
        return Ok(());
    }
    let repeats = args.repeats.max(1);
    let states = sample_states(&data, &pairs, &w, 1024);
    // Only real decisions: a position with a single legal action is not searched.
    let decisions: Vec<GameState> = states
        .iter()
        .filter(|s| s.legal_count(&data) > 1)
        .copied()
        .collect();
    let mcts_states: Vec<GameState> = decisions
        .iter()
        .step_by((decisions.len() / args.mcts_searches.max(1)).max(1))
        .copied()
        .take(args.mcts_searches.max(1))
        .collect();

    let (mut random_us, mut random_turns, mut random_actions) = (vec![], vec![], vec![]);
    let (mut greedy_us, mut greedy_action_us, mut greedy_turns, mut greedy_actions) =
        (vec![], vec![], vec![], vec![]);
    let (mut mcts_rate, mut mcts_rate2, mut clone_ns, mut legal_ns) =
        (vec![], vec![], vec![], vec![]);
    let params = MctsParams {
        sims: args.mcts_sims,
        ..MctsParams::default()
    };
    for r in 0..repeats as u64 {
        let s = games(&data, &pairs, &Bot::Random, args.random_games.max(1), r);
        random_us.push(s.us_per_game);
        random_turns.push(s.turns);
        random_actions.push(s.actions);

        let s = games(
            &data,
            &pairs,
            &Bot::Greedy(w),
            args.greedy_games.max(1),
            1000 + r,
        );
        greedy_us.push(s.us_per_game);
        greedy_action_us.push(s.us_per_action);
        greedy_turns.push(s.turns);
        greedy_actions.push(s.actions);

        let eval = Evaluator::new(&w);
        mcts_rate.push(mcts_rate_of(&data, &mcts_states, &eval, &params, 1, r));
        mcts_rate2.push(mcts_rate_of(&data, &mcts_states, &eval, &params, 2, r));

        let rounds = 2000;
        let t = Instant::now();
        for _ in 0..rounds {
            for st in &states {
                black_box(*black_box(st));
            }
        }
        clone_ns.push(t.elapsed().as_secs_f64() * 1e9 / (rounds * states.len()) as f64);

        let mut buf = ActionBuf::new();
        let rounds = 200;
        let t = Instant::now();
        for _ in 0..rounds {
            for st in &states {
                black_box(st).legal_actions(&data, &mut buf);
                black_box(buf.len());
            }
        }
        legal_ns.push(t.elapsed().as_secs_f64() * 1e9 / (rounds * states.len()) as f64);
    }
    let instructions = |workload, n| {
        if args.no_instructions {
            None
        } else {
            count_instructions(args, &dir, workload, n)
        }
    };
    let random_instr = instructions(Workload::Random, 1000);
    let greedy_instr = instructions(Workload::Greedy, 100);
    let legal_instr = instructions(Workload::Legal, 20);
    let mcts_instr = instructions(Workload::Mcts, 8);
    let report = serde_json::json!({
        "random_game_us": median(random_us),
        "random_game_turns": median(random_turns),
        "random_game_actions": median(random_actions),
        "greedy_game_us": median(greedy_us),
        "greedy_action_us": median(greedy_action_us),
        "greedy_game_turns": median(greedy_turns),
        "greedy_game_actions": median(greedy_actions),
        "mcts_sims_per_sec_per_core": median(mcts_rate),
        "mcts_sims_per_sec_per_core_2_threads": median(mcts_rate2),
        "mcts_rollout_depth": params.rollout_depth,
        "clone_ns": median(clone_ns),
        "legal_actions_ns": median(legal_ns),
        "state_bytes": std::mem::size_of::<GameState>(),
        "repeats": repeats,
        "random_game_instructions": random_instr,
        "greedy_action_instructions": greedy_instr,
        "legal_actions_instructions": legal_instr,
        "mcts_sim_instructions": mcts_instr,
        "instructions_counter": random_instr.map(|_| "callgrind"),
    });
    if args.json {
        println!("{report}");
    } else {
        let obj = report.as_object().expect("object literal");
        for (k, v) in obj {
            println!("{k:<28} {v}");
        }
    }
    Ok(())
}
