package jsregex

import "sync"

// Cache keeps compiled regexes by pattern and flags, for modules whose pattern is a
// mapper field (Replace, Switch, Match pattern (advanced)): the pattern is nearly always
// the same literal text for every bundle, so it is compiled once, yet a pattern mapped
// from data cannot grow the cache without bound. Safe for concurrent use.
type Cache struct {
	mu   sync.Mutex
	size int
	m    map[cacheKey]*Regexp
}

type cacheKey struct{ pattern, flags string }

// NewCache returns a cache holding up to size regexes (at least 1); when full it starts
// over, which is cheap and good enough for a handful of live patterns.
func NewCache(size int) *Cache {
	return &Cache{size: max(size, 1), m: map[cacheKey]*Regexp{}}
}

// Compile returns the cached regex for pattern and flags, compiling it on first use.
// Compile errors are not cached.
func (c *Cache) Compile(pattern, flags string) (*Regexp, error) {
	k := cacheKey{pattern, flags}
	c.mu.Lock()
	re, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return re, nil
	}
	re, err := Compile(pattern, flags)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.size {
		clear(c.m)
	}
	c.m[k] = re
	return re, nil
}

// Len reports how many regexes the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
