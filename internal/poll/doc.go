// Package poll runs one RestApiPoller connection: it schedules contiguous
// time windows, builds each request (URL, query, time parameters, headers,
// body), sends it through httpx with the connection's auth, decodes the
// response into events, follows paging, adds addOnAttributes and commits each
// page's events together with a checkpoint to a Sink.
//
// It implements SPEC §4 (windows, parameters, addOnAttributes, paging loop
// guards) and reference/ccf-format.md §2.4 and §2.9. Delivery is exactly-once
// across crashes when the Sink commits events and checkpoint atomically: the
// checkpoint written with each page names the window in progress and the
// paging cursor of the next page, so a restarted Runner resumes at the next
// page; after the last page it records the completed window end.
//
// Not here (yet): nested steps (stepInfo), rateLimitConfig header dialects,
// the paging types other than LinkHeader, auth types other than Basic/APIKey/
// None, non-JSON formats. Resolving {{x}} and [[...]] placeholders is the
// caller's job (arm/connect); the Runner refuses a config that still has
// them.
package poll
