//go:build amd64 && !purego

package modexp

// addArchSelects adds both amd64 table lookups, whichever selectAsm64 picks.
func addArchSelects(sels map[string]func(z *nat64, idx int), table *[1 << ctWindow]nat64) {
	sels["sse2"] = func(z *nat64, idx int) { selectCT(&z[0], &table[0][0], limbs64, len(table), idx) }
	if haveAVX2 {
		sels["avx2"] = func(z *nat64, idx int) { selectCTAVX2(z, &table[0], len(table), idx) }
	}
}
