//! Offline modes over stdin/stdout, built from the same stage cores as the service:
//! `brandpulse process` (decode -> match -> score -> scored JSONL) and `brandpulse score`
//! (sentiment of each line, no brand filter).

use std::io::{BufRead, Write};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::emit::{mark_own_post, scored_records};
use crate::ingest::Decoder;
use crate::matcher::Matcher;
use crate::mention::{MatchedMention, Mention, SentimentLabel};
use crate::record::{DecodeError, Decoded};
use crate::score::stage::ScoreStage;
use crate::score::ScoreError;

/// Errors of the offline modes.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    /// Reading stdin or writing stdout failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The scorer failed.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// Encoding output failed.
    #[error("encoding output: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Counts reported at the end of `process`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Lines read (blank lines excluded).
    pub lines: u64,
    /// Mentions that matched at least one brand.
    pub matched: u64,
    /// Scored records written (one per mention and brand).
    pub outputs: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Stream notices (Twitter `delete`, `limit`, ...): not mentions, not errors.
    pub notices: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "summary: lines={} matched={} outputs={} rejected={}",
            self.lines, self.matched, self.outputs, self.rejected
        )?;
        if self.notices > 0 {
            write!(f, " notices={}", self.notices)?;
        }
        Ok(())
    }
}

/// Lines per scoring batch in the offline modes.
const BATCH: usize = 256;

/// One input line, or how long a line was that is over the limit (it is skipped, never held
/// in memory whole).
pub(crate) enum Line {
    /// The line, without its end.
    Text(Vec<u8>),
    /// A line over the limit: its length in bytes.
    TooLong(usize),
}

/// Longest input line read: the text may be escaped in JSON (up to 6 bytes per byte, as
/// `\u00XX`), plus room for the other fields.
pub fn max_line_bytes(limits: &crate::ingest::Limits) -> usize {
    limits
        .max_text_bytes
        .saturating_mul(6)
        .saturating_add(limits.max_field_bytes.saturating_mul(64))
        .saturating_add(64 * 1024)
}

impl Summary {
    /// The line's bytes, or `None` for a line over `max` bytes, which is counted as rejected
    /// and reported on `err` as `line N: line_too_long: ...`.
    fn take_line(
        &mut self,
        line: Line,
        index: usize,
        max: usize,
        err: &mut impl Write,
    ) -> std::io::Result<Option<Vec<u8>>> {
        match line {
            Line::Text(l) => Ok(Some(l)),
            Line::TooLong(len) => {
                self.lines += 1;
                self.rejected += 1;
                writeln!(
                    err,
                    "line {}: line_too_long: the line is {len} bytes, over the limit of {max} (pipeline.max_text_bytes)",
                    index + 1
                )?;
                Ok(None)
            }
        }
    }
}

/// The lines of `input` (without `\n` or `\r\n`), each at most `max` bytes; a longer line is
/// reported as [`Line::TooLong`] and skipped to its end without being stored.
pub(crate) fn bounded_lines(
    mut input: impl BufRead,
    max: usize,
) -> impl Iterator<Item = std::io::Result<Line>> {
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut line = Vec::new();
        let mut len = 0usize;
        loop {
            let buf = match input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            if buf.is_empty() {
                done = true;
                if len == 0 {
                    return None;
                }
                break;
            }
            let (chunk, found) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], true),
                None => (buf, false),
            };
            len += chunk.len();
            if len <= max {
                line.extend_from_slice(chunk);
            } else if !line.is_empty() {
                line = Vec::new();
            }
            let used = chunk.len() + usize::from(found);
            input.consume(used);
            if found {
                break;
            }
        }
        if len > max {
            return Some(Ok(Line::TooLong(len)));
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Some(Ok(Line::Text(line)))
    })
}

/// `brandpulse process`: reads mentions (one per line), writes one scored JSON line per
/// (mention, brand) match to `out`, reports each rejected line to `err` as
/// `line N: <reason>: <detail>`, and returns the counts.
///
/// # Errors
/// [`OfflineError`] on I/O or scorer failure (not on bad lines, which are counted).
pub fn process(
    input: impl BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
    decoder: &Decoder,
    matcher: &Matcher,
    mut screener: Option<&mut crate::screen::Screener>,
    stage: &mut ScoreStage,
) -> Result<Summary, OfflineError> {
    let mut summary = Summary::default();
    let mut batch: Vec<MatchedMention> = Vec::with_capacity(BATCH);
    // The brand whose own handle posted each batch entry, if any (see `emit::mark_own_post`).
    let mut own: Vec<Option<crate::record::OwnPost>> = Vec::with_capacity(BATCH);
    let mut scratch = crate::matcher::Scratch::default();
    let max_line = max_line_bytes(&decoder.limits());
    for (i, line) in bounded_lines(input, max_line).enumerate() {
        let Some(line) = summary.take_line(line?, i, max_line, err)? else {
            continue;
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        summary.lines += 1;
        match decoder.decode_record(Some(&line)) {
            Ok(Decoded::Mention(mention)) => {
                let matches = matcher.matches_with(&mention, &mut scratch);
                if !matches.is_empty() {
                    summary.matched += 1;
                    let mut matched = MatchedMention::new(mention, matches);
                    if let Some(screener) = screener.as_deref_mut() {
                        screener.screen(&mut matched);
                    }
                    own.push(matcher.own_post(&matched.mention));
                    batch.push(matched);
                }
            }
            Ok(Decoded::Notice(_)) => summary.notices += 1,
            Err(e) => {
                summary.rejected += 1;
                writeln!(err, "line {}: {}: {}", i + 1, e.reason(), e)?;
            }
        }
        if batch.len() >= BATCH {
            summary.outputs += flush(&mut batch, &mut own, out, stage)?;
        }
    }
    summary.outputs += flush(&mut batch, &mut own, out, stage)?;
    out.flush()?;
    Ok(summary)
}

fn flush(
    batch: &mut Vec<MatchedMention>,
    own: &mut Vec<Option<crate::record::OwnPost>>,
    out: &mut impl Write,
    stage: &mut ScoreStage,
) -> Result<u64, OfflineError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let matched: Vec<&MatchedMention> = batch.iter().collect();
    let scores = stage.scores(&matched, false)?;
    let now = Utc::now();
    let mut n = 0;
    for ((mention, scores), own) in matched.iter().zip(scores).zip(own.iter()) {
        let mut records = scored_records(mention, &scores, now);
        mark_own_post(&mut records, own.as_ref());
        for rec in records {
            serde_json::to_writer(&mut *out, &rec)?;
            out.write_all(b"\n")?;
            n += 1;
        }
    }
    batch.clear();
    own.clear();
    Ok(n)
}

/// One input line of `brandpulse score`: `{"text": ...}` (with an optional `lang`), or a
/// canonical mention.
#[derive(Debug, Deserialize)]
struct TextLine {
    text: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    id: Option<serde_json::Value>,
}

/// One output line of `brandpulse score`.
#[derive(Debug, Serialize)]
struct ScoreLine<'a> {
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    label: SentimentLabel,
    score: f32,
    confidence: f32,
    lang: &'a str,
    scorer: &'a str,
}

/// `brandpulse score`: writes the sentiment of each line; bad lines go to `err`.
///
/// # Errors
/// [`OfflineError`] on I/O or scorer failure.
pub fn score(
    input: impl BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
    stage: &mut ScoreStage,
    limits: &crate::ingest::Limits,
) -> Result<Summary, OfflineError> {
    let mut summary = Summary::default();
    let mut pending: Vec<(u64, TextLine)> = Vec::new();
    let max_line = max_line_bytes(limits);
    for (i, line) in bounded_lines(input, max_line).enumerate() {
        let Some(line) = summary.take_line(line?, i, max_line, err)? else {
            continue;
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        summary.lines += 1;
        let parsed = std::str::from_utf8(&line)
            .map_err(|e| DecodeError::InvalidUtf8 {
                valid_up_to: e.valid_up_to(),
            })
            .and_then(|s| {
                serde_json::from_str::<TextLine>(s)
                    .map_err(|e| crate::ingest::classify_json_error(&e, ""))
            })
            .and_then(|t| {
                if t.text.len() > limits.max_text_bytes {
                    Err(DecodeError::TextTooLong {
                        len: t.text.len(),
                        limit: limits.max_text_bytes,
                    })
                } else {
                    Ok(t)
                }
            });
        match parsed {
            Ok(t) => pending.push((i as u64 + 1, t)),
            Err(e) => {
                summary.rejected += 1;
                writeln!(err, "line {}: {}: {}", i + 1, e.reason(), e)?;
            }
        }
        if pending.len() >= BATCH {
            summary.outputs += score_flush(&mut pending, out, stage)?;
        }
    }
    summary.outputs += score_flush(&mut pending, out, stage)?;
    out.flush()?;
    Ok(summary)
}

fn score_flush(
    pending: &mut Vec<(u64, TextLine)>,
    out: &mut impl Write,
    stage: &mut ScoreStage,
) -> Result<u64, OfflineError> {
    if pending.is_empty() {
        return Ok(0);
    }
    // Reuse the mention path so language detection and caching behave as in the service.
    let mentions: Vec<Mention> = pending
        .iter()
        .map(|(n, t)| Mention {
            id: format!("line-{n}"),
            text: t.text.clone(),
            created_at: Utc::now(),
            source: "offline".into(),
            lang: t.lang.clone(),
            author: None,
            url: None,
            engagement: None,
            reply_to: None,
            repost_of: None,
            quote_of: None,
            hashtags: Vec::new(),
            user_mentions: Vec::new(),
        })
        .collect();
    let refs: Vec<&Mention> = mentions.iter().collect();
    let scored = stage.score(&refs)?;
    let scorer = stage.info().name.clone();
    for ((n, t), s) in pending.iter().zip(&scored) {
        let line = ScoreLine {
            line: *n,
            id: t.id.as_ref(),
            label: s.sentiment.label,
            score: s.sentiment.score,
            confidence: s.sentiment.confidence,
            lang: &s.lang,
            scorer: &scorer,
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    let n = pending.len() as u64;
    pending.clear();
    Ok(n)
}

/// Input of `brandpulse rules test`: plain text lines or mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RulesInput {
    /// Each line is a mention's text.
    #[default]
    Text,
    /// Canonical mention JSON.
    Canonical,
    /// Twitter API v1.1 tweet JSON.
    #[value(name = "twitter-v1")]
    TwitterV1,
}

/// One line of `rules test` output.
#[derive(Debug, Serialize)]
struct RulesTestLine<'a> {
    line: u64,
    matches: &'a [crate::mention::BrandMatch],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `brandpulse rules test`: one JSON line per non-blank input line,
/// `{"line": n, "matches": [{"brand", "topics", "terms"}]}`; a line that does not decode gets
/// `"matches": []` and an `"error"`, and is counted as rejected.
///
/// # Errors
/// [`OfflineError`] on I/O failure.
pub fn rules_test(
    input: impl BufRead,
    out: &mut impl Write,
    decoder: Option<&Decoder>,
    matcher: &Matcher,
) -> Result<Summary, OfflineError> {
    let mut summary = Summary::default();
    let mut scratch = crate::matcher::Scratch::default();
    let limits = decoder.map_or_else(
        || crate::ingest::Limits::of(&Default::default()),
        Decoder::limits,
    );
    let max_line = max_line_bytes(&limits);
    for (i, line) in bounded_lines(input, max_line).enumerate() {
        let line = match line? {
            Line::Text(l) => l,
            Line::TooLong(len) => {
                summary.lines += 1;
                summary.rejected += 1;
                let error = Some(format!(
                    "line_too_long: the line is {len} bytes, over the limit of {max_line}"
                ));
                serde_json::to_writer(
                    &mut *out,
                    &RulesTestLine {
                        line: i as u64 + 1,
                        matches: &[],
                        error,
                    },
                )?;
                out.write_all(b"\n")?;
                continue;
            }
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        summary.lines += 1;
        let decoded = match decoder {
            Some(d) => d
                .decode_record(Some(&line))
                .map_err(|e| format!("{}: {e}", e.reason())),
            None => Ok(Decoded::Mention(text_mention(&String::from_utf8_lossy(
                &line,
            )))),
        };
        let (matches, error) = match decoded {
            Ok(Decoded::Mention(mention)) => (matcher.matches_with(&mention, &mut scratch), None),
            // A stream notice is no mention and no error: it matches nothing.
            Ok(Decoded::Notice(_)) => {
                summary.notices += 1;
                (Vec::new(), None)
            }
            Err(e) => {
                summary.rejected += 1;
                (Vec::new(), Some(e))
            }
        };
        if !matches.is_empty() {
            summary.matched += 1;
            summary.outputs += matches.len() as u64;
        }
        serde_json::to_writer(
            &mut *out,
            &RulesTestLine {
                line: i as u64 + 1,
                matches: &matches,
                error,
            },
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(summary)
}

fn text_mention(text: &str) -> Mention {
    Mention::new("", text, "text", Utc::now())
}

#[cfg(test)]
mod line_tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<Result<String, usize>> {
        bounded_lines(std::io::BufReader::with_capacity(4, input), max)
            .map(|l| match l.unwrap() {
                Line::Text(t) => Ok(String::from_utf8(t).unwrap()),
                Line::TooLong(n) => Err(n),
            })
            .collect()
    }

    #[test]
    fn long_lines_are_skipped_not_stored() {
        let got = lines(b"ab\r\n0123456789\nxyz", 5);
        assert_eq!(got, vec![Ok("ab".into()), Err(10), Ok("xyz".into())]);
        assert_eq!(lines(b"", 5), Vec::<Result<String, usize>>::new());
        assert_eq!(
            lines(b"\n\n", 5),
            vec![Ok(String::new()), Ok(String::new())]
        );
        // A line of exactly the limit is kept.
        assert_eq!(lines(b"12345", 5), vec![Ok("12345".into())]);
    }
}

#[cfg(test)]
mod own_post_tests {
    use super::*;
    use crate::config::{Config, ScorerKind};
    use crate::record::InputFormat;

    /// A brand's own post names the brand and complains, yet needs no response from it.
    #[test]
    fn a_brands_own_post_needs_no_response_from_it() {
        let config = Config::from_toml(
            "[[brands]]\nid = \"acme\"\nown_handles = [\"AcmeHelp\"]\n[brands.topics.brand]\nkeywords = [\"acme\"]\n",
            "t",
        )
        .unwrap();
        let matcher = Matcher::new(&config.brands, &config.matching).unwrap();
        let mut stage = ScoreStage::new(
            crate::score::build(ScorerKind::Lexicon, &config.scoring).unwrap(),
            0,
        );
        let line = |handle: &str| {
            serde_json::json!({
                "id": handle, "created_at": "2026-11-01T12:00:00Z", "source": "twitter",
                "text": "@acme my acme order is broken and late, terrible, how do I get a refund?",
                "author": {"handle": handle},
            })
            .to_string()
        };
        let input = format!("{}\n{}\n", line("AcmeHelp"), line("jane"));
        let mut out = Vec::new();
        process(
            input.as_bytes(),
            &mut out,
            &mut std::io::sink(),
            &Decoder::new(InputFormat::Canonical, 1 << 20),
            &matcher,
            None,
            &mut stage,
        )
        .unwrap();
        let needs: Vec<(String, bool)> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                let v: serde_json::Value = serde_json::from_slice(l).unwrap();
                (
                    v["mention_id"].as_str().unwrap().to_string(),
                    v["intent"]["needs_response"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            needs,
            [("AcmeHelp".to_string(), false), ("jane".to_string(), true)]
        );
    }
}
