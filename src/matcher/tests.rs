use super::*;
use crate::config::{BrandConfig, MatchingConfig, TopicConfig};
use chrono::Utc;
use std::collections::BTreeMap;

fn brand(id: &str, exclude: &[&str], topics: &[(&str, TopicConfig)]) -> BrandConfig {
    BrandConfig {
        id: id.into(),
        name: None,
        exclude_spam: None,
        own_handles: Vec::new(),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        topics: topics
            .iter()
            .map(|(n, t)| (n.to_string(), t.clone()))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn kw(words: &[&str]) -> TopicConfig {
    TopicConfig {
        keywords: words.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn mention(text: &str) -> Mention {
    Mention::new("1", text, "test", Utc::now())
}

fn brands() -> Vec<BrandConfig> {
    vec![
        brand(
            "acme",
            &["acme plumbing"],
            &[
                ("brand", kw(&["acme", "acme corp"])),
                (
                    "products",
                    TopicConfig {
                        keywords: vec!["rocket skates".into()],
                        hashtags: vec!["RocketSkates".into()],
                        exclude: vec!["roller derby".into()],
                        ..Default::default()
                    },
                ),
                (
                    "support",
                    TopicConfig {
                        handles: vec!["@AcmeHelp".into()],
                        ..Default::default()
                    },
                ),
            ],
        ),
        brand("nestle", &[], &[("brand", kw(&["nestle"]))]),
        brand("globex", &[], &[("brand", kw(&["globex"]))]),
    ]
}

fn run(text: &str) -> Vec<(String, Vec<String>, Vec<String>)> {
    let m = Matcher::new(&brands(), &MatchingConfig::default()).unwrap();
    m.matches(&mention(text))
        .into_iter()
        .map(|b| (b.brand, b.topics, b.terms))
        .collect()
}

macro_rules! t {
    ($name:ident, $text:expr, [$(($brand:expr, [$($topic:expr),*], [$($term:expr),*])),*]) => {
        #[test]
        fn $name() {
            let want: Vec<(String, Vec<String>, Vec<String>)> = vec![$(($brand.to_string(),
                vec![$($topic.to_string()),*], vec![$($term.to_string()),*])),*];
            assert_eq!(run($text), want, "text: {:?}", $text);
        }
    };
}

t!(
    plain_keyword,
    "I love acme!",
    [("acme", ["brand"], ["acme"])]
);
t!(
    case_insensitive,
    "ACME rules",
    [("acme", ["brand"], ["acme"])]
);
t!(whole_word_only, "acmeish and macme", []);
t!(
    phrase,
    "Acme Corp reports",
    [("acme", ["brand"], ["acme", "acme corp"])]
);
t!(
    diacritics_in_text,
    "Nestle cafe",
    [("nestle", ["brand"], ["nestle"])]
);
t!(
    diacritics_in_term,
    "NESTLÉ café",
    [("nestle", ["brand"], ["nestle"])]
);
t!(
    possessive,
    "Acme's new skates",
    [("acme", ["brand"], ["acme"])]
);
t!(
    keyword_matches_hashtag,
    "so #acme",
    [("acme", ["brand"], ["acme"])]
);
t!(keyword_not_in_longer_hashtag, "so #AcmeFail", []);
t!(
    hashtag_rule,
    "#RocketSkates are fun",
    [("acme", ["products"], ["#rocketskates"])]
);
t!(hashtag_rule_not_plain_word, "rocketskates are fun", []);
t!(
    handle_rule,
    "ping @acmehelp please",
    [("acme", ["support"], ["@acmehelp"])]
);
t!(handle_is_not_keyword, "ping @acme please", []);
t!(url_is_not_keyword, "see https://acme.com/deal", []);
t!(brand_exclusion, "Acme Plumbing fixed my sink", []);
t!(
    topic_exclusion,
    "acme rocket skates at the roller derby",
    [("acme", ["brand"], ["acme"])]
);
t!(
    two_brands,
    "globex vs acme",
    [
        ("acme", ["brand"], ["acme"]),
        ("globex", ["brand"], ["globex"])
    ]
);
t!(
    cyrillic_neighbours,
    "Купил Acme вчера",
    [("acme", ["brand"], ["acme"])]
);
t!(
    multi_topic,
    "acme rocket skates",
    [("acme", ["brand", "products"], ["acme", "rocket skates"])]
);
// Phrases are token sequences: punctuation between the words does not break them.
t!(
    phrase_ignores_punctuation,
    "rocket-skates!",
    [("acme", ["products"], ["rocket skates"])]
);

#[test]
fn entity_hashtags_and_handles_match() {
    let m = Matcher::new(&brands(), &MatchingConfig::default()).unwrap();
    let mut men = mention("short text");
    men.hashtags = vec!["RocketSkates".into()];
    men.user_mentions = vec!["AcmeHelp".into()];
    let got = m.matches(&men);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].topics, vec!["products", "support"]);
}

#[test]
fn hashtag_option_off() {
    let opts = MatchingConfig {
        keywords_match_hashtags: false,
        ..Default::default()
    };
    let m = Matcher::new(&brands(), &opts).unwrap();
    assert!(m.matches(&mention("#acme")).is_empty());
    assert_eq!(m.matches(&mention("acme")).len(), 1);
}

#[test]
fn empty_term_is_an_error() {
    let b = vec![brand("x", &[], &[("t", kw(&["--"]))])];
    assert!(matches!(
        Matcher::new(&b, &MatchingConfig::default()),
        Err(MatchError::EmptyTerm { .. })
    ));
}

#[test]
fn shared_terms_across_brands_hit_both() {
    let b = vec![
        brand("a", &[], &[("t", kw(&["rocket"]))]),
        brand("b", &[], &[("t", kw(&["Rocket"]))]),
    ];
    let m = Matcher::new(&b, &MatchingConfig::default()).unwrap();
    assert_eq!(m.pattern_count(), 2); // " rocket " and " #rocket ", shared
    assert_eq!(m.matches(&mention("a rocket")).len(), 2);
}

#[test]
fn posts_by_a_brands_own_handles_are_recognised_whatever_they_say() {
    let mut acme = brand("acme", &[], &[("brand", kw(&["acme"]))]);
    acme.own_handles = vec!["@AcmeHelp".into()];
    let m = Matcher::new(&[acme], &MatchingConfig::default()).unwrap();
    let post = |handle: &str, reply_to: Option<&str>| {
        let mut p = mention("@jane sorry to hear that, DM us");
        p.author = Some(crate::mention::Author {
            handle: Some(handle.into()),
            ..Default::default()
        });
        p.reply_to = reply_to.map(|id| crate::mention::Reference {
            id: id.into(),
            text: None,
            author_handle: None,
        });
        p
    };
    let own = m.own_post(&post("acmehelp", Some("m1"))).unwrap();
    assert_eq!(
        (own.brand.as_str(), own.reply_to.as_deref()),
        ("acme", Some("m1"))
    );
    assert_eq!(m.own_post(&post("@ACMEHELP", None)).unwrap().reply_to, None);
    assert_eq!(m.own_post(&post("jane", Some("m1"))), None);
    assert_eq!(m.own_post(&mention("no author")), None);
}
