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
// Nested steps (nested.go, reference/ccf-format.md §3, SPEC §4): each
// stepInfo.nextSteps entry runs its stepPlaceholdersParsingKql (compiled with
// kql/eval.CompilePlaceholder over `source` with one column `data`, the
// parent event's JSON text; mv-expand allowed) per parent event; each output
// row is one child request (its paging followed to the end) with the row's
// columns as $name$ placeholders in the endpoint, headers, query parameters
// and body template; ancestors' placeholders stay available. Children
// without auth inherit their parent's. Joined steps (shouldJoinNestedData)
// put their events under joinedDataStepName in the root record (one record
// per combination of joined child events: our reading of the MvExpand
// transformer); non-joined steps yield their own events and the parent is
// not ingested. At most MaxStepDepth (5) levels, Config.MaxParallelism (15)
// nested requests in flight. A page commits only with all of its nested
// output, so a failed child request fails the page and the window resumes
// there. A placeholder KQL that yields no rows is a WindowResult warning.
//
// Rate limits: httpx reads rateLimitConfig and the common header dialects.
//
// Not here: resolving {{x}} and [[...]] placeholders is the caller's job
// (arm/connect); the Runner refuses a config that still has them. The auth,
// paging and response types are whatever poll/auth, poll/paging and
// poll/decode register.
package poll
