//! `validate`: balance validation over every cross-faction deck matchup. See docs/validate.md.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ew_jobs::cli::{parse_or_exit, positive_u32};
use ew_jobs::reporter::Reporter;
use ew_jobs::validate::merge::{self, MergeArgs};
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
#[command(name = "validate", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunFlags,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Builds the report of partial runs (their results.json files) exactly as one run over
    /// the union of their matchups writes it.
    Merge(MergeFlags),
}

#[derive(Args, Debug)]
struct MergeFlags {
    /// The parts: results.json files of runs with the same flags apart from --matchup.
    #[arg(required = true)]
    parts: Vec<PathBuf>,
    /// Write results.json, summary.txt and config.toml into this directory.
    #[arg(long, required_unless_present = "output", conflicts_with = "output")]
    output_dir: Option<PathBuf>,
    /// Write results.json alone to this file.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Event lines on stdout (jsonl); the human log stays on stderr.
    #[arg(long, value_enum)]
    events: Option<EventsArg>,
    /// Exit with code 1 when the verdict is imbalanced.
    #[arg(long)]
    fail_on_imbalance: bool,
}

#[derive(Args, Debug)]
struct RunFlags {
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
    /// Write 0 for every time_s, so two runs with the same flags write identical files.
    #[arg(long)]
    no_timing: bool,
}

fn main() -> ExitCode {
    let cli: Cli = parse_or_exit("validate", std::env::args_os());
    match cli.command {
        Some(Command::Merge(flags)) => merge_main(flags),
        None => run_main(cli.run),
    }
}

/// The exit code of a finished report: 1 when `--fail-on-imbalance` trips.
fn verdict_exit(fail_on_imbalance: bool, verdict: Verdict) -> ExitCode {
    if fail_on_imbalance && verdict == Verdict::Imbalanced {
        eprintln!("validate: verdict imbalanced (--fail-on-imbalance)");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn merge_main(flags: MergeFlags) -> ExitCode {
    let rep = Reporter::new(flags.events.is_some());
    let args = MergeArgs {
        parts: flags.parts,
        output_dir: flags.output_dir,
        output: flags.output,
    };
    match merge::run(&args, &rep) {
        Ok(results) => verdict_exit(flags.fail_on_imbalance, results.verdict),
        Err(e) => {
            rep.error("validate merge", &e);
            ExitCode::from(e.exit_code())
        }
    }
}

fn run_main(cli: RunFlags) -> ExitCode {
    let mut rep = Reporter::new(cli.events.is_some());
    // Without event lines a run at a terminal would say nothing for minutes.
    if cli.events.is_none() && std::io::stderr().is_terminal() {
        rep = rep.with_stderr_progress();
    }
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
        no_timing: cli.no_timing,
    };
    match run(&args, &rep) {
        Ok(outcome) => verdict_exit(args.fail_on_imbalance, outcome.results.verdict),
        Err(e) => {
            rep.error("validate", &e);
            ExitCode::from(e.exit_code())
        }
    }
}
