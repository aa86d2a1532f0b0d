package modexp

import (
	"math/bits"
	"sync"
)

// Fixed-base exponentiation for a public one-byte base, the generator g of
// a key exchange, on the radix-2^64 path (MULX/ADX, arm64, generic).
//
// The exponent's 8*len(exp) bits are read as combRows rows of cols bits
// (Lim and Lee's comb): bit j of row r is bit r*cols+j of exp. With P_r =
// g^(2^(r*cols)), g^exp is the product over the columns j, from the top, of
// T[idx_j] = the product of the P_r whose row has bit j set, with one
// squaring per column. That is cols = 8*len(exp)/5 squarings and as many
// multiplications, against 8*len(exp) squarings for expCTSmall: for a
// 2048-bit exponent 410 + 410 instead of 2048 + 683 small ones. T (32
// entries, public values) depends only on m, g and cols, and is kept in a
// small process-wide cache; it costs about 4*cols squarings to build.
//
// Only the table index depends on the exponent: each column is one squaring,
// one table lookup that reads all 32 entries, and one multiplication.

const (
	combRows     = ctWindow // 32-entry tables, fetched like expCT's
	combCacheMax = 8        // distinct (m, g, len(exp)); the cache is emptied when full
)

type combTable [1 << combRows]nat64

type combKey struct {
	m    [maxBytes]byte
	size int
	g    byte
	cols int
}

// combEntry is a cached table with the radix-2^64 constants of its
// modulus, for moduli built on the IFMA path (which have none).
type combEntry struct {
	tab combTable
	w   *mont64
}

var combCache struct {
	sync.Mutex
	tabs map[combKey]*combEntry
}

// combCols is the number of columns for an exponent of n bytes.
func combCols(n int) int { return (8*n + combRows - 1) / combRows }

// combFor returns the table of g for m and cols columns, building and
// caching it on first use. Its time depends on whether that table is
// cached, so on g: g must be public.
func (m *Modulus) combFor(g byte, cols int) *combEntry {
	k := combKey{size: m.size, g: g, cols: cols}
	copy(k.m[:], m.mod)
	combCache.Lock()
	e := combCache.tabs[k]
	combCache.Unlock()
	if e != nil {
		return e
	}
	w := m.w64
	if w == nil {
		w = newMont64(m.mod, true)
	}
	e = &combEntry{tab: *w.newComb(g, cols), w: w}
	combCache.Lock()
	if combCache.tabs == nil || len(combCache.tabs) >= combCacheMax {
		combCache.tabs = make(map[combKey]*combEntry)
	}
	combCache.tabs[k] = e
	combCache.Unlock()
	return e
}

// newComb builds T: T[idx] = the product of g^(2^(r*cols)) over the bits r
// set in idx, in Montgomery form.
func (w *mont64) newComb(g byte, cols int) *combTable {
	var p [combRows]nat64
	w.toMont(&p[0], []byte{g})
	for r := 1; r < combRows; r++ {
		p[r] = p[r-1]
		for range cols {
			w.sqr(&p[r], &p[r])
		}
	}
	tab := new(combTable)
	tab[0] = w.one
	for idx := 1; idx < len(tab); idx++ {
		hi := bits.Len(uint(idx)) - 1
		w.mul(&tab[idx], &tab[idx&^(1<<hi)], &p[hi])
	}
	return tab
}

// expCTComb sets dst = g^exp mod m from the comb table of g for
// combCols(len(exp)) columns. The sequence of operations and addresses
// depends only on len(exp).
func (w *mont64) expCTComb(dst []byte, tab *combTable, exp []byte) {
	nbits, cols := 8*len(exp), combCols(len(exp))
	acc := w.one
	var sel nat64
	for j := cols - 1; j >= 0; j-- {
		w.sqr(&acc, &acc)
		idx := 0
		for r := combRows - 1; r >= 0; r-- {
			idx <<= 1
			if pos := r*cols + j; pos < nbits { // a position, not a value
				idx |= expBits(exp, pos, 1)
			}
		}
		w.sel(&sel, (*[1 << ctWindow]nat64)(tab), idx)
		w.mul(&acc, &acc, &sel)
	}
	w.fromMont(dst, &acc)
	clear(sel[:])
}

// combMinBytes is the shortest exponent for which ExpFixedBase uses the
// comb; shorter ones are not worth a table.
const combMinBytes = 32

// ExpFixedBase sets dst = g^exp mod m, like Exp with the one-byte base
// {g}, for a PUBLIC g such as the generator of a key exchange; exp may be
// secret. For moduli of at most 2048 bits and exponents of at least 32
// bytes it uses a table of 32 powers of g built on the first call for (m,
// g, len(exp)) and kept in a small process-wide cache, with the radix-2^64
// kernels: for 2048 bits about half the time of Exp with MULX/ADX, and
// faster than Exp with IFMA too, so on the IFMA path as well (where the CPU
// has BMI2 and ADX, as every IFMA CPU does). The running time depends on len(exp), m, and
// on whether the table of g was cached, never on the value of exp. On that
// path it does not allocate once the table is cached.
func (m *Modulus) ExpFixedBase(dst []byte, g byte, exp []byte) error {
	if len(dst) != m.size {
		return errDst
	}
	if m.big != nil || (m.w64 == nil && !haveAsm64) || len(exp) < combMinBytes {
		return m.Exp(dst, []byte{g}, exp)
	}
	e := m.combFor(g, combCols(len(exp)))
	w := m.w64
	if w == nil { // the IFMA path: the comb on MULX/ADX is faster than its Exp
		w = e.w
	}
	w.expCTComb(dst, &e.tab, exp)
	return nil
}
