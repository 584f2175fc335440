//! TEPS (traversed edges per second) and Graph500's statistics (host side, `f64`).

use std::vec::Vec;

/// TEPS of one search: `edges / seconds`.
pub fn teps(edges: u64, seconds: f64) -> f64 {
    edges as f64 / seconds
}

/// TEPS from a cycle count at `clock_hz` (`edges * clock_hz / cycles`).
pub fn teps_from_cycles(edges: u64, cycles: u64, clock_hz: f64) -> f64 {
    edges as f64 * clock_hz / cycles as f64
}

/// Harmonic mean of positive values: `n / sum(1 / x)`.
pub fn harmonic_mean(values: &[f64]) -> f64 {
    values.len() as f64 / values.iter().map(|x| 1.0 / x).sum::<f64>()
}

/// Graph500's summary of per-root TEPS values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TepsStats {
    /// Number of searches.
    pub n: usize,
    /// Smallest TEPS.
    pub min: f64,
    /// First quartile.
    pub first_quartile: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub third_quartile: f64,
    /// Largest TEPS.
    pub max: f64,
    /// Harmonic mean (the headline number).
    pub harmonic_mean: f64,
    /// Standard deviation of the harmonic mean: `stddev(1/x) * hmean^2 / sqrt(n - 1)`, with the
    /// `n - 1` sample variance of the inverses (0 when `n < 2`).
    pub harmonic_stddev: f64,
}

impl TepsStats {
    /// Statistics of `values` (each > 0; at least one). Quantile `q` of the sorted values is
    /// at position `(n - 1) * q`; between two elements it is their mean.
    ///
    /// # Panics
    /// If `values` is empty.
    pub fn from_values(values: &[f64]) -> Self {
        assert!(!values.is_empty(), "TepsStats of no searches");
        let n = values.len();
        let mut v: Vec<f64> = values.to_vec();
        v.sort_by(f64::total_cmp);
        let quantile = |num: usize, den: usize| -> f64 {
            // Position (n - 1) * num / den, averaging the neighbours when it is fractional.
            let t = (n - 1) * num;
            let (k, r) = (t / den, t % den);
            if r == 0 {
                v[k]
            } else {
                (v[k] + v[k + 1]) / 2.0
            }
        };
        let inv_mean = v.iter().map(|x| 1.0 / x).sum::<f64>() / n as f64;
        let hmean = 1.0 / inv_mean;
        let hstd = if n < 2 {
            0.0
        } else {
            let var = v.iter().map(|x| (1.0 / x - inv_mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            var.sqrt() * hmean * hmean / ((n - 1) as f64).sqrt()
        };
        Self {
            n,
            min: v[0],
            first_quartile: quantile(1, 4),
            median: quantile(1, 2),
            third_quartile: quantile(3, 4),
            max: v[n - 1],
            harmonic_mean: hmean,
            harmonic_stddev: hstd,
        }
    }
}
