//! The JSON Schemas in `docs/schemas/` are exactly what the types generate
//! (`brandpulse::schemas`). After a deliberate change to a record type, rewrite them with
//! `BRANDPULSE_BLESS=1 cargo test --test schemas` and review the diff.

use std::path::Path;

use brandpulse::schemas;

#[test]
fn docs_schemas_are_generated_from_the_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas");
    let bless = std::env::var_os("BRANDPULSE_BLESS").is_some();
    let mut stale = Vec::new();
    for s in schemas::all() {
        let path = dir.join(s.file);
        let want = serde_json::to_string_pretty(&s.schema).unwrap() + "\n";
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            if bless {
                std::fs::write(&path, &want).unwrap();
            } else {
                stale.push(s.file);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs/schemas/ differs from the types for {stale:?}: run \
         `BRANDPULSE_BLESS=1 cargo test --test schemas` and review the diff"
    );
}

/// What the hand-kept schema got wrong: every field a scored mention can carry is described,
/// and only the fields always present are required.
#[test]
fn the_scored_schema_describes_every_field() {
    let all = schemas::all();
    let scored = &all
        .iter()
        .find(|s| s.file == "scored-mention.schema.json")
        .unwrap()
        .schema;
    let props = scored["properties"].as_object().unwrap();
    for field in [
        "degraded",
        "scored_spans",
        "lang_detected",
        "scorer",
        "reach",
    ] {
        assert!(props.contains_key(field), "{field} missing");
        assert!(
            props[field]["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{field} has no description"
        );
    }
    let required: Vec<&str> = scored["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(required.contains(&"sentiment") && !required.contains(&"degraded"));
    assert_eq!(
        scored["properties"]["schema_version"]["const"],
        brandpulse::mention::SCORED_SCHEMA_VERSION
    );
    let mention = &all[0].schema;
    assert_eq!(
        mention["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}
