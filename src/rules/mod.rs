//! The brand rule language, apart from any stage: how text becomes tokens
//! ([`normalize`]) and what a query means ([`query`]: lexer, parser, AST and the reference
//! evaluator). The config validates queries with it before anything connects; the
//! [`matcher`](crate::matcher) compiles them into one automaton; the score stage uses the same
//! tokens to find each brand's part of a mention.

pub mod normalize;
pub mod query;
