// Package engine is the Codeless runtime: it owns the resources deployed on
// one server (tables, data collection rules and endpoints, connector
// definitions, connection templates, RestApiPoller connections), keeps the
// ingestion pipeline and the pollers in step with them, deploys ARM templates
// and Sentinel solutions, and implements the Connect flow.
//
// It is the Control behind the ARM-style management API (SPEC §3) and the
// code path shared by `codeless serve --demo`, `codeless deploy` and the web
// UI's Connect button (SPEC §2, §7; reference/ccf-format.md §1.3, §9.4). It
// does not speak HTTP (internal/server, internal/web), poll (internal/poll),
// transform (internal/ingest) or store (internal/store) itself: it wires
// those together.
package engine
