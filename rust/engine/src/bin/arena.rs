//! `arena`: bot against bot over the decks, both seats equally.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ew_engine::arena::run_arena;
use ew_engine::bots::{Bot, BotSpec};
use ew_engine::data::{GameData, resolve_data_dir};
use ew_engine::weights::Weights;

/// Plays bot A against bot B over every cross-faction deck pair (or one chosen pair), each bot
/// taking the first seat in half the games, and reports win rates with 95% intervals.
#[derive(Parser, Debug)]
#[command(name = "arena", version)]
struct Args {
    /// Bot A: random, greedy, greedy:PATH.toml, mcts:SIMS or mcts:SIMS:PATH.toml.
    #[arg(long)]
    bot_a: BotSpec,
    /// Bot B: random, greedy, greedy:PATH.toml, mcts:SIMS or mcts:SIMS:PATH.toml.
    #[arg(long)]
    bot_b: BotSpec,
    /// Number of games; must be even so both bots take each seat equally often.
    #[arg(long, default_value_t = 400)]
    games: u64,
    /// Seed; game i uses a seed derived from (seed, i), so results do not depend on threads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Deck of bot A (a deck id, the file stem); with --deck-b, only this pair is played.
    #[arg(long, requires = "deck_b")]
    deck_a: Option<String>,
    /// Deck of bot B (a deck id); with --deck-a, only this pair is played.
    #[arg(long, requires = "deck_a")]
    deck_b: Option<String>,
    /// Weights of the `greedy` and `mcts:SIMS` bots [default: DATA/weights/generalist.toml].
    #[arg(long)]
    weights: Option<PathBuf>,
    /// MCTS rollout depth in actions [default: the engine default].
    #[arg(long)]
    rollout_depth: Option<u32>,
    /// Data directory [default: the nearest data/ upward from the working directory].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Worker threads; 0 uses every core. Results are identical for any value.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print one JSON object on stdout instead of the text report.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("arena: error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    if args.games == 0 || !args.games.is_multiple_of(2) {
        return Err(format!(
            "--games must be a positive even number, got {}",
            args.games
        ));
    }
    let dir = resolve_data_dir(args.data.as_deref()).map_err(|e| e.to_string())?;
    let data = GameData::load(&dir).map_err(|e| e.to_string())?;
    let weights_path = args
        .weights
        .clone()
        .unwrap_or_else(|| dir.join("weights").join("generalist.toml"));
    let weights = Weights::load(&weights_path).map_err(|e| e.to_string())?;
    let build = |spec: &BotSpec| -> Result<Bot, String> {
        let mut bot = Bot::from_spec(spec, &weights).map_err(|e| e.to_string())?;
        if let (Bot::Mcts(_, p), Some(d)) = (&mut bot, args.rollout_depth) {
            p.rollout_depth = d;
        }
        Ok(bot)
    };
    let (bot_a, bot_b) = (build(&args.bot_a)?, build(&args.bot_b)?);
    let (pairs, swap) = match (&args.deck_a, &args.deck_b) {
        (Some(a), Some(b)) => {
            let find = |id: &str, flag: &str| {
                data.deck(id).ok_or_else(|| {
                    format!(
                        "{flag}: unknown deck `{id}` (deck ids are the file stems under {})",
                        dir.join("decks").display()
                    )
                })
            };
            (vec![(find(a, "--deck-a")?, find(b, "--deck-b")?)], false)
        }
        _ => (data.cross_faction_pairs(), true),
    };
    if pairs.is_empty() {
        return Err(format!(
            "{}: no cross-faction deck pairs",
            dir.join("decks").display()
        ));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .map_err(|e| format!("thread pool: {e}"))?;
    let (na, nb) = (args.bot_a.to_string(), args.bot_b.to_string());
    let report = pool.install(|| {
        run_arena(
            &data,
            &bot_a,
            &bot_b,
            (&na, &nb),
            &pairs,
            swap,
            args.games,
            args.seed,
        )
    });
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let pct = |x: f64| x * 100.0;
    println!(
        "{} vs {}: {} games over {} deck pair(s), seed {}",
        report.bot_a, report.bot_b, report.games, report.deck_pairs, report.seed
    );
    println!(
        "  A score {:.1}%  [{:.1}, {:.1}]  (A {} / B {} / draws {})",
        pct(report.a_score),
        pct(report.a_score_ci95[0]),
        pct(report.a_score_ci95[1]),
        report.a_wins,
        report.b_wins,
        report.draws
    );
    println!(
        "  A wins as first {}, as second {}; first seat score {:.1}%  [{:.1}, {:.1}]",
        report.a_wins_as_first,
        report.a_wins_as_second,
        pct(report.first_seat_score),
        pct(report.first_seat_score_ci95[0]),
        pct(report.first_seat_score_ci95[1])
    );
    for f in &report.factions {
        println!(
            "  {:<9} score {:.1}%  [{:.1}, {:.1}] over {} games",
            f.faction,
            pct(f.score),
            pct(f.score_ci95[0]),
            pct(f.score_ci95[1]),
            f.games
        );
    }
    println!(
        "  avg {:.1} turns, {:.1} actions per game; {:.2} s",
        report.avg_turns, report.avg_actions, report.time_s
    );
    Ok(())
}
