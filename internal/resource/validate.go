package resource

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/codeless/codeless/internal/schema"
)

// This file holds the checks of reference/ccf-format.md Appendix E that need
// no other resource (V1–V11, V14–V19). Cross-resource checks (stream names,
// definition names, output tables, transform output vs table schema) live in
// internal/lint.

// resourcePath is the JSON path of a resource, "$" when it has none.
func resourcePath(m *Meta) string {
	if m.Path == "" {
		return "$"
	}
	return m.Path
}

// HasPlaceholder reports whether s still holds something substituted later:
// an ARM expression, a {{placeholder}}, a {_Variable} request token or a
// $name$ nested-step placeholder. Such values are checked after
// substitution (at connect or poll time), not by lint.
func HasPlaceholder(s string) bool {
	if isExpression(s) || strings.Contains(s, "{{") {
		return true
	}
	if strings.Contains(s, "{_") {
		return true
	}
	return nestedPlaceholder.MatchString(s)
}

// embeddedExpression reports an ARM expression that does not start the
// string ("https://[[parameters('x')]"): ARM leaves such text as is.
func embeddedExpression(s string) bool {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") {
		return false
	}
	i := strings.Index(t, "[")
	return i > 0 && armCall.MatchString(t[i:])
}

var armCall = regexp.MustCompile(`^\[\[?(?i:parameters|variables|concat|format)\(`)

var nestedPlaceholder = regexp.MustCompile(`\$[A-Za-z_][A-Za-z0-9_]*\$`)

// authRequired lists, per auth type (lower case), the fields that must be
// present (alternatives separated by "|").
var authRequired = map[string][]string{
	"basic":         {"userName", "password"},
	"apikey":        {"apiKey"},
	"oauth2":        {"clientId", "clientSecret", "grantType", "tokenEndpoint"},
	"jwttoken":      {"tokenEndpoint"},
	"session":       {"userName", "password"},
	"none":          nil,
	"ciscoduo":      {"apiKey", "clientSecret"},
	"alicloudslsv1": {"accessKeyId", "accessKeySecret"},
	"github":        {"installationId"},
	"aws":           {"roleArn"},
	"gcp":           {"projectNumber", "serviceAccountEmail", "workloadIdentityProviderId"},
	"servicebus":    nil,
	"oracle":        {"pemFile", "publicFingerprint", "tenantId", "userId"},
}

// KnownAuthTypes lists the auth types the validator accepts, spelled as
// documented.
var KnownAuthTypes = []string{"Basic", "APIKey", "OAuth2", "JwtToken", "Session", "None",
	"CiscoDuo", "AliCloudSlsV1", "GitHub", "AWS", "GCP", "ServiceBus", "Oracle"}

// PagingTypes lists the seven paging types.
var PagingTypes = []string{"LinkHeader", "PersistentLinkHeader", "NextPageUrl", "NextPageToken",
	"PersistentToken", "Offset", "CountBasedPaging"}

// ResponseFormats lists the accepted response formats.
var ResponseFormats = []string{"json", "csv", "xml", "jsonlines"}

func foldIn(s string, list []string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// field returns the value of a key in a raw map, matched case-insensitively
// after trimming.
func field(m map[string]any, name string) (any, bool) {
	for k, v := range m {
		if strings.EqualFold(strings.TrimSpace(k), name) {
			return v, true
		}
	}
	return nil, false
}

func present(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(t) != ""
	case map[string]any:
		return len(t) > 0
	}
	return true
}

// Validate checks the connection on its own (reference/ccf-format.md
// Appendix E, V1–V11, V14, V15).
func (c *Connection) Validate() []Diagnostic {
	d := &diags{file: c.File}
	rp := resourcePath(&c.Meta)
	if !strings.EqualFold(c.Kind, "RestApiPoller") {
		d.errorf(rp+".kind", "kind must be RestApiPoller, got %q", c.Kind)
	}
	pp := rp + ".properties"
	p := &c.Properties
	if p.ConnectorDefinitionName == "" {
		d.warnf(pp+".connectorDefinitionName", "missing connectorDefinitionName (the connection belongs to no connector page)")
	}
	validateDCRConfig(d, &p.DCRConfig, pp+".dcrConfig")
	validateAuth(d, &p.Auth, pp+".auth", true)
	validateRequest(d, &p.Request, pp+".request")
	validateResponse(d, &p.Response, pp+".response")
	if p.Paging != nil {
		validatePaging(d, p.Paging, pp+".paging")
	}
	validateSteps(d, p.StepInfo, p.StepCollectorConfigs, pp)
	for k := range p.AddOnAttributes {
		if !validColumnName(k) {
			d.warnf(childPath(pp+".addOnAttributes", k), "attribute name %q is not a valid column name (letters, digits, _; starting with a letter)", k)
		}
	}
	return d.list
}

func validateDCRConfig(d *diags, c *DCRConfig, path string) {
	switch {
	case c.StreamName == "":
		d.warnf(path+".streamName", "missing streamName: events are not ingested")
	case !HasPlaceholder(c.StreamName) && !strings.HasPrefix(c.StreamName, "Custom-"):
		d.warnf(path+".streamName", "stream %q does not start with Custom- (a built-in Sentinel stream; Codeless needs a DCR declaring it)", c.StreamName)
	}
	if c.DataCollectionEndpoint == "" {
		d.warnf(path+".dataCollectionEndpoint", "missing dataCollectionEndpoint")
	} else if !HasPlaceholder(c.DataCollectionEndpoint) {
		if err := checkURL(c.DataCollectionEndpoint); err != "" {
			d.errorf(path+".dataCollectionEndpoint", "%s", err)
		}
	}
	if c.DataCollectionRuleImmutableID == "" {
		d.warnf(path+".dataCollectionRuleImmutableId", "missing dataCollectionRuleImmutableId")
	}
}

// checkURL returns "" for an absolute http(s) URL, else the reason.
func checkURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	switch {
	case err != nil:
		return "not a URL: " + err.Error()
	case u.Scheme != "http" && u.Scheme != "https":
		return "expected an absolute http(s) URL, got " + describe(s)
	case u.Host == "":
		return "URL " + describe(s) + " has no host"
	}
	return ""
}

func validateAuth(d *diags, a *Auth, path string, required bool) {
	if a.Type == "" {
		if !required && len(a.Fields) == 0 {
			return
		}
		if v, ok := field(a.Fields, "authType"); ok {
			d.warnf(path, "auth uses key \"AuthType\" (%v); the documented key is \"type\"", v)
			return
		}
		d.errorf(path+".type", "missing auth type (one of %s)", strings.Join(KnownAuthTypes, ", "))
		return
	}
	if HasPlaceholder(a.Type) {
		return
	}
	req, ok := authRequired[strings.ToLower(a.Type)]
	if !ok {
		d.errorf(path+".type", "unknown auth type %q (want one of %s)", a.Type, strings.Join(KnownAuthTypes, ", "))
		return
	}
	need := slices.Clone(req)
	switch strings.ToLower(a.Type) {
	case "oauth2":
		gt, _ := field(a.Fields, "grantType")
		switch g, _ := gt.(string); strings.ToLower(g) {
		case "authorization_code":
			need = append(need, "authorizationEndpoint", "redirectUri")
		case "password":
			need = append(need, "userName", "password")
		}
	case "jwttoken":
		if v, _ := field(a.Fields, "userToken"); !present(v) {
			need = append(need, "userName", "password")
		}
	}
	for _, f := range need {
		if v, _ := field(a.Fields, f); !present(v) {
			d.errorf(path, "%s auth needs %q", a.Type, f)
		}
	}
	if strings.EqualFold(a.Type, "JwtToken") {
		if v, ok := field(a.Fields, "requestTimeoutInSeconds"); ok {
			if n, isNum := v.(int64); isNum && (n < 1 || n > 180) {
				d.errorf(path+".requestTimeoutInSeconds", "must be 1..180, got %d", n)
			}
		}
	}
	if strings.EqualFold(a.Type, "OAuth2") || strings.EqualFold(a.Type, "JwtToken") {
		if v, _ := field(a.Fields, "tokenEndpoint"); present(v) {
			if s, _ := v.(string); s != "" && !HasPlaceholder(s) {
				if err := checkURL(s); err != "" {
					d.errorf(path+".tokenEndpoint", "%s", err)
				}
			}
		}
	}
}

var httpMethods = []string{"GET", "POST", "PUT", "DELETE"}

func validateRequest(d *diags, r *Request, path string) {
	switch {
	case strings.TrimSpace(r.APIEndpoint) == "":
		d.errorf(path+".apiEndpoint", "missing apiEndpoint")
	case embeddedExpression(r.APIEndpoint):
		d.errorf(path+".apiEndpoint", "ARM expression inside %s is never evaluated: ARM evaluates only strings that start with \"[\"", describe(r.APIEndpoint))
	case !HasPlaceholder(r.APIEndpoint):
		if err := checkURL(r.APIEndpoint); err != "" {
			d.errorf(path+".apiEndpoint", "%s", err)
		}
	}
	if r.HTTPMethod != "" && !HasPlaceholder(r.HTTPMethod) && !foldIn(r.HTTPMethod, httpMethods) {
		d.errorf(path+".httpMethod", "unknown HTTP method %q (want GET, POST, PUT or DELETE)", r.HTTPMethod)
	}
	if r.RetryCount != 0 && (r.RetryCount < 1 || r.RetryCount > 6) {
		d.errorf(path+".retryCount", "must be 1..6, got %d", r.RetryCount)
	}
	if r.TimeoutInSeconds != 0 && (r.TimeoutInSeconds < 1 || r.TimeoutInSeconds > 180) {
		d.errorf(path+".timeoutInSeconds", "must be 1..180, got %d", r.TimeoutInSeconds)
	}
	if r.QueryWindowInMin < 0 {
		d.errorf(path+".queryWindowInMin", "must be at least 1, got %d", r.QueryWindowInMin)
	}
	if r.QueryWindowDelayInMin < 0 {
		d.errorf(path+".queryWindowDelayInMin", "must not be negative, got %d", r.QueryWindowDelayInMin)
	}
	if r.RateLimitQPS < 0 {
		d.errorf(path+".rateLimitQPS", "must not be negative, got %g", r.RateLimitQPS)
	}
	if r.QueryTimeIntervalAttributeName != "" && (r.QueryTimeIntervalPrepend == "" || r.QueryTimeIntervalDelimiter == "") {
		d.errorf(path+".queryTimeIntervalAttributeName", "queryTimeIntervalAttributeName needs queryTimeIntervalPrepend and queryTimeIntervalDelimiter")
	}
}

func validateResponse(d *diags, r *Response, path string) {
	if len(r.EventsJSONPaths) == 0 {
		d.errorf(path+".eventsJsonPaths", "missing eventsJsonPaths (at least one JSONPath selecting the events)")
	}
	for i, p := range r.EventsJSONPaths {
		if strings.TrimSpace(p) == "" {
			d.warnf(indexPath(path+".eventsJsonPaths", i), "empty JSONPath (read as \"$\")")
		}
	}
	if r.Format != "" && !HasPlaceholder(r.Format) && !foldIn(r.Format, ResponseFormats) {
		d.errorf(path+".format", "unknown format %q (want json, csv, xml or jsonlines)", r.Format)
	}
	if r.CSVEscape != "" && len([]rune(r.CSVEscape)) != 1 {
		d.errorf(path+".csvEscape", "must be one character, got %q", r.CSVEscape)
	}
	if r.SuccessStatusJSONPath != "" && r.SuccessStatusValue == "" {
		d.warnf(path+".successStatusJsonPath", "successStatusJsonPath without successStatusValue")
	}
	if r.CompressionAlgo != "" && !foldIn(r.CompressionAlgo, []string{"gzip", "multi-gzip", "deflate"}) {
		d.errorf(path+".compressionAlgo", "unknown compression %q (want gzip, multi-gzip or deflate)", r.CompressionAlgo)
	}
}

func validatePaging(d *diags, p *Paging, path string) {
	switch {
	case p.PagingType == "":
		d.errorf(path+".pagingType", "missing pagingType (one of %s)", strings.Join(PagingTypes, ", "))
	case HasPlaceholder(p.PagingType):
	case !foldIn(p.PagingType, PagingTypes):
		d.errorf(path+".pagingType", "unknown paging type %q (want one of %s)", p.PagingType, strings.Join(PagingTypes, ", "))
	case strings.EqualFold(p.PagingType, "CountBasedPaging") && p.PageNumberParaName == "":
		d.errorf(path+".pageNumberParaName", "CountBasedPaging needs pageNumberParaName")
	}
	if p.TotalResultsJSONPath != "" && (p.PageNumberJSONPath == "" || p.PageCountJSONPath == "") {
		d.warnf(path+".totalResultsJsonPath", "totalResultsJsonPath is documented together with pageNumberJsonPath and pageCountJsonPath")
	}
	if p.PagingInfoPlacement != "" && !HasPlaceholder(p.PagingInfoPlacement) &&
		!foldIn(p.PagingInfoPlacement, []string{"QueryString", "RequestBody"}) {
		d.errorf(path+".pagingInfoPlacement", "unknown pagingInfoPlacement %q (want QueryString or RequestBody)", p.PagingInfoPlacement)
	}
	if p.PageSize < 0 {
		d.errorf(path+".pageSize", "must not be negative, got %d", p.PageSize)
	}
}

// validateSteps checks nested polling (V14): every next step has a
// collector config, and each config is a valid request/response.
func validateSteps(d *diags, info *StepInfo, steps map[string]*Step, path string) {
	validateStepTree(d, info, steps, path, path, 0)
	for _, id := range sortedKeys(steps) {
		s := steps[id]
		sp := childPath(path+".stepCollectorConfigs", id)
		if s == nil {
			d.errorf(sp, "step %q is null", id)
			continue
		}
		if s.Auth != nil {
			validateAuth(d, s.Auth, sp+".auth", false)
		}
		validateRequest(d, &s.Request, sp+".request")
		validateResponse(d, &s.Response, sp+".response")
		if s.Paging != nil {
			validatePaging(d, s.Paging, sp+".paging")
		}
	}
}

func validateStepTree(d *diags, info *StepInfo, steps map[string]*Step, root, path string, depth int) {
	if info == nil {
		return
	}
	if depth > 5 {
		d.errorf(path+".stepInfo", "nested steps deeper than 5 levels")
		return
	}
	for i, ns := range info.NextSteps {
		np := indexPath(path+".stepInfo.nextSteps", i)
		if ns.StepID == "" {
			d.errorf(np+".stepId", "missing stepId")
			continue
		}
		s, ok := steps[ns.StepID]
		if !ok {
			d.errorf(np+".stepId", "step %q has no stepCollectorConfigs entry", ns.StepID)
			continue
		}
		if strings.TrimSpace(ns.StepPlaceholdersParsingKQL) == "" {
			d.errorf(np+".stepPlaceholdersParsingKql", "missing stepPlaceholdersParsingKql")
		}
		if s != nil {
			validateStepTree(d, s.StepInfo, steps, root, childPath(root+".stepCollectorConfigs", ns.StepID), depth+1)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var columnName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func validColumnName(s string) bool { return columnName.MatchString(s) }

// reservedColumns are the system column names a custom table may not
// declare (reference/ccf-format.md §7.3).
var reservedColumns = []string{"id", "BilledSize", "IsBillable", "InvalidTimeGenerated", "TenantId",
	"Title", "Type", "UniqueId", "_ItemId", "_ResourceGroup", "_ResourceId", "_SubscriptionId", "_TimeReceived"}

// Validate checks the DCR on its own (V16, V17): data flows reference
// declared streams and known destinations, output streams are Custom-X_CL
// or Microsoft-X.
func (r *DCR) Validate() []Diagnostic {
	d := &diags{file: r.File}
	pp := resourcePath(&r.Meta) + ".properties"
	declared := map[string]bool{}
	for _, s := range r.StreamDeclarations {
		sp := childPath(pp+".streamDeclarations", s.Name)
		declared[s.Name] = true
		if !strings.HasPrefix(s.Name, "Custom-") && !HasPlaceholder(s.Name) {
			d.warnf(sp, "stream %q does not start with Custom- (Azure requires it for custom streams)", s.Name)
		}
		seen := map[string]bool{}
		for i, c := range s.Columns {
			if seen[c.Name] {
				d.errorf(indexPath(sp+".columns", i)+".name", "duplicate column %q", c.Name)
			}
			seen[c.Name] = true
			if c.Name == "" {
				d.errorf(indexPath(sp+".columns", i)+".name", "missing column name")
			}
		}
	}
	dests := map[string]bool{}
	for _, dst := range r.Destinations {
		dests[dst.Name] = true
	}
	if len(r.DataFlows) == 0 {
		// Azure refuses such a rule; accepting it would drop every row
		// sent to it without a word.
		d.errorf(pp+".dataFlows", "a data collection rule needs at least one data flow (nothing would reach a table)")
	}
	for i, f := range r.DataFlows {
		fp := f.Path
		if fp == "" {
			fp = indexPath(pp+".dataFlows", i)
		}
		if len(f.Streams) == 0 {
			d.errorf(fp+".streams", "data flow has no input streams")
		}
		if f.TransformKQL != "" && len(f.Streams) > 1 {
			d.errorf(fp+".streams", "a data flow with transformKql takes exactly one stream, got %d", len(f.Streams))
		}
		custom := false
		for j, s := range f.Streams {
			switch {
			case declared[s] || HasPlaceholder(s):
				custom = custom || strings.HasPrefix(s, "Custom-")
			case strings.HasPrefix(s, "Microsoft-"):
				// a known (built-in) input stream
			default:
				d.errorf(indexPath(fp+".streams", j), "stream %q is not declared in streamDeclarations", s)
				custom = true
			}
		}
		for j, name := range f.Destinations {
			if !dests[name] && !HasPlaceholder(name) {
				d.errorf(indexPath(fp+".destinations", j), "destination %q is not in destinations.logAnalytics", name)
			}
		}
		out := f.OutputStream
		switch {
		case out == "":
			if custom {
				d.errorf(fp+".outputStream", "missing outputStream for custom input stream(s)")
			}
		case HasPlaceholder(out):
		case strings.HasPrefix(out, "Custom-"):
			if name := strings.TrimPrefix(out, "Custom-"); !tableName.MatchString(name) {
				d.errorf(fp+".outputStream", "output stream %q must be Custom-<Table>_CL with a table name of letters, digits and _", out)
			}
		case strings.HasPrefix(out, "Microsoft-"):
			if !columnName.MatchString(strings.TrimPrefix(out, "Microsoft-")) {
				d.errorf(fp+".outputStream", "output stream %q is not Microsoft-<Table>", out)
			}
		default:
			d.errorf(fp+".outputStream", "output stream %q must start with Custom- or Microsoft-", out)
		}
	}
	return d.list
}

var tableName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*_CL$`)

// Validate checks the table on its own (V18): _CL suffix, column names per
// reference/ccf-format.md §7.3, TimeGenerated present.
func (t *Table) Validate() []Diagnostic {
	d := &diags{file: t.File}
	rp := resourcePath(&t.Meta)
	cp := rp + ".properties.schema.columns"
	if !HasPlaceholder(t.Name) {
		if !strings.HasSuffix(t.Name, "_CL") {
			d.errorf(rp+".properties.schema.name", "custom table name %q must end with _CL", t.Name)
		} else if !tableName.MatchString(t.Name) {
			d.errorf(rp+".properties.schema.name", "table name %q may hold only letters, digits and _", t.Name)
		}
	}
	seen := map[string]bool{}
	hasTime := false
	for i, c := range t.Columns {
		p := indexPath(cp, i) + ".name"
		switch {
		case !validColumnName(c.Name):
			d.errorf(p, "column name %q must start with a letter and hold only letters, digits and _", c.Name)
		case len(c.Name) < 2 || len(c.Name) > 45:
			d.errorf(p, "column name %q must be 2 to 45 characters long", c.Name)
		case foldIn(c.Name, reservedColumns):
			d.warnf(p, "column name %q is a reserved Log Analytics name (Azure may reject or rename it)", c.Name)
		}
		if seen[c.Name] {
			d.errorf(p, "duplicate column %q", c.Name)
		}
		seen[c.Name] = true
		if c.Name == "TimeGenerated" {
			hasTime = true
			if c.Type != schema.DateTime {
				d.errorf(indexPath(cp, i)+".type", "TimeGenerated must be datetime, got %s", c.Type)
			}
		}
	}
	if !hasTime {
		d.errorf(cp, "table has no TimeGenerated column")
	}
	return d.list
}

// Validate checks the definition on its own (V19): kind Customizable and the
// connector page's required fields.
func (c *ConnectorDefinition) Validate() []Diagnostic {
	d := &diags{file: c.File}
	rp := resourcePath(&c.Meta)
	if !strings.EqualFold(c.Kind, "Customizable") {
		d.errorf(rp+".kind", "kind must be Customizable, got %q", c.Kind)
	}
	up := rp + ".properties.connectorUiConfig"
	ui := &c.UI
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"title", ui.Title != ""}, {"publisher", ui.Publisher != ""}, {"descriptionMarkdown", ui.DescriptionMarkdown != ""},
		{"graphQueries", ui.GraphQueries != nil}, {"dataTypes", ui.DataTypes != nil},
		{"connectivityCriteria", ui.ConnectivityCriteria != nil}, {"permissions", ui.Permissions != nil},
		{"instructionSteps", ui.InstructionSteps != nil},
	} {
		if !f.ok {
			d.errorf(up+"."+f.name, "missing %s", f.name)
		}
	}
	for i, cc := range ui.ConnectivityCriteria {
		p := indexPath(up+".connectivityCriteria", i)
		switch {
		case strings.EqualFold(cc.Type, "HasDataConnectors"):
		case strings.EqualFold(cc.Type, "IsConnectedQuery"):
			if len(cc.Value) == 0 {
				d.errorf(p+".value", "IsConnectedQuery needs a query in value")
			}
		default:
			d.warnf(p+".type", "unknown connectivity criterion %q (want HasDataConnectors or IsConnectedQuery)", cc.Type)
		}
	}
	for i, g := range ui.GraphQueries {
		if strings.TrimSpace(g.BaseQuery) == "" {
			d.errorf(indexPath(up+".graphQueries", i)+".baseQuery", "missing baseQuery")
		}
	}
	for i, dt := range ui.DataTypes {
		if strings.TrimSpace(dt.LastDataReceivedQuery) == "" {
			d.errorf(indexPath(up+".dataTypes", i)+".lastDataReceivedQuery", "missing lastDataReceivedQuery")
		}
	}
	checkSteps(d, ui.InstructionSteps, up+".instructionSteps", 0)
	return d.list
}

// InstructionTypes lists the connector-page widget types.
var InstructionTypes = []string{"Textbox", "Dropdown", "CopyableLabel", "InfoMessage", "Markdown",
	"InstructionStepsGroup", "ConnectionToggleButton", "DataConnectorsGrid", "ContextPane", "OAuthForm", "InstallAgent"}

func checkSteps(d *diags, steps []InstructionStep, path string, depth int) {
	if depth > 10 {
		return
	}
	for i, s := range steps {
		sp := indexPath(path, i)
		for j, in := range s.Instructions {
			if !foldIn(in.Type, InstructionTypes) {
				d.warnf(indexPath(sp+".instructions", j)+".type", "unknown instruction type %q (rendered as text)", in.Type)
			}
		}
		checkSteps(d, s.InnerSteps, sp+".innerSteps", depth+1)
	}
}

// Validate checks the endpoint on its own: a literal logs-ingestion URL must
// be an absolute http(s) URL.
func (e *DataCollectionEndpoint) Validate() []Diagnostic {
	d := &diags{file: e.File}
	if e.LogsIngestionURL != "" && !HasPlaceholder(e.LogsIngestionURL) {
		if err := checkURL(e.LogsIngestionURL); err != "" {
			d.errorf(resourcePath(&e.Meta)+".properties.logsIngestion.endpoint", "%s", err)
		}
	}
	return d.list
}

// Validate runs every resource's own Validate.
func (s *Set) Validate() []Diagnostic {
	var out []Diagnostic
	for _, c := range s.Connections {
		out = append(out, c.Validate()...)
	}
	for _, r := range s.DCRs {
		out = append(out, r.Validate()...)
	}
	for _, t := range s.Tables {
		out = append(out, t.Validate()...)
	}
	for _, c := range s.Definitions {
		out = append(out, c.Validate()...)
	}
	for _, e := range s.Endpoints {
		out = append(out, e.Validate()...)
	}
	return out
}
