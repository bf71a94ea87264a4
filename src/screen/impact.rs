//! Impact: how much a mention can matter, from its author's reach and its engagement, and
//! the weight it gets in reach-weighted sentiment.
//!
//! `impact = round(60 * min(1, log10(1 + followers) / 7) + 40 * min(1, log10(1 + likes + 2 *
//! shares + replies) / 5))`, 0..=100: an account with 10 million followers gives the whole
//! reach part (60), 100,000 weighted interactions the whole engagement part (40); a post by a
//! 500-follower account with 3 likes scores 28. Logarithms, because reach and engagement are
//! heavy-tailed: a celebrity is not a million ordinary people in one.
//!
//! Reach-weighted sentiment weighs each mention by `1 + log10(1 + followers)` (1 for an
//! unknown author, 8 for 10 million followers).

use crate::mention::Mention;

/// The impact of `m`, 0..=100.
pub fn impact(m: &Mention) -> u32 {
    let reach = m.reach() as f64;
    let engagement = m.engagement.map_or(0.0, |e| {
        e.likes as f64 + 2.0 * e.shares as f64 + e.replies as f64
    });
    let r = ((1.0 + reach).log10() / 7.0).min(1.0);
    let e = ((1.0 + engagement).log10() / 5.0).min(1.0);
    (60.0 * r + 40.0 * e).round().clamp(0.0, 100.0) as u32
}

/// The weight of `m` in reach-weighted sentiment.
pub fn reach_weight(m: &Mention) -> f64 {
    1.0 + (1.0 + m.reach() as f64).log10()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mention::{Author, Engagement};
    use chrono::Utc;

    fn m(followers: Option<i64>, likes: u64, shares: u64) -> Mention {
        let mut m = Mention::new("1", "t", "twitter", Utc::now());
        m.author = Some(Author {
            followers,
            ..Author::default()
        });
        m.engagement = Some(Engagement {
            likes,
            shares,
            replies: 0,
        });
        m
    }

    #[test]
    fn impact_is_bounded_and_follows_the_formula() {
        assert_eq!(impact(&m(None, 0, 0)), 0);
        assert_eq!(impact(&m(Some(500), 3, 0)), 28);
        assert_eq!(impact(&m(Some(10_000_000), 100_000, 0)), 100);
        assert_eq!(impact(&m(Some(i64::MAX), u64::MAX, u64::MAX)), 100);
        assert_eq!(impact(&m(Some(-7), 0, 0)), 0, "absurd reach is no reach");
        assert!(impact(&m(Some(1_000), 0, 0)) < impact(&m(Some(100_000), 0, 0)));
        assert_eq!(reach_weight(&m(None, 0, 0)), 1.0);
        assert!((reach_weight(&m(Some(9_999_999), 0, 0)) - 8.0).abs() < 1e-9);
    }
}
