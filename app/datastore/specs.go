package datastore

import "github.com/weftworks/weft/app"

// The fields, declared once: validation, docs and forms read these declarations.
var (
	paramStore = app.Field{Name: "datastore", Label: "Data store", Type: app.TypeText,
		Default: DefaultStore,
		Help:    "The data store: Make's numeric id or a name. Defaults to \"default\"."}

	fieldKey = app.Field{Name: "key", Label: "Key", Type: app.TypeText, Required: true,
		Help: "The record's unique key."}

	fieldData = app.Field{Name: "data", Label: "Record", Type: app.TypeCollection,
		Help: "The record's fields (the data structure's columns)."}
)

var addSpec = app.Spec{
	Name:  "datastore:AddRecord",
	Label: "Add/replace a record",
	Help:  "Adds a record, or replaces the record with the same key when overwrite is on.",
	Mapper: []app.Field{
		{Name: "key", Label: "Key", Type: app.TypeText,
			Help: "The record's key; blank generates one (a UUID)."},
		{Name: "overwrite", Label: "Overwrite an existing record", Type: app.TypeBoolean, Required: true,
			Help: "On: replace a record with the same key. Off: an existing key is a DuplicateDataError."},
		fieldData,
	},
}

var getSpec = app.Spec{
	Name:  "datastore:GetRecord",
	Label: "Get a record",
	Help:  "Outputs the record with the key; an empty bundle when there is none.",
	Mapper: []app.Field{
		fieldKey,
		{Name: "returnWrapped", Label: "Return Wrapped Output", Type: app.TypeBoolean, Default: false,
			Help: "Off: the record's fields at the top of the bundle. On: {key, data}."},
	},
}

var updateSpec = app.Spec{
	Name:  "datastore:UpdateRecord",
	Label: "Update a record",
	Help:  "Changes the given fields of a record; the other fields keep their values.",
	Mapper: []app.Field{
		fieldKey,
		{Name: "upsert", Label: "Insert missing record", Type: app.TypeBoolean, Default: false,
			Help: "On: a missing record is created. Off: a missing record is a DataError."},
		{Name: "overwriteArrays", Label: "Overwrite an existing array in the record", Type: app.TypeBoolean,
			Default: false,
			Help:    "On: an array replaces the stored array. Off: its items are appended to it."},
		fieldData,
	},
}

var deleteSpec = app.Spec{
	Name:   "datastore:DeleteRecord",
	Label:  "Delete a record",
	Help:   "Deletes the record with the key; a missing record is not an error.",
	Mapper: []app.Field{fieldKey},
}

var existSpec = app.Spec{
	Name:   "datastore:ExistRecord",
	Label:  "Check the existence of a record",
	Help:   "Outputs {exist: true|false}.",
	Mapper: []app.Field{fieldKey},
}

var searchSpec = app.Spec{
	Name:  "datastore:SearchRecord",
	Label: "Search records",
	Help:  "Outputs one bundle {key, data} per record that passes the filter, in the sort order.",
	Parameters: []app.Field{
		{Name: "limit", Label: "Limit", Type: app.TypeUInteger,
			Help: "The most records output per run of the module; empty or 0 means all."},
		{Name: "continueWhenNoRes", Label: "Continue the execution of the route even if the module finds no matches",
			Type: app.TypeBoolean, Default: false,
			Help: "On: no match outputs one bundle {__IMTLENGTH__: 0}. Off: no match stops the route."},
	},
	Mapper: []app.Field{
		{Name: "filter", Label: "Filter", Type: app.TypeAny,
			Help: "Condition groups [[{a, o, b}]]: a names a record field (or key), o is a filter operator, b the value; groups are OR'ed, conditions in a group AND'ed."},
		{Name: "sort", Label: "Sort", Type: app.TypeArray,
			Spec: []app.Field{
				{Name: "key", Label: "Key", Type: app.TypeText, Required: true,
					Help: "The record field to sort by (or key)."},
				{Name: "order", Label: "Order", Type: app.TypeSelect, Options: []string{"1", "-1"}, Default: "1",
					Help: "1 ascending, -1 descending."},
			},
			Help: "Sort keys, most significant first; ties keep key order."},
		{Name: "mappAbleLimit", Label: "Limit (mapped)", Type: app.TypeUInteger,
			Help: "A mapped limit; when set it takes the place of the limit parameter."},
	},
}
