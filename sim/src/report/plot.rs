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

/// One labelled line of a chart (with a dot at each point when `marks`).
struct Curve {
    label: &'static str,
    colour: RGBColor,
    points: Vec<(f64, f64)>,
    marks: bool,
}

/// One chart over offered load (`0..x_max`) with `curves` and their legend.
fn panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    caption: &str,
    y_desc: &str,
    x_max: f64,
    y_max: f64,
    curves: &[Curve],
) -> Result<(), Box<dyn std::error::Error>> {
    let mut c = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    c.configure_mesh()
        .x_desc("offered load (flits/node/cycle)")
        .y_desc(y_desc)
        .draw()?;
    for curve in curves {
        let colour = curve.colour;
        c.draw_series(LineSeries::new(curve.points.clone(), &colour))?
            .label(curve.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
        if curve.marks {
            c.draw_series(
                curve
                    .points
                    .iter()
                    .map(|&p| Circle::new(p, 3, colour.filled())),
            )?;
        }
    }
    c.configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    Ok(())
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
    let acc: Vec<(f64, f64)> = reports.iter().map(|r| (r.offered, r.accepted)).collect();

    let latency = [
        Curve {
            label: "measured",
            colour: BLUE,
            points: lat,
            marks: true,
        },
        Curve {
            label: "zero-load latency (analytical)",
            colour: GREEN,
            points: vec![(0.0, t0), (max_off, t0)],
            marks: false,
        },
        Curve {
            label: "saturation bound (analytical)",
            colour: RED,
            points: vec![(sat, 0.0), (sat, cap * 1.05)],
            marks: false,
        },
    ];
    let caption = format!("{title}: latency");
    panel(
        &left,
        &caption,
        "mean latency (cycles)",
        max_off,
        cap * 1.05,
        &latency,
    )
    .map_err(|e| err(&e))?;
    let throughput = [
        Curve {
            label: "measured",
            colour: BLUE,
            points: acc,
            marks: true,
        },
        Curve {
            label: "min(offered, bound)",
            colour: RED,
            points: vec![(0.0, 0.0), (sat, sat), (max_off, sat)],
            marks: false,
        },
    ];
    let caption = format!("{title}: throughput");
    panel(
        &right,
        &caption,
        "accepted (flits/node/cycle)",
        max_off,
        max_off,
        &throughput,
    )
    .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// Names and colours of the thread states, in stacking order.
const STATES: [(&str, RGBColor); 8] = [
    ("running", RGBColor(46, 139, 87)),
    ("ready, not picked", RGBColor(152, 251, 152)),
    ("wait memory", RGBColor(70, 130, 180)),
    ("wait mul/div", RGBColor(255, 165, 0)),
    ("wait fence", RGBColor(148, 0, 211)),
    ("wait atomic", RGBColor(220, 20, 60)),
    ("wait pipeline", RGBColor(189, 183, 107)),
    ("idle (WFI)", RGBColor(211, 211, 211)),
];

fn state_values(c: &crate::core::pipeline::StateCycles) -> [u64; 8] {
    [
        c.running,
        c.ready_not_picked,
        c.wait_memory,
        c.wait_muldiv,
        c.wait_fence,
        c.wait_atomic,
        c.wait_pipeline,
        c.idle,
    ]
}

/// Where every thread's cycles went (the Niagara utilization figure): one stacked bar per thread,
/// or per core (summed over its threads) when there are more than 64 threads.
pub fn thread_states(
    stats: &crate::stats::RunStats,
    threads_per_core: u32,
    path: &Path,
) -> Result<(), PlotError> {
    let err = |e: &dyn std::fmt::Display| PlotError {
        path: path.display().to_string(),
        why: e.to_string(),
    };
    let per_core = stats.harts.len() > 64;
    let bars: Vec<(String, [u64; 8])> = if per_core {
        stats
            .harts
            .chunks(threads_per_core as usize)
            .enumerate()
            .map(|(c, hs)| {
                let mut v = [0u64; 8];
                for h in hs {
                    for (a, b) in v.iter_mut().zip(state_values(&h.cycles)) {
                        *a += b;
                    }
                }
                (format!("core {c}"), v)
            })
            .collect()
    } else {
        stats
            .harts
            .iter()
            .enumerate()
            .map(|(h, s)| (format!("hart {h}"), state_values(&s.cycles)))
            .collect()
    };
    if bars.is_empty() {
        return Err(err(&"no threads"));
    }
    let height = (120 + 22 * bars.len() as u32).min(4000);
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let n = bars.len();
    let mut c = ChartBuilder::on(&root)
        .caption("cycles by thread state", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..1.0f64, (0..n).into_segmented())
        .map_err(|e| err(&e))?;
    c.configure_mesh()
        .disable_y_mesh()
        .x_desc("fraction of cycles")
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if *i < n => bars[*i].0.clone(),
            _ => String::new(),
        })
        .draw()
        .map_err(|e| err(&e))?;
    for (k, (name, colour)) in STATES.iter().enumerate() {
        let rects = bars.iter().enumerate().map(|(i, (_, v))| {
            let total = v.iter().sum::<u64>().max(1) as f64;
            let start = v[..k].iter().sum::<u64>() as f64 / total;
            let end = start + v[k] as f64 / total;
            Rectangle::new(
                [
                    (start, SegmentValue::Exact(i)),
                    (end, SegmentValue::Exact(i + 1)),
                ],
                colour.filled(),
            )
        });
        c.draw_series(rects)
            .map_err(|e| err(&e))?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
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
