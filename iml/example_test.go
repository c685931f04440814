package iml_test

import (
	"fmt"
	"time"

	"github.com/weftworks/weft/iml"
)

// outputs is an iml.Scope over fixed module outputs.
type outputs map[int]any

func (o outputs) Output(id int) (any, bool) { v, ok := o[id]; return v, ok }

func ExampleParseTemplate() {
	tpl, err := iml.ParseTemplate(`Hi {{upper(1.name)}}, you have {{length(1.items)}} items; first: {{1.items[1].title}}`)
	if err != nil {
		panic(err)
	}
	env := &iml.Env{Scope: outputs{1: map[string]any{
		"name":  "ann",
		"items": []any{map[string]any{"title": "book"}, map[string]any{"title": "pen"}},
	}}}
	v, _ := tpl.Eval(env)
	fmt.Println(v)
	fmt.Println(tpl.Refs())
	// Output:
	// Hi ANN, you have 2 items; first: book
	// [{1 [name]} {1 [items]} {1 [items title]}]
}

func ExampleCompileValue() {
	mapper, err := iml.CompileValue(map[string]any{
		"when":  `{{formatDate(1.at; "YYYY-MM-DD HH:mm"; "Europe/Prague")}}`,
		"count": "{{1.n * 2}}",
		"note":  "{{if(1.note; 1.note; ignore)}}", // dropped when there is no note
	})
	if err != nil {
		panic(err)
	}
	env := &iml.Env{Scope: outputs{1: map[string]any{"at": "2026-07-01T10:00:00Z", "n": 21.0}}, Location: time.UTC}
	v, _ := mapper.Eval(env)
	fmt.Println(v)
	// Output: map[count:42 when:2026-07-01 12:00]
}

func ExampleCompileFilter() {
	f, err := iml.CompileFilter([][]iml.Condition{
		{{A: "{{1.status}}", O: "text:equal:ci", B: "active"}, {A: "{{1.age}}", O: "number:greaterorequal", B: "18"}},
		{{A: "{{1.role}}", O: "text:equal", B: "admin"}},
	})
	if err != nil {
		panic(err)
	}
	for _, bundle := range []map[string]any{
		{"status": "Active", "age": "21"},
		{"status": "active", "age": "16"},
		{"status": "blocked", "role": "admin"},
	} {
		ok, _ := f.Match(&iml.Env{Scope: outputs{1: bundle}})
		fmt.Println(ok)
	}
	// Output:
	// true
	// false
	// true
}
