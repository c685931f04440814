package app

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Registry holds the module types a process can run. It is safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	specs map[string]*Spec
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{specs: map[string]*Spec{}} }

// Register adds a module type. The name must be "app:Module" and unused.
func (r *Registry) Register(s Spec) error {
	if i := strings.IndexByte(s.Name, ':'); i <= 0 || i == len(s.Name)-1 {
		return fmt.Errorf("register module %q: name must be app:Module", s.Name)
	}
	if (s.Kind == KindAction) && s.New == nil {
		return fmt.Errorf("register module %q: an action needs New", s.Name)
	}
	if s.Kind == KindAggregator && s.Aggregate == nil {
		return fmt.Errorf("register module %q: an aggregator needs Aggregate", s.Name)
	}
	if s.Poll && (s.Kind != KindTrigger || s.New == nil) {
		return fmt.Errorf("register module %q: a polling trigger is a KindTrigger with New", s.Name)
	}
	if s.Hook != nil && (s.Kind != KindTrigger || s.Hook.Register == nil || s.Poll) {
		return fmt.Errorf("register module %q: an instant trigger is a KindTrigger with Hook.Register (and does not poll)", s.Name)
	}
	if s.Label == "" {
		s.Label = s.Name
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.specs[s.Name]; dup {
		return fmt.Errorf("register module %q: already registered", s.Name)
	}
	r.specs[s.Name] = &s
	return nil
}

// MustRegister is Register for package setup code; it panics on a programming error.
func (r *Registry) MustRegister(specs ...Spec) {
	for _, s := range specs {
		if err := r.Register(s); err != nil {
			panic(err)
		}
	}
}

// Lookup returns the spec of a module type.
func (r *Registry) Lookup(name string) (*Spec, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.specs[name]
	return s, ok
}

// Specs returns every registered spec, sorted by name.
func (r *Registry) Specs() []*Spec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Spec, 0, len(r.specs))
	for _, s := range r.specs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
