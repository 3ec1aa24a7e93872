// Package resource holds the typed models of the CCF/ARM resources Codeless
// runs (tables, data collection endpoints and rules, connector definitions and
// RestApiPoller connections), decodes them from JSON with case-insensitive,
// trimmed keys, validates them with errors that carry the JSON path, and
// cross-checks a set of resources (the checks behind `codeless lint`).
//
// It implements SPEC §3–§5 and reference/ccf-format.md §1, §2, §4, §5 and §7.
// It does not evaluate ARM expressions (internal/arm) or KQL (internal/kql);
// it only carries their text.
package resource
