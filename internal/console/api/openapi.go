package api

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"inlet/internal/catalog"
	"inlet/internal/delivery"
)

// schemaTypes maps the schema names of the route table to the Go types the
// handlers decode and encode; the OpenAPI schemas are derived from them,
// so the document cannot drift from the handlers.
var schemaTypes = map[string]any{
	"Caller": struct {
		Admin    bool  `json:"admin"`
		TenantID int64 `json:"tenant_id"`
		TokenID  int64 `json:"token_id"`
	}{},
	"TenantCreate": tenantCreate{},
	"TenantCreated": struct {
		Tenant catalog.Tenant `json:"tenant"`
		Token  tokenOut       `json:"token"`
	}{},
	"TenantList": struct {
		Tenants []catalog.Tenant `json:"tenants"`
	}{},
	"Tenant":        catalog.Tenant{},
	"UserCreate":    userCreate{},
	"User":          catalog.User{},
	"TokenCreate":   tokenCreate{},
	"TokenCreated":  tokenOut{},
	"DatasetSpec":   catalog.DatasetSpec{},
	"Dataset":       datasetOut{},
	"DatasetUpdate": datasetUpdate{},
	"DatasetList": struct {
		Datasets []catalog.Dataset `json:"datasets"`
	}{},
	"SourceCreate": sourceCreate{},
	"Source":       catalog.Source{},
	"SourceList": struct {
		Sources []catalog.Source `json:"sources"`
	}{},
	"Instructions":    instructionsOut{},
	"IngestionCreate": ingestionCreate{},
	"Ingestion":       delivery.Run{},
	"IngestionList": struct {
		Ingestions []delivery.Run `json:"ingestions"`
	}{},
	"Rows": struct {
		Columns []string `json:"columns"`
		Rows    [][]any  `json:"rows"`
		Limit   int64    `json:"limit"`
		Offset  int64    `json:"offset"`
	}{},
	"TableInfo": TableInfo{},
	"DenialList": struct {
		Denials []Denial `json:"denials"`
	}{},
	"Error": struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field,omitempty"`
		} `json:"error"`
	}{},
}

// routeTable is routes, set in init: the openapi handler is itself in the
// table, so the document reads it through this variable.
var routeTable []route

func init() { routeTable = routes }

// openAPIDoc builds the OpenAPI 3.0 document from the route table.
func openAPIDoc() map[string]any {
	paths := map[string]any{}
	for _, r := range routeTable {
		op := map[string]any{
			"summary":     r.Summary,
			"operationId": operationID(r),
		}
		var params []any
		for _, seg := range strings.Split(r.Pattern, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{
					"name": strings.Trim(seg, "{}"), "in": "path", "required": true,
					"schema": map[string]any{"type": "integer", "format": "int64"},
				})
			}
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.Request != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": ref(r.Request)}}}
		}
		ok := map[string]any{"description": "success"}
		if r.Response != "" {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": ref(r.Response)}}
		}
		errResp := map[string]any{"description": "error", "content": map[string]any{
			"application/json": map[string]any{"schema": ref("Error")}}}
		op["responses"] = map[string]any{itoa(r.Status): ok, "default": errResp}
		if r.Auth != authNone {
			op["security"] = []any{map[string]any{"bearer": []any{}}}
		}
		p, _ := paths[r.Pattern].(map[string]any)
		if p == nil {
			p = map[string]any{}
			paths[r.Pattern] = p
		}
		p[strings.ToLower(r.Method)] = op
	}
	schemas := map[string]any{}
	for name, v := range schemaTypes {
		schemas[name] = schemaOf(reflect.TypeOf(v))
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "inlet Dataset Manager API", "version": "1"},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

// operationID names an operation after its method and path, e.g.
// get_sources_source_instructions.
func operationID(r route) string {
	p := strings.NewReplacer("/api/v1/", "", "{", "", "}", "", "/", "_", ".", "_").Replace(r.Pattern)
	return strings.ToLower(r.Method) + "_" + p
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func itoa(n int) string { return strconv.Itoa(n) }

var timeType = reflect.TypeOf(time.Time{})

// schemaOf derives a JSON schema from a Go type and its json tags.
func schemaOf(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case t.Kind() == reflect.Struct:
		props := map[string]any{}
		addFields(t, props)
		return map[string]any{"type": "object", "properties": props}
	}
	return map[string]any{}
}

func addFields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			addFields(ft, props)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		sc := schemaOf(f.Type)
		if slices.Contains(strings.Split(opts, ","), "string") && sc["type"] == "integer" {
			// Snapshot ids use all 63 bits: as JSON numbers, JavaScript
			// and jq 1.6 would round them.
			sc = map[string]any{"type": "string", "format": "int64"}
		}
		props[name] = sc
	}
}

func (s *Server) openAPI(c *call) error {
	writeJSON(c.w, 200, openAPIDoc())
	return nil
}
