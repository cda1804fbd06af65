package api

type authLevel int

const (
	authNone  authLevel = iota
	authAny             // any valid token
	authAdmin           // the operator's admin token
)

// route is one endpoint: the table below is both the router's input and
// the source of the OpenAPI document's paths.
type route struct {
	Method   string
	Pattern  string
	Auth     authLevel
	Summary  string
	Request  string // schema name of the JSON body, if any
	Response string // schema name of the 2xx reply
	Status   int    // success status
	handler  func(*Server, *call) error
}

var routes = []route{
	{"GET", "/api/v1/openapi.json", authNone, "This OpenAPI document", "", "", 200, (*Server).openAPI},
	{"GET", "/api/v1/me", authAny, "Who the token belongs to", "", "Caller", 200, (*Server).me},

	{"POST", "/api/v1/tenants", authAdmin, "Create a tenant and its first API token", "TenantCreate", "TenantCreated", 201, (*Server).createTenant},
	{"GET", "/api/v1/tenants", authAdmin, "List tenants", "", "TenantList", 200, (*Server).listTenants},
	{"GET", "/api/v1/tenants/{tenant}", authAny, "Show a tenant", "", "Tenant", 200, (*Server).getTenant},
	{"POST", "/api/v1/tenants/{tenant}/users", authAny, "Create a user of a tenant", "UserCreate", "User", 201, (*Server).createUser},
	{"POST", "/api/v1/tenants/{tenant}/tokens", authAny, "Create an API token of a tenant (shown once)", "TokenCreate", "TokenCreated", 201, (*Server).createToken},

	{"POST", "/api/v1/datasets", authAny, "Create a dataset", "DatasetSpec", "Dataset", 201, (*Server).createDataset},
	{"GET", "/api/v1/datasets", authAny, "List datasets", "", "DatasetList", 200, (*Server).listDatasets},
	{"GET", "/api/v1/datasets/{dataset}", authAny, "Show a dataset", "", "Dataset", 200, (*Server).getDataset},
	{"PATCH", "/api/v1/datasets/{dataset}", authAny, "Rename or describe a dataset", "DatasetUpdate", "Dataset", 200, (*Server).updateDataset},
	{"DELETE", "/api/v1/datasets/{dataset}", authAny, "Delete a dataset (?force=true while sources exist)", "", "", 204, (*Server).deleteDataset},

	{"POST", "/api/v1/datasets/{dataset}/ingestions", authAny, "Ingest a file-set folder of a source into the dataset", "IngestionCreate", "Ingestion", 202, (*Server).triggerIngestion},
	{"GET", "/api/v1/datasets/{dataset}/ingestions", authAny, "List the dataset's ingestions", "", "IngestionList", 200, (*Server).listIngestions},
	{"GET", "/api/v1/datasets/{dataset}/rows", authAny, "Read the dataset's rows (?limit=&offset=)", "", "Rows", 200, (*Server).datasetRows},
	{"GET", "/api/v1/datasets/{dataset}/snapshots", authAny, "The dataset's Iceberg table and snapshots", "", "TableInfo", 200, (*Server).datasetSnapshots},
	{"GET", "/api/v1/datasets/{dataset}/export", authAny, "Export the dataset's rows (?format=csv|parquet)", "", "", 200, (*Server).exportDataset},
	{"GET", "/api/v1/ingestions/{ingestion}", authAny, "Show an ingestion with its progress and first rejects", "", "Ingestion", 200, (*Server).getIngestion},
	{"GET", "/api/v1/ingestions/{ingestion}/rejects", authAny, "Download every reject of an ingestion (JSON Lines)", "", "", 200, (*Server).ingestionRejects},

	{"POST", "/api/v1/sources", authAny, "Create a managed-bucket source and provision it", "SourceCreate", "Source", 201, (*Server).createSource},
	{"GET", "/api/v1/sources", authAny, "List sources", "", "SourceList", 200, (*Server).listSources},
	{"GET", "/api/v1/sources/{source}", authAny, "Show a source", "", "Source", 200, (*Server).getSource},
	{"DELETE", "/api/v1/sources/{source}", authAny, "Delete a source and what it provisioned (?force=true empties the bucket)", "", "", 204, (*Server).deleteSource},
	{"POST", "/api/v1/sources/{source}/retry", authAny, "Retry the provisioning of a failed source", "", "Source", 200, (*Server).retrySource},
	{"GET", "/api/v1/sources/{source}/denials", authAny, "Requests the cloud denied against the source's bucket, newest first", "", "DenialList", 200, (*Server).sourceDenials},
	{"GET", "/api/v1/sources/{source}/instructions", authAny, "Partner instructions (?format=text for plain text)", "", "Instructions", 200, (*Server).sourceInstructions},
}
