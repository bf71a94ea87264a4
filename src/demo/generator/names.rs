//! Who and what the samples name: the canonical sources, the brand names for the templates'
//! placeholders, generic hashtags, news outlets, influencers and the parts of author handles.

/// Canonical sources and their weights.
pub(super) const SOURCES: [&str; 6] = ["twitter", "reddit", "news", "instagram", "forum", "review"];
pub(super) const SOURCE_WEIGHTS: [u32; 6] = [25, 25, 10, 15, 10, 15];

/// `Café Brûlé` in decomposed form (NFD), as some clients send it.
pub(super) const CAFE_BRULE_NFD: &str = "Cafe\u{301} Bru\u{302}le\u{301}";

/// Names for the `{b}` and `{b2}` placeholders: (brand id, name, weight).
pub(super) const BRAND_NAMES: [(&str, &str, u32); 7] = [
    ("acme", "Acme", 28),
    ("acme", "Acme Corp", 7),
    ("globex", "Globex", 25),
    ("initech", "Initech", 20),
    ("brule", "Café Brûlé", 14),
    ("brule", CAFE_BRULE_NFD, 3),
    ("brule", "Brûlé", 3),
];
pub(super) const BRAND_WEIGHTS: [u32; 7] = [28, 7, 25, 20, 14, 3, 3];

/// Tags for texts that name no brand.
pub(super) const GENERIC_TAGS: [&str; 5] = ["#weekend", "#mood", "#travel", "#foodie", "#tech"];

/// News outlets: handle and index into [`LANGS`](super::phrases::LANGS).
pub(super) const OUTLETS: [(&str, usize); 8] = [
    ("dailyplanet", 0),
    ("gothamgazette", 0),
    ("berliner_bote", 1),
    ("el_diario_demo", 2),
    ("vesti_demo", 3),
    ("tintuc_demo", 4),
    ("folha_demo", 5),
    ("le_quotidien", 6),
];

/// Authors with a large following: handle and follower range.
pub(super) const INFLUENCERS: [(&str, u64, u64); 4] = [
    ("techguru", 150_000, 400_000),
    ("gadget_queen", 300_000, 900_000),
    ("coffeecritic", 100_000, 250_000),
    ("megastar_official", 1_000_000, 5_000_000),
];

pub(super) const HANDLE_HEADS: [&str; 24] = [
    "sunny", "max", "coffee", "rocket", "lena", "dima", "linh", "ana", "joao", "claire", "pixel",
    "retro", "night", "urban", "tech", "daily", "happy", "grumpy", "marta", "tomas", "sasha",
    "minh", "lucas", "chloe",
];
pub(super) const HANDLE_TAILS: [&str; 14] = [
    "fan", "_dev", "lover", "reviews", "bear", "fox", "_writes", "codes", "_x", "runner", "cat",
    "life", "92", "_real",
];
