//! Optimizer, statistics and job plumbing shared by the tune and validate binaries.
