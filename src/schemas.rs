//! JSON Schemas of the records brandpulse reads and writes, generated from the Rust types
//! (`schemars`), so that the documentation cannot drift from the code: `docs/schemas/` holds
//! their output, and `tests/schemas.rs` fails when it differs (`BRANDPULSE_BLESS=1 cargo test
//! --test schemas` rewrites the files after a deliberate change).
//!
//! Descriptions come from the types' doc comments; value constraints (`const`, ranges,
//! patterns) from their `#[schemars(...)]` attributes.

use schemars::JsonSchema;

/// One generated schema: its file name under `docs/schemas/`, and the schema.
pub struct SchemaFile {
    /// File name, e.g. `scored-mention.schema.json`.
    pub file: &'static str,
    /// What it describes.
    pub what: &'static str,
    /// The schema (JSON Schema draft 2020-12).
    pub schema: serde_json::Value,
}

fn schema<T: JsonSchema>(file: &'static str, what: &'static str) -> SchemaFile {
    SchemaFile {
        file,
        what,
        schema: schemars::schema_for!(T).to_value(),
    }
}

/// Every record format, in the order the README lists them.
pub fn all() -> Vec<SchemaFile> {
    vec![
        schema::<crate::mention::Mention>(
            "mention.schema.json",
            "input: the canonical mention JSON (`format = \"canonical\"`)",
        ),
        schema::<crate::mention::ScoredMention>(
            "scored-mention.schema.json",
            "output topic: one scored mention per (mention, brand)",
        ),
        schema::<crate::emit::deletions::DeletionRecord>(
            "deletion.schema.json",
            "output topic: a deleted post, per brand (header `brandpulse-record-type: deletion`)",
        ),
        schema::<crate::record::alert::AlertEvent>(
            "alert-event.schema.json",
            "alerts topic: a spike alert firing or resolved",
        ),
        schema::<crate::record::alert::EmergingTermEvent>(
            "emerging-term.schema.json",
            "alerts topic: a term rising for a brand (`kind` = `emerging_term`)",
        ),
        schema::<crate::record::alert::CampaignEvent>(
            "campaign.schema.json",
            "alerts topic: a copy-paste campaign recognised for a brand (`kind` = `campaign`)",
        ),
        schema::<crate::telemetry::live::Snapshot>(
            "live.schema.json",
            "`GET /api/live`: the live page's data",
        ),
    ]
}
