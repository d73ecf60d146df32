//! Essence Wars: rules, data loading and bots.
