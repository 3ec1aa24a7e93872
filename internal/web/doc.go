// Package web serves the Codeless web UI: a login page, the connector gallery
// (every deployed connector definition with its publisher, status and last
// data received) and a connector page that renders connectorUiConfig's
// description, data types and connect form, with Connect/Disconnect.
//
// It implements the first slice of SPEC §7: server-rendered pages from
// embedded html/template files, no build step. Rich widgets (graphs,
// DataConnectorsGrid, the Logs page, the test page) come later. It does not
// decide what is connected or run queries itself: it asks a Backend.
package web
