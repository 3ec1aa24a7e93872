package resource

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/codeless/codeless/internal/schema"
)

// Set is everything decoded from one file (or several, see Merge).
type Set struct {
	Tables      []*Table
	DCRs        []*DCR
	Endpoints   []*DataCollectionEndpoint
	Definitions []*ConnectorDefinition
	Connections []*Connection
	Templates   []*Template // whole ARM templates, raw
	Others      []Meta      // resources Codeless keeps but does not run
}

// Merge appends every resource of o to s.
func (s *Set) Merge(o *Set) {
	if o == nil {
		return
	}
	s.Tables = append(s.Tables, o.Tables...)
	s.DCRs = append(s.DCRs, o.DCRs...)
	s.Endpoints = append(s.Endpoints, o.Endpoints...)
	s.Definitions = append(s.Definitions, o.Definitions...)
	s.Connections = append(s.Connections, o.Connections...)
	s.Templates = append(s.Templates, o.Templates...)
	s.Others = append(s.Others, o.Others...)
}

// Len is the number of resources in the set (templates included).
func (s *Set) Len() int {
	return len(s.Tables) + len(s.DCRs) + len(s.Endpoints) + len(s.Definitions) +
		len(s.Connections) + len(s.Templates) + len(s.Others)
}

// TypeOf maps an ARM resource type string (case-insensitive) to a Kind:
//
//	Microsoft.OperationalInsights/workspaces/tables                       table
//	Microsoft.Insights/dataCollectionRules                                dataCollectionRule
//	Microsoft.Insights/dataCollectionEndpoints                            dataCollectionEndpoint
//	Microsoft.SecurityInsights/dataConnectorDefinitions                   dataConnectorDefinition
//	Microsoft.OperationalInsights/workspaces/providers/dataConnectorDefinitions
//	Microsoft.SecurityInsights/dataConnectors                             dataConnector
//	Microsoft.OperationalInsights/workspaces/providers/dataConnectors
//
// Anything else is KindOther.
func TypeOf(armType string) Kind {
	switch strings.ToLower(strings.TrimSpace(armType)) {
	case "microsoft.operationalinsights/workspaces/tables":
		return KindTable
	case "microsoft.insights/datacollectionrules":
		return KindDataCollectionRule
	case "microsoft.insights/datacollectionendpoints":
		return KindDataCollectionEndpt
	case "microsoft.securityinsights/dataconnectordefinitions",
		"microsoft.operationalinsights/workspaces/providers/dataconnectordefinitions":
		return KindConnectorDefinition
	case "microsoft.securityinsights/dataconnectors",
		"microsoft.operationalinsights/workspaces/providers/dataconnectors":
		return KindConnection
	}
	return KindOther
}

// DecodeFile decodes the file at path; data is its content (read from disk
// when nil). Diagnostics name the file.
func DecodeFile(path string, data []byte) (*Set, []Diagnostic) {
	if data == nil {
		b, err := os.ReadFile(path)
		if err != nil {
			return &Set{}, []Diagnostic{{File: path, Path: "$", Severity: Error, Message: fmt.Sprintf("reading file: %v", err)}}
		}
		data = b
	}
	return Decode(data, path)
}

// Decode reads a JSON document holding one resource, an array of resources
// or a whole ARM template ($schema/resources; resources nested in
// contentTemplates' properties.mainTemplate and in deployments'
// properties.template are collected too) and returns the typed resources
// with every problem found. file only labels the diagnostics.
func Decode(data []byte, file string) (*Set, []Diagnostic) {
	d := &diags{file: file}
	set := &Set{}
	tree, err := parseTree(data)
	if err != nil {
		d.errorf("$", "%v", err)
		return set, d.list
	}
	dec := &decoder{d: d, set: set, file: file}
	switch t := tree.(type) {
	case *object:
		if isTemplate(t) {
			name := t.str("name")
			if name == "" && file != "" {
				name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
			}
			set.Templates = append(set.Templates, &Template{Meta: Meta{
				Name: name, Type: "template", Raw: append([]byte(nil), t.Raw...), File: file, Path: "$",
			}})
			dec.walkTemplate(t, "$", 0)
		} else {
			dec.resource(t, "$", 0)
		}
	case []any:
		for i, e := range t {
			o, ok := e.(*object)
			if !ok {
				d.errorf(indexPath("$", i), "expected a resource object, got %s", describe(e))
				continue
			}
			dec.resource(o, indexPath("$", i), 0)
		}
	default:
		d.errorf("$", "expected a resource object, an array of resources or an ARM template, got %s", describe(tree))
	}
	return set, d.list
}

func isTemplate(o *object) bool {
	if _, _, ok := o.get("$schema"); ok {
		return true
	}
	v, _, ok := o.get("resources")
	_, isArr := v.([]any)
	return ok && isArr && !has(o, "properties")
}

type decoder struct {
	d    *diags
	set  *Set
	file string
}

const maxTemplateDepth = 8

// walkTemplate decodes every entry of a template's resources array.
func (dec *decoder) walkTemplate(t *object, path string, depth int) {
	v, key, ok := t.get("resources")
	if !ok {
		return
	}
	rp := childPath(path, key)
	arr, isArr := v.([]any)
	if !isArr {
		dec.d.errorf(rp, "expected an array of resources, got %s", describe(v))
		return
	}
	for i, e := range arr {
		o, ok := e.(*object)
		if !ok {
			dec.d.errorf(indexPath(rp, i), "expected a resource object, got %s", describe(e))
			continue
		}
		dec.resource(o, indexPath(rp, i), depth)
	}
}

// envelopeKeys are the ARM resource keys every resource may carry.
var envelopeKeys = map[string]bool{
	"name": true, "type": true, "kind": true, "apiversion": true, "location": true, "etag": true,
	"properties": true, "id": true, "tags": true, "dependson": true, "condition": true, "copy": true,
	"comments": true, "scope": true, "sku": true, "identity": true, "systemdata": true,
	"resources": true, "zones": true, "plan": true, "managedby": true,
}

// resource decodes one resource object found at path, and the resources
// nested in it.
func (dec *decoder) resource(o *object, path string, depth int) {
	meta := dec.meta(o, path)
	kind := TypeOf(meta.Type)
	if meta.Type == "" {
		kind = guessKind(o)
	}
	if kind != KindOther {
		for _, k := range o.Keys {
			fold := strings.ToLower(strings.TrimSpace(k))
			if !envelopeKeys[fold] {
				dec.d.warnf(childPath(path, k), "unknown key %q (kept, not used by Codeless)", k)
			} else if strings.TrimSpace(k) != k {
				dec.d.warnf(childPath(path, k), "key %q has surrounding spaces (read as %q)", k, strings.TrimSpace(k))
			}
		}
	}
	switch kind {
	case KindConnection:
		dec.connection(o, meta, path)
	case KindDataCollectionRule:
		dec.dcr(o, meta, path)
	case KindTable:
		dec.table(o, meta, path)
	case KindDataCollectionEndpt:
		dec.endpoint(o, meta, path)
	case KindConnectorDefinition:
		dec.definition(o, meta, path)
	default:
		if meta.Type == "" {
			dec.d.warnf(path, "cannot tell what this resource is (no \"type\"; kept as is)")
		}
		dec.set.Others = append(dec.set.Others, meta)
	}
	if depth >= maxTemplateDepth {
		return
	}
	// Nested templates: contentTemplates (properties.mainTemplate),
	// deployments (properties.template) and child resources.
	if props := o.obj("properties"); props != nil {
		_, pk, _ := o.get("properties")
		for _, inner := range []string{"mainTemplate", "template"} {
			if mt := props.obj(inner); mt != nil {
				_, ik, _ := props.get(inner)
				dec.walkTemplate(mt, childPath(childPath(path, pk), ik), depth+1)
			}
		}
	}
	if _, _, ok := o.get("resources"); ok {
		dec.walkTemplate(o, path, depth+1)
	}
}

// guessKind tells the kind of a resource without "type" (an HTTP body or a
// hand-written file) from its shape.
func guessKind(o *object) Kind {
	kind := strings.ToLower(o.str("kind"))
	props := o.obj("properties")
	switch {
	case kind == "restapipoller":
		return KindConnection
	case kind == "customizable":
		return KindConnectorDefinition
	case props == nil:
		return KindOther
	case has(props, "streamDeclarations") || has(props, "dataFlows"):
		return KindDataCollectionRule
	case has(props, "schema"):
		return KindTable
	case has(props, "connectorUiConfig"):
		return KindConnectorDefinition
	case has(props, "logsIngestion"):
		return KindDataCollectionEndpt
	}
	return KindOther
}

func has(o *object, key string) bool { _, _, ok := o.get(key); return ok }

// meta reads the ARM envelope.
func (dec *decoder) meta(o *object, path string) Meta {
	m := Meta{File: dec.file, Path: path, Raw: append([]byte(nil), o.Raw...)}
	for _, f := range []struct {
		key string
		dst *string
	}{{"name", &m.Name}, {"type", &m.Type}, {"kind", &m.Kind}, {"apiVersion", &m.APIVersion}, {"location", &m.Location}, {"etag", &m.Etag}} {
		v, k, ok := o.get(f.key)
		if !ok || v == nil {
			continue
		}
		s, isStr := v.(string)
		if !isStr {
			dec.d.errorf(childPath(path, k), "expected a string, got %s", describe(v))
			continue
		}
		*f.dst = s
	}
	m.Name = ShortName(m.Name)
	return m
}

// ShortName returns the resource's own name: the last "/" segment of
// "ws/Microsoft.SecurityInsights/X" style names. ARM expressions are kept
// whole (they are resolved at deploy time).
func ShortName(name string) string {
	if strings.HasPrefix(strings.TrimSpace(name), "[") {
		return name
	}
	if i := strings.LastIndex(name, "/"); i >= 0 {
		return name[i+1:]
	}
	return name
}

// props returns the resource's properties object, reporting its absence.
func (dec *decoder) props(o *object, path string) (*object, string) {
	v, k, ok := o.get("properties")
	if !ok || v == nil {
		dec.d.errorf(path, "missing \"properties\"")
		return nil, ""
	}
	p, isObj := v.(*object)
	if !isObj {
		dec.d.errorf(childPath(path, k), "expected an object, got %s", describe(v))
		return nil, ""
	}
	return p, childPath(path, k)
}

func (dec *decoder) filler() (*filler, *[]string) {
	var un []string
	return &filler{d: dec.d, unresolved: &un}, &un
}

func (dec *decoder) connection(o *object, meta Meta, path string) {
	if !strings.EqualFold(meta.Kind, "RestApiPoller") {
		k := meta.Kind
		if k == "" {
			k = "(none)"
		}
		dec.d.warnf(path, "unsupported connector kind %s (Codeless runs RestApiPoller)", k)
		dec.set.Others = append(dec.set.Others, meta)
		return
	}
	c := &Connection{Meta: meta}
	if p, pp := dec.props(o, path); p != nil {
		f, un := dec.filler()
		f.fill(reflect.ValueOf(&c.Properties).Elem(), p, pp, false)
		c.Unresolved = *un
	}
	dec.set.Connections = append(dec.set.Connections, c)
}

type rawColumn struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	IsHidden    bool   `json:"isHidden"`
	IsDefault   bool   `json:"isDefaultDisplay"`
	DataHint    string `json:"dataTypeHint"`
	DisplayName string `json:"displayName"`
}

type rawStream struct {
	Columns []rawColumn `json:"columns"`
}

type rawDestination struct {
	Name                string `json:"name"`
	WorkspaceResourceID string `json:"workspaceResourceId"`
	WorkspaceID         string `json:"workspaceId"`
}

type rawDestinations struct {
	LogAnalytics        []rawDestination `json:"logAnalytics"`
	AzureMonitorMetrics any              `json:"azureMonitorMetrics"`
	AzureDataExplorer   any              `json:"azureDataExplorer"`
	MicrosoftFabric     any              `json:"microsoftFabric"`
	StorageBlobsDirect  any              `json:"storageBlobsDirect"`
	EventHubsDirect     any              `json:"eventHubsDirect"`
}

type rawDataFlow struct {
	Streams      []string `json:"streams"`
	Destinations []string `json:"destinations"`
	TransformKQL string   `json:"transformKql"`
	OutputStream string   `json:"outputStream"`
	Transform    string   `json:"transform"`
	BuiltIn      any      `json:"builtInTransform"`
}

type rawDCRProps struct {
	Description              string          `json:"description"`
	ImmutableID              string          `json:"immutableId"`
	DataCollectionEndpointID string          `json:"dataCollectionEndpointId"`
	Destinations             rawDestinations `json:"destinations"`
	DataFlows                []rawDataFlow   `json:"dataFlows"`
	DataSources              any             `json:"dataSources"`
	Endpoints                any             `json:"endpoints"`
	Transformations          any             `json:"transformations"`
	ProvisioningState        string          `json:"provisioningState"`
	Metadata                 any             `json:"metadata"`
	AgentSettings            any             `json:"agentSettings"`
	References               any             `json:"references"`
	StreamDeclarations       any             `json:"-"`
}

func init() {
	knownKeys[reflect.TypeFor[rawDCRProps]()] = map[string]bool{"streamdeclarations": true}
	knownKeys[reflect.TypeFor[rawTableProps]()] = map[string]bool{"retentionindays": true,
		"totalretentionindays": true, "archiveretentionindays": true, "restoredlogs": true,
		"searchresults": true, "provisioningstate": true, "retentionindaysasdefault": true,
		"totalretentionindaysasdefault": true, "lastplanmodifieddate": true}
}

// columns canonicalises raw columns, reporting unknown types.
func (dec *decoder) columns(raw []rawColumn, path string) schema.Schema {
	out := make(schema.Schema, 0, len(raw))
	for i, c := range raw {
		cp := indexPath(path, i)
		t, err := schema.ParseType(c.Type)
		if err != nil {
			if isExpression(c.Type) {
				dec.d.warnf(cp+".type", "unresolved expression %s, checked at deploy time", describe(c.Type))
				t = schema.Dynamic
			} else {
				dec.d.errorf(cp+".type", "%v", err)
				continue
			}
		}
		out = append(out, schema.Column{Name: c.Name, Type: t})
	}
	return out
}

func (dec *decoder) dcr(o *object, meta Meta, path string) {
	d := &DCR{Meta: meta}
	defer func() { dec.set.DCRs = append(dec.set.DCRs, d) }()
	p, pp := dec.props(o, path)
	if p == nil {
		return
	}
	f, un := dec.filler()
	var raw rawDCRProps
	f.fill(reflect.ValueOf(&raw).Elem(), p, pp, false)
	d.ImmutableID = raw.ImmutableID
	d.DataCollectionEndpointID = raw.DataCollectionEndpointID
	if v, k, ok := p.get("streamDeclarations"); ok && v != nil {
		sp := childPath(pp, k)
		sd, isObj := v.(*object)
		if !isObj {
			dec.d.errorf(sp, "expected an object keyed by stream name, got %s", describe(v))
		} else {
			for i, name := range sd.Keys {
				np := childPath(sp, name)
				var rs rawStream
				f.fill(reflect.ValueOf(&rs).Elem(), sd.Vals[i], np, false)
				d.StreamDeclarations = append(d.StreamDeclarations, StreamDeclaration{
					Name: name, Columns: dec.columns(rs.Columns, np+".columns"),
				})
			}
		}
	}
	for _, ld := range raw.Destinations.LogAnalytics {
		d.Destinations = append(d.Destinations, Destination{Name: ld.Name, WorkspaceResourceID: ld.WorkspaceResourceID})
	}
	_, fk, _ := p.get("dataFlows")
	for i, df := range raw.DataFlows {
		d.DataFlows = append(d.DataFlows, DataFlow{
			Streams: df.Streams, Destinations: df.Destinations, TransformKQL: df.TransformKQL,
			OutputStream: df.OutputStream, Path: indexPath(childPath(pp, fk), i),
		})
	}
	d.Unresolved = *un
}

type rawTableSchema struct {
	Name         string      `json:"name"`
	Columns      []rawColumn `json:"columns"`
	Description  string      `json:"description"`
	DisplayName  string      `json:"displayName"`
	TableSubType string      `json:"tableSubType"`
	TableType    string      `json:"tableType"`
	Solutions    any         `json:"solutions"`
	Categories   any         `json:"categories"`
	Labels       any         `json:"labels"`
	Source       string      `json:"source"`
	StandardCols any         `json:"standardColumns"`
}

type rawTableProps struct {
	Schema rawTableSchema `json:"schema"`
	Plan   string         `json:"plan"`
}

func (dec *decoder) table(o *object, meta Meta, path string) {
	t := &Table{Meta: meta}
	defer func() { dec.set.Tables = append(dec.set.Tables, t) }()
	p, pp := dec.props(o, path)
	if p == nil {
		return
	}
	f, un := dec.filler()
	var raw rawTableProps
	f.fill(reflect.ValueOf(&raw).Elem(), p, pp, false)
	if raw.Schema.Name != "" {
		sn := ShortName(raw.Schema.Name)
		if t.Name != "" && t.Name != sn && !HasPlaceholder(t.Name) && !HasPlaceholder(sn) {
			_, sk, _ := p.get("schema")
			dec.d.warnf(childPath(pp, sk)+".name", "table schema name %q differs from the resource name %q (Codeless uses the schema name)", sn, t.Name)
		}
		t.Name = sn
	}
	t.Plan = raw.Plan
	_, sk, _ := p.get("schema")
	t.Columns = dec.columns(raw.Schema.Columns, childPath(pp, sk)+".columns")
	t.Unresolved = *un
}

type rawDCEProps struct {
	LogsIngestion struct {
		Endpoint string `json:"endpoint"`
	} `json:"logsIngestion"`
	ConfigurationAccess any    `json:"configurationAccess"`
	MetricsIngestion    any    `json:"metricsIngestion"`
	NetworkAcls         any    `json:"networkAcls"`
	Description         string `json:"description"`
	ImmutableID         string `json:"immutableId"`
	ProvisioningState   string `json:"provisioningState"`
}

func (dec *decoder) endpoint(o *object, meta Meta, path string) {
	e := &DataCollectionEndpoint{Meta: meta}
	defer func() { dec.set.Endpoints = append(dec.set.Endpoints, e) }()
	p, pp := dec.props(o, path)
	if p == nil {
		return
	}
	f, un := dec.filler()
	var raw rawDCEProps
	f.fill(reflect.ValueOf(&raw).Elem(), p, pp, false)
	e.LogsIngestionURL = raw.LogsIngestion.Endpoint
	e.Unresolved = *un
}

type rawDefProps struct {
	ConnectorUIConfig ConnectorUIConfig  `json:"connectorUiConfig"`
	ConnectionsConfig *ConnectionsConfig `json:"connectionsConfig"`
	CreatedTimeUtc    string             `json:"createdTimeUtc"`
	LastModifiedUtc   string             `json:"lastModifiedUtc"`
}

func (dec *decoder) definition(o *object, meta Meta, path string) {
	def := &ConnectorDefinition{Meta: meta}
	defer func() { dec.set.Definitions = append(dec.set.Definitions, def) }()
	p, pp := dec.props(o, path)
	if p == nil {
		return
	}
	f, un := dec.filler()
	var raw rawDefProps
	f.fill(reflect.ValueOf(&raw).Elem(), p, pp, false)
	def.UI = raw.ConnectorUIConfig
	def.ConnectionsConfig = raw.ConnectionsConfig
	def.Unresolved = *un
}

// decodeOne decodes a single resource body of the expected kind.
func decodeOne(raw []byte, want Kind) (*Set, error) {
	d := &diags{}
	set := &Set{}
	tree, err := parseTree(raw)
	if err != nil {
		return nil, &PathError{Path: "$", Message: err.Error()}
	}
	o, ok := tree.(*object)
	if !ok {
		return nil, &PathError{Path: "$", Message: "expected a resource object, got " + describe(tree)}
	}
	dec := &decoder{d: d, set: set}
	meta := dec.meta(o, "$")
	if meta.Type != "" && TypeOf(meta.Type) != want {
		d.errorf("$.type", "resource type %q is not a %s", meta.Type, want)
	}
	switch want {
	case KindConnection:
		if !strings.EqualFold(meta.Kind, "RestApiPoller") {
			d.errorf("$.kind", "unsupported connector kind %q (Codeless runs RestApiPoller)", meta.Kind)
		} else {
			dec.connection(o, meta, "$")
		}
	case KindDataCollectionRule:
		dec.dcr(o, meta, "$")
	case KindTable:
		dec.table(o, meta, "$")
	case KindConnectorDefinition:
		dec.definition(o, meta, "$")
	}
	if err := pathErrorOf(d.list); err != nil {
		return nil, err
	}
	return set, nil
}

// DecodeConnection decodes one RestApiPoller connection body (an HTTP PUT).
// The error is a *PathError. Validation is separate (Connection.Validate).
func DecodeConnection(raw []byte) (*Connection, error) {
	s, err := decodeOne(raw, KindConnection)
	if err != nil {
		return nil, err
	}
	return s.Connections[0], nil
}

// DecodeDCR decodes one data collection rule body. The error is a *PathError.
func DecodeDCR(raw []byte) (*DCR, error) {
	s, err := decodeOne(raw, KindDataCollectionRule)
	if err != nil {
		return nil, err
	}
	return s.DCRs[0], nil
}

// DecodeTable decodes one table body. The error is a *PathError.
func DecodeTable(raw []byte) (*Table, error) {
	s, err := decodeOne(raw, KindTable)
	if err != nil {
		return nil, err
	}
	return s.Tables[0], nil
}

// DecodeDefinition decodes one connector definition body. The error is a
// *PathError.
func DecodeDefinition(raw []byte) (*ConnectorDefinition, error) {
	s, err := decodeOne(raw, KindConnectorDefinition)
	if err != nil {
		return nil, err
	}
	return s.Definitions[0], nil
}
