"""The widgets the screens are built from, and the run view they draw."""
