// Package arm evaluates Azure Resource Manager (ARM) template expressions and
// runs template deployments the way Codeless needs them for Sentinel
// solutions and CCF connectors.
//
// What it does:
//   - expr.go / funcs.go: parses and evaluates template expressions
//     ("[concat(parameters('x'), '/y')]") with ARM's escaping rules ("[[x]" is
//     the literal "[x]", one level removed per deployment), case-insensitive
//     function names, property access and indexing, and the built-in functions
//     CCF solutions use (reference/ccf-format.md §9.6).
//   - deploy.go: deploys a template: parameters (types, defaults,
//     allowedValues, length/value limits), variables (lazy, with copy),
//     resources (condition, copy loops, dependsOn ordering with cycle
//     detection, nested Microsoft.Resources/deployments with inner or outer
//     expression scope) and outputs. All errors are collected with the
//     resource name and JSON path. Nothing is applied anywhere: the result is a
//     list of evaluated resources in dependency order that the caller applies
//     (all or nothing).
//   - solution.go: splits a deployed solution mainTemplate into connector
//     definitions, DCRs, tables, connection templates (kept as templates for
//     connect time) and other content (SPEC §3, ccf-format.md §9.2–§9.4).
//   - placeholders.go: resolves packaging placeholders ({{name}}) and ARM
//     expressions in loose connector files with user-supplied parameters.
//
// It implements SPEC §3 (deployments: PUT .../Microsoft.Resources/deployments,
// errors whose target is the JSON path), the parameter rules of SPEC §4, the
// template side of `codeless deploy` / `connect` / `test --param` (SPEC §2),
// and reference/ccf-format.md §9 (packaging, escaping, connect-time
// substitution). Decisions are recorded in docs/arm.md.
//
// What it does not do: it does not call Azure, has no reference()/list*()
// support beyond an injectable hook, no user-defined functions, no
// what-if/complete mode, and no lambdas (filter/map/reduce).
//
// Why our own evaluator: the only complete implementations are the .NET
// Azure.Deployments libraries. Connectors depend on exact ARM semantics —
// escaping per deployment level (connection templates survive the install
// deployment as "[...]" and are evaluated at connect time), case-insensitive
// names, and uniqueString()/guid() producing the same names Azure produces
// (uniqueString: Microsoft's MurmurHash64 variant over the '-'-joined UTF-8
// arguments, base32 lower-case, 13 characters; guid: UUID v5 in ARM's
// namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830). These are small enough to
// write and test against published vectors.
//
// Value conventions: decoded JSON values are nil, bool, int64, float64,
// string, []any and map[string]any (see DecodeJSON).
package arm
