package filecrypt_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/secretbench/secretbench/filecrypt"
)

// batchFiles makes files of random sizes, some spanning several parts, more
// of them than one ige batch call takes.
func batchFiles(t testing.TB, count int, rng *rand.Rand) (keys []filecrypt.Key, plains [][]byte) {
	for i := range count {
		n := 1 + rng.IntN(300*kib)
		if i%5 == 0 {
			n = 1 + rng.IntN(40)
		}
		keys = append(keys, testKey(t, uint64(500+i)))
		plains = append(plains, randBytes(uint64(600+i), n))
	}
	return keys, plains
}

// TestBatch: several files through EncryptParts and DecryptParts give what
// the one-file-at-a-time API gives.
func TestBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	count := 40 // more than one chunk of 32 (batchChunk)
	if slow {
		count = 34
	}
	keys, plains := batchFiles(t, count, rng)

	var want [][][]byte
	for i := range keys {
		u, err := filecrypt.NewUpload(&keys[i], int64(len(plains[i])), detRand(uint64(700+i)))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, uploadAll(t, u, plains[i]))
	}

	ups := make([]*filecrypt.Upload, count)
	for i := range ups {
		ups[i], _ = filecrypt.NewUpload(&keys[i], int64(len(plains[i])), detRand(uint64(700+i)))
	}
	got := make([][][]byte, count)
	for {
		var jobs []filecrypt.UploadJob
		for i, u := range ups {
			if u.NextPart() == u.Parts() {
				continue
			}
			ps := u.PartSize()
			k := u.NextPart()
			plain := plains[i][k*ps : k*ps+u.PlainLen(k)]
			job := filecrypt.UploadJob{Upload: u, Dst: make([]byte, ps), Plain: plain}
			if i%3 == 0 { // in place
				copy(job.Dst, plain)
				job.Plain = job.Dst[:len(plain)]
			}
			jobs = append(jobs, job)
		}
		if len(jobs) == 0 {
			break
		}
		rng.Shuffle(len(jobs), func(a, b int) { jobs[a], jobs[b] = jobs[b], jobs[a] })
		if err := filecrypt.EncryptParts(jobs); err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			i := indexOf(ups, j.Upload)
			if j.Part.Index != len(got[i]) {
				t.Fatalf("file %d: part index %d, want %d", i, j.Part.Index, len(got[i]))
			}
			got[i] = append(got[i], bytes.Clone(j.Part.Data))
		}
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("file %d: %d parts, want %d", i, len(got[i]), len(want[i]))
		}
		for k := range want[i] {
			if !bytes.Equal(got[i][k], want[i][k]) {
				t.Fatalf("file %d part %d differs from the serial upload", i, k)
			}
		}
	}

	// Download them all in batches, each in a part size of its own.
	downs := make([]*filecrypt.Download, count)
	cts := make([][]byte, count)
	for i := range downs {
		ps := []int{0, 16 * kib, 1 << 20}[i%3]
		downs[i], _ = filecrypt.NewDownload(&keys[i], int64(len(plains[i])), ps)
		cts[i] = bytes.Join(want[i], nil)
	}
	out := make([][]byte, count)
	for {
		var jobs []filecrypt.DownloadJob
		for i, d := range downs {
			if d.Done() {
				continue
			}
			k := d.NextPart()
			src := cts[i][d.Offset() : d.Offset()+int64(d.PartLen(k))]
			jobs = append(jobs, filecrypt.DownloadJob{Download: d, Index: k, Dst: make([]byte, len(src)), Src: src})
		}
		if len(jobs) == 0 {
			break
		}
		if err := filecrypt.DecryptParts(jobs); err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			i := indexOf(downs, j.Download)
			out[i] = append(out[i], j.Plain...)
		}
	}
	for i := range plains {
		if !bytes.Equal(out[i], plains[i]) {
			t.Fatalf("file %d: batch download differs from the plaintext", i)
		}
	}
}

func indexOf[T comparable](s []T, v T) int {
	for i := range s {
		if s[i] == v {
			return i
		}
	}
	panic("not found")
}

func TestBatchErrors(t *testing.T) {
	k1, k2 := testKey(t, 1), testKey(t, 2)
	p1, p2 := randBytes(3, 100*kib), randBytes(4, 33)
	u1, _ := filecrypt.NewUpload(&k1, int64(len(p1)), detRand(5))
	u2, _ := filecrypt.NewUpload(&k2, int64(len(p2)), detRand(6))
	want1, _ := filecrypt.NewUpload(&k1, int64(len(p1)), detRand(5))
	want2, _ := filecrypt.NewUpload(&k2, int64(len(p2)), detRand(6))
	w1 := uploadAll(t, want1, p1)
	w2 := uploadAll(t, want2, p2)
	dst := func() []byte { return make([]byte, 64*kib) }
	good1 := func() filecrypt.UploadJob { return filecrypt.UploadJob{Upload: u1, Dst: dst(), Plain: p1[:64*kib]} }
	good2 := func() filecrypt.UploadJob { return filecrypt.UploadJob{Upload: u2, Dst: dst(), Plain: p2} }

	upCases := map[string]struct {
		jobs []filecrypt.UploadJob
		err  error
	}{
		"duplicate":   {[]filecrypt.UploadJob{good1(), good2(), good1()}, filecrypt.ErrPartOrder},
		"plain-len":   {[]filecrypt.UploadJob{good1(), {Upload: u2, Dst: dst(), Plain: p2[:32]}}, filecrypt.ErrPartSize},
		"short-dst":   {[]filecrypt.UploadJob{good1(), {Upload: u2, Dst: make([]byte, 47), Plain: p2}}, io.ErrShortBuffer},
		"nil-upload":  {[]filecrypt.UploadJob{good1(), {Dst: dst(), Plain: p2}}, nil},
		"empty-batch": {nil, nil},
	}
	for name, c := range upCases {
		err := filecrypt.EncryptParts(c.jobs)
		switch {
		case name == "empty-batch":
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case name == "nil-upload":
			if err == nil {
				t.Errorf("%s: no error", name)
			}
		case !errors.Is(err, c.err):
			t.Errorf("%s: %v, want %v", name, err, c.err)
		}
		if u1.NextPart() != 0 || u2.NextPart() != 0 {
			t.Fatalf("%s: a failed batch moved an upload", name)
		}
	}
	// After the errors, the same uploads produce the right parts.
	jobs := []filecrypt.UploadJob{good1(), good2()}
	if err := filecrypt.EncryptParts(jobs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jobs[0].Part.Data, w1[0]) || !bytes.Equal(jobs[1].Part.Data, w2[0]) {
		t.Fatal("parts after failed batches differ")
	}
	// u2 is done: io.EOF, and u1 does not move.
	jobs = []filecrypt.UploadJob{{Upload: u1, Dst: dst(), Plain: p1[64*kib:]}, good2()}
	if err := filecrypt.EncryptParts(jobs); !errors.Is(err, io.EOF) || u1.NextPart() != 1 {
		t.Errorf("batch with a finished upload: %v, want io.EOF; u1 at %d", err, u1.NextPart())
	}

	d1, _ := filecrypt.NewDownload(&k1, int64(len(p1)), 0)
	d2, _ := filecrypt.NewDownload(&k2, int64(len(p2)), 0)
	dgood1 := func() filecrypt.DownloadJob { return filecrypt.DownloadJob{Download: d1, Dst: dst(), Src: w1[0]} }
	dgood2 := func() filecrypt.DownloadJob { return filecrypt.DownloadJob{Download: d2, Dst: dst(), Src: w2[0]} }
	downCases := map[string]struct {
		jobs []filecrypt.DownloadJob
		err  error
	}{
		"duplicate": {[]filecrypt.DownloadJob{dgood1(), dgood1()}, filecrypt.ErrPartOrder},
		"index":     {[]filecrypt.DownloadJob{dgood2(), {Download: d1, Index: 1, Dst: dst(), Src: w1[1]}}, filecrypt.ErrPartOrder},
		"part-len":  {[]filecrypt.DownloadJob{dgood2(), {Download: d1, Dst: dst(), Src: w1[0][:100]}}, filecrypt.ErrPartSize},
		"short-dst": {[]filecrypt.DownloadJob{dgood1(), {Download: d2, Dst: make([]byte, 47), Src: w2[0]}}, io.ErrShortBuffer},
		"nil":       {[]filecrypt.DownloadJob{dgood1(), {Dst: dst(), Src: w2[0]}}, nil},
	}
	for name, c := range downCases {
		err := filecrypt.DecryptParts(c.jobs)
		if (c.err == nil && err == nil) || (c.err != nil && !errors.Is(err, c.err)) {
			t.Errorf("%s: %v, want %v", name, err, c.err)
		}
		if d1.NextPart() != 0 || d2.NextPart() != 0 {
			t.Fatalf("%s: a failed batch moved a download", name)
		}
	}
	djobs := []filecrypt.DownloadJob{dgood1(), dgood2()}
	if err := filecrypt.DecryptParts(djobs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(djobs[0].Plain, p1[:64*kib]) || !bytes.Equal(djobs[1].Plain, p2) {
		t.Fatal("plaintext after failed batches differs")
	}
}
