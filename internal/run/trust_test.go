package run

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCheckPrivate(t *testing.T) {
	const me = 1000
	cases := []struct {
		name string
		o    Ownership
		dir  bool
		want string // "" for trusted
	}{
		{"own dir 0700", Ownership{me, fs.ModeDir | 0o700}, true, ""},
		{"own dir 0755", Ownership{me, fs.ModeDir | 0o755}, true, ""},
		{"own file 0600", Ownership{me, 0o600}, false, ""},
		{"other user's dir", Ownership{65534, fs.ModeDir | 0o700}, true, "owned by uid 65534"},
		{"root's dir for a non-root harness", Ownership{0, fs.ModeDir | 0o700}, true, "owned by uid 0"},
		{"group-writable dir", Ownership{me, fs.ModeDir | 0o775}, true, "writable by group or others"},
		{"world-writable file", Ownership{me, 0o666}, false, "writable by group or others"},
		{"sticky world-writable dir", Ownership{me, fs.ModeDir | fs.ModeSticky | 0o777}, true, "writable by group or others"},
		{"symlink", Ownership{me, fs.ModeSymlink | 0o777}, false, "symlink"},
		{"file where a dir is wanted", Ownership{me, 0o600}, true, "not a directory"},
		{"dir where a file is wanted", Ownership{me, fs.ModeDir | 0o700}, false, "not a regular file"},
		{"fifo", Ownership{me, fs.ModeNamedPipe | 0o600}, false, "not a regular file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckPrivate("/x", c.o, me, c.dir)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one saying %q", err, c.want)
			}
		})
	}
}

func TestCheckAncestor(t *testing.T) {
	const me = 1000
	cases := []struct {
		name string
		o    Ownership
		want string
	}{
		{"root's 0755", Ownership{0, fs.ModeDir | 0o755}, ""},
		{"own 0700", Ownership{me, fs.ModeDir | 0o700}, ""},
		{"/tmp: root's sticky 1777", Ownership{0, fs.ModeDir | fs.ModeSticky | 0o777}, ""},
		{"another user's 0755", Ownership{65534, fs.ModeDir | 0o755}, "neither root nor uid 1000"},
		{"root's 0777 without sticky bit", Ownership{0, fs.ModeDir | 0o777}, "without the sticky bit"},
		{"another user's sticky dir", Ownership{65534, fs.ModeDir | fs.ModeSticky | 0o777}, "neither root"},
		{"a file", Ownership{0, 0o644}, "not a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckAncestor("/x", c.o, me)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one saying %q", err, c.want)
			}
		})
	}
}

func TestCheckOwnDirOnDisk(t *testing.T) {
	base := t.TempDir()
	own := filepath.Join(base, "own")
	if err := MkdirOwn(own, 0o755); err != nil {
		t.Fatalf("MkdirOwn of a fresh dir: %v", err)
	}
	if err := CheckOwnDir(filepath.Join(own, "missing", "deeper")); err != nil {
		t.Errorf("a missing dir under an own one: %v", err)
	}
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := CheckOwnDir(open); err == nil {
		t.Error("a world-writable dir was trusted")
	}
	if err := MkdirOwn(filepath.Join(open, "report"), 0o755); err == nil {
		t.Error("a dir under a world-writable parent without sticky bit was trusted")
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(own, link); err != nil {
		t.Fatal(err)
	}
	if err := CheckOwnDir(link); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("a symlinked dir: err = %v, want one naming the symlink", err)
	}
	if os.Geteuid() != 0 {
		t.Log("not root: cannot give a dir to another user; that case is covered by TestCheckPrivate")
		return
	}
	theirs := filepath.Join(base, "theirs")
	if err := os.Mkdir(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := CheckOwnDir(theirs); err == nil || !strings.Contains(err.Error(), "uid 65534") {
		t.Errorf("another user's dir: err = %v", err)
	}
	if err := MkdirOwn(filepath.Join(theirs, "runs"), 0o755); err == nil {
		t.Error("a dir under another user's dir was trusted")
	}
	if _, err := os.Stat(filepath.Join(theirs, "runs")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("MkdirOwn created a dir under another user's dir before refusing")
	}
}

func TestCreateFileDoesNotFollowSymlinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "junit_01.xml")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if f, err := CreateFile(link, 0o644); err == nil {
		f.Close()
		t.Fatal("CreateFile opened a symlink")
	} else if !errors.Is(err, syscall.ELOOP) {
		t.Errorf("err = %v, want ELOOP", err)
	}
	if err := WriteFile(link, []byte("report"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the symlink's target was overwritten: %q", b)
	}
	if b, _ := os.ReadFile(link); string(b) != "report" {
		t.Errorf("the report holds %q", b)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink != 0 || fi.Mode().Perm() != 0o644 {
		t.Errorf("the report is %s, want a regular 0644 file", fi.Mode())
	}
}

func TestWriteFileFunc(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFileFunc(path, 0o644, func(w io.Writer) error {
		if _, err := w.Write([]byte("half")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), path) {
		t.Errorf("WriteFileFunc(failing) = %v, want boom naming %s", err, path)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("after a failed write %s holds %q, want the old content", path, b)
	}
	if err := WriteFileFunc(path, 0o640, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if b, _ := os.ReadFile(path); err != nil || string(b) != "new" || fi.Mode().Perm() != 0o640 {
		t.Errorf("after a write %s holds %q with mode %v (%v), want \"new\", 0640", path, b, fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
}
