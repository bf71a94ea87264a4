use super::*;
use crate::mention::Mention;
use crate::mention::{Author, Reference};
use chrono::Utc;

fn q(src: &str) -> Query {
    parse(src, &Limits::default()).unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

fn mention(text: &str) -> Mention {
    Mention::new("1", text, "twitter", Utc::now())
}

fn term(text: &str) -> Node {
    Node::Term {
        text: text.into(),
        fold_diacritics: true,
    }
}

/// Whether the compiled one-pass [`Matcher`](crate::matcher::Matcher) matches `m` with one
/// topic whose query is `src`: every table case below checks it against [`eval`].
fn compiled(src: &str, m: &Mention) -> bool {
    use crate::config::{BrandConfig, MatchingConfig, TopicConfig};
    let brand = BrandConfig {
        id: "b".into(),
        name: None,
        exclude_spam: None,
        own_handles: Vec::new(),
        exclude: vec![],
        topics: [(
            "t".to_string(),
            TopicConfig {
                query: Some(src.into()),
                ..TopicConfig::default()
            },
        )]
        .into_iter()
        .collect(),
    };
    let matcher = crate::matcher::Matcher::new(&[brand], &MatchingConfig::default())
        .unwrap_or_else(|e| panic!("{src:?}: {e}"));
    !matcher.matches(m).is_empty()
}

/// `t!(name, query, [texts that match], [texts that do not])`: checked with the reference
/// evaluator and with the compiled matcher.
macro_rules! t {
    ($name:ident, $query:expr, [$($yes:expr),* $(,)?], [$($no:expr),* $(,)?]) => {
        #[test]
        fn $name() {
            let query = q($query);
            $(assert!(eval(&query, &Doc::from_text($yes)), "{:?} should match {:?}", $query, $yes);)*
            $(assert!(!eval(&query, &Doc::from_text($no)), "{:?} should not match {:?}", $query, $no);)*
            $(assert!(compiled($query, &mention($yes)), "compiled {:?} should match {:?}", $query, $yes);)*
            $(assert!(!compiled($query, &mention($no)), "compiled {:?} should not match {:?}", $query, $no);)*
        }
    };
}

/// `e!(name, query, position, reason fragment)`: `query` fails to parse at `position`.
macro_rules! e {
    ($name:ident, $query:expr, $pos:expr, $reason:expr) => {
        #[test]
        fn $name() {
            let got = parse($query, &Limits::default()).expect_err($query);
            assert_eq!(got.pos, $pos, "{:?}: {got}", $query);
            assert!(got.reason.contains($reason), "{:?}: {got}", $query);
        }
    };
}

// Operators and precedence.
t!(
    brand_next_to_chinese_japanese_or_thai,
    "acme",
    [
        "我喜欢Acme的产品",
        "Acmeの新しいスニーカー",
        "รองเท้าAcmeดีมาก"
    ],
    ["我喜欢Acmeco的产品", "Acmexの新しい", "Acme3000はいい"]
);
t!(
    chinese_brand_is_a_phrase_of_characters,
    "索尼",
    ["我喜欢索尼的产品", "索尼 good"],
    ["索 good 尼", "尼索"]
);
t!(
    single_term,
    "acme",
    ["I love Acme!", "ACME's rocket"],
    ["acmes", "acmeless", "cme"]
);
t!(
    and_explicit,
    "acme AND rocket",
    ["rocket by acme"],
    ["acme only", "rocket only"]
);
t!(
    and_implicit,
    "acme rocket",
    ["rocket by acme"],
    ["acme only"]
);
t!(or, "acme OR globex", ["acme", "globex"], ["initech"]);
t!(
    not_keyword,
    "acme NOT refund",
    ["acme rocks"],
    ["acme refund please"]
);
t!(
    not_minus,
    "acme -refund",
    ["acme rocks"],
    ["acme refund please"]
);
t!(
    and_not,
    "acme AND NOT refund",
    ["acme rocks"],
    ["refund acme"]
);
t!(
    and_over_or,
    "acme rocket OR globex",
    ["globex", "acme rocket"],
    ["acme", "rocket"]
);
t!(
    parens_over_and,
    "acme (rocket OR skates)",
    ["acme skates", "acme rocket"],
    ["acme", "skates"]
);
t!(
    not_binds_tighter_than_and,
    "NOT refund acme",
    ["acme"],
    ["acme refund"]
);
t!(
    not_of_group,
    "acme -(refund OR broken)",
    ["acme ok"],
    ["acme broken", "acme refund"]
);
t!(double_not, "acme NOT NOT rocket", ["acme rocket"], ["acme"]);
t!(
    lowercase_keywords_are_words,
    "acme and",
    ["acme and more"],
    ["acme"]
);
t!(
    hyphenated_term_is_a_sequence,
    "Coca-Cola",
    ["coca cola", "COCA-COLA"],
    ["cola coca"]
);

#[test]
fn precedence_shapes() {
    assert_eq!(
        q("a b OR c").root,
        Node::Or(vec![Node::And(vec![term("a"), term("b")]), term("c")])
    );
    assert_eq!(
        q("a OR (b OR c)").root,
        Node::Or(vec![term("a"), term("b"), term("c")])
    );
    assert_eq!(
        q("a NOT b AND c").root,
        Node::And(vec![term("a"), Node::Not(Box::new(term("b"))), term("c")])
    );
    assert_eq!(
        q("a NOT b NEAR/2 c").root,
        Node::And(vec![
            term("a"),
            Node::Not(Box::new(Node::Near {
                left: Box::new(term("b")),
                right: Box::new(term("c")),
                n: 2,
                ordered: false,
            })),
        ])
    );
}

// Phrases.
t!(
    phrase,
    "\"rocket skates\"",
    ["new Rocket-Skates!"],
    ["skates rocket", "rocket big skates"]
);
t!(phrase_not_hashtag, "\"acme\"", ["acme"], ["#acme"]);

// NEAR and ONEAR: at most n tokens between; NEAR/0 = adjacent.
t!(
    near_boundaries,
    "acme NEAR/2 refund",
    ["acme refund", "acme a b refund", "refund a b acme"],
    ["acme a b c refund", "refund a b c acme", "acme"]
);
t!(
    near_zero_is_adjacent,
    "acme NEAR/0 refund",
    ["refund acme", "acme refund"],
    ["acme x refund"]
);
t!(
    onear_is_ordered,
    "acme ONEAR/1 refund",
    ["acme refund", "acme x refund"],
    ["refund acme", "acme x y refund"]
);
t!(
    near_phrase,
    "\"rocket skates\" NEAR/1 broken",
    ["rocket skates are broken"],
    ["rocket x skates broken"]
);
t!(
    near_or_group,
    "(acme OR globex) NEAR/1 refund*",
    ["globex refunds", "refunded by acme"],
    ["globex x y refunds"]
);
t!(
    near_same_term_needs_two,
    "acme NEAR/3 acme",
    ["acme and acme"],
    ["acme alone"]
);
t!(
    near_counts_hashtags_as_tokens,
    "acme NEAR/0 refund",
    ["#acme refund"],
    ["acme #x refund"]
);

// Wildcards.
t!(
    prefix,
    "refund*",
    ["Refunds now", "refund", "#refundplease"],
    ["refun", "@refunds", "nonrefundable"]
);
t!(prefix_min_three, "ref*", ["referral"], ["re"]);

// Hashtags, handles and words.
t!(
    word_matches_hashtag,
    "acme",
    ["#acme"],
    ["#acmefail", "@acme"]
);
t!(
    hashtag_only_hashtag,
    "#AcmeFail",
    ["so #acme_fail"],
    ["acme fail", "acmefail", "#acme"]
);
t!(
    handle_only_handle,
    "@Acme_Help",
    ["ask @acmehelp"],
    ["acme help", "#acmehelp"]
);

// Normalisation: diacritics, possessives, the `=` opt-out.
t!(
    folds_diacritics,
    "Nestlé",
    ["NESTLE", "nestlé", "Nestle\u{301}'s"],
    ["nestles"]
);
t!(
    unfolded_term,
    "=Nestlé",
    ["NESTLÉ", "Nestle\u{301}"],
    ["Nestle"]
);
t!(unfolded_plain_term, "=nestle", ["Nestle"], ["Nestlé"]);
t!(possessive, "acme's", ["acme", "Acme’s"], ["acmes"]);
t!(
    cyrillic,
    "Привет NEAR/1 мир",
    ["ПРИВЕТ, мир", "мир привет"],
    ["привет новый старый мир"]
);
t!(
    vietnamese,
    "\"Việt Nam\"",
    ["viet nam", "VIỆT NAM đẹp"],
    ["nam viet"]
);
t!(vietnamese_unfolded, "=Việt", ["việt nam"], ["viet nam"]);
t!(vietnamese_d, "đẹp", ["Dep", "ĐẸP"], ["dap"]);

#[test]
fn lang_filters_use_the_detected_language_when_the_provider_gave_none() {
    let limits = Limits::default();
    // The reference evaluator and the compiled matcher (what `run`, `process` and
    // `rules test` use) must agree.
    let check = |src: &str, m: &Mention| {
        let reference = eval(&parse(src, &limits).unwrap(), &Doc::from_mention(m));
        assert_eq!(reference, compiled(src, m), "{src:?} on {m:?}");
        reference
    };
    let mut m = mention("Acme es lo mejor que he comprado este año, me encanta de verdad");
    assert!(check("acme lang:es", &m));
    assert!(!check("acme lang:en", &m));
    m.lang = Some("und".into());
    assert!(check("acme lang:es", &m), "`und` counts as no language");
    // The provider's language wins over detection.
    m.lang = Some("en".into());
    assert!(!check("acme lang:es", &m));
    assert!(check("acme lang:en", &m));
    // Too short to detect: no language, so no `lang:` filter matches.
    let short = mention("acme ok");
    assert!(!check("acme lang:en", &short));
    assert!(check("acme -lang:en", &short));
}

// Fields.
#[test]
fn fields() {
    let mut m = mention("acme rocks");
    m.lang = Some("en-GB".into());
    m.author = Some(Author {
        handle: Some("@Acme_Help".into()),
        ..Author::default()
    });
    m.url = Some("https://user@News.Acme.com:443/x?y".into());
    m.reply_to = Some(Reference {
        id: "0".into(),
        text: None,
        author_handle: None,
    });
    let doc = Doc::from_mention(&m);
    let cases = [
        ("acme lang:en", true),
        ("acme lang:EN", true),
        ("acme lang:e", false),
        ("acme lang:fr", false),
        ("acme source:Twitter", true),
        ("acme source:reddit", false),
        ("acme author:acme_help", true),
        ("acme author:@AcmeHelp", true),
        ("acme author:acme", false),
        ("acme site:acme.com", true),
        ("acme site:www.news.acme.com", true),
        ("acme site:me.com", false),
        ("acme is:reply", true),
        ("acme is:repost", false),
        ("acme -is:repost", true),
        ("acme (lang:fr OR is:reply)", true),
    ];
    for (src, want) in cases {
        assert_eq!(eval(&q(src), &doc), want, "{src}");
        assert_eq!(compiled(src, &m), want, "compiled {src}");
    }
}

#[test]
fn provider_tags_match_without_position() {
    let mut m = mention("a post");
    m.hashtags = vec!["AcmeFail".into()];
    m.user_mentions = vec!["Acme_Help".into()];
    let doc = Doc::from_mention(&m);
    for (src, want) in [
        ("#acmefail", true),
        ("acmefail", true),
        ("acme*", true),
        ("@acmehelp", true),
        ("acmefail NEAR/5 post", false),
    ] {
        assert_eq!(eval(&q(src), &doc), want, "{src}");
        assert_eq!(compiled(src, &m), want, "compiled {src}");
    }
}

// Errors, with positions (character offsets).
e!(empty_query, "   ", 0, "empty query");
e!(unclosed_paren, "acme (a OR b", 5, "unclosed `(`");
e!(unmatched_paren, "acme b)", 6, "unmatched `)`");
e!(empty_parens, "acme ()", 5, "empty parentheses");
e!(dangling_and, "acme AND", 5, "AND needs an operand after it");
e!(dangling_or, "acme OR", 5, "OR needs an operand after it");
e!(leading_or, "OR acme", 0, "OR needs an operand before it");
e!(
    and_or,
    "acme AND OR b",
    9,
    "expected an operand after AND, found OR"
);
e!(
    or_close,
    "(acme OR) b",
    8,
    "expected an operand after OR, found `)`"
);
e!(dangling_not, "acme NOT", 5, "NOT needs an operand after it");
e!(dangling_minus, "acme - b", 5, "`-` needs an operand");
e!(empty_phrase, "acme \"\"", 5, "empty phrase");
e!(blank_phrase, "acme \" !! \"", 5, "empty phrase");
e!(unclosed_quote, "acme \"rocket", 5, "unclosed quote");
e!(unknown_field, "acme foo:bar", 5, "unknown field `foo`");
e!(empty_field, "acme lang:", 10, "needs a value");
e!(bad_is, "acme is:quote", 8, "unknown value `is:quote`");
e!(near_no_distance, "a NEAR b", 2, "NEAR needs a distance");
e!(near_bad_distance, "a NEAR/x b", 7, "bad NEAR distance `x`");
e!(near_negative, "a ONEAR/-1 b", 8, "bad NEAR distance");
e!(near_over_limit, "a NEAR/51 b", 7, "max_near_distance = 50");
e!(
    near_dangling,
    "a NEAR/3",
    2,
    "NEAR needs an operand after it"
);
e!(
    near_leading,
    "NEAR/3 a",
    0,
    "NEAR needs an operand before it"
);
e!(near_bad_left, "#a NEAR/3 b", 0, "NEAR operands must be");
e!(
    near_bad_right,
    "a ONEAR/3 (b c)",
    10,
    "ONEAR operands must be"
);
e!(
    near_chained,
    "a NEAR/3 b NEAR/3 c",
    0,
    "NEAR operands must be"
);
e!(
    near_not_operand,
    "a NEAR/3 NOT b",
    9,
    "NEAR operands must be"
);
e!(wildcard_short, "acme re*", 5, "at least 3 letters");
e!(wildcard_alone, "acme *", 5, "at least 3 letters");
e!(wildcard_inner, "acme ref*und", 8, "only allowed at the end");
e!(wildcard_hashtag, "#acme*", 0, "plain words");
e!(empty_term, "acme !!", 5, "no letters or digits");
e!(empty_hashtag, "acme #", 5, "empty hashtag");
e!(only_not, "NOT acme", 0, "needs at least one term");
e!(only_field, "lang:en", 0, "needs at least one term");
e!(
    or_branch_without_term,
    "acme OR lang:en",
    0,
    "needs at least one term"
);
e!(char_positions, "é ü (", 4, "unclosed `(`");

// `/pattern/` terms.
t!(
    pattern_over_the_text_as_written,
    r"/acme-?x\d{3}/",
    ["the ACME-X500 is here", "acmex123!"],
    ["acme x500", "acme-x50", "acme"]
);
t!(
    pattern_sees_urls_and_escaped_slashes,
    r"/acme\.com\/(promo|deal)/ OR /acme\.com\/sale/",
    ["get it at https://ACME.com/deal?x=1", "acme.com/sale"],
    ["acme.com/prom", "acme com deal", "https://acme.com/help"]
);
t!(
    pattern_case_sensitive_opt_out,
    r"/(?-i)ACME/",
    ["I love ACME"],
    ["I love acme", "Acme"]
);
t!(
    pattern_as_a_filter_needs_a_term,
    r"acme /x\d{3}/",
    ["acme x500 rocks", "Acme's X999"],
    ["acme x50", "x500 is nice"]
);
t!(
    negated_pattern,
    r"acme -/free\s+(shipping|stuff)/",
    ["acme is great", "acme free"],
    ["acme FREE   shipping", "free stuff from acme"]
);
t!(
    pattern_with_unicode_and_case_variants,
    r"/stra(ss|ß)e\b/ OR /привет/",
    ["STRASSE", "die Straße", "ПРИВЕТ мир"],
    ["strassen", "привт"]
);
e!(pattern_only_filter, r"/\d+/", 0, "needs at least one term");
e!(pattern_unclosed, "acme /abc", 5, "unclosed pattern");
e!(pattern_bad_syntax, "acme /ab(c/", 8, "bad pattern /ab(c/");
e!(pattern_empty, "acme //", 5, "empty pattern");
e!(pattern_not_near, r"/acme\d+/ NEAR/2 b", 0, "NEAR operands");

#[test]
fn error_display() {
    let e = parse("acme AND", &Limits::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "at position 5: AND needs an operand after it"
    );
}

#[test]
fn limits() {
    let limits = Limits {
        max_operands: 3,
        max_near_distance: 5,
        max_wildcards: 1,
        max_patterns: 1,
        pattern_size_limit: 4096,
        max_depth: 2,
    };
    let e = parse("a b c d", &limits).unwrap_err();
    assert_eq!(
        (e.pos, e.reason.contains("max_operands = 3")),
        (6, true),
        "{e}"
    );
    let e = parse("abc* def*", &limits).unwrap_err();
    assert_eq!(
        (e.pos, e.reason.contains("max_wildcards = 1")),
        (5, true),
        "{e}"
    );
    let e = parse("a NEAR/6 b", &limits).unwrap_err();
    assert!(e.reason.contains("max_near_distance = 5"), "{e}");
    let e = parse("(((a)))", &limits).unwrap_err();
    assert_eq!(
        (e.pos, e.reason.contains("max_depth = 2")),
        (2, true),
        "{e}"
    );
    assert!(parse("a NEAR/5 b", &limits).is_ok());
    let e = parse("/acme1/ /acme2/", &limits).unwrap_err();
    assert_eq!(
        (e.pos, e.reason.contains("max_patterns = 1")),
        (8, true),
        "{e}"
    );
    let e = parse(r"acme /\w{100}/", &limits).unwrap_err();
    assert_eq!(
        (e.pos, e.reason.contains("regex_size_limit")),
        (5, true),
        "{e}"
    );
    // The default depth keeps a hostile query from overflowing the stack.
    let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(parse(&deep, &Limits::default()).is_err());
    let nots = format!("a {}b", "NOT ".repeat(100_000));
    assert!(parse(&nots, &Limits::default()).is_err());
}

#[test]
fn literal_list() {
    let query =
        q("(Acme OR =Nestlé OR \"rocket skates\") refund* #AcmeFail @help -broken acme lang:en");
    assert_eq!(
        literals(&query),
        vec![
            Literal::Term {
                text: "acme".into(),
                fold_diacritics: true
            },
            Literal::Term {
                text: "nestlé".into(),
                fold_diacritics: false
            },
            Literal::Phrase(vec!["rocket".into(), "skates".into()]),
            Literal::Prefix("refund".into()),
            Literal::Hashtag("acmefail".into()),
            Literal::Handle("help".into()),
        ]
    );
}

#[test]
fn unfolded_tokens_line_up() {
    let text = "Nestlé's CAFÉ, l'Été #Đẹp_Quá @Bob https://x.y/z ß ПРИВЕТ";
    let doc = Doc::from_text(text);
    assert_eq!(doc.tokens.len(), doc.raw_tokens.len());
    assert_eq!(
        doc.raw_tokens,
        [
            "nestlé",
            "café",
            "l",
            "été",
            "#đẹpquá",
            "@bob",
            "ß",
            "привет"
        ]
    );
}
