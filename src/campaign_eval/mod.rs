//! `brandpulse campaign-eval`: the screen stage replayed on seeded streams with injected
//! copy-paste campaigns, organic look-alikes and organic repost cascades ([`sim`]), scored
//! against the streams' truth.
//!
//! - **Recall**: an injected campaign is found when a declared campaign of its brand has
//!   most of its members from it. **Precision**: the share of declared campaigns whose
//!   members are mostly from one injected campaign of their brand (a campaign found twice,
//!   as two clusters, counts twice as correct, and is reported as split).
//! - **Time to detection**: from an injected campaign's first post to the declaration.
//! - **Alerts avoided**: each brand's per-minute counts are replayed through the volume
//!   detector ([`crate::alert::series`], the `[alert]` settings, warm-up included) twice:
//!   counting every mention, as brandpulse did before screening, and leaving out the excluded
//!   ones. A campaign "raised an alert" when a volume alert overlaps its span (plus 10
//!   minutes); alerts avoided = campaigns that raised one before minus after. A third replay
//!   counts each campaign exactly once (its first post): the reference, the alerts the organic
//!   stream raises during campaign spans anyway. Alerts outside campaign spans are reported
//!   too, so exclusion cannot hide an organic spike unseen.
//! - **Organic exclusions**: organic, look-alike and repost mentions excluded, by reason.
//!
//! The report ends with `campaign_recall=<x> campaign_precision=<y>`.

pub mod sim;

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};

use crate::alert::detector::DetectorConfig;
use crate::alert::series::{self, Series};
use crate::config::{AlertConfig, ScreenConfig};
use crate::mention::MatchedMention;
use crate::screen::Screener;
use sim::{SimConfig, Stream, Truth};

/// Slack after a campaign's last post in which an alert still counts as raised by it.
const ALERT_SLACK_MIN: i64 = 10;

/// One declared campaign and what its members really are.
#[derive(Debug, Clone, Default)]
struct Declared {
    brand: usize,
    at: Option<DateTime<Utc>>,
    first_text: Option<String>,
    /// Members by truth: injected campaign `n` → count; `None`: not a campaign post.
    members: HashMap<Option<usize>, usize>,
}

/// What the replay found for one injected campaign.
#[derive(Debug, Clone, Copy, Default)]
pub struct CampaignResult {
    /// Accounts in it.
    pub accounts: usize,
    /// Posts in it.
    pub posts: usize,
    /// Declared campaigns matched to it.
    pub found: usize,
    /// Seconds from its first post to the first matched declaration.
    pub detection_s: Option<i64>,
    /// Its posts excluded from the numbers.
    pub excluded: usize,
    /// A volume alert overlapped it, counting every mention / leaving out excluded ones.
    pub alerted_before: bool,
    /// See `alerted_before`.
    pub alerted_after: bool,
    /// A volume alert overlapped it when the campaign counts exactly once (its first post
    /// only): the reference, what the organic stream alone raises during its span.
    pub alerted_reference: bool,
}

/// The evaluation's results.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was generated.
    pub sim: SimConfig,
    /// Mentions replayed.
    pub mentions: usize,
    /// Per injected campaign.
    pub campaigns: Vec<CampaignResult>,
    /// Declared campaigns.
    pub declared: usize,
    /// Of those, mostly members of one injected campaign of the same brand.
    pub declared_correct: usize,
    /// Declared campaigns that are a second cluster of an injected campaign already found.
    pub split: usize,
    /// The first texts of declared campaigns that are not injected ones.
    pub false_texts: Vec<String>,
    /// Organic mentions (organic, look-alike, repost) and how many were excluded, by reason.
    pub organic: usize,
    /// See `organic`.
    pub organic_excluded: HashMap<&'static str, usize>,
    /// Look-alike posts and how many joined a declared campaign.
    pub lookalikes: usize,
    /// See `lookalikes`.
    pub lookalikes_in_campaigns: usize,
    /// Reposts and how many joined a declared campaign.
    pub reposts: usize,
    /// See `reposts`.
    pub reposts_in_campaigns: usize,
    /// Look-alike moments and repost cascades generated.
    pub lookalike_moments: usize,
    /// See `lookalike_moments`.
    pub repost_cascades: usize,
    /// Volume alerts outside campaign spans (after the learning hours), before / after.
    pub other_alerts: (usize, usize),
    /// Texts remembered at the end, and the most at any time.
    pub remembered_max: usize,
    /// Wall time of the screening (seconds) and per mention (microseconds).
    pub screen_seconds: f64,
}

/// Generates the streams for `sim` and screens them with `screen`; alerts with `alert`.
pub fn evaluate(sim: &SimConfig, screen: &ScreenConfig, alert: &AlertConfig) -> Report {
    let stream = sim::generate(sim);
    run(sim, &stream, screen, alert)
}

fn run(sim: &SimConfig, stream: &Stream, screen: &ScreenConfig, alert: &AlertConfig) -> Report {
    let mut screener = Screener::new(screen, &[]);
    let minutes = stream.hours as usize * 60;
    let mut all = vec![vec![0_u64; minutes]; stream.brands.len()];
    let mut kept = all.clone();
    // Each campaign exactly once (its first post), everything else as it came.
    let mut once = all.clone();
    let mut campaign_counted = vec![false; stream.campaigns.len()];
    let mut campaigns: Vec<CampaignResult> = stream
        .campaigns
        .iter()
        .map(|c| CampaignResult {
            accounts: c.accounts,
            ..CampaignResult::default()
        })
        .collect();
    let mut declared: HashMap<String, Declared> = HashMap::new();
    let mut report = Report {
        sim: sim.clone(),
        mentions: stream.mentions.len(),
        campaigns: Vec::new(),
        declared: 0,
        declared_correct: 0,
        split: 0,
        false_texts: Vec::new(),
        organic: 0,
        organic_excluded: HashMap::new(),
        lookalikes: 0,
        lookalikes_in_campaigns: 0,
        reposts: 0,
        reposts_in_campaigns: 0,
        lookalike_moments: stream.lookalike_moments,
        repost_cascades: stream.repost_cascades,
        other_alerts: (0, 0),
        remembered_max: 0,
        screen_seconds: 0.0,
    };
    let started = std::time::Instant::now();
    for (i, (b, truth, m)) in stream.mentions.iter().enumerate() {
        let at = m.created_at;
        let mut mm = MatchedMention::new(m.clone(), vec![sim::matched(&stream.brands[*b])]);
        let found = screener.screen(&mut mm);
        for (_, c) in &found.declared {
            let d = declared.entry(c.id.clone()).or_default();
            d.brand = *b;
            d.at = Some(at);
            d.first_text.clone_from(&c.first_text);
        }
        let screening = mm.screening.brands.first().cloned().unwrap_or_default();
        let excluded = screening.excluded;
        if let Some(c) = &screening.campaign {
            let d = declared.entry(c.id.clone()).or_default();
            d.brand = *b;
            let n = match truth {
                Truth::Campaign(n) => Some(*n),
                _ => None,
            };
            *d.members.entry(n).or_default() += 1;
        }
        let minute = ((at - stream.start).num_seconds() / 60).clamp(0, minutes as i64 - 1) as usize;
        all[*b][minute] += 1;
        if excluded.is_none() {
            kept[*b][minute] += 1;
        }
        match truth {
            Truth::Campaign(n) if campaign_counted.get(*n).copied().unwrap_or(true) => {}
            Truth::Campaign(n) => {
                campaign_counted[*n] = true;
                once[*b][minute] += 1;
            }
            _ => once[*b][minute] += 1,
        }
        match truth {
            Truth::Campaign(n) => {
                campaigns[*n].posts += 1;
                if excluded.is_some() {
                    campaigns[*n].excluded += 1;
                }
            }
            other => {
                report.organic += 1;
                if let Some(e) = excluded {
                    *report.organic_excluded.entry(e.as_str()).or_default() += 1;
                }
                let in_campaign = screening.campaign.is_some();
                match other {
                    Truth::Lookalike => {
                        report.lookalikes += 1;
                        report.lookalikes_in_campaigns += usize::from(in_campaign);
                    }
                    Truth::Repost => {
                        report.reposts += 1;
                        report.reposts_in_campaigns += usize::from(in_campaign);
                    }
                    _ => {}
                }
            }
        }
        if i % 4096 == 0 {
            report.remembered_max = report.remembered_max.max(screener.remembered());
        }
    }
    report.screen_seconds = started.elapsed().as_secs_f64();

    // Declared campaigns against the truth.
    let mut ids: Vec<&String> = declared.keys().collect();
    ids.sort();
    for id in ids {
        let d = &declared[id];
        report.declared += 1;
        let total: usize = d.members.values().sum();
        let best = d
            .members
            .iter()
            .filter_map(|(n, c)| n.map(|n| (n, *c)))
            .max_by_key(|&(n, c)| (c, std::cmp::Reverse(n)));
        let correct =
            best.filter(|&(n, count)| 2 * count > total && stream.campaigns[n].brand == d.brand);
        let Some((n, _)) = correct else {
            report
                .false_texts
                .push(d.first_text.clone().unwrap_or_default());
            continue;
        };
        report.declared_correct += 1;
        let r = &mut campaigns[n];
        r.found += 1;
        if r.found > 1 {
            report.split += 1;
        }
        if let Some(at) = d.at {
            let s = at
                .signed_duration_since(stream.campaigns[n].first)
                .num_seconds();
            r.detection_s = Some(r.detection_s.map_or(s, |t| t.min(s)));
        }
    }

    // Volume alerts, counting every mention and leaving out excluded ones.
    let detector = DetectorConfig::from(alert);
    let learn_end = stream.start + Duration::hours(i64::from(stream.learn_hours));
    #[derive(Clone, Copy, PartialEq)]
    enum Counting {
        Every,
        Kept,
        Once,
    }
    for (b, ((all_b, kept_b), once_b)) in all.iter().zip(&kept).zip(&once).enumerate() {
        for (counting, counts) in [
            (Counting::Every, all_b),
            (Counting::Kept, kept_b),
            (Counting::Once, once_b),
        ] {
            let s = Series {
                start: stream.start,
                interval_s: 60,
                counts: counts.clone(),
                rows: counts.len(),
                filled: 0,
            };
            let (alerts, _) = series::replay(&s, &series::detector_for(&s, &detector));
            for a in alerts.iter().filter(|a| a.fired >= learn_end) {
                let end = a.end.unwrap_or(a.fired + Duration::minutes(1));
                let mut in_campaign = false;
                for (n, c) in stream.campaigns.iter().enumerate() {
                    let overlaps = c.brand == b
                        && a.start <= c.last + Duration::minutes(ALERT_SLACK_MIN)
                        && end >= c.first;
                    if overlaps {
                        in_campaign = true;
                        let r = &mut campaigns[n];
                        match counting {
                            Counting::Every => r.alerted_before = true,
                            Counting::Kept => r.alerted_after = true,
                            Counting::Once => r.alerted_reference = true,
                        }
                    }
                }
                if !in_campaign {
                    match counting {
                        Counting::Every => report.other_alerts.0 += 1,
                        Counting::Kept => report.other_alerts.1 += 1,
                        Counting::Once => {}
                    }
                }
            }
        }
    }
    report.campaigns = campaigns;
    report
}

fn share(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn percentile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(i).copied()
}

impl Report {
    /// Recall over the injected campaigns of at least `min` accounts.
    pub fn recall(&self, min: usize) -> f64 {
        let (found, n) = self
            .campaigns
            .iter()
            .filter(|c| c.accounts >= min)
            .fold((0, 0), |(f, n), c| (f + usize::from(c.found > 0), n + 1));
        share(found, n)
    }

    /// Share of declared campaigns that are injected ones.
    pub fn precision(&self) -> f64 {
        if self.declared == 0 {
            return 1.0;
        }
        share(self.declared_correct, self.declared)
    }

    /// The readable report, ending with the summary line.
    pub fn render(&self) -> String {
        let mut o = String::new();
        let s = &self.sim;
        let _ = writeln!(
            o,
            "campaign-eval: seed {}, {} brands (30/150/600 organic mentions an hour), {} h learning + {} h evaluated, {} mentions",
            s.seed, s.brands, s.learn_hours, s.hours, self.mentions
        );
        let _ = writeln!(
            o,
            "injected: {} campaigns of {}-{} accounts; organic look-alike moments {}, repost cascades {}",
            self.campaigns.len(),
            s.campaign_accounts.0,
            s.campaign_accounts.1,
            self.lookalike_moments,
            self.repost_cascades
        );
        let _ = writeln!(o, "\nrecall by campaign size (accounts):");
        for (lo, hi) in [(0, 49), (50, 99), (100, usize::MAX)] {
            let cs: Vec<&CampaignResult> = self
                .campaigns
                .iter()
                .filter(|c| c.accounts >= lo && c.accounts <= hi)
                .collect();
            if cs.is_empty() {
                continue;
            }
            let found = cs.iter().filter(|c| c.found > 0).count();
            let mut delays: Vec<i64> = cs.iter().filter_map(|c| c.detection_s).collect();
            delays.sort_unstable();
            let excluded: usize = cs.iter().map(|c| c.excluded).sum();
            let posts: usize = cs.iter().map(|c| c.posts).sum();
            let label = if hi == usize::MAX {
                format!("{lo}+")
            } else {
                format!("{}-{hi}", lo.max(s.campaign_accounts.0))
            };
            let _ = writeln!(
                o,
                "  {label:>8}: {found}/{} found ({:.3}); time to detection median {} s, p90 {} s; posts excluded {:.3}",
                cs.len(),
                share(found, cs.len()),
                percentile(&delays, 0.5).map_or("-".into(), |d| d.to_string()),
                percentile(&delays, 0.9).map_or("-".into(), |d| d.to_string()),
                share(excluded, posts),
            );
        }
        let _ = writeln!(
            o,
            "declared campaigns: {} ({} injected, {} of them second clusters of one campaign, {} not)",
            self.declared,
            self.declared_correct,
            self.split,
            self.declared - self.declared_correct
        );
        for t in self.false_texts.iter().take(5) {
            let _ = writeln!(o, "  not injected: {t:?}");
        }
        let before = self.campaigns.iter().filter(|c| c.alerted_before).count();
        let after = self.campaigns.iter().filter(|c| c.alerted_after).count();
        let _ = writeln!(
            o,
            "volume alerts during campaigns: {before} campaigns raised one counting every mention, {after} leaving out excluded ones: {} avoided",
            before.saturating_sub(after)
        );
        let reference = self
            .campaigns
            .iter()
            .filter(|c| c.alerted_reference)
            .count();
        let caused = self
            .campaigns
            .iter()
            .filter(|c| c.alerted_after && !c.alerted_reference)
            .count();
        let _ = writeln!(
            o,
            "  reference, each campaign counted exactly once: {reference} raised one (organic alerts during the span); leaving out excluded ones, {caused} more than the reference"
        );
        let _ = writeln!(
            o,
            "volume alerts outside campaigns (look-alike moments, cascades, noise): {} counting every mention, {} leaving out excluded ones",
            self.other_alerts.0, self.other_alerts.1
        );
        let mut reasons: Vec<_> = self.organic_excluded.iter().collect();
        reasons.sort();
        let excluded: usize = self.organic_excluded.values().sum();
        let _ = writeln!(
            o,
            "organic mentions excluded: {excluded} of {} ({:.4}){}",
            self.organic,
            share(excluded, self.organic),
            reasons
                .iter()
                .map(|(r, n)| format!(" {r} {n}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let _ = writeln!(
            o,
            "look-alike posts in a campaign: {} of {}; reposts in a campaign: {} of {}",
            self.lookalikes_in_campaigns, self.lookalikes, self.reposts_in_campaigns, self.reposts
        );
        let _ = writeln!(
            o,
            "screening: {:.2} s, {:.1} µs a mention; at most {} texts remembered",
            self.screen_seconds,
            self.screen_seconds * 1e6 / self.mentions.max(1) as f64,
            self.remembered_max
        );
        let _ = write!(
            o,
            "campaign_recall={:.3} campaign_precision={:.3}",
            self.recall(20),
            self.precision()
        );
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small replay: campaigns are found, look-alikes and reposts are not campaigns.
    #[test]
    fn small_replay_finds_the_campaigns_and_nothing_else() {
        let sim = SimConfig {
            seed: 3,
            brands: 3,
            hours: 24,
            learn_hours: 12,
            campaigns_per_brand: 2,
            ..SimConfig::default()
        };
        let report = evaluate(&sim, &ScreenConfig::default(), &AlertConfig::default());
        let text = report.render();
        assert_eq!(report.campaigns.len(), 6, "{text}");
        assert!(report.recall(20) >= 0.8, "{text}");
        assert!(report.precision() >= 0.8, "{text}");
        assert_eq!(report.reposts_in_campaigns, 0, "{text}");
        assert!(text.ends_with(&format!(
            "campaign_recall={:.3} campaign_precision={:.3}",
            report.recall(20),
            report.precision()
        )));
    }

    /// The truth is honest: a screen that never declares anything scores zero recall.
    #[test]
    fn a_screen_that_finds_nothing_scores_zero() {
        let sim = SimConfig {
            seed: 3,
            brands: 3,
            hours: 12,
            learn_hours: 6,
            campaigns_per_brand: 1,
            ..SimConfig::default()
        };
        let mut screen = ScreenConfig::default();
        screen.campaign.min_authors = 100_000;
        let report = evaluate(&sim, &screen, &AlertConfig::default());
        assert_eq!(report.declared, 0);
        assert_eq!(report.recall(20), 0.0);
        // Nothing excluded: the alerts are those of counting every mention.
        assert!(report
            .campaigns
            .iter()
            .all(|c| c.alerted_after == c.alerted_before));
    }
}
