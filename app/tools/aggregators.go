package tools

import (
	"math"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/value"
)

// feederField names the module that opened the loop being aggregated; the engine reads
// it, the aggregators themselves only see the collected items.
var feederField = app.Field{Name: "feeder", Label: "Source module", Type: app.TypeUInteger, Required: true}

var textAggregatorSpec = app.Spec{
	Name: "util:TextAggregator", Label: "Text aggregator",
	Help: "Joins the text mapped for each bundle of the source loop into one `text`.",
	Kind: app.KindAggregator,
	Parameters: []app.Field{
		feederField,
		// No default: "" is a real choice ("Empty"), and a default would replace it.
		{Name: "rowSeparator", Label: "Row separator", Type: app.TypeSelect,
			Options: []string{"\n", "\t", "other", ""}},
		{Name: "otherRowSeparator", Label: "Separator", Type: app.TypeText},
	},
	Mapper:    []app.Field{{Name: "value", Label: "Text", Type: app.TypeText}},
	Aggregate: aggregateText,
}

func aggregateText(params weft.Bundle, items []weft.Bundle) (weft.Bundle, error) {
	var sep string
	switch s := value.Text(params["rowSeparator"]); s {
	case "\n", "\t", "":
		sep = s
	case "other":
		sep = value.Text(params["otherRowSeparator"])
	default:
		return nil, weft.Errorf(weft.InvalidConfigurationError,
			`rowSeparator: %q is not one of "\n", "\t", "other" or empty`, s)
	}
	n := 0
	for _, it := range items {
		n += len(value.Text(it["value"])) + len(sep)
	}
	buf := make([]byte, 0, n)
	for i, it := range items {
		if i > 0 {
			buf = append(buf, sep...)
		}
		// An empty row stays a row: joining keeps the positions a reader expects.
		buf = append(buf, value.Text(it["value"])...)
	}
	return weft.Bundle{"text": string(buf)}, nil
}

// Functions of the numeric aggregator.
const (
	fnSum   = "sum"
	fnAvg   = "avg"
	fnCount = "count"
	fnMin   = "min"
	fnMax   = "max"
)

var numericAggregatorSpec = app.Spec{
	Name: "util:FunctionAggregator2", Label: "Numeric aggregator",
	Help: "Sums, averages, counts or finds the minimum or maximum of the number mapped for " +
		"each bundle of the source loop; outputs `result`.",
	Kind: app.KindAggregator,
	Parameters: []app.Field{
		feederField,
		{Name: "fn", Label: "Aggregate function", Type: app.TypeSelect, Required: true,
			Options: []string{fnSum, fnAvg, fnCount, fnMin, fnMax}},
	},
	Mapper:    []app.Field{{Name: "value", Label: "Value", Type: app.TypeNumber}},
	Aggregate: aggregateNumbers,
}

func aggregateNumbers(params weft.Bundle, items []weft.Bundle) (weft.Bundle, error) {
	fn := value.Text(params["fn"])
	switch fn {
	case fnSum, fnAvg, fnCount, fnMin, fnMax:
	default:
		return nil, weft.Errorf(weft.InvalidConfigurationError, "fn: %q is not one of sum, avg, count, min, max", fn)
	}
	if fn == fnCount {
		// Count counts bundles, whatever was mapped (Make counts a bundle with an empty value too).
		return weft.Bundle{"result": float64(len(items))}, nil
	}
	var sum float64
	minV, maxV := math.Inf(1), math.Inf(-1)
	n := 0
	for i, it := range items {
		v := it["value"]
		if value.IsEmpty(v) {
			continue // nothing mapped for this bundle: it takes no part in the result
		}
		f, ok := value.Number(v)
		if !ok {
			return nil, weft.Errorf(weft.DataError, "bundle %d: value %s %q is not a number", i+1, value.Kind(v), value.Text(v))
		}
		sum += f
		minV, maxV = math.Min(minV, f), math.Max(maxV, f)
		n++
	}
	var result any
	switch {
	case fn == fnSum:
		result = sum // 0 for no numbers: the neutral sum
	case n == 0:
		result = nil // no average, minimum or maximum of nothing
	case fn == fnAvg:
		result = sum / float64(n)
	case fn == fnMin:
		result = minV
	default:
		result = maxV
	}
	return weft.Bundle{"result": result}, nil
}
