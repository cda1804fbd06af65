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

// icebergType is the Iceberg type of an inlet field type. A decimal must
// be in the catalog's canonical form and range (precision 18 at most: the
// writer stores INT64).
func icebergType(typ string) (iceberg.Type, bool) {
	if catalog.BaseType(typ) == catalog.TypeDecimal {
		p, s, ok := catalog.DecimalOf(typ)
		if !ok {
			return nil, false
		}
		return iceberg.DecimalTypeOf(p, s), true
	}
	t, ok := icebergTypes[typ]
	return t, ok
}

// inletType is the inlet field type of an Iceberg type that
// [IcebergSchema] makes, or "".
func inletType(t iceberg.Type) string {
	if d, ok := t.(iceberg.DecimalType); ok {
		return catalog.DecimalTypeName(d.Precision(), d.Scale())
	}
	for name, it := range icebergTypes {
		if it.Equals(t) {
			return name
		}
	}
	return ""
}

// IcebergSchema returns the Iceberg schema of a dataset's fields: field
// ids 1..n in order, a required field is required. Types: string→string,
// long→long, double→double, boolean→boolean, date→date,
// timestamptz→timestamptz (microseconds, UTC), decimal(P,S)→decimal(P,S).
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
		typ, ok := icebergType(f.Type)
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
// tz=UTC], decimal(P,S)→decimal128(P,S); a required field is not nullable. It is iceberg-go's own
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
