package blueprint_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weftworks/weft/app/all"
	"github.com/weftworks/weft/blueprint"
)

func nested(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"name":"nested","flow":[{"id":1,"module":"gateway:CustomWebHook","version":1,"parameters":{"hook":1}}`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `,{"id":%d,"module":"builtin:BasicRouter","version":1,"routes":[{"flow":[{"id":%d,"module":"util:SetVariable2","version":1,"mapper":{"name":"x","value":"{{1.a}}"}}`, i+2, 100000+i)
	}
	for i := 0; i < n; i++ {
		b.WriteString(`]}]}`)
	}
	b.WriteString(`],"metadata":{"version":1}}`)
	return []byte(b.String())
}

func TestZZNested(t *testing.T) {
	raw := nested(2000)
	t.Log(len(raw))
	reg, _ := all.Registry()
	t0 := time.Now()
	bp, err := blueprint.Parse(raw)
	t.Log("parse", time.Since(t0), err)
	t0 = time.Now()
	rep := blueprint.Validate(bp, reg)
	t.Log("validate", time.Since(t0), len(rep.Problems))
	if len(rep.Problems) > 0 {
		t.Log(rep.Problems[0])
	}
}
