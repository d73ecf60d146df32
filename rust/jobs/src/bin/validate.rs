//! `validate`: balance validation over every cross-faction deck matchup. See docs/validate.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use ew_jobs::cli::{parse_or_exit, positive_u32};
use ew_jobs::reporter::Reporter;
use ew_jobs::validate::{BotKind, ValidateArgs, report::Verdict, run};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum BotArg {
    Mcts,
    Greedy,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EventsArg {
    Jsonl,
}

/// Plays every cross-faction deck matchup in both seat orders with the trained weights and
/// reports win rates, Wilson 95% intervals and a balance verdict.
#[derive(Parser, Debug)]
#[command(name = "validate", version)]
struct Cli {
    /// Games per matchup and seat order (a positive integer): a full run plays 40 x 2 x N games.
    #[arg(long, default_value = "100", value_parser = positive_u32, allow_hyphen_values = true)]
    games: u32,
    /// Write results.json alone to this file instead of experiments/validation/<run-id>/.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Only these matchups: a faction pair (argentum-symbiote), a faction, or a deck id.
    #[arg(long)]
    matchup: Option<String>,
    /// Name of the output directory under experiments/validation/ [default: UTC time].
    #[arg(long)]
    run_id: Option<String>,
    /// Base seed; each game's seed derives from it, the two deck ids, the seat order and the
    /// game index (0 to 2^63-1).
    #[arg(long, default_value_t = 42, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    seed: u64,
    /// Worker threads [default: one per core]; results are identical for any value.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// The bot both decks use.
    #[arg(long, value_enum, default_value = "mcts")]
    bot: BotArg,
    /// MCTS simulations per move (with --bot mcts).
    #[arg(long, default_value = "100", value_parser = positive_u32, allow_hyphen_values = true)]
    mcts_sims: u32,
    /// Weights directory: specialists/<faction>.toml, falling back to generalist.toml
    /// [default: DATA/weights].
    #[arg(long)]
    weights_dir: Option<PathBuf>,
    /// The data directory [default: the nearest data/ with rules.toml upward from here].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Root of the outputs [default: experiments/ beside data/].
    #[arg(long)]
    experiment_dir: Option<PathBuf>,
    /// Event lines on stdout (jsonl); the human log stays on stderr.
    #[arg(long, value_enum)]
    events: Option<EventsArg>,
    /// Exit with code 1 when the verdict is imbalanced.
    #[arg(long)]
    fail_on_imbalance: bool,
}

fn main() -> ExitCode {
    let cli: Cli = parse_or_exit("validate", std::env::args_os());
    let rep = Reporter::new(cli.events.is_some());
    let args = ValidateArgs {
        games: cli.games,
        output: cli.output,
        matchup: cli.matchup,
        run_id: cli.run_id,
        seed: cli.seed,
        threads: cli.threads.map(usize::from),
        bot: match cli.bot {
            BotArg::Mcts => BotKind::Mcts,
            BotArg::Greedy => BotKind::Greedy,
        },
        mcts_sims: cli.mcts_sims,
        weights_dir: cli.weights_dir,
        data: cli.data,
        experiment_dir: cli.experiment_dir,
        fail_on_imbalance: cli.fail_on_imbalance,
    };
    match run(&args, &rep) {
        Ok(outcome) => {
            if args.fail_on_imbalance && outcome.results.verdict == Verdict::Imbalanced {
                eprintln!("validate: verdict imbalanced (--fail-on-imbalance)");
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            rep.error("validate", &e);
            ExitCode::from(e.exit_code())
        }
    }
}
