// Package resource holds the typed models of the CCF/ARM resources Codeless
// runs (tables, data collection endpoints and rules, connector definitions and
// RestApiPoller connections), decodes them from JSON with case-insensitive,
// trimmed keys, validates them with errors that carry the JSON path, and
// cross-checks a set of resources (the checks behind `codeless lint`).
//
// It implements SPEC §3–§5 and reference/ccf-format.md §1, §2, §4, §5, §7,
// §10.1 (casing and aliases) and Appendix E (validation rules).
//
// Decoding (Decode, DecodeFile, DecodeConnection, ...) reads one resource,
// an array of resources or a whole ARM template, including the resources
// nested in contentTemplates (properties.mainTemplate) and deployments
// (properties.template). It parses into an ordered tree and fills the typed
// structs by reflection over their json tags. We do not use encoding/json
// for this because it matches keys case-insensitively but not trimmed
// ("EventsJsonPaths "), stops at the first type error, gives no JSON path,
// cannot keep the file order of object keys (stream declarations), and
// cannot tell an unresolved "[[parameters('x')]" in a numeric field (fine,
// checked at connect time) from a real type error.
//
// Validation (the Validate methods) covers what one resource can say about
// itself; CrossCheck covers references inside one set (stream names,
// definition names, output tables). Values that still hold ARM expressions
// or {{placeholders}} are not judged: they are checked after substitution.
//
// It does not evaluate ARM expressions (internal/arm) or KQL (internal/kql);
// it only carries their text. internal/lint adds the transform-output check,
// which needs the KQL engine.
package resource
