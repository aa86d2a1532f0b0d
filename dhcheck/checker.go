package dhcheck

import (
	"sync"
	"sync/atomic"
)

// maxCached bounds the in-memory cache: a hostile server can send any
// number of distinct primes, and each one already costs it a full test of
// ours; past the bound the cache starts over (the well-known prime is
// seeded again).
const maxCached = 1024

// Checker caches verdicts on (p, g). The zero-option Checker caches in memory
// and knows the well-known prime without testing it. It is safe for
// concurrent use. The zero Checker is ready to use (like NewChecker()).
type Checker struct {
	// cache maps the trimmed bytes of p to its verdict. It is copied on
	// write, so that the warm path reads it without locks and without
	// allocating (a map lookup keyed by string(p) does not copy p).
	cache atomic.Pointer[map[string]*verdict]
	mu    sync.Mutex // serializes writers of cache; guards inflight
	store *store     // nil without WithStore
	// inflight holds, per p being tested, a channel closed when its verdict
	// is in cache, so that concurrent first calls run one test, not many.
	inflight map[string]chan struct{}

	fullTests atomic.Int64 // number of full safe-prime tests run (for tests)
	// safePrime replaces CheckSafePrime in tests that exercise the cache and
	// the store rather than the test itself; nil in real use.
	safePrime func(p []byte) error
}

// verdict is what a Checker knows about one p.
type verdict struct {
	mod840 uint64 // p mod 840, for the generator rule of every g
	err    error  // nil or ErrNotSafePrime (sizes are checked before any lookup)
	// stored has bit g set once (p, g) is known to be in the store.
	stored atomic.Uint32
}

// Option configures a Checker.
type Option func(*Checker)

// WithStore also persists verdicts as files under dir (created with
// permissions 0700 if missing), shared between Checkers and processes; see
// the package documentation for the format.
func WithStore(dir string) Option {
	return func(c *Checker) { c.store = &store{dir: dir} }
}

// NewChecker returns a Checker with an in-memory cache that already knows
// the well-known prime.
func NewChecker(opts ...Option) *Checker {
	c := &Checker{}
	for _, o := range opts {
		o(c)
	}
	m := seedCache()
	c.cache.Store(&m)
	return c
}

func seedCache() map[string]*verdict {
	v := &verdict{mod840: modSmall(wellKnownPrime, 840)}
	v.stored.Store(^uint32(0)) // known without a store: never written there
	return map[string]*verdict{string(wellKnownPrime): v}
}

// lookup returns the cached verdict on p, or nil. It does not allocate.
func (c *Checker) lookup(p []byte) *verdict {
	m := c.cache.Load()
	if m == nil { // the zero Checker: seed it
		c.mu.Lock()
		if c.cache.Load() == nil {
			seed := seedCache()
			c.cache.Store(&seed)
		}
		c.mu.Unlock()
		m = c.cache.Load()
	}
	return (*m)[string(p)]
}

// CheckParams checks (g, p) as a secret chat requires: p exactly 2048 bits
// (ErrPrimeSize), then the generator rule (ErrGenerator), then p a safe
// prime (ErrNotSafePrime). The result is cached in memory and, with
// WithStore, on disk before CheckParams returns (only passing (p, g) are
// stored; see the package documentation).
func (c *Checker) CheckParams(g int, p []byte) error {
	p = trim(p)
	if err := checkSize(p); err != nil {
		return err
	}
	if g < 2 || g > 7 {
		return ErrGenerator
	}
	if v := c.lookup(p); v != nil {
		if !generatorOK(g, v.mod840) {
			return ErrGenerator
		}
		if v.err != nil || c.store == nil || v.stored.Load()&(1<<g) != 0 {
			return v.err
		}
		c.persist(g, p, v)
		return nil
	}
	return c.checkCold(g, p)
}

func (c *Checker) checkCold(g int, p []byte) error {
	mod840 := modSmall(p, 840)
	if !generatorOK(g, mod840) {
		return ErrGenerator
	}
	for {
		c.mu.Lock()
		if c.cache.Load() != nil && (*c.cache.Load())[string(p)] != nil {
			c.mu.Unlock()
			return c.CheckParams(g, p) // decided meanwhile: the warm path
		}
		if wait, ok := c.inflight[string(p)]; ok {
			c.mu.Unlock()
			<-wait
			continue
		}
		if c.inflight == nil {
			c.inflight = make(map[string]chan struct{})
		}
		done := make(chan struct{})
		key := string(p)
		c.inflight[key] = done
		c.mu.Unlock()

		err := c.decide(g, p, mod840)

		c.mu.Lock()
		delete(c.inflight, key)
		c.mu.Unlock()
		close(done)
		return err
	}
}

// decide establishes the verdict on p (from the store or by a full test)
// and caches it.
func (c *Checker) decide(g int, p []byte, mod840 uint64) error {
	v := &verdict{mod840: mod840}
	if c.store != nil && c.store.has(g, p) {
		v.stored.Store(1 << g)
	} else {
		c.fullTests.Add(1)
		if c.safePrime != nil {
			v.err = c.safePrime(p)
		} else {
			v.err = CheckSafePrime(p)
		}
		if v.err == nil {
			c.persist(g, p, v)
		}
	}
	c.insert(p, v)
	return v.err
}

// persist writes the passing verdict on (p, g) to the store, if any. A
// failure to write is not an error of the check: it only costs a full test
// next time.
func (c *Checker) persist(g int, p []byte, v *verdict) {
	if c.store == nil {
		return
	}
	if c.store.put(g, p) == nil {
		v.stored.Or(1 << g)
	}
}

func (c *Checker) insert(p []byte, v *verdict) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[string]*verdict
	if m := c.cache.Load(); m != nil {
		old = *m
	}
	if prev := old[string(p)]; prev != nil {
		prev.stored.Or(v.stored.Load())
		return
	}
	var m map[string]*verdict
	if len(old) >= maxCached {
		m = seedCache()
	} else {
		m = make(map[string]*verdict, len(old)+1)
		for k, x := range old {
			m[k] = x
		}
	}
	m[string(p)] = v
	c.cache.Store(&m)
}
