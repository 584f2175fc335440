//! SVG plots.
//!
//! * [`noc_curve`]: latency vs offered load and accepted vs offered throughput of a synthetic
//!   traffic sweep, with the analytical zero-load latency and saturation bound drawn beside the
//!   measurements.

use crate::noc::traffic::SyntheticReport;
use plotters::prelude::*;
use std::path::Path;

/// Why a plot could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write plot {path}: {why}")]
pub struct PlotError {
    /// Output file.
    pub path: String,
    /// What went wrong.
    pub why: String,
}

/// Write the latency/throughput curves of a sweep (`reports` in increasing offered load).
pub fn noc_curve(reports: &[SyntheticReport], title: &str, path: &Path) -> Result<(), PlotError> {
    let err = |e: &dyn std::fmt::Display| PlotError {
        path: path.display().to_string(),
        why: e.to_string(),
    };
    if reports.is_empty() {
        return Err(err(&"no measurements"));
    }
    let root = SVGBackend::new(path, (1100, 450)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (left, right) = root.split_horizontally(550);
    let sat = reports[0].saturation_analytic;
    let t0 = reports[0].zero_load_analytic;
    let max_off = reports.iter().map(|r| r.offered).fold(sat, f64::max) * 1.05;
    // Latency grows without bound past saturation: cap the axis at 10x the zero-load latency.
    let cap = (t0 * 10.0).max(10.0);
    let lat: Vec<(f64, f64)> = reports
        .iter()
        .map(|r| (r.offered, r.latency_mean.min(cap)))
        .collect();

    let mut c = ChartBuilder::on(&left)
        .caption(format!("{title}: latency"), ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..max_off, 0.0..cap * 1.05)
        .map_err(|e| err(&e))?;
    c.configure_mesh()
        .x_desc("offered load (flits/node/cycle)")
        .y_desc("mean latency (cycles)")
        .draw()
        .map_err(|e| err(&e))?;
    c.draw_series(LineSeries::new(lat.clone(), &BLUE))
        .map_err(|e| err(&e))?
        .label("measured")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    c.draw_series(lat.iter().map(|&p| Circle::new(p, 3, BLUE.filled())))
        .map_err(|e| err(&e))?;
    c.draw_series(LineSeries::new(vec![(0.0, t0), (max_off, t0)], &GREEN))
        .map_err(|e| err(&e))?
        .label("zero-load latency (analytical)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN));
    c.draw_series(LineSeries::new(vec![(sat, 0.0), (sat, cap * 1.05)], &RED))
        .map_err(|e| err(&e))?
        .label("saturation bound (analytical)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    c.configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .map_err(|e| err(&e))?;

    let acc: Vec<(f64, f64)> = reports.iter().map(|r| (r.offered, r.accepted)).collect();
    let mut c = ChartBuilder::on(&right)
        .caption(format!("{title}: throughput"), ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..max_off, 0.0..max_off)
        .map_err(|e| err(&e))?;
    c.configure_mesh()
        .x_desc("offered load (flits/node/cycle)")
        .y_desc("accepted (flits/node/cycle)")
        .draw()
        .map_err(|e| err(&e))?;
    c.draw_series(LineSeries::new(acc.clone(), &BLUE))
        .map_err(|e| err(&e))?
        .label("measured")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    c.draw_series(acc.iter().map(|&p| Circle::new(p, 3, BLUE.filled())))
        .map_err(|e| err(&e))?;
    c.draw_series(LineSeries::new(
        vec![(0.0, 0.0), (sat, sat), (max_off, sat)],
        &RED,
    ))
    .map_err(|e| err(&e))?
    .label("min(offered, bound)")
    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    c.configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noc::traffic::{sweep, Pattern};

    #[test]
    fn writes_an_svg_with_every_point() {
        let cfg = strand_hw::ChipConfig::preset("tiny").unwrap();
        let reports = sweep(&cfg, &Pattern::Uniform, &[0.05, 0.2, 0.4], 1, 2000, 1).unwrap();
        let dir = std::env::temp_dir().join(format!("strand-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("noc.svg");
        noc_curve(&reports, "tiny uniform", &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..60.min(svg.len())]);
        assert_eq!(svg.matches("<circle").count(), 2 * reports.len());
        assert!(svg.contains("saturation bound"));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(noc_curve(&[], "x", &path).is_err());
    }
}
