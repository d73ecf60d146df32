"""The ewtui library: configs, plans, the job runner, backends, the pipeline, experiments,
validation reports, weights, snapshots and cost estimates. Imports neither textual nor modal."""
