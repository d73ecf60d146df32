//! `tune`: trains the bot weights with CMA-ES, or runs the optimizer on a test function.
//! See docs/tune.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use ew_jobs::cli::{parse_or_exit, positive_f64, positive_u32};
use ew_jobs::reporter::Reporter;
use ew_jobs::tune::config::{Mode, parse_fitness_weights};
use ew_jobs::tune::evaluate::{EvaluateArgs, evaluate_file};
use ew_jobs::tune::objective::{ObjectiveArgs, run_objective};
use ew_jobs::tune::train::{TuneArgs, defaults_json, run};
use ew_tuning::objectives::Objective;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ModeArg {
    Generalist,
    Specialist,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EventsArg {
    Jsonl,
}

/// Flags that only make sense when starting a new run; `--resume` takes them from the
/// experiment directory instead.
const NEW_RUN_FLAGS: [&str; 21] = [
    "mode",
    "faction",
    "generations",
    "games",
    "mcts_sims",
    "population",
    "sigma",
    "sigma_floor",
    "stagnation",
    "fitness_weights",
    "seed",
    "tag",
    "experiment_dir",
    "initial_weights",
    "objective",
    "games_max",
    "archive",
    "heldout_games",
    "h2h_games",
    "baseline",
    "evaluate",
];

/// Flags of a training run that `--evaluate` does not take.
const TRAINING_ONLY_FLAGS: [&str; 14] = [
    "generations",
    "games",
    "population",
    "sigma",
    "sigma_floor",
    "stagnation",
    "tag",
    "experiment_dir",
    "initial_weights",
    "resume",
    "events",
    "deploy",
    "games_max",
    "archive",
];

/// Trains the evaluation weights of the greedy bot with CMA-ES by playing games against
/// random, greedy and MCTS opponents; or, with --objective, runs the same optimizer on a test
/// function.
#[derive(Parser, Debug)]
#[command(name = "tune", version)]
struct Cli {
    /// What to train: the generalist weights, or one faction's specialist weights.
    #[arg(long, value_enum)]
    mode: Option<ModeArg>,
    /// The faction of --mode specialist: argentum, symbiote or obsidion.
    #[arg(long)]
    faction: Option<String>,
    /// The most generations to run [default: 150].
    #[arg(long, value_parser = positive_u32, allow_hyphen_values = true)]
    generations: Option<u32>,
    /// Games per candidate evaluation, exactly; split evenly over the opponent types, both
    /// seats equally [default: 3000].
    #[arg(long, value_parser = positive_u32, allow_hyphen_values = true)]
    games: Option<u32>,
    /// Simulations per move of the MCTS opponent [default: 50].
    #[arg(long, value_parser = positive_u32, allow_hyphen_values = true)]
    mcts_sims: Option<u32>,
    /// Candidates per generation, at least 2 [default: 4 + floor(3 ln n), n = number of weights].
    #[arg(long, value_parser = positive_u32, allow_hyphen_values = true)]
    population: Option<u32>,
    /// Initial step size in the normalised space where every weight spans [0, 1] [default: 0.2].
    #[arg(long, value_parser = positive_f64, allow_hyphen_values = true)]
    sigma: Option<f64>,
    /// Stop when the search distribution's largest standard deviation (normalised) falls below
    /// this [default: 0.001].
    #[arg(long, value_parser = positive_f64, allow_hyphen_values = true)]
    sigma_floor: Option<f64>,
    /// Stagnation window in generations; 0 turns the test off [default: ceil(120 + 30 n / population)].
    #[arg(long)]
    stagnation: Option<u32>,
    /// Weights of the win rates against the random, greedy and MCTS opponents, as R,G,M; a
    /// type with weight 0 is not played [default: 0,1,0].
    #[arg(long, value_parser = parse_fitness_weights)]
    fitness_weights: Option<[f64; 3]>,
    /// Games per evaluation grow from --games towards this as the search distribution shrinks
    /// (games x (sigma0 / sigma)^2) [default: --games, no growth].
    #[arg(long, value_parser = positive_u32, allow_hyphen_values = true)]
    games_max: Option<u32>,
    /// Candidates kept in the archive, replayed every generation and ranked by the 95% lower
    /// bound of their average in-training fitness; the archive and the distribution mean are the
    /// finalists [default: 4].
    #[arg(long)]
    archive: Option<u32>,
    /// Held-out games per finalist against the fitness opponent mix, allotted to the types in
    /// proportion to --fitness-weights; 0 skips them [default: 1000].
    #[arg(long)]
    heldout_games: Option<u32>,
    /// Held-out head-to-head games per finalist against --baseline (both greedy, every deck
    /// pair in both seats); 0 skips the held-out evaluation [default: 1600 rounded up to whole
    /// cycles of the deck pairs].
    #[arg(long)]
    h2h_games: Option<u32>,
    /// Weights the head-to-head is played against [default: the deployed file of the mode,
    /// else the spec defaults].
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Evaluate this weights file on the held-out deals (fitness mix and head to head against
    /// --baseline) instead of training.
    #[arg(long, conflicts_with_all = TRAINING_ONLY_FLAGS)]
    evaluate: Option<PathBuf>,
    /// Seed of the optimizer and of every deal, 0 to 2^63-1 [default: 42].
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Suffix of the experiment directory name [default: generalist or specialist_<faction>].
    #[arg(long)]
    tag: Option<String>,
    /// Where the experiment directory is created [default: experiments/ beside data/].
    #[arg(long)]
    experiment_dir: Option<PathBuf>,
    /// The data directory [default: the nearest data/ with rules.toml upward from here].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Worker threads [default: one per core]; results are identical for any value.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Weights file to start from [default: the deployed file of the mode, else the spec
    /// defaults].
    #[arg(long)]
    initial_weights: Option<PathBuf>,
    /// Continue the experiment in this directory exactly where its last checkpoint left off.
    #[arg(long, conflicts_with_all = NEW_RUN_FLAGS)]
    resume: Option<PathBuf>,
    /// Event lines on stdout (jsonl); the human log goes to stderr.
    #[arg(long, value_enum)]
    events: Option<EventsArg>,
    /// When the run ends, install weights.toml (the held-out winner) into data/weights/ (the
    /// previous file is kept in data/weights/.history/).
    #[arg(long)]
    deploy: bool,
    /// Run the optimizer on a test function instead of training.
    #[arg(long, value_parser = parse_objective, conflicts_with_all = ["mode", "faction", "games", "mcts_sims", "resume", "deploy", "initial_weights", "events", "tag", "experiment_dir", "fitness_weights", "evaluate", "games_max", "archive", "heldout_games", "h2h_games", "baseline"])]
    objective: Option<Objective>,
    /// Dimension of --objective.
    #[arg(long, default_value = "10", value_parser = positive_u32, allow_hyphen_values = true, requires = "objective")]
    dim: u32,
    /// --objective stops when the best value is at or below this.
    #[arg(long, default_value_t = 1e-8, requires = "objective")]
    target: f64,
    /// --objective evaluation budget [default: 10000 x dim].
    #[arg(long, value_parser = positive_u32, allow_hyphen_values = true, requires = "objective")]
    max_evals: Option<u32>,
    /// --objective, --evaluate: print the result as one JSON object on the last stdout line.
    #[arg(long)]
    json: bool,
    /// Print the defaults other programs estimate with (archive, held-out and head-to-head
    /// games, ...) as one JSON object, and exit.
    #[arg(long, exclusive = true)]
    print_defaults: bool,
}

fn parse_objective(s: &str) -> Result<Objective, String> {
    s.parse::<Objective>().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli: Cli = parse_or_exit("tune", std::env::args_os());
    if cli.print_defaults {
        println!("{}", defaults_json());
        return ExitCode::SUCCESS;
    }
    if let Some(objective) = cli.objective {
        return objective_mode(&cli, objective);
    }
    if cli.json && cli.evaluate.is_none() {
        eprintln!("tune: error: --json applies to --objective and --evaluate only");
        return ExitCode::from(2);
    }
    let mode = cli.mode.map(|m| match m {
        ModeArg::Generalist => Mode::Generalist,
        ModeArg::Specialist => Mode::Specialist,
    });
    if let Some(candidate) = cli.evaluate.clone() {
        return evaluate_mode(&cli, mode, candidate);
    }
    let rep = Reporter::new(cli.events.is_some());
    let args = TuneArgs {
        mode,
        faction: cli.faction,
        generations: cli.generations,
        games: cli.games,
        mcts_sims: cli.mcts_sims,
        population: cli.population,
        sigma: cli.sigma,
        sigma_floor: cli.sigma_floor,
        stagnation: cli.stagnation,
        fitness_weights: cli.fitness_weights,
        games_max: cli.games_max,
        archive: cli.archive,
        heldout_games: cli.heldout_games,
        h2h_games: cli.h2h_games,
        baseline: cli.baseline,
        seed: cli.seed,
        tag: cli.tag,
        experiment_dir: cli.experiment_dir,
        data: cli.data,
        threads: cli.threads.map(usize::from),
        initial_weights: cli.initial_weights,
        resume: cli.resume,
        deploy: cli.deploy,
    };
    match run(&args, &rep) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            rep.error("tune", &e);
            ExitCode::from(e.exit_code())
        }
    }
}

fn evaluate_mode(cli: &Cli, mode: Option<Mode>, candidate: PathBuf) -> ExitCode {
    let args = EvaluateArgs {
        candidate,
        baseline: cli.baseline.clone(),
        mode,
        faction: cli.faction.clone(),
        seed: cli.seed,
        h2h_games: cli.h2h_games,
        heldout_games: cli.heldout_games,
        mcts_sims: cli.mcts_sims,
        fitness_weights: cli.fitness_weights,
        data: cli.data.clone(),
        threads: cli.threads.map(usize::from),
    };
    match evaluate_file(&args) {
        Ok(r) => {
            if cli.json {
                println!("{}", serde_json::to_string(&r).unwrap_or_default());
            } else {
                let pct = |p: f64, ci: [f64; 2]| {
                    format!(
                        "{:.1}% [{:.1}, {:.1}]",
                        100.0 * p,
                        100.0 * ci[0],
                        100.0 * ci[1]
                    )
                };
                let c = &r.candidate;
                println!(
                    "{} against {} (held-out deals, seed {}):",
                    c.name, r.baseline, r.seed
                );
                println!(
                    "  head to head {} over {} games ({} wins, {} losses, {} draws)",
                    pct(c.h2h.score, c.h2h.ci95),
                    c.h2h.games,
                    c.h2h.wins,
                    c.h2h.losses,
                    c.h2h.draws
                );
                if let (Some(f), Some(ci)) = (c.fitness, c.fitness_ci95) {
                    println!(
                        "  held-out fitness {} over {} games against the fitness mix",
                        pct(f, ci),
                        r.games
                    );
                }
                println!("  {:.1} CPU-seconds", r.cpu_s);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tune: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// The sigma floor of test-function runs: far below any target's scale, so only the target
/// or the budget ends them.
const OBJECTIVE_SIGMA_FLOOR: f64 = 1e-15;

fn objective_mode(cli: &Cli, objective: Objective) -> ExitCode {
    let args = ObjectiveArgs {
        objective,
        dim: cli.dim as usize,
        seed: cli.seed.unwrap_or(1),
        target: cli.target,
        max_evals: cli
            .max_evals
            .map(u64::from)
            .unwrap_or(10_000 * u64::from(cli.dim)),
        population: cli.population.map(|p| p as usize),
        sigma_floor: OBJECTIVE_SIGMA_FLOOR,
    };
    match run_objective(&args) {
        Ok(r) => {
            if cli.json {
                println!("{}", serde_json::to_string(&r).unwrap_or_default());
            } else {
                println!(
                    "{} dim {} seed {}: {} evaluations, {} generations, best {:e} ({})",
                    r.objective,
                    r.dim,
                    r.seed,
                    r.evaluations,
                    r.generations,
                    r.best_f,
                    r.stop_reason
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tune: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
