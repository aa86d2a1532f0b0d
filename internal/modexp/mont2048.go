package modexp

// mont2048 is the fixed-width 2048-bit Montgomery arithmetic (work in progress).
type mont2048 struct{}

const useMont2048 = false

func newMont2048(m []byte) *mont2048 { return nil }

func (w *mont2048) exp(dst, base, exp []byte) {}
