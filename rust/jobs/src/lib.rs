//! Shared code of the tune and validate binaries.
