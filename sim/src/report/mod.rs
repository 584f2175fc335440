//! Plots of results (SVG, with `plotters`), written next to the JSON of a run.

pub mod plot;
