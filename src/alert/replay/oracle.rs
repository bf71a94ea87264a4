//! The reference detector: the probability that an ideal count test, knowing the spike's
//! minutes and the true baseline, finds a spike at one false alarm per brand-week; a spike it
//! would find with probability [`DETECTABLE`] or more is *detectable*.

use statrs::function::gamma::ln_gamma;

use super::model::{Spike, MAX_SHARE, WEEK};
use crate::alert::detector::{binomial_tail, count_tail};
use crate::record::alert::Kind;

/// False-alarm level of each test of the reference detector ([`oracle_power`]): one false
/// alarm per brand-week spread over its tests, one per non-overlapping 10- and 30-minute block
/// and kind: `1 / (2 * (1008 + 336))`.
pub const ORACLE_ALPHA: f64 = 1.0 / (2.0 * (WEEK as f64 / 10.0 + WEEK as f64 / 30.0));
/// A spike is *detectable* when the reference detector finds it with at least this probability.
pub const DETECTABLE: f64 = 0.95;

/// The probability that a reference detector finds `spike`: a single test over exactly the
/// spike's minutes, knowing the true expected counts (`rates`, mentions per minute without the
/// spike), at the false-alarm level [`ORACLE_ALPHA`]. No real detector knows when a spike
/// starts, how long it lasts or the true baseline, so this is an optimistic reference for what
/// any count test can see at one false alarm per brand-week: a spike it misses is lost in the
/// noise of its own stream.
///
/// Volume: counts over the spike are Poisson (negative binomial with the stream's per-minute
/// overdispersion) with the baseline mean; the test fires at the smallest count whose upper tail
/// is at most the level; the power is that count's tail under the spiked mean. Negative share:
/// given the total `n`, negatives are binomial with the baseline share; the power is averaged
/// over the distribution of `n`.
pub fn oracle_power(spike: &Spike, rates: &[f64], share: f64, dispersion: f64) -> f64 {
    let mean: f64 = rates.iter().sum();
    let sq: f64 = rates.iter().map(|r| r * r).sum();
    if mean <= 0.0 {
        return 0.0;
    }
    // Variance / mean of the count over the spike when every rate is multiplied by m:
    // (m * sum(r) + D * m^2 * sum(r^2)) / (m * sum(r)).
    let index = |m: f64| 1.0 + dispersion * m * sq / mean;
    match spike.kind {
        Kind::Volume => {
            let m = f64::from(spike.multiplier);
            let base = index(1.0);
            let k = threshold(mean as u64, |k| count_tail(k, mean, base));
            count_tail(k, mean * m, index(m))
        }
        Kind::Negative => {
            let spiked = (share * f64::from(spike.multiplier)).min(MAX_SHARE);
            let phi = index(1.0);
            let sd = (mean * phi).sqrt();
            let lo = (mean - 8.0 * sd - 5.0).max(0.0) as u64;
            let hi = (mean + 8.0 * sd + 10.0) as u64;
            let z = z_upper(ORACLE_ALPHA);
            let mut power = 0.0;
            let mut mass = 0.0;
            for n in lo..=hi {
                let pn = count_pmf(n, mean, phi);
                mass += pn;
                if pn < 1e-12 || n == 0 {
                    continue;
                }
                let nf = n as f64;
                let hit = if nf * share * (1.0 - share) >= 50.0 {
                    // Normal approximation for large totals.
                    let c = nf * share + z * (nf * share * (1.0 - share)).sqrt();
                    normal_upper((c - nf * spiked) / (nf * spiked * (1.0 - spiked)).sqrt())
                } else {
                    let c = threshold((nf * share) as u64, |k| binomial_tail(k, n, share));
                    binomial_tail(c, n, spiked)
                };
                power += pn * hit;
            }
            if mass > 0.0 {
                power / mass
            } else {
                0.0
            }
        }
    }
}

/// The smallest `k >= start` with `tail(k) <= ORACLE_ALPHA` (`tail` decreasing).
pub(super) fn threshold(start: u64, tail: impl Fn(u64) -> f64) -> u64 {
    let within = |k: u64| tail(k) <= ORACLE_ALPHA;
    // Bracket the answer in (lo, hi] with `within(hi)`, then bisect.
    let (mut lo, mut hi) = if within(start) {
        if within(0) {
            return 0;
        }
        (0, start)
    } else {
        let mut step = 1u64;
        while !within(start + step) {
            step *= 2;
        }
        (start + step / 2, start + step)
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if within(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// `P(X = n)` for a Poisson (index <= 1) or negative binomial count with this mean and
/// variance `index * mean`.
pub(super) fn count_pmf(n: u64, mean: f64, index: f64) -> f64 {
    let nf = n as f64;
    if index <= 1.0 + 1e-9 {
        return (nf * mean.ln() - mean - ln_gamma(nf + 1.0)).exp();
    }
    let p = 1.0 / index;
    let r = mean * p / (1.0 - p);
    (ln_gamma(nf + r) - ln_gamma(r) - ln_gamma(nf + 1.0) + r * p.ln() + nf * (1.0 - p).ln()).exp()
}

/// `P(Z >= z)` for a standard normal `Z`.
pub(super) fn normal_upper(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2)
}

/// The `z` with `P(Z >= z) = alpha`, by bisection.
pub(super) fn z_upper(alpha: f64) -> f64 {
    let (mut lo, mut hi) = (0.0_f64, 40.0_f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if normal_upper(mid) > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}
