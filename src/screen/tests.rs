use super::*;
use crate::config::CampaignConfig;
use crate::mention::{Author, BrandMatch, Engagement, Mention, Reference};
use chrono::{TimeZone, Utc};

fn brand(id: &str, exclude_spam: Option<bool>) -> BrandConfig {
    BrandConfig {
        id: id.into(),
        name: None,
        exclude_spam,
        own_handles: Vec::new(),
        exclude: vec![],
        topics: Default::default(),
    }
}

fn matched(id: &str, text: &str, author: &str, minute: i64, brands: &[&str]) -> MatchedMention {
    let mut m = Mention::new(
        id,
        text,
        "twitter",
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap() + chrono::Duration::minutes(minute),
    );
    m.author = Some(Author {
        id: Some(author.into()),
        handle: Some(author.into()),
        followers: Some(120),
        ..Author::default()
    });
    m.engagement = Some(Engagement {
        likes: 2,
        shares: 0,
        replies: 1,
    });
    let matches = brands
        .iter()
        .map(|b| BrandMatch {
            brand: (*b).into(),
            topics: vec!["brand".into()],
            terms: vec![(*b).into()],
        })
        .collect();
    MatchedMention::new(m, matches)
}

fn screener(min_authors: u32) -> Screener {
    Screener::new(
        &ScreenConfig {
            campaign: CampaignConfig {
                min_authors,
                ..CampaignConfig::default()
            },
            ..ScreenConfig::default()
        },
        &[brand("acme", None), brand("globex", Some(false))],
    )
}

const RAID: &str = "acme stole my money, charged twice and refused the refund, never buy from them";

#[test]
fn a_raid_becomes_a_campaign_and_later_copies_are_excluded() {
    let mut s = screener(4);
    let mut declared = Vec::new();
    let mut excluded = 0;
    for i in 0..12 {
        let text = match i % 3 {
            0 => RAID.to_string(),
            1 => format!("{RAID} #boycottacme"),
            _ => RAID.replace("never", "NEVER EVER"),
        };
        let mut m = matched(&format!("m{i}"), &text, &format!("bot{i}"), i, &["acme"]);
        let found = s.screen(&mut m);
        declared.extend(found.declared);
        let b = &m.screening.brands[0];
        if i < 3 {
            assert_eq!(b.campaign, None, "mention {i}");
            assert_eq!(b.excluded, None);
        } else {
            assert_eq!(b.campaign.as_ref().unwrap().declared, i == 3);
            assert_eq!(b.excluded, Some(Exclusion::Campaign));
            excluded += 1;
        }
    }
    assert_eq!(excluded, 9);
    assert_eq!(declared.len(), 1);
    assert_eq!(declared[0].0, "acme");
    assert_eq!(declared[0].1.authors, 4);
    assert_eq!(declared[0].1.first_mention_id, "m0");
}

#[test]
fn reposts_and_authorless_mentions_are_never_campaign_members() {
    let mut s = screener(2);
    for i in 0..5 {
        let mut m = matched(&format!("rt{i}"), RAID, &format!("fan{i}"), i, &["acme"]);
        m.mention.repost_of = Some(Reference {
            id: "orig".into(),
            text: None,
            author_handle: None,
        });
        s.screen(&mut m);
        assert_eq!(m.screening.brands[0], BrandScreening::default());
        let mut anon = matched(&format!("n{i}"), RAID, "x", i, &["acme"]);
        anon.mention.author = None;
        s.screen(&mut anon);
        assert_eq!(anon.screening.brands[0], BrandScreening::default());
        assert_eq!(anon.screening.automation, None);
    }
    assert_eq!(s.remembered(), 0);
}

#[test]
fn campaigns_are_per_brand_and_spam_exclusion_follows_the_brand() {
    let mut s = screener(3);
    // Three authors post the raid text about acme only; globex sees one of them.
    for i in 0..3 {
        let mut m = matched(&format!("a{i}"), RAID, &format!("u{i}"), i, &["acme"]);
        s.screen(&mut m);
    }
    let mut both = matched("b", RAID, "u9", 4, &["acme", "globex"]);
    s.screen(&mut both);
    assert!(both.screening.brands[0].campaign.is_some());
    assert_eq!(both.screening.brands[1].campaign, None);
    // Spam: acme leaves it out (the default), globex counts it (its own setting).
    let mut promo = matched(
        "p",
        "Use code ACME50 for 50% off acme and globex gear https://shop.example",
        "shop",
        10,
        &["acme", "globex"],
    );
    s.screen(&mut promo);
    assert_eq!(promo.screening.spam, ["promotion"]);
    assert_eq!(promo.screening.brands[0].excluded, Some(Exclusion::Spam));
    assert_eq!(promo.screening.brands[1].excluded, None);
}

#[test]
fn the_same_author_saying_it_again_is_counted_once() {
    let mut s = screener(3);
    let mut first = matched("1", RAID, "angry", 0, &["acme"]);
    s.screen(&mut first);
    assert_eq!(first.screening.brands[0].excluded, None);
    let mut again = matched("2", &format!("{RAID}!!!"), "angry", 5, &["acme"]);
    s.screen(&mut again);
    assert_eq!(again.screening.brands[0].excluded, Some(Exclusion::Repeat));
}

#[test]
fn absurd_author_fields_are_counted_and_do_not_mark_the_mention() {
    let mut s = screener(3);
    let mut m = matched("1", "acme is fine i guess", "x", 0, &["acme"]);
    if let Some(a) = m.mention.author.as_mut() {
        a.followers = Some(-40);
        a.created_at = Some(Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap());
        a.handle = None;
    }
    let found = s.screen(&mut m);
    assert_eq!(
        found.invalid_fields,
        ["author.followers", "author.created_at"]
    );
    // Nothing else known: no automation score at all, no reason, no flag.
    assert_eq!(m.screening.automation, None);
    assert!(m.screening.spam.is_empty());
    assert_eq!(m.screening.brands[0].excluded, None);
    // Impact: reach unknown, engagement 2 likes + 1 reply.
    assert_eq!(m.screening.impact, 5);
}
