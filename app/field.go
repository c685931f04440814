package app

// FieldType is the declared type of a parameter or mapper field. Values arriving from
// mappings are coerced to it (Make stores many numbers and booleans as text:
// "status": "200", "retry": "{{true}}").
type FieldType string

// Field types.
const (
	TypeAny        FieldType = "any"        // passed through unchanged
	TypeText       FieldType = "text"       // string; numbers, booleans and dates become text
	TypeNumber     FieldType = "number"     // float64
	TypeInteger    FieldType = "integer"    // int (float64 holding an integer)
	TypeUInteger   FieldType = "uinteger"   // integer ≥ 0
	TypeBoolean    FieldType = "boolean"    // bool
	TypeSelect     FieldType = "select"     // text, one of Options
	TypeArray      FieldType = "array"      // []any; a single value becomes a one-element array
	TypeCollection FieldType = "collection" // map[string]any
	TypeURL        FieldType = "url"        // text that must parse as an absolute URL
	TypeDate       FieldType = "date"       // time.Time
	TypeBuffer     FieldType = "buffer"     // []byte; text is taken as UTF-8
)

// Field declares one parameter or mapper field.
type Field struct {
	Name     string
	Label    string
	Type     FieldType
	Required bool
	// Default is used when the field is absent or empty. Nil means no default.
	Default any
	// Options lists the allowed values of a TypeSelect field.
	Options []string
	// Min and Max bound numbers (inclusive) when Max > Min.
	Min, Max float64
	// Spec describes the items of an array of collections, or a collection's fields.
	Spec []Field
	Help string
}
