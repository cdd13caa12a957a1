package images

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// suiteInputs writes fake binaries into a new directory, each holding its
// name and extra.
func suiteInputs(t *testing.T, extra string) SuiteBinaries {
	dir := t.TempDir()
	w := func(name string) string { return mustWriteFile(t, dir, name, name+" program "+extra) }
	return SuiteBinaries{E2ENodeTest: w("e2e_node.test"), Ginkgo: w("ginkgo"), Pause: w("pause"), TestImage: w("testimage"), Busybox: w("busybox")}
}

func TestSuiteImageSameInputSameDigest(t *testing.T) {
	ctx := context.Background()
	list := stubApplets("sh", "cat", "sleep", "date")
	a, err := suite(ctx, suiteInputs(t, "v1"), list)
	if err != nil {
		t.Fatal(err)
	}
	// Same contents in other files, written later: the paths and mtimes
	// must not matter.
	time.Sleep(10 * time.Millisecond)
	again := suiteInputs(t, "v1")
	for _, p := range []string{again.E2ENodeTest, again.Ginkgo} {
		if err := os.Chtimes(p, time.Now(), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := suite(ctx, again, list)
	if err != nil {
		t.Fatal(err)
	}
	if da, db := mustDigest(t, a), mustDigest(t, b); da != db {
		t.Errorf("same binaries, digests %s and %s", da, db)
	}
	changed := suiteInputs(t, "v1")
	mustWriteFile(t, filepath.Dir(changed.E2ENodeTest), "e2e_node.test", "e2e_node.test program v2")
	c, err := suite(ctx, changed, list)
	if err != nil {
		t.Fatal(err)
	}
	if mustDigest(t, a) == mustDigest(t, c) {
		t.Error("a changed e2e_node.test gave the same digest")
	}
	// Only the suite's own layer differs: a rebuilt suite pushes one layer.
	la, _ := a.Layers()
	lc, _ := c.Layers()
	if len(la) != 3 || len(lc) != 3 {
		t.Fatalf("layers %d and %d, want 3", len(la), len(lc))
	}
	for i := range 3 {
		da, _ := la[i].Digest()
		dc, _ := lc[i].Digest()
		if (da == dc) != (i < 2) {
			t.Errorf("layer %d: digests %s and %s; want only the last to differ", i, da, dc)
		}
	}
}

func TestSuiteImageContents(t *testing.T) {
	in := suiteInputs(t, "x")
	img, err := suite(context.Background(), in, stubApplets("sh", "cat"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := mustFiles(t, img)
	for name, want := range map[string]string{
		"usr/local/bin/e2e_node.test": "e2e_node.test program x",
		"usr/local/bin/ginkgo":        "ginkgo program x",
		"usr/local/bin/pause":         "pause program x",
		"usr/local/bin/testimage":     "testimage program x",
		"bin/busybox":                 "busybox program x",
	} {
		f, ok := files[name]
		if !ok {
			t.Errorf("no %s in the suite image", name)
			continue
		}
		if string(f.data) != want || f.hdr.Mode != 0o755 || !f.hdr.ModTime.Equal(epoch) {
			t.Errorf("%s: content %q mode %o mtime %v", name, f.data, f.hdr.Mode, f.hdr.ModTime)
		}
	}
	if f := files["bin/sh"]; f.hdr == nil || f.hdr.Linkname != "busybox" {
		t.Error("no /bin/sh -> busybox: the pod's entrypoint needs a shell")
	}
	cf := mustConfig(t, img)
	if cf.OS != "linux" || !cf.Created.IsZero() || !strings.Contains(strings.Join(cf.Config.Env, " "), "/usr/local/bin") {
		t.Errorf("config: os %s created %v env %v", cf.OS, cf.Created, cf.Config.Env)
	}
}

func TestSuiteImageBadInput(t *testing.T) {
	in := suiteInputs(t, "x")
	missing := in
	missing.Ginkgo = filepath.Join(t.TempDir(), "nope")
	empty := in
	empty.TestImage = ""
	for _, c := range []struct {
		in   SuiteBinaries
		want string
	}{
		{missing, "suite image: ginkgo"},
		{empty, "TestImage binary path is empty"},
	} {
		_, err := suite(context.Background(), c.in, stubApplets("sh"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("suite(%+v) = %v, want an error saying %q", c.in, err, c.want)
		}
	}
}
