//go:build cgo && openssl

package opensslref

/*
#cgo LDFLAGS: -lcrypto
#include <openssl/bn.h>

// Inputs converted once; Exp times the exponentiation alone.
typedef struct {
	BN_CTX *ctx;
	BN_MONT_CTX *mont;
	BIGNUM *m, *base, *exp, *out;
} state;

static state *state_new(const unsigned char *m, int mn, const unsigned char *base, int bn, const unsigned char *exp, int en) {
	state *s = OPENSSL_zalloc(sizeof(*s));
	s->ctx = BN_CTX_new();
	s->m = BN_bin2bn(m, mn, NULL);
	s->base = BN_bin2bn(base, bn, NULL);
	s->exp = BN_bin2bn(exp, en, NULL);
	s->out = BN_new();
	s->mont = BN_MONT_CTX_new();
	BN_MONT_CTX_set(s->mont, s->m, s->ctx);
	BN_set_flags(s->exp, BN_FLG_CONSTTIME);
	return s;
}

static int state_exp(state *s, unsigned char *out, int n) {
	if (!BN_mod_exp_mont_consttime(s->out, s->base, s->exp, s->m, s->ctx, s->mont))
		return 0;
	return BN_bn2binpad(s->out, out, n) == n;
}

static void state_free(state *s) {
	BN_MONT_CTX_free(s->mont);
	BN_free(s->m); BN_free(s->base); BN_free(s->exp); BN_free(s->out);
	BN_CTX_free(s->ctx);
	OPENSSL_free(s);
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

// Exp is base^exp mod m with fixed inputs, prepared once.
type Exp struct {
	s *C.state
	n int
}

func ptr(p []byte) *C.uchar {
	if len(p) == 0 {
		return nil
	}
	return (*C.uchar)(unsafe.Pointer(&p[0]))
}

// New prepares base^exp mod m (big-endian, m odd, base below m).
func New(m, base, exp []byte) *Exp {
	return &Exp{s: C.state_new(ptr(m), C.int(len(m)), ptr(base), C.int(len(base)), ptr(exp), C.int(len(exp))), n: len(m)}
}

// Run computes the exponentiation into dst (len(m) bytes).
func (e *Exp) Run(dst []byte) error {
	if len(dst) != e.n || C.state_exp(e.s, ptr(dst), C.int(e.n)) != 1 {
		return errors.New("opensslref: BN_mod_exp_mont_consttime failed")
	}
	return nil
}

// Close frees the OpenSSL state.
func (e *Exp) Close() { C.state_free(e.s) }
