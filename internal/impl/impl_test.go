package impl

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// register adds a fake package for one test and removes it afterwards.
func register(t *testing.T, pkg string, impls []Impl) *string {
	cur := new(string)
	*cur = impls[0].Name
	for _, im := range impls {
		if im.Available {
			*cur = im.Name
			break
		}
	}
	Register(pkg, impls, func() string { return *cur }, func(n string) { *cur = n })
	t.Cleanup(func() { mu.Lock(); delete(pkgs, pkg); mu.Unlock() })
	return cur
}

func TestSelectAndRestore(t *testing.T) {
	cur := register(t, "fake", []Impl{{Name: "fast"}, {Name: "mid", Available: true}, {Name: "generic", Available: true}})
	if got := Active("fake"); got != "mid" {
		t.Fatalf("Active = %q, want mid", got)
	}
	if got := Available("fake"); !slices.Equal(got, []string{"mid", "generic"}) {
		t.Fatalf("Available = %v", got)
	}
	if _, err := Select("fake", "fast"); err == nil {
		t.Fatal("Select accepted an unavailable implementation")
	}
	if _, err := Select("fake", "nope"); err == nil {
		t.Fatal("Select accepted an unknown implementation")
	}
	if _, err := Select("nope", "generic"); err == nil {
		t.Fatal("Select accepted an unknown package")
	}
	restore, err := Select("fake", "generic")
	if err != nil || *cur != "generic" {
		t.Fatalf("Select: %v, active %q", err, *cur)
	}
	restore()
	if *cur != "mid" {
		t.Fatalf("restore left %q active", *cur)
	}
	if l := List("fake"); len(l) != 3 || l[0].Pkg != "fake" || l[2].String() != "fake=generic" {
		t.Fatalf("List = %v", l)
	}
}

func TestRegisterMisuse(t *testing.T) {
	register(t, "dup", []Impl{{Name: "generic", Available: true}})
	for name, f := range map[string]func(){
		"duplicate":   func() { Register("dup", []Impl{{Name: "generic", Available: true}}, nil, nil) },
		"empty":       func() { Register("empty", nil, nil, nil) },
		"no fallback": func() { Register("nofb", []Impl{{Name: "x", Available: true}, {Name: "generic"}}, nil, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register did not panic", name)
				}
			}()
			f()
		}()
	}
}

func TestCheckRequired(t *testing.T) {
	register(t, "fa", []Impl{{Name: "fast", Available: true}, {Name: "generic", Available: true}})
	register(t, "fb", []Impl{{Name: "other", Available: true}, {Name: "generic", Available: true}})
	for _, c := range []struct {
		env, pkg string
		ok       bool
		notReq   bool
		msg      string
	}{
		{env: "", pkg: "fa", notReq: true},
		{env: "fb=other", pkg: "fa", notReq: true},
		{env: "fa=fast", pkg: "fa", ok: true},
		{env: "fa=fast, fb=other", pkg: "fb", ok: true},
		{env: "fa=generic", pkg: "fa", msg: "fa=fast is active"},
		{env: "generic", pkg: "fa", msg: "fa=fast is active"},
		{env: "fast", pkg: "fa", ok: true},
		{env: "fast", pkg: "fb", notReq: true},
		{env: "fa=fsat", pkg: "fa", msg: "no such implementation"},
		{env: "fa=", pkg: "fa", msg: "not pkg=name"},
		{env: "=fast", pkg: "fa", msg: "not pkg=name"},
		{env: "fa=fast", pkg: "zz", msg: "no package"},
	} {
		t.Setenv(RequireEnv, c.env)
		err := CheckRequired(c.pkg)
		switch {
		case c.ok && err != nil, c.notReq && !errors.Is(err, ErrNotRequired):
			t.Errorf("%q on %s: %v", c.env, c.pkg, err)
		case !c.ok && !c.notReq && (err == nil || !strings.Contains(err.Error(), c.msg)):
			t.Errorf("%q on %s: error %v, want one containing %q", c.env, c.pkg, err, c.msg)
		}
	}
}
