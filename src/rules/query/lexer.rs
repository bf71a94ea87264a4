//! The query lexer: characters to tokens (parentheses, operators, phrases, `/patterns/`,
//! words), with `NEAR/n` distances checked against the limits.

use super::{err, Limits, QueryError};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    /// `-` glued to the operand after it.
    Minus,
    Near {
        n: u32,
        ordered: bool,
    },
    /// The text between the quotes.
    Phrase(String),
    /// The text between the slashes of `/pattern/`, with `\/` unescaped.
    Pattern(String),
    Word(String),
}

pub(super) fn lex(src: &str, limits: &Limits) -> Result<Vec<(Tok, usize)>, QueryError> {
    let chars: Vec<char> = src.chars().collect();
    let n = chars.len();
    let is_break = |c: char| c.is_whitespace() || matches!(c, '(' | ')' | '"');
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                out.push((Tok::LParen, i));
                i += 1;
            }
            ')' => {
                out.push((Tok::RParen, i));
                i += 1;
            }
            '"' => {
                let Some(len) = chars[i + 1..].iter().position(|&q| q == '"') else {
                    return err(i, "unclosed quote");
                };
                let text: String = chars[i + 1..i + 1 + len].iter().collect();
                out.push((Tok::Phrase(text), i));
                i += len + 2;
            }
            '/' => {
                let (source, len) = pattern_source(&chars[i + 1..]).ok_or_else(|| QueryError {
                    pos: i,
                    reason: "unclosed pattern: a `/pattern/` term ends with `/` (write `\\/` for a slash inside it)".into(),
                })?;
                out.push((Tok::Pattern(source), i));
                i += len + 2;
            }
            '-' => {
                if i + 1 >= n || chars[i + 1].is_whitespace() || chars[i + 1] == ')' {
                    return err(i, "`-` needs an operand right after it, e.g. -refund");
                }
                out.push((Tok::Minus, i));
                i += 1;
            }
            _ => {
                let start = i;
                while i < n && !is_break(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                out.push((keyword(&word, start, limits)?, start));
            }
        }
    }
    Ok(out)
}

/// The source of a `/pattern/` from the character after the opening `/`, and how many
/// characters it spans before the closing `/`; `None` when it is not closed. `\/` stands for
/// `/`; every other escape is left for the regex parser.
fn pattern_source(chars: &[char]) -> Option<(String, usize)> {
    let mut source = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '/' => return Some((source, i)),
            '\\' if chars.get(i + 1) == Some(&'/') => {
                source.push('/');
                i += 2;
            }
            '\\' => {
                source.push('\\');
                if let Some(&next) = chars.get(i + 1) {
                    source.push(next);
                }
                i += 2;
            }
            c => {
                source.push(c);
                i += 1;
            }
        }
    }
    None
}

/// Classifies a bare word: a keyword, or an operand for the parser to read.
fn keyword(word: &str, pos: usize, limits: &Limits) -> Result<Tok, QueryError> {
    let tok = match word {
        "AND" => Tok::And,
        "OR" => Tok::Or,
        "NOT" => Tok::Not,
        "NEAR" | "ONEAR" => return err(pos, format!("{word} needs a distance, e.g. {word}/3")),
        _ => {
            let (ordered, digits) = if let Some(d) = word.strip_prefix("NEAR/") {
                (false, d)
            } else if let Some(d) = word.strip_prefix("ONEAR/") {
                (true, d)
            } else {
                return Ok(Tok::Word(word.to_string()));
            };
            let dpos = pos + word.chars().count() - digits.chars().count();
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                return err(
                    dpos,
                    format!("bad NEAR distance `{digits}`: expected a whole number"),
                );
            }
            let n = match digits.parse::<u32>() {
                Ok(n) if n <= limits.max_near_distance => n,
                _ => {
                    return err(
                        dpos,
                        format!(
                            "NEAR distance {digits} is over the limit max_near_distance = {}",
                            limits.max_near_distance
                        ),
                    )
                }
            };
            Tok::Near { n, ordered }
        }
    };
    Ok(tok)
}

pub(super) fn describe(tok: &Tok) -> &'static str {
    match tok {
        Tok::LParen => "`(`",
        Tok::RParen => "`)`",
        Tok::And => "AND",
        Tok::Or => "OR",
        Tok::Not => "NOT",
        Tok::Minus => "`-`",
        Tok::Near { ordered: false, .. } => "NEAR",
        Tok::Near { ordered: true, .. } => "ONEAR",
        Tok::Phrase(_) => "a phrase",
        Tok::Pattern(_) => "a pattern",
        Tok::Word(_) => "a term",
    }
}
