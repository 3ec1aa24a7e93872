package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/codeless/codeless/internal/apierr"
	"github.com/codeless/codeless/internal/arm"
	"github.com/codeless/codeless/internal/ingest"
	"github.com/codeless/codeless/internal/resource"
	"github.com/codeless/codeless/internal/secrets"
	"github.com/codeless/codeless/internal/store"
)

// Record kinds used in the state store besides the resource kinds.
const (
	kindConnectionTemplate = "connectionTemplate"
	kindContent            = "content"
	kindDeployment         = string(resource.KindDeployment)
)

// Config configures an Engine.
type Config struct {
	Subscription  string
	ResourceGroup string
	Workspace     string
	WorkspaceID   string
	Location      string
	// IngestURL is this server's own base URL: the data collection
	// endpoint that connections deployed here send to.
	IngestURL   string
	Logger      *slog.Logger
	Now         func() time.Time
	MaxLookback time.Duration
	// HTTP is the client pollers use for source APIs (nil = default).
	HTTP *http.Client
	// NewGUID answers ARM's newGuid() (nil = random); tests make it
	// deterministic.
	NewGUID func() string
}

// Engine is the runtime. Create with New, then Start.
type Engine struct {
	cfg  Config
	st   store.Store
	pipe *ingest.Pipeline
	keys *secrets.Keyring
	log  *slog.Logger

	mu      sync.Mutex // guards resources changes (one writer at a time)
	pollers *pollers
}

// New builds an Engine over a store, an ingestion pipeline and a keyring.
func New(cfg Config, st store.Store, pipe *ingest.Pipeline, keys *secrets.Keyring) *Engine {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewGUID == nil {
		cfg.NewGUID = uuid.NewString
	}
	if cfg.Location == "" {
		cfg.Location = "local"
	}
	e := &Engine{cfg: cfg, st: st, pipe: pipe, keys: keys, log: cfg.Logger.With("component", "engine")}
	e.pollers = newPollers(e)
	return e
}

// Start loads every stored resource into the pipeline and starts a poller
// for each active connection. Pollers stop when ctx ends; call Wait to wait
// for them.
func (e *Engine) Start(ctx context.Context) error {
	e.pollers.start(ctx)
	for _, kind := range []resource.Kind{resource.KindTable, resource.KindDataCollectionRule} {
		if err := e.reload(ctx, kind); err != nil {
			return err
		}
	}
	recs, err := e.st.ListResources(ctx, string(resource.KindConnection))
	if err != nil {
		return fmt.Errorf("loading connections: %w", err)
	}
	for _, r := range recs {
		conn, err := e.openConnection(r.Body)
		if err != nil {
			e.log.Error("stored connection is unusable", "connection", r.Name, "err", err)
			continue
		}
		e.pollers.set(conn)
	}
	return nil
}

// Wait blocks until every poller has stopped (after the Start context ends).
func (e *Engine) Wait() { e.pollers.wait() }

func (e *Engine) reload(ctx context.Context, kind resource.Kind) error {
	recs, err := e.st.ListResources(ctx, string(kind))
	if err != nil {
		return fmt.Errorf("loading %ss: %w", kind, err)
	}
	for _, r := range recs {
		switch kind {
		case resource.KindTable:
			t, err := resource.DecodeTable(r.Body)
			if err != nil {
				return fmt.Errorf("stored table %s: %w", r.Name, err)
			}
			if _, err := e.st.EnsureTable(ctx, t.TableName(), t.Columns); err != nil {
				return fmt.Errorf("creating table %s: %w", r.Name, err)
			}
		case resource.KindDataCollectionRule:
			d, err := resource.DecodeDCR(r.Body)
			if err != nil {
				return fmt.Errorf("stored DCR %s: %w", r.Name, err)
			}
			if err := e.pipe.PutDCR(ctx, d, nil); err != nil {
				e.log.Error("stored DCR does not compile", "dcr", r.Name, "err", err)
			}
		}
	}
	return nil
}

// PutResource creates or replaces one resource (the ARM PUT). body is the
// resource JSON; ifMatch is the If-Match header ("" = none).
func (e *Engine) PutResource(ctx context.Context, kind resource.Kind, name string, body []byte, ifMatch string) ([]byte, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.putLocked(ctx, kind, name, body, ifMatch)
}

func (e *Engine) putLocked(ctx context.Context, kind resource.Kind, name string, body []byte, ifMatch string) ([]byte, bool, error) {
	if err := checkName(name); err != nil {
		return nil, false, err
	}
	doc, err := decodeObject(body)
	if err != nil {
		return nil, false, err
	}
	if n, ok := doc["name"].(string); ok && n != "" && lastSegment(n) != name {
		return nil, false, badRequest("InvalidResourceName",
			fmt.Sprintf("the name in the body (%q) does not match the name in the URL (%q)", lastSegment(n), name), "name")
	}
	doc["name"] = name
	prev, err := e.st.GetResource(ctx, string(kind), name)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	if err := checkEtag(prev, exists, ifMatch, doc); err != nil {
		return nil, false, err
	}
	props, _ := doc["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		doc["properties"] = props
	}
	switch kind {
	case resource.KindTable:
		if err := e.applyTable(ctx, doc); err != nil {
			return nil, false, err
		}
	case resource.KindDataCollectionEndpt:
		props["logsIngestion"] = map[string]any{"endpoint": e.cfg.IngestURL}
	case resource.KindDataCollectionRule:
		if err := e.applyDCR(ctx, doc, prev, exists); err != nil {
			return nil, false, err
		}
	case resource.KindConnectorDefinition:
		raw, _ := json.Marshal(doc)
		def, err := resource.DecodeDefinition(raw)
		if err != nil {
			return nil, false, asBadRequest(err)
		}
		if diags := errorsOnly(def.Validate()); len(diags) > 0 {
			return nil, false, diagError(diags)
		}
	case resource.KindConnection:
		conn, err := e.checkConnection(ctx, doc)
		if err != nil {
			return nil, false, err
		}
		sealed, err := secrets.SealJSON(doc, e.keys)
		if err != nil {
			return nil, false, fmt.Errorf("encrypting secrets: %w", err)
		}
		out, err := e.store(ctx, kind, name, sealed.(map[string]any))
		if err != nil {
			return nil, false, err
		}
		e.pollers.set(conn)
		return out, !exists, nil
	case resource.KindTemplate, resource.KindOther, resource.KindContentTemplate, resource.KindContentPackage,
		resource.KindMetadata, resource.KindTemplateSpec:
	default:
		return nil, false, badRequest("UnsupportedResourceType", fmt.Sprintf("unsupported resource kind %q", kind), "type")
	}
	out, err := e.store(ctx, kind, name, doc)
	if err != nil {
		return nil, false, err
	}
	return out, !exists, nil
}

// store writes doc (already sealed where needed) with a fresh etag and
// returns its redacted JSON.
func (e *Engine) store(ctx context.Context, kind resource.Kind, name string, doc map[string]any) ([]byte, error) {
	etag := uuid.NewString()
	doc["etag"] = etag
	if props, ok := doc["properties"].(map[string]any); ok {
		props["provisioningState"] = "Succeeded"
	}
	doc["id"] = e.resourceID(kind, name)
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	if err := e.st.PutResource(ctx, store.Record{Kind: string(kind), Name: name, Body: raw, Etag: etag, Modified: e.cfg.Now().UTC()}); err != nil {
		return nil, fmt.Errorf("storing %s %s: %w", kind, name, err)
	}
	return json.Marshal(secrets.RedactJSON(doc))
}

func (e *Engine) applyTable(ctx context.Context, doc map[string]any) error {
	raw, _ := json.Marshal(doc)
	t, err := resource.DecodeTable(raw)
	if err != nil {
		return asBadRequest(err)
	}
	if diags := errorsOnly(t.Validate()); len(diags) > 0 {
		return diagError(diags)
	}
	if _, err := e.st.EnsureTable(ctx, t.TableName(), t.Columns); err != nil {
		return badRequest("InvalidTable", err.Error(), "properties.schema")
	}
	return nil
}

func (e *Engine) applyDCR(ctx context.Context, doc map[string]any, prev store.Record, exists bool) error {
	props := doc["properties"].(map[string]any)
	id := ""
	if exists {
		var old map[string]any
		if json.Unmarshal(prev.Body, &old) == nil {
			if p, ok := old["properties"].(map[string]any); ok {
				id, _ = p["immutableId"].(string)
			}
		}
	}
	if id == "" {
		id, _ = props["immutableId"].(string)
	}
	if id == "" {
		id = newImmutableID()
	}
	props["immutableId"] = id
	props["endpoints"] = map[string]any{"logsIngestion": e.cfg.IngestURL}
	raw, _ := json.Marshal(doc)
	d, err := resource.DecodeDCR(raw)
	if err != nil {
		return asBadRequest(err)
	}
	if diags := errorsOnly(d.Validate()); len(diags) > 0 {
		return diagError(diags)
	}
	tables, err := e.storedTables(ctx)
	if err != nil {
		return err
	}
	if err := e.pipe.PutDCR(ctx, d, tables); err != nil {
		return asBadRequest(err)
	}
	return nil
}

func (e *Engine) storedTables(ctx context.Context) ([]*resource.Table, error) {
	recs, err := e.st.ListResources(ctx, string(resource.KindTable))
	if err != nil {
		return nil, err
	}
	var out []*resource.Table
	for _, r := range recs {
		t, err := resource.DecodeTable(r.Body)
		if err == nil {
			out = append(out, t)
		}
	}
	return out, nil
}

// checkConnection decodes and validates a connection (plaintext secrets)
// and checks that the DCR it sends to is known here.
func (e *Engine) checkConnection(ctx context.Context, doc map[string]any) (*resource.Connection, error) {
	raw, _ := json.Marshal(doc)
	conn, err := resource.DecodeConnection(raw)
	if err != nil {
		return nil, asBadRequest(err)
	}
	if diags := errorsOnly(conn.Validate()); len(diags) > 0 {
		return nil, diagError(diags)
	}
	id := conn.Properties.DCRConfig.DataCollectionRuleImmutableID
	d, err := e.dcrByImmutableID(ctx, id)
	if err != nil {
		return nil, err
	}
	if d == nil {
		msg := fmt.Sprintf("no data collection rule with immutableId %q is deployed here", id)
		if id == arm.DefaultDataCollectionRuleImmutableID || id == "" {
			msg = fmt.Sprintf("dataCollectionRuleImmutableId is a placeholder and no data collection rule deployed with this connection declares stream %q", conn.Properties.DCRConfig.StreamName)
		}
		return nil, badRequest("InvalidDataCollectionRule", msg,
			"properties.dcrConfig.dataCollectionRuleImmutableId")
	}
	stream := conn.Properties.DCRConfig.StreamName
	if _, ok := d.Stream(stream); !ok {
		if _, _, builtin := d.BuiltinFlow(stream); builtin {
			return conn, nil
		}
		return nil, badRequest("InvalidStream",
			fmt.Sprintf("data collection rule %s declares no stream %q (nor a transform-less Microsoft-* flow carrying it as a built-in stream)", d.Name, stream),
			"properties.dcrConfig.streamName")
	}
	return conn, nil
}

func (e *Engine) dcrByImmutableID(ctx context.Context, id string) (*resource.DCR, error) {
	recs, err := e.st.ListResources(ctx, string(resource.KindDataCollectionRule))
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		d, err := resource.DecodeDCR(r.Body)
		if err == nil && d.ImmutableID == id {
			return d, nil
		}
	}
	return nil, nil
}

// openConnection decodes a stored connection with its secrets decrypted.
func (e *Engine) openConnection(body []byte) (*resource.Connection, error) {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	opened, err := secrets.OpenJSON(doc, e.keys)
	if err != nil {
		return nil, fmt.Errorf("decrypting secrets: %w", err)
	}
	raw, err := json.Marshal(opened)
	if err != nil {
		return nil, err
	}
	return resource.DecodeConnection(raw)
}

// GetResource returns one resource with secrets redacted.
func (e *Engine) GetResource(ctx context.Context, kind resource.Kind, name string) ([]byte, error) {
	r, err := e.st.GetResource(ctx, string(kind), name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound(kind, name)
		}
		return nil, err
	}
	return redact(r.Body)
}

// ListResources returns every resource of a kind, redacted, sorted by name.
func (e *Engine) ListResources(ctx context.Context, kind resource.Kind) ([][]byte, error) {
	recs, err := e.st.ListResources(ctx, string(kind))
	if err != nil {
		return nil, err
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Name < recs[j].Name })
	out := make([][]byte, 0, len(recs))
	for _, r := range recs {
		b, err := redact(r.Body)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// DeleteResource deletes one resource. Deleting a connection stops its
// poller and forgets its checkpoint; deleting a DCR removes it from the
// pipeline; tables keep their data.
func (e *Engine) DeleteResource(ctx context.Context, kind resource.Kind, name, ifMatch string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.deleteLocked(ctx, kind, name, ifMatch)
}

func (e *Engine) deleteLocked(ctx context.Context, kind resource.Kind, name, ifMatch string) error {
	r, err := e.st.GetResource(ctx, string(kind), name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound(kind, name)
		}
		return err
	}
	if ifMatch != "" && ifMatch != "*" && ifMatch != r.Etag {
		return &apierr.APIError{Status: http.StatusPreconditionFailed, Code: "PreconditionFailed",
			Message: fmt.Sprintf("If-Match %q does not match the current etag", ifMatch), Target: "etag"}
	}
	switch kind {
	case resource.KindConnection:
		e.pollers.remove(name)
		if err := e.st.DeleteCheckpoint(ctx, checkpointKey(name)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	case resource.KindDataCollectionRule:
		if d, err := resource.DecodeDCR(r.Body); err == nil {
			e.pipe.DeleteDCR(d.ImmutableID)
		}
	}
	return e.st.DeleteResource(ctx, string(kind), name)
}

func (e *Engine) resourceID(kind resource.Kind, name string) string {
	base := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/", e.cfg.Subscription, e.cfg.ResourceGroup)
	ws := "Microsoft.OperationalInsights/workspaces/" + e.cfg.Workspace
	switch kind {
	case resource.KindTable:
		return base + ws + "/tables/" + name
	case resource.KindDataCollectionRule:
		return base + "Microsoft.Insights/dataCollectionRules/" + name
	case resource.KindDataCollectionEndpt:
		return base + "Microsoft.Insights/dataCollectionEndpoints/" + name
	case resource.KindConnectorDefinition:
		return base + ws + "/providers/Microsoft.SecurityInsights/dataConnectorDefinitions/" + name
	case resource.KindContentTemplate:
		return base + ws + "/providers/Microsoft.SecurityInsights/contentTemplates/" + name
	case resource.KindContentPackage:
		return base + ws + "/providers/Microsoft.SecurityInsights/contentPackages/" + name
	case resource.KindMetadata:
		return base + ws + "/providers/Microsoft.SecurityInsights/metadata/" + name
	case resource.KindTemplateSpec:
		return base + "Microsoft.Resources/templateSpecs/" + name
	case resource.KindDeployment:
		return base + "Microsoft.Resources/deployments/" + name
	case resource.KindConnection:
		return base + ws + "/providers/Microsoft.SecurityInsights/dataConnectors/" + name
	}
	return base + ws + "/providers/Microsoft.SecurityInsights/" + string(kind) + "/" + name
}

func checkEtag(prev store.Record, exists bool, ifMatch string, doc map[string]any) error {
	if ifMatch != "" && ifMatch != "*" {
		if !exists || prev.Etag != ifMatch {
			return &apierr.APIError{Status: http.StatusPreconditionFailed, Code: "PreconditionFailed",
				Message: fmt.Sprintf("If-Match %q does not match the current etag", ifMatch), Target: "etag"}
		}
	}
	if et, ok := doc["etag"].(string); ok && et != "" && exists && et != prev.Etag {
		return &apierr.APIError{Status: http.StatusConflict, Code: "Conflict",
			Message: "the etag in the body does not match the current etag; GET the resource and retry with its etag", Target: "etag"}
	}
	return nil
}

func decodeObject(body []byte) (map[string]any, error) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		var se *json.SyntaxError
		msg := err.Error()
		if errors.As(err, &se) {
			msg = fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)
		}
		return nil, badRequest("InvalidRequestContent", msg, "$")
	}
	if doc == nil {
		return nil, badRequest("InvalidRequestContent", "the body must be a JSON object", "$")
	}
	return doc, nil
}

func redact(body []byte) ([]byte, error) {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	return json.Marshal(secrets.RedactJSON(doc))
}

func notFound(kind resource.Kind, name string) error {
	return &apierr.APIError{Status: http.StatusNotFound, Code: "NotFound", Message: fmt.Sprintf("%s %q was not found", kind, name), Err: store.ErrNotFound}
}

func asBadRequest(err error) error {
	var ae *apierr.APIError
	if errors.As(err, &ae) {
		return err
	}
	var pe *resource.PathError
	if errors.As(err, &pe) {
		return badRequest("InvalidResource", pe.Error(), pe.Path)
	}
	return badRequest("InvalidResource", err.Error(), "")
}

func errorsOnly(diags []resource.Diagnostic) []resource.Diagnostic {
	var out []resource.Diagnostic
	for _, d := range diags {
		if d.Severity == resource.Error {
			out = append(out, d)
		}
	}
	return out
}

func diagError(diags []resource.Diagnostic) error {
	top := &apierr.APIError{Status: http.StatusBadRequest, Code: "InvalidResource", Message: diags[0].Message, Target: diags[0].Path}
	if len(diags) > 1 {
		top.Message = fmt.Sprintf("%d problems; first: %s", len(diags), diags[0].Message)
		for _, d := range diags {
			top.Details = append(top.Details, apierr.APIError{Code: "InvalidResource", Message: d.Message, Target: d.Path})
		}
	}
	return top
}

func lastSegment(name string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		return name[i+1:]
	}
	return name
}

func newImmutableID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "dcr-" + hex.EncodeToString(b[:])
}

func checkpointKey(connection string) string { return "connection/" + connection }

// badRequest is a 400 ARM error; target is the JSON path at fault.
func badRequest(code, msg, target string) error {
	return apierr.BadRequest(code, target, "%s", msg)
}

// checkName applies the rules ARM applies to every resource name: 1 to 260
// characters, none of them a path, query or expression character.
func checkName(name string) error {
	if name == "" || len(name) > 260 || strings.ContainsAny(name, "/\\?#[]<>%&:*\"'{}|") || strings.TrimSpace(name) != name {
		return badRequest("InvalidResourceName",
			fmt.Sprintf("resource name %q is invalid: use 1 to 260 characters without / \\ ? # [ ] < > %% & : * \" ' { } | or surrounding spaces", name), "name")
	}
	return nil
}
