"""tune's defaults that the plan estimates with, generated from `tune --print-defaults` (the
constants of rust/jobs/src/tune/train.rs and heldout.rs); do not edit by hand.
`tests/test_core_plan.py::test_tune_defaults_match_the_binary` fails when they differ from the
binary; regenerate with
`UPDATE_TUNE_DEFAULTS=1 pytest tests/test_core_plan.py -k tune_defaults`."""

TUNE_DEFAULTS = {
    "archive": 4,
    "games": 3000,
    "generations": 150,
    "h2h_min_games": 1600,
    "heldout_games": 1000,
    "mcts_sims": 50,
    "seed": 42,
}
