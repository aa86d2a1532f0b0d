//go:build !purego

package ige

import "github.com/secretbench/secretbench/internal/igebound"

// The distinct-keys bound of the widest kernel of each family: the
// shared-key bound with every lane's round keys loaded from the rows the
// batch kernel reads (asm/batch's boundDistinct).
func init() {
	igebound.RegisterDistinctKeys(func() (int, func(blocks int)) {
		lanes := batchLanes()
		if lanes == 0 {
			return 0, nil
		}
		f := familyOf(lanes)
		st := new(batchState)
		st.align = st.window()
		for l := range lanes {
			key := make([]byte, KeySize)
			key[0], key[1] = byte(l), 0x3c
			c, err := NewCipher(key)
			if err != nil {
				panic("ige: internal error: " + err.Error())
			}
			st.loadKeys(c, l, f.perReg(), false)
		}
		switch f {
		case familyAVX512:
			return lanes, func(blocks int) { boundDistinctAVX512(st.rows(), blocks) }
		case familyAVX2:
			return lanes, func(blocks int) { boundDistinctAVX2(st.rows(), blocks) }
		}
		return lanes, func(blocks int) { boundDistinctSSE(st.rows(), blocks) }
	})
}
