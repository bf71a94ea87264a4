//! Spam flags: link spam, promotions, hashtag stuffing and repeated promotion, each a
//! documented rule with its reason on the record.
//!
//! | reason | rule |
//! |---|---|
//! | `link_spam` | 3 or more links, or 2 links in fewer than 8 words |
//! | `promotion` | a promotion phrase (below, any of 9 languages) together with a link or "DM" |
//! | `hashtag_stuffing` | 6 or more hashtags, or 4 or more making up over half the words |
//! | `repeated_promotion` | the author posted this same text with a link 3 times in a row within the hour |
//!
//! Phrases are matched on the folded token stream (lowercase, no accents), whole words.

use crate::rules::normalize::token_stream;

/// Every reason, in label order.
pub const REASONS: [&str; 4] = [
    "link_spam",
    "promotion",
    "hashtag_stuffing",
    "repeated_promotion",
];

/// Promotion phrases, folded, whole words (en, es, fr, de, it, pt, ru, vi).
const PROMOTION: &[&str] = &[
    "promo code",
    "discount code",
    "coupon code",
    "use code",
    "use my code",
    "giveaway",
    "free followers",
    "get followers",
    "click the link",
    "click here",
    "link in bio",
    "buy now",
    "limited offer",
    "earn money",
    "make money",
    "work from home",
    "crypto signals",
    "airdrop",
    "codigo de descuento",
    "codigo promocional",
    "sorteo",
    "code promo",
    "lien en bio",
    "gagner de l argent",
    "gutscheincode",
    "rabattcode",
    "gewinnspiel",
    "codice sconto",
    "cupom",
    "codigo de desconto",
    "promokod",
    "промокод",
    "розыгрыш",
    "заработок",
    "ma giam gia",
    "khuyen mai",
];

/// The spam reasons of a text. `links`: how many URLs it has; `link_repeats`: how many times
/// in a row its author posted it with a link before (from the author tracker).
pub fn reasons(text: &str, link_repeats: u32, stream: &mut String) -> Vec<String> {
    let links = count_links(text);
    token_stream(text, stream);
    let mut words = 0usize;
    let mut hashtags = 0usize;
    let mut dm = false;
    for tok in stream.split_ascii_whitespace() {
        words += 1;
        if tok.starts_with('#') {
            hashtags += 1;
        }
        dm |= tok == "dm";
    }
    let mut out = Vec::new();
    if links >= 3 || (links == 2 && words < 8) {
        out.push("link_spam".to_string());
    }
    if (links > 0 || dm) && PROMOTION.iter().any(|p| contains_phrase(stream, p)) {
        out.push("promotion".to_string());
    }
    if hashtags >= 6 || (hashtags >= 4 && hashtags * 2 > words) {
        out.push("hashtag_stuffing".to_string());
    }
    if links > 0 && link_repeats >= 2 {
        out.push("repeated_promotion".to_string());
    }
    out
}

/// URLs in `text` (`http://`, `https://`, `www.` at a word start).
pub fn count_links(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| {
            let w = w.trim_start_matches(|c: char| !c.is_alphanumeric());
            let lower = w.get(..8).unwrap_or(w).to_ascii_lowercase();
            lower.starts_with("http://")
                || lower.starts_with("https://")
                || lower.starts_with("www.")
        })
        .count()
}

/// Whether the token stream `" a b c "` contains `phrase` as whole words.
fn contains_phrase(stream: &str, phrase: &str) -> bool {
    let mut pos = 0;
    while let Some(i) = stream[pos..].find(phrase) {
        let start = pos + i;
        let end = start + phrase.len();
        let before = stream[..start].ends_with(' ');
        let after = stream[end..].starts_with(' ');
        if before && after {
            return true;
        }
        pos = start + 1;
        while !stream.is_char_boundary(pos) {
            pos += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str, repeats: u32) -> Vec<String> {
        reasons(text, repeats, &mut String::new())
    }

    #[test]
    fn each_rule_fires_on_its_pattern_and_not_on_ordinary_posts() {
        assert_eq!(
            r("deals http://a.io http://b.io http://c.io", 0),
            ["link_spam"]
        );
        assert_eq!(r("wow https://x.io https://y.io", 0), ["link_spam"]);
        assert_eq!(
            r("Use code ACME50 for 50% off!! https://shop.example", 0),
            ["promotion"]
        );
        assert_eq!(r("Промокод ACME на скидку, пишите в DM", 0), ["promotion"]);
        assert_eq!(r("Mã giảm giá Acme tại https://x.vn", 0), ["promotion"]);
        assert_eq!(
            r("#acme #deal #sale #free #win #shoes so good", 0),
            ["hashtag_stuffing"]
        );
        assert_eq!(
            r("acme shoes https://shop.example/x", 2),
            ["repeated_promotion"]
        );
        // Ordinary posts.
        for ok in [
            "My acme order never came, support please help https://t.co/abc",
            "The giveaway at the acme store was fun",
            "#acme #shoes are great for running in the rain every morning",
            "I use code every day at work, acme laptops are fine",
        ] {
            assert!(r(ok, 0).is_empty(), "{ok}: {:?}", r(ok, 0));
        }
        assert!(r("acme shoes https://shop.example/x", 1).is_empty());
    }

    #[test]
    fn links_are_counted_at_word_starts() {
        assert_eq!(count_links("a (https://x.io) www.y.com nothttp://z"), 2);
        assert_eq!(count_links("HTTPS://LOUD.IO"), 1);
    }
}
