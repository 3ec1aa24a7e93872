package resource

import (
	"encoding/json"

	"github.com/codeless/codeless/internal/schema"
)

// Kind names the resource families Codeless understands. The ARM type strings
// that map to each are listed in TypeOf.
type Kind string

// Resource kinds.
const (
	KindTable               Kind = "table"
	KindDataCollectionRule  Kind = "dataCollectionRule"
	KindDataCollectionEndpt Kind = "dataCollectionEndpoint"
	KindConnectorDefinition Kind = "dataConnectorDefinition"
	KindConnection          Kind = "dataConnector"
	KindTemplate            Kind = "template" // a whole ARM template (mainTemplate.json or a loose template)
	KindOther               Kind = "other"    // content Codeless stores but does not run
	// Solution content and deployments, stored and listed as given.
	KindContentTemplate Kind = "contentTemplate"
	KindContentPackage  Kind = "contentPackage"
	KindMetadata        Kind = "metadata"
	KindTemplateSpec    Kind = "templateSpec"
	KindDeployment      Kind = "deployment"
)

// Meta is the ARM envelope shared by every resource.
type Meta struct {
	// Name is the resource's own name (the last segment; for
	// "ws/Microsoft.SecurityInsights/X" style names, X).
	Name       string `json:"name"`
	Type       string `json:"type,omitempty"`
	Kind       string `json:"kind,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
	Location   string `json:"location,omitempty"`
	Etag       string `json:"etag,omitempty"`
	// Raw is the resource JSON exactly as given (unknown fields kept for
	// round-trips).
	Raw json.RawMessage `json:"-"`
	// File is the file the resource was read from ("" when it came over HTTP).
	File string `json:"-"`
	// Path is the JSON path of the resource inside File ("$" or "$[2]").
	Path string `json:"-"`
	// Unresolved lists the JSON paths (from the file root) of typed fields
	// that held an unresolved ARM expression or {{placeholder}} where a
	// number or boolean belongs; the typed field keeps its zero value and is
	// checked at connect time, after substitution.
	Unresolved []string `json:"-"`
}

// Template is a whole ARM template (a solution's mainTemplate.json or a loose
// template file), kept raw; internal/arm deploys it. The resources found in
// it are decoded as well and listed in the Set beside it.
type Template struct {
	Meta
}

// Table is Microsoft.OperationalInsights/workspaces/tables.
type Table struct {
	Meta
	Columns schema.Schema // properties.schema.columns, types canonicalised
	Plan    string        // properties.plan
}

// TableName returns the table's name as queried (properties.schema.name or
// the resource name).
func (t *Table) TableName() string { return t.Name }

// DataCollectionEndpoint is Microsoft.Insights/dataCollectionEndpoints.
type DataCollectionEndpoint struct {
	Meta
	LogsIngestionURL string
}

// DCR is Microsoft.Insights/dataCollectionRules.
type DCR struct {
	Meta
	ImmutableID              string
	DataCollectionEndpointID string
	// StreamDeclarations in file order.
	StreamDeclarations []StreamDeclaration
	Destinations       []Destination // destinations.logAnalytics[]
	DataFlows          []DataFlow
}

// Stream returns the declaration with exactly this name.
func (d *DCR) Stream(name string) (*StreamDeclaration, bool) {
	for i := range d.StreamDeclarations {
		if d.StreamDeclarations[i].Name == name {
			return &d.StreamDeclarations[i], true
		}
	}
	return nil, false
}

// StreamDeclaration is one entry of properties.streamDeclarations.
type StreamDeclaration struct {
	Name    string
	Columns schema.Schema
}

// Destination is one entry of properties.destinations.logAnalytics.
type Destination struct {
	Name                string
	WorkspaceResourceID string
}

// DataFlow is one entry of properties.dataFlows.
type DataFlow struct {
	Streams      []string
	Destinations []string
	TransformKQL string // "" means "source"
	OutputStream string // Custom-X_CL or Microsoft-X; "" for known types
	Path         string // JSON path of this data flow, for errors
}

// ConnectorDefinition is Microsoft.SecurityInsights/dataConnectorDefinitions
// (kind Customizable).
type ConnectorDefinition struct {
	Meta
	UI                ConnectorUIConfig
	ConnectionsConfig *ConnectionsConfig
}

// ConnectionsConfig is properties.connectionsConfig.
type ConnectionsConfig struct {
	TemplateSpecName    string `json:"templateSpecName"`
	TemplateSpecVersion string `json:"templateSpecVersion"`
}

// ConnectorUIConfig is properties.connectorUiConfig. Widget parameters stay
// generic: the web UI renders them.
type ConnectorUIConfig struct {
	ID                    string            `json:"id,omitempty"`
	Title                 string            `json:"title"`
	Publisher             string            `json:"publisher"`
	DescriptionMarkdown   string            `json:"descriptionMarkdown"`
	Logo                  string            `json:"logo,omitempty"`
	GraphQueriesTableName string            `json:"graphQueriesTableName,omitempty"`
	GraphQueries          []GraphQuery      `json:"graphQueries"`
	SampleQueries         []SampleQuery     `json:"sampleQueries"`
	DataTypes             []DataType        `json:"dataTypes"`
	ConnectivityCriteria  []Criterion       `json:"connectivityCriteria"`
	Permissions           map[string]any    `json:"permissions"`
	InstructionSteps      []InstructionStep `json:"instructionSteps"`
}

// GraphQuery is one connectorUiConfig.graphQueries entry.
type GraphQuery struct {
	MetricName string `json:"metricName"`
	Legend     string `json:"legend"`
	BaseQuery  string `json:"baseQuery"`
}

// SampleQuery is one connectorUiConfig.sampleQueries entry.
type SampleQuery struct {
	Description string `json:"description"`
	Query       string `json:"query"`
}

// DataType is one connectorUiConfig.dataTypes entry.
type DataType struct {
	Name                  string `json:"name"`
	LastDataReceivedQuery string `json:"lastDataReceivedQuery"`
}

// Criterion is one connectorUiConfig.connectivityCriteria entry. Value is a
// string or a list of strings in real files; both decode into Value.
type Criterion struct {
	Type  string   `json:"type"`
	Value []string `json:"value,omitempty"`
}

// InstructionStep is one connectorUiConfig.instructionSteps entry.
type InstructionStep struct {
	Title        string            `json:"title,omitempty"`
	Description  string            `json:"description,omitempty"`
	Instructions []Instruction     `json:"instructions,omitempty"`
	InnerSteps   []InstructionStep `json:"innerSteps,omitempty"`
}

// Instruction is one widget: Textbox, Dropdown, ConnectionToggleButton, ...
type Instruction struct {
	Type       string         `json:"type"`
	Parameters map[string]any `json:"parameters,omitempty"`
}

// Connection is Microsoft.SecurityInsights/dataConnectors of kind
// RestApiPoller: one polling connection.
type Connection struct {
	Meta
	Properties PollerProperties
}

// PollerProperties is the properties object of a RestApiPoller connection
// (reference/ccf-format.md §2.2 and Appendix B).
type PollerProperties struct {
	ConnectorDefinitionName string             `json:"connectorDefinitionName"`
	DataType                string             `json:"dataType,omitempty"`
	IsActive                *bool              `json:"isActive,omitempty"`
	AddOnAttributes         map[string]*string `json:"addOnAttributes,omitempty"`
	DCRConfig               DCRConfig          `json:"dcrConfig"`
	Auth                    Auth               `json:"auth"`
	Request                 Request            `json:"request"`
	Response                Response           `json:"response"`
	Paging                  *Paging            `json:"paging,omitempty"`
	StepInfo                *StepInfo          `json:"stepInfo,omitempty"`
	StepCollectorConfigs    map[string]*Step   `json:"stepCollectorConfigs,omitempty"`
	ShouldJoinNestedData    bool               `json:"shouldJoinNestedData,omitempty"`
	JoinedDataStepName      string             `json:"joinedDataStepName,omitempty"`
	Extra                   map[string]any     `json:"extra,omitempty"`
}

// Active reports whether the connection should poll (isActive defaults to
// true).
func (p *PollerProperties) Active() bool { return p.IsActive == nil || *p.IsActive }

// DCRConfig is properties.dcrConfig.
type DCRConfig struct {
	DataCollectionEndpoint        string `json:"dataCollectionEndpoint"`
	DataCollectionRuleImmutableID string `json:"dataCollectionRuleImmutableId"`
	StreamName                    string `json:"streamName"`
}

// Auth is properties.auth. Type selects which fields apply. Fields hold the
// union of every auth type's fields (decoded case-insensitively); Fields
// keeps every key as given so that type-specific code can read rarer keys.
type Auth struct {
	Type string `json:"type"`

	// Basic
	UserName string `json:"userName,omitempty"`
	Password string `json:"password,omitempty"`

	// APIKey
	APIKey                string  `json:"apiKey,omitempty"`
	APIKeyName            *string `json:"apiKeyName,omitempty"`       // nil = absent (default Authorization)
	APIKeyIdentifier      *string `json:"apiKeyIdentifier,omitempty"` // nil = absent
	IsAPIKeyInPostPayload bool    `json:"isApiKeyInPostPayload,omitempty"`

	// Fields is the whole auth object as decoded (original key spelling),
	// for types whose fields are not modelled above (OAuth2, JwtToken, ...).
	Fields map[string]any `json:"-"`
}

// Request is properties.request.
type Request struct {
	APIEndpoint                    string            `json:"apiEndpoint"`
	HTTPMethod                     string            `json:"httpMethod,omitempty"`
	QueryWindowInMin               int               `json:"queryWindowInMin,omitempty"`
	QueryWindowDelayInMin          int               `json:"queryWindowDelayInMin,omitempty"`
	QueryTimeFormat                string            `json:"queryTimeFormat,omitempty"`
	StartTimeAttributeName         string            `json:"startTimeAttributeName,omitempty"`
	EndTimeAttributeName           string            `json:"endTimeAttributeName,omitempty"`
	QueryTimeIntervalAttributeName string            `json:"queryTimeIntervalAttributeName,omitempty"`
	QueryTimeIntervalPrepend       string            `json:"queryTimeIntervalPrepend,omitempty"`
	QueryTimeIntervalDelimiter     string            `json:"queryTimeIntervalDelimiter,omitempty"`
	QueryParameters                map[string]any    `json:"queryParameters,omitempty"`
	QueryParametersTemplate        string            `json:"queryParametersTemplate,omitempty"`
	IsPostPayloadJSON              bool              `json:"isPostPayloadJson,omitempty"`
	Headers                        map[string]string `json:"headers,omitempty"`
	RateLimitQPS                   float64           `json:"rateLimitQPS,omitempty"`
	RateLimitConfig                map[string]any    `json:"rateLimitConfig,omitempty"`
	RetryCount                     int               `json:"retryCount,omitempty"`
	TimeoutInSeconds               int               `json:"timeoutInSeconds,omitempty"`
}

// Response is properties.response.
type Response struct {
	EventsJSONPaths               []string `json:"eventsJsonPaths"`
	Format                        string   `json:"format,omitempty"`
	SuccessStatusJSONPath         string   `json:"successStatusJsonPath,omitempty"`
	SuccessStatusValue            string   `json:"successStatusValue,omitempty"`
	IsGzipCompressed              bool     `json:"isGzipCompressed,omitempty"`
	CompressionAlgo               string   `json:"compressionAlgo,omitempty"`
	CSVDelimiter                  string   `json:"csvDelimiter,omitempty"`
	HasCSVBoundary                bool     `json:"hasCsvBoundary,omitempty"`
	HasCSVHeader                  *bool    `json:"hasCsvHeader,omitempty"`
	CSVEscape                     string   `json:"csvEscape,omitempty"`
	ConvertChildPropertiesToArray bool     `json:"convertChildPropertiesToArray,omitempty"`
}

// Paging is properties.paging ("type" is an alias of "pagingType").
type Paging struct {
	PagingType                         string         `json:"pagingType"`
	PageSize                           int            `json:"pageSize,omitempty"`
	PageSizeParameterName              string         `json:"pageSizeParameterName,omitempty"`
	PagingInfoPlacement                string         `json:"pagingInfoPlacement,omitempty"`
	PagingQueryParamOnly               bool           `json:"pagingQueryParamOnly,omitempty"`
	LinkHeaderTokenJSONPath            string         `json:"linkHeaderTokenJsonPath,omitempty"`
	LinkHeaderRelLinkName              string         `json:"linkHeaderRelLinkName,omitempty"`
	NextPageURL                        string         `json:"nextPageUrl,omitempty"`
	NextPageURLQueryParameters         map[string]any `json:"nextPageUrlQueryParameters,omitempty"`
	NextPageURLQueryParametersTemplate string         `json:"nextPageUrlQueryParametersTemplate,omitempty"`
	NextPageParaName                   string         `json:"nextPageParaName,omitempty"`
	NextPageTokenJSONPath              string         `json:"nextPageTokenJsonPath,omitempty"`
	NextPageTokenResponseHeader        string         `json:"nextPageTokenResponseHeader,omitempty"`
	NextPageRequestHeader              string         `json:"nextPageRequestHeader,omitempty"`
	HasNextFlagJSONPath                string         `json:"hasNextFlagJsonPath,omitempty"`
	OffsetParaName                     string         `json:"offsetParaName,omitempty"`
	PageNumberParaName                 string         `json:"pageNumberParaName,omitempty"`
	ZeroBasedIndexing                  bool           `json:"zeroBasedIndexing,omitempty"`
	TotalResultsJSONPath               string         `json:"totalResultsJsonPath,omitempty"`
	PageNumberJSONPath                 string         `json:"pageNumberJsonPath,omitempty"`
	PageCountJSONPath                  string         `json:"pageCountJsonPath,omitempty"`
	// Fields is the whole paging object as decoded, for rarer keys.
	Fields map[string]any `json:"-"`
}

// StepInfo is properties.stepInfo (nested polling).
type StepInfo struct {
	StepType  string     `json:"stepType"`
	NextSteps []NextStep `json:"nextSteps"`
}

// NextStep is one stepInfo.nextSteps entry.
type NextStep struct {
	StepID                     string `json:"stepId"`
	StepPlaceholdersParsingKQL string `json:"stepPlaceholdersParsingKql"`
}

// Step is one stepCollectorConfigs entry.
type Step struct {
	Auth                 *Auth     `json:"auth,omitempty"`
	Request              Request   `json:"request"`
	Response             Response  `json:"response"`
	Paging               *Paging   `json:"paging,omitempty"`
	StepInfo             *StepInfo `json:"stepInfo,omitempty"`
	ShouldJoinNestedData bool      `json:"shouldJoinNestedData,omitempty"`
	JoinedDataStepName   string    `json:"joinedDataStepName,omitempty"`
}
