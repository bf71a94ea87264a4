//! MinHash sketches of a mention's text, for near-duplicate lookups with LSH banding.
//!
//! The text goes through the rule tokenizer and its folding ([`crate::rules::normalize`]):
//! lowercase, no diacritics, punctuation and emoji gone, URLs skipped; then @handles become
//! `@` and numbers `0`, so "@ana order 4411 never came" and "@bo order 9120 never came" are
//! the same text. Its features are the words and the pairs of neighbouring words. A sketch
//! keeps, for each of [`HASHES`] hash functions, the smallest hash over the features (16 bits
//! of it: b-bit MinHash); the share of equal slots estimates the Jaccard similarity of the two
//! feature sets. Lookups use [`BANDS`] bands of [`ROWS`] slots: two texts are compared when
//! any band is equal, which happens with probability `1 - (1 - J^4)^16` (0.64 at J = 0.5,
//! 0.89 at 0.6, 0.99 at 0.7).

use crate::rules::normalize::token_stream;

/// Hash functions (slots) per sketch.
pub const HASHES: usize = 64;
/// LSH bands.
pub const BANDS: usize = 16;
/// Slots per band.
pub const ROWS: usize = HASHES / BANDS;

/// A text's sketch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sketch {
    /// The MinHash slots (low 16 bits of each minimum).
    pub sig: [u16; HASHES],
    /// Hash of the whole masked token stream: equal for texts that differ only in case,
    /// accents, punctuation, emoji, URLs, handles and numbers.
    pub exact: u64,
    /// Words (handles and hashtags included) in the text.
    pub words: usize,
}

/// Reusable buffers.
#[derive(Debug, Default)]
pub struct Scratch {
    stream: String,
    features: Vec<u64>,
}

/// FNV-1a, then a finaliser: a fast, fixed (not randomised) 64-bit string hash, so that
/// sketches are the same on every instance and run.
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

/// splitmix64's finaliser.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The per-slot seeds: fixed odd constants.
const fn seeds() -> [u64; HASHES] {
    let mut out = [0u64; HASHES];
    let mut i = 0;
    let mut z: u64 = 0x9e37_79b9_7f4a_7c15;
    while i < HASHES {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        out[i] = z | 1;
        i += 1;
    }
    out
}
const SEEDS: [u64; HASHES] = seeds();

/// The masked words of `text`, in order, written into `scratch.stream` as `" w w w "`.
fn masked_words(text: &str, scratch: &mut Scratch) {
    let mut raw = String::new();
    token_stream(text, &mut raw);
    let out = &mut scratch.stream;
    out.clear();
    out.push(' ');
    for tok in raw.split_ascii_whitespace() {
        if tok.starts_with('@') {
            out.push('@');
        } else if tok
            .strip_prefix('#')
            .unwrap_or(tok)
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            out.push('0');
        } else {
            out.push_str(tok);
        }
        out.push(' ');
    }
}

/// The features of `text` (hashes of its words and word pairs, sorted, deduplicated) into
/// `scratch.features`; returns the number of words and the hash of the masked stream.
fn features(text: &str, scratch: &mut Scratch) -> (usize, u64) {
    masked_words(text, scratch);
    let Scratch { stream, features } = scratch;
    features.clear();
    let mut prev: Option<u64> = None;
    let mut words = 0;
    for w in stream.split_ascii_whitespace() {
        words += 1;
        let h = hash_str(w);
        features.push(h);
        if let Some(p) = prev {
            features.push(mix(p.rotate_left(17) ^ h ^ 0x5bd1_e995));
        }
        prev = Some(h);
    }
    features.sort_unstable();
    features.dedup();
    (words, hash_str(stream))
}

/// Sketches `text`.
pub fn sketch(text: &str, scratch: &mut Scratch) -> Sketch {
    let (words, exact) = features(text, scratch);
    let mut mins = [u64::MAX; HASHES];
    for &f in &scratch.features {
        for (m, seed) in mins.iter_mut().zip(SEEDS) {
            let v = mix(f ^ seed);
            if v < *m {
                *m = v;
            }
        }
    }
    let mut sig = [0u16; HASHES];
    for (s, m) in sig.iter_mut().zip(mins) {
        // An empty text keeps u64::MAX everywhere: all its slots are equal to each other's,
        // and it is never compared (it has no words).
        *s = (m >> 48) as u16;
    }
    Sketch { sig, exact, words }
}

/// Estimated Jaccard similarity of the texts of `a` and `b` (share of equal slots, corrected
/// for the 1 / 65536 chance that two 16-bit slots agree by accident).
pub fn similarity(a: &[u16; HASHES], b: &[u16; HASHES]) -> f64 {
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / HASHES as f64;
    const C: f64 = 1.0 / 65_536.0;
    ((equal - C) / (1.0 - C)).max(0.0)
}

/// The LSH band keys of a sketch (the band index is mixed in, so bands never collide with
/// each other).
pub fn band_keys(sig: &[u16; HASHES]) -> [u64; BANDS] {
    let mut keys = [0u64; BANDS];
    for (b, key) in keys.iter_mut().enumerate() {
        let mut h = (b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for &v in &sig[b * ROWS..(b + 1) * ROWS] {
            h = mix(h ^ u64::from(v));
        }
        *key = h;
    }
    keys
}

/// Exact Jaccard similarity of the feature sets of two texts: what [`similarity`] estimates
/// (for tests and the evaluation).
pub fn exact_jaccard(a: &str, b: &str) -> f64 {
    let mut s = Scratch::default();
    features(a, &mut s);
    let fa: std::collections::HashSet<u64> = s.features.iter().copied().collect();
    features(b, &mut s);
    let fb: std::collections::HashSet<u64> = s.features.iter().copied().collect();
    let union = fa.union(&fb).count();
    if union == 0 {
        return 1.0;
    }
    fa.intersection(&fb).count() as f64 / union as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sk(t: &str) -> Sketch {
        sketch(t, &mut Scratch::default())
    }

    #[test]
    fn masking_ignores_case_accents_punctuation_urls_handles_and_numbers() {
        let a = sk("@ana My order #4411 never came!!! Café Acme, fix it https://t.co/x 😡");
        let b = sk("@bo my ORDER #9120 never came. Cafe acme fix it");
        assert_eq!(a.exact, b.exact);
        assert_eq!(a.sig, b.sig);
        assert_eq!(a.words, 10);
        assert_ne!(sk("my order never came").exact, a.exact);
    }

    #[test]
    fn estimate_tracks_exact_jaccard() {
        // Pairs from identical to unrelated, with light edits in between.
        let base = "the new acme update deleted all my saved playlists and support keeps \
                    closing my tickets without an answer";
        let pairs = [
            base.to_string(),
            base.replace("deleted", "wiped"),
            base.replace("deleted", "wiped")
                .replace("tickets", "emails")
                + " #fail",
            base.replace("saved playlists", "photos") + " 😡😡 #acmefail #boycott",
            "i love the acme coffee shop on main street, best latte in town".to_string(),
            "acme support closed my ticket again, third time this week, no answer".to_string(),
        ];
        for p in &pairs {
            let exact = exact_jaccard(base, p);
            let est = similarity(&sk(base).sig, &sk(p).sig);
            // 64 slots: the standard error is at most 0.0625; allow 3.5 of them.
            assert!(
                (exact - est).abs() < 0.22,
                "{p:?}: exact {exact:.3}, estimate {est:.3}"
            );
        }
    }

    #[test]
    fn estimate_is_unbiased_over_many_pairs() {
        // Mean error over 200 random pairs of word sets with known overlap.
        let words: Vec<String> = (0..400).map(|i| format!("w{i}x")).collect();
        let mut total_err = 0.0;
        let mut rng = 0x1234_5678_u64;
        let mut next = || {
            rng = mix(rng.wrapping_add(0x9e37_79b9_7f4a_7c15));
            rng
        };
        for _ in 0..200 {
            let n = 10 + (next() % 20) as usize;
            let a: Vec<&str> = (0..n)
                .map(|_| words[(next() % 400) as usize].as_str())
                .collect();
            let mut b = a.clone();
            let edits = (next() % n as u64) as usize;
            for _ in 0..edits {
                let i = (next() % n as u64) as usize;
                b[i] = words[(next() % 400) as usize].as_str();
            }
            let (ta, tb) = (a.join(" "), b.join(" "));
            total_err += similarity(&sk(&ta).sig, &sk(&tb).sig) - exact_jaccard(&ta, &tb);
        }
        let bias = total_err / 200.0;
        assert!(bias.abs() < 0.02, "mean error {bias}");
    }

    #[test]
    fn bands_agree_for_equal_sketches_and_mostly_differ_otherwise() {
        let a = sk("acme support closed my ticket again, third time this week");
        let b = sk("the weather in lisbon is lovely this time of year honestly");
        assert_eq!(band_keys(&a.sig), band_keys(&a.sig));
        let shared = band_keys(&a.sig)
            .iter()
            .zip(band_keys(&b.sig))
            .filter(|(x, y)| **x == *y)
            .count();
        assert_eq!(shared, 0);
    }

    #[test]
    fn empty_and_url_only_texts_have_no_words() {
        assert_eq!(sk("").words, 0);
        assert_eq!(sk("https://t.co/abc 🎉🎉").words, 0);
    }
}
