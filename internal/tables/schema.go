package tables

import (
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"

	"inlet/internal/catalog"
)

// icebergTypes maps inlet's field types to Iceberg's. Written out because
// the type names are inlet's own.
var icebergTypes = map[string]iceberg.Type{
	catalog.TypeString:      iceberg.PrimitiveTypes.String,
	catalog.TypeLong:        iceberg.PrimitiveTypes.Int64,
	catalog.TypeDouble:      iceberg.PrimitiveTypes.Float64,
	catalog.TypeBoolean:     iceberg.PrimitiveTypes.Bool,
	catalog.TypeDate:        iceberg.PrimitiveTypes.Date,
	catalog.TypeTimestampTZ: iceberg.PrimitiveTypes.TimestampTz,
}

// IcebergSchema returns the Iceberg schema of a dataset's fields: field
// ids 1..n in order, a required field is required. Types: string→string,
// long→long, double→double, boolean→boolean, date→date,
// timestamptz→timestamptz (microseconds, UTC).
func IcebergSchema(fields []catalog.Field) (*iceberg.Schema, error) {
	if len(fields) == 0 {
		return nil, fmt.Errorf("schema: no fields")
	}
	nested := make([]iceberg.NestedField, len(fields))
	seen := make(map[string]bool, len(fields))
	for i, f := range fields {
		if f.Name == "" || seen[f.Name] {
			return nil, fmt.Errorf("schema: field %d: empty or repeated name %q", i, f.Name)
		}
		seen[f.Name] = true
		typ, ok := icebergTypes[f.Type]
		if !ok {
			return nil, fmt.Errorf("schema: field %q: unknown type %q", f.Name, f.Type)
		}
		nested[i] = iceberg.NestedField{
			ID:       i + 1,
			Name:     f.Name,
			Type:     typ,
			Required: f.Required,
			Doc:      f.Description,
		}
	}
	return iceberg.NewSchema(0, nested...), nil
}

// ArrowSchema returns the Arrow schema that [Catalog.Commit] takes and the
// scans return for a dataset's fields: string→utf8, long→int64,
// double→float64, boolean→bool, date→date32, timestamptz→timestamp[us,
// tz=UTC]; a required field is not nullable. It is iceberg-go's own
// conversion of [IcebergSchema], so the two cannot drift apart. It panics
// on an unknown type; fields are expected to be validated by the catalog.
func ArrowSchema(fields []catalog.Field) *arrow.Schema {
	sc, err := IcebergSchema(fields)
	if err != nil {
		panic("tables: " + err.Error())
	}
	as, err := table.SchemaToArrowSchema(sc, nil, false, false)
	if err != nil {
		panic("tables: arrow schema: " + err.Error())
	}
	return as
}

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
