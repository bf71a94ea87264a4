//! Property test: the compiled one-pass matcher agrees with the naive per-query evaluator.
//!
//! Random brands (each with random query topics and keyword-list topics with exclusions) are
//! compiled into one `Matcher`; random mentions (multilingual words, diacritics, possessives,
//! hashtags, handles, URLs, punctuation, provider-extracted tags, metadata; `/pattern/` terms
//! with and without required literals) are matched; the
//! set of (brand, topic) pairs must equal what `query::eval_node` says topic by topic, with
//! `keywords_match_hashtags` on and off.

use std::collections::{BTreeMap, BTreeSet};

use brandpulse::config::{BrandConfig, MatchingConfig, TopicConfig};
use brandpulse::matcher::{topic_query, Matcher};
use brandpulse::mention::{Author, Mention, Reference};
use brandpulse::rules::query::{self, Doc};
use chrono::Utc;
use proptest::prelude::*;

/// Query words: plain, with diacritics, Cyrillic, Vietnamese, possessive, hyphenated.
const WORDS: &[&str] = &[
    "acme",
    "Acmé",
    "acme's",
    "rocket",
    "skates",
    "refund",
    "Nestlé",
    "nestle",
    "café",
    "việt",
    "nam",
    "привет",
    "мир",
    "straße",
    "coca-cola",
    "l'acme",
    "ACME",
    "deal",
    "money",
    "back",
];
const PREFIXES: &[&str] = &["ref", "rock", "acm", "nest", "при", "caf"];
/// `/pattern/` terms: with required literals (case variants, non-ASCII, an escaped slash,
/// case-sensitive) and without (filters).
const PATTERNS: &[&str] = &[
    r"/acme-?x\d{3}/",
    r"/acme\.com\/(x|deal)/",
    r"/(?-i)ACME/",
    r"/caf[eé]\b/",
    r"/привет/",
    r"/\bstra(ss|ß)e\b/",
    r"/x\d{3}/",
    r"/\d+/",
    r"/^acme/",
];
const TAGS: &[&str] = &["acme", "acmefail", "refund", "nestlé", "việt"];
const FIELDS: &[&str] = &[
    "lang:en",
    "lang:de",
    "source:twitter",
    "author:acme_help",
    "site:acme.com",
    "is:repost",
    "is:reply",
];
/// Text tokens: words from the queries in other spellings, neighbours, noise.
const TEXT: &[&str] = &[
    "acme",
    "ACME",
    "Acme's",
    "acmé",
    "Acmê",
    "rocket",
    "Rocket-Skates",
    "skates",
    "refund",
    "refunds",
    "REFUNDED",
    "Nestlé",
    "NESTLE",
    "café",
    "cafe",
    "Việt",
    "viet",
    "Nam",
    "ПРИВЕТ",
    "мир",
    "strasse",
    "Straße",
    "coca",
    "cola",
    "Coca-Cola",
    "l'Acme",
    "deal",
    "money",
    "back",
    "#acme",
    "#AcmeFail",
    "#refundNow",
    "#Nestlé",
    "@acme",
    "@Acme_Help",
    "https://acme.com/x",
    "acme.com/deal",
    "X500",
    "acme-x123",
    "ACME-X999",
    "www.acme.com",
    ",",
    "!",
    "?",
    "-",
    "(",
    ")",
    "and",
    "or",
    "not",
    "the",
    "a",
    "vs",
];

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(str::to_string),
        1 => prop::sample::select(WORDS).prop_map(|w| format!("={w}")),
        1 => (prop::sample::select(WORDS), prop::sample::select(WORDS))
            .prop_map(|(a, b)| format!("\"{a} {b}\"")),
        1 => prop::sample::select(PREFIXES).prop_map(|p| format!("{p}*")),
        1 => prop::sample::select(TAGS).prop_map(|t| format!("#{t}")),
        1 => prop::sample::select(TAGS).prop_map(|t| format!("@{t}")),
        1 => prop::sample::select(FIELDS).prop_map(str::to_string),
        1 => prop::sample::select(PATTERNS).prop_map(str::to_string),
    ]
}

/// A NEAR operand: a term, phrase, wildcard or an OR of those.
fn near_operand() -> impl Strategy<Value = String> {
    let simple = prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(str::to_string),
        1 => prop::sample::select(WORDS).prop_map(|w| format!("={w}")),
        1 => prop::sample::select(PREFIXES).prop_map(|p| format!("{p}*")),
        1 => (prop::sample::select(WORDS), prop::sample::select(WORDS))
            .prop_map(|(a, b)| format!("\"{a} {b}\"")),
    ];
    prop_oneof![
        3 => simple.clone(),
        1 => (simple.clone(), simple).prop_map(|(a, b)| format!("({a} OR {b})")),
    ]
}

fn query_text() -> impl Strategy<Value = String> {
    let base = prop_oneof![
        4 => leaf(),
        2 => (near_operand(), 0u32..4, any::<bool>(), near_operand()).prop_map(|(a, n, o, b)| {
            format!("{a} {}/{n} {b}", if o { "ONEAR" } else { "NEAR" })
        }),
    ];
    base.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} OR {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} NOT {b})")),
            (inner.clone(), prop::sample::select(WORDS)).prop_map(|(a, w)| format!("({a} -{w})")),
        ]
    })
}

fn topic() -> impl Strategy<Value = TopicConfig> {
    let words =
        || prop::collection::vec(prop::sample::select(WORDS).prop_map(str::to_string), 0..3);
    prop_oneof![
        3 => query_text().prop_map(|q| TopicConfig { query: Some(q), ..TopicConfig::default() }),
        1 => (
            prop::collection::vec(prop::sample::select(WORDS).prop_map(str::to_string), 1..3),
            prop::collection::vec(prop::sample::select(TAGS).prop_map(str::to_string), 0..2),
            prop::collection::vec(prop::sample::select(TAGS).prop_map(str::to_string), 0..2),
            words(),
        )
            .prop_map(|(keywords, hashtags, handles, exclude)| TopicConfig {
                query: None,
                keywords,
                hashtags,
                handles,
                exclude,
            }),
    ]
}

fn brands() -> impl Strategy<Value = Vec<BrandConfig>> {
    prop::collection::vec(
        (
            prop::collection::vec(topic(), 1..4),
            prop::collection::vec(prop::sample::select(WORDS).prop_map(str::to_string), 0..2),
        ),
        1..5,
    )
    .prop_map(|bs| {
        bs.into_iter()
            .enumerate()
            .map(|(i, (topics, exclude))| BrandConfig {
                id: format!("b{i}"),
                name: None,
                exclude_spam: None,
                own_handles: Vec::new(),
                exclude,
                topics: topics
                    .into_iter()
                    .enumerate()
                    .map(|(j, t)| (format!("t{j}"), t))
                    .collect::<BTreeMap<_, _>>(),
            })
            .collect()
    })
}

fn mention() -> impl Strategy<Value = Mention> {
    (
        prop::collection::vec(prop::sample::select(TEXT), 0..14),
        prop::collection::vec(prop::sample::select(TAGS).prop_map(str::to_string), 0..2),
        prop::collection::vec(prop::sample::select(TAGS).prop_map(str::to_string), 0..2),
        prop::option::of(prop::sample::select(&["en", "en-GB", "de", "fr"][..])),
        any::<(bool, bool, bool)>(),
        prop::sample::select(&["twitter", "reddit"][..]),
    )
        .prop_map(
            |(words, hashtags, user_mentions, lang, (reply, repost, meta), source)| {
                let reference = || Reference {
                    id: "0".into(),
                    text: None,
                    author_handle: None,
                };
                Mention {
                    id: "1".into(),
                    text: words.join(" "),
                    created_at: Utc::now(),
                    source: source.into(),
                    lang: lang.map(str::to_string),
                    author: meta.then(|| Author {
                        handle: Some("@Acme_Help".into()),
                        ..Author::default()
                    }),
                    url: meta.then(|| "https://news.acme.com/a".to_string()),
                    engagement: None,
                    reply_to: reply.then(reference),
                    repost_of: repost.then(reference),
                    quote_of: None,
                    hashtags,
                    user_mentions,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn compiled_matcher_agrees_with_naive_evaluator(
        brands in brands(),
        mentions in prop::collection::vec(mention(), 1..8),
        hashtags in any::<bool>(),
    ) {
        let options = MatchingConfig { keywords_match_hashtags: hashtags, ..MatchingConfig::default() };
        // Queries that do not parse (e.g. only a NOT) are rejected by both: skip them.
        let limits = options.limits();
        let nodes: Option<Vec<(String, String, query::Node)>> = brands
            .iter()
            .flat_map(|b| b.topics.iter().map(move |(name, t)| (b, name, t)))
            .map(|(b, name, t)| topic_query(b, name, t, &limits).ok().map(|n| (b.id.clone(), name.clone(), n)))
            .collect();
        prop_assume!(nodes.is_some());
        let nodes = nodes.unwrap();
        let matcher = Matcher::new(&brands, &options).expect("compiles what topic_query accepts");
        let opts = options.query_options();
        for m in &mentions {
            let doc = Doc::from_mention(m);
            let want: BTreeSet<(String, String)> = nodes
                .iter()
                .filter(|(_, _, n)| query::eval_node(n, &doc, &opts))
                .map(|(b, t, _)| (b.clone(), t.clone()))
                .collect();
            let got: BTreeSet<(String, String)> = matcher
                .matches(m)
                .into_iter()
                .flat_map(|bm| bm.topics.into_iter().map(move |t| (bm.brand.clone(), t)))
                .collect();
            prop_assert_eq!(&got, &want, "text {:?} tags {:?} handles {:?}", m.text, m.hashtags, m.user_mentions);
        }
    }
}
