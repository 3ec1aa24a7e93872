package auth

// unsupported lists auth types that exist in the Sentinel API but belong to
// other connector kinds (reference/ccf-format.md §2.3.1, §2.3.7). They are
// rejected with the reason instead of a bare "unknown type".
var unsupported = map[string]string{
	"github":           "GitHub App auth (installationId) is used by the GitHub connector kind",
	"aws":              "AWS role auth (roleArn, externalId) is used by the AmazonWebServicesS3 connector kind",
	"gcp":              "GCP workload identity auth is used by the GCP Pub/Sub connector kind",
	"servicebus":       "ServiceBus/blob auth is used by the storage and Service Bus connector kinds",
	"oracle":           "Oracle API signing auth is used by the OCI connector kind",
	"serviceprincipal": "ServicePrincipal auth is used by the StorageAccountBlobContainer connector kind",
}
