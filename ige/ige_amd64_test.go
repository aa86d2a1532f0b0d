//go:build !purego

package ige

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// asmImpls lists the available implementations other than generic: on amd64
// they all run the single-stream assembly.
func asmImpls() []string {
	var names []string
	for _, name := range Implementations() {
		if name != implGeneric.name {
			names = append(names, name)
		}
	}
	return names
}

// TestAsmImplsDetected: the registry has the amd64 paths in preference order,
// and aes-ni is offered whenever x/sys/cpu reports AES (GODEBUG=cpu.aes=off
// leaves only generic).
func TestAsmImplsDetected(t *testing.T) {
	want := []string{"vaes-avx512", "vaes-avx2", "aes-ni", "generic"}
	var got []string
	for _, im := range impls {
		got = append(got, im.name)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("impls = %v, want %v", got, want)
	}
	if implVAES512.available && !implVAES256.available {
		t.Error("vaes-avx512 available without vaes-avx2")
	}
	if implVAES256.available && !implAESNI.available {
		t.Error("vaes-avx2 available without aes-ni")
	}
	t.Logf("available: %v", Implementations())
}

// alignedAt returns a 240-byte schedule copy starting off bytes past a
// 16-byte boundary: the assembly must not assume an aligned Cipher.
func alignedAt(buf []byte, off int) *[scheduleSize]byte {
	base := uintptr(unsafe.Pointer(&buf[0]))
	skip := int((16-base%16)%16) + off
	return (*[scheduleSize]byte)(buf[skip : skip+scheduleSize])
}

// TestAsmUnalignedSchedule runs the assembly directly on key schedules, keys
// and ivs at every offset modulo 16 and compares with the generic code.
func TestAsmUnalignedSchedule(t *testing.T) {
	if len(asmImpls()) == 0 {
		t.Skip("no AES instructions")
	}
	r := newRand(t)
	encBuf, decBuf := make([]byte, scheduleSize+32), make([]byte, scheduleSize+32)
	keyBuf, ivBuf := make([]byte, 64), make([]byte, 64)
	for off := range 16 {
		key := (*[KeySize]byte)(keyBuf[off : off+KeySize])
		copy(key[:], randBytes(r, KeySize))
		var want Cipher
		expandKeyGeneric(&want, key)
		enc, dec := alignedAt(encBuf, off), alignedAt(decBuf, (off+7)%16)
		expandKeyAsm(enc, dec, key)
		if *enc != want.enc || *dec != want.dec {
			t.Fatalf("offset %d: schedule differs from generic", off)
		}

		src := randBytes(r, 16*5+off)[off:]
		dst := make([]byte, len(src)+16)[16-off%16:][:len(src)]
		blk := make([]byte, 16)
		encryptBlockAsm(enc, &blk[0], &src[0])
		wantBlk := make([]byte, 16)
		encryptBlockGeneric(&want, wantBlk, src)
		if !bytes.Equal(blk, wantBlk) {
			t.Fatalf("offset %d: encryptBlockAsm differs", off)
		}
		decryptBlockAsm(dec, &blk[0], &src[0])
		decryptBlockGeneric(&want, wantBlk, src)
		if !bytes.Equal(blk, wantBlk) {
			t.Fatalf("offset %d: decryptBlockAsm differs", off)
		}

		iv := (*[IVSize]byte)(ivBuf[off : off+IVSize])
		copy(iv[:], randBytes(r, IVSize))
		for _, encrypt := range []bool{true, false} {
			wantOut := make([]byte, len(src))
			wantIV, gotIV := *iv, *iv
			if encrypt {
				encryptIGEGeneric(&want, &wantIV, wantOut, src)
			} else {
				decryptIGEGeneric(&want, &wantIV, wantOut, src)
			}
			copy(iv[:], gotIV[:])
			if encrypt {
				encryptIGEAsm(enc, iv, &dst[0], &src[0], len(src)/BlockSize)
			} else {
				decryptIGEAsm(dec, iv, &dst[0], &src[0], len(src)/BlockSize)
			}
			if !bytes.Equal(dst, wantOut) || *iv != wantIV {
				t.Fatalf("offset %d, encrypt=%v: IGE assembly differs from generic", off, encrypt)
			}
			copy(iv[:], gotIV[:])
		}
	}
}

// TestAsmAlignments compares each assembly path with the generic code for
// every pair of src and dst offsets, out of place and in place, through the
// public API and through a BlockMode fed in pieces.
func TestAsmAlignments(t *testing.T) {
	r := newRand(t)
	for _, name := range asmImpls() {
		t.Run("impl="+name, func(t *testing.T) {
			restore, err := useImpl(name)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			for srcOff := range 16 {
				for dstOff := range 16 {
					checkAlignment(t, r, srcOff, dstOff, 1+r.IntN(9))
				}
			}
		})
	}
}

func checkAlignment(t *testing.T, r *rand.Rand, srcOff, dstOff, blocks int) {
	t.Helper()
	key, iv := randBytes(r, KeySize), randBytes(r, IVSize)
	c, _ := NewCipher(key)
	src := randBytes(r, srcOff+16*blocks)[srcOff:]
	for _, encrypt := range []bool{true, false} {
		want := make([]byte, len(src))
		state := [IVSize]byte(iv)
		crypt, newMode := DecryptBlocks, NewIGEDecrypter
		if encrypt {
			encryptIGEGeneric(c, &state, want, src)
			crypt, newMode = EncryptBlocks, NewIGEEncrypter
		} else {
			decryptIGEGeneric(c, &state, want, src)
		}
		dst := make([]byte, dstOff+len(src))[dstOff:]
		crypt(c, iv, dst, src)
		if !bytes.Equal(dst, want) {
			t.Fatalf("src+%d dst+%d %d blocks encrypt=%v: differs from generic", srcOff, dstOff, blocks, encrypt)
		}
		in := bytes.Clone(src)
		crypt(c, iv, in, in)
		if !bytes.Equal(in, want) {
			t.Fatalf("src+%d in place %d blocks encrypt=%v: differs from generic", srcOff, blocks, encrypt)
		}
		m := newMode(c, iv)
		clear(dst)
		for i := 0; i < len(src); i += BlockSize {
			m.CryptBlocks(dst[i:i+BlockSize], src[i:i+BlockSize])
		}
		if !bytes.Equal(dst, want) {
			t.Fatalf("src+%d dst+%d block by block encrypt=%v: differs from generic", srcOff, dstOff, encrypt)
		}
	}
}

// FuzzAsmAlignment: for fuzzer-chosen keys, ivs, data and offsets, every
// assembly path equals the generic code, out of place and in place.
func FuzzAsmAlignment(f *testing.F) {
	f.Add(make([]byte, KeySize), make([]byte, IVSize), make([]byte, 64), uint8(0), uint8(0))
	f.Add(bytes.Repeat([]byte{0xa5}, KeySize), bytes.Repeat([]byte{7}, IVSize), bytes.Repeat([]byte{1}, 1000), uint8(3), uint8(13))
	f.Fuzz(func(t *testing.T, key, iv, data []byte, srcOff, dstOff uint8) {
		if len(key) != KeySize || len(iv) != IVSize {
			return
		}
		so, do := int(srcOff%16), int(dstOff%16)
		src := make([]byte, so+len(data)/16*16)[so:]
		copy(src, data)
		var ref Cipher
		expandKeyGeneric(&ref, (*[KeySize]byte)(key))
		ref.keyed = true
		for _, encrypt := range []bool{true, false} {
			want := make([]byte, len(src))
			state := [IVSize]byte(iv)
			crypt := DecryptAES256Blocks
			if encrypt {
				encryptIGEGeneric(&ref, &state, want, src)
				crypt = EncryptAES256Blocks
			} else {
				decryptIGEGeneric(&ref, &state, want, src)
			}
			for _, name := range asmImpls() {
				restore, _ := useImpl(name)
				dst := make([]byte, do+len(src))[do:]
				crypt(key, iv, dst, src)
				in := bytes.Clone(src)
				crypt(key, iv, in, in)
				restore()
				if !bytes.Equal(dst, want) || !bytes.Equal(in, want) {
					t.Fatalf("%s encrypt=%v src+%d dst+%d: differs from generic", name, encrypt, so, do)
				}
			}
		}
	})
}

// BenchmarkSetKey: the cost of a new key (both schedules), per
// implementation.
func BenchmarkSetKey(b *testing.B) {
	key := make([]byte, KeySize)
	for _, impl := range Implementations() {
		b.Run("impl="+impl, func(b *testing.B) {
			restore, err := useImpl(impl)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			var c Cipher
			b.ReportAllocs()
			for b.Loop() {
				key[0]++
				_ = c.SetKey(key)
			}
		})
	}
}
