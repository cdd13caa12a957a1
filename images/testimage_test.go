package images

import (
	"archive/tar"
	"bufio"
	"context"
	"debug/elf"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/node-e2e/harness/internal/proc"
)

func TestTestImage(t *testing.T) {
	bin := mustWriteFile(t, t.TempDir(), "testimage", "not really an ELF")
	img, err := TestImage(bin)
	if err != nil {
		t.Fatal(err)
	}
	files, order := mustFiles(t, img)
	if want := []string{"etc", "etc/group", "etc/passwd", "testimage", "tmp"}; !slices.Equal(order, want) {
		t.Fatalf("layer holds %q, want %q", order, want)
	}
	cases := []struct {
		name    string
		typ     byte
		mode    int64
		content string // checked when not empty
	}{
		{"testimage", tar.TypeReg, 0o755, "not really an ELF"},
		{"etc", tar.TypeDir, 0o755, ""},
		{"etc/passwd", tar.TypeReg, 0o644, "root:x:0:0:"},
		{"etc/group", tar.TypeReg, 0o644, "nobody:x:65534:"},
		{"tmp", tar.TypeDir, 0o1777, ""},
	}
	for _, c := range cases {
		f := files[c.name]
		if f.hdr.Typeflag != c.typ || f.hdr.Mode != c.mode {
			t.Errorf("/%s: type %q mode %o, want %q %o", c.name, f.hdr.Typeflag, f.hdr.Mode, c.typ, c.mode)
		}
		if f.hdr.Uid != 0 || f.hdr.Gid != 0 || !f.hdr.ModTime.Equal(epoch) {
			t.Errorf("/%s: owner %d:%d mtime %v, want 0:0 at the epoch", c.name, f.hdr.Uid, f.hdr.Gid, f.hdr.ModTime)
		}
		if c.content != "" && !strings.Contains(string(f.data), c.content) {
			t.Errorf("/%s: content %q lacks %q", c.name, f.data, c.content)
		}
	}
	if !strings.Contains(string(files["etc/passwd"].data), "nobody:x:65534:65534:") {
		t.Errorf("/etc/passwd %q has no nobody", files["etc/passwd"].data)
	}
	cf := mustConfig(t, img)
	if !slices.Equal(cf.Config.Entrypoint, []string{"/testimage"}) || !slices.Equal(cf.Config.Cmd, []string{"pause"}) {
		t.Errorf("entrypoint %q cmd %q, want [/testimage] and [pause]", cf.Config.Entrypoint, cf.Config.Cmd)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	if !cf.Created.IsZero() || len(cf.History) != 1 || !cf.History[0].Created.IsZero() {
		t.Errorf("created %v history %+v, want zero times and one entry", cf.Created, cf.History)
	}
}

func TestTestImageMissingBinary(t *testing.T) {
	_, err := TestImage(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "images: testimage:") {
		t.Fatalf("TestImage = %v, want a not-exist error naming testimage", err)
	}
}

func TestConfigValidateTestImage(t *testing.T) {
	cases := []struct {
		desc   string
		mutate func(*Config)
		want   string
	}{
		{"default source", func(*Config) {}, ""},
		{"prebuilt binary", func(c *Config) { c.TestImageSource = ""; c.TestImageBinary = "/x/testimage" }, ""},
		{"neither", func(c *Config) { c.TestImageSource = "" }, "set TestImageBinary or TestImageSource"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			cfg := NewConfig()
			c.mutate(&cfg)
			err := cfg.Validate()
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("Validate = %v, want %q", err, c.want)
			}
		})
	}
}

func TestBuildTestImagePrebuilt(t *testing.T) {
	cfg := NewConfig()
	cfg.TestImageSource = ""
	cfg.TestImageBinary = mustWriteFile(t, t.TempDir(), "testimage", "prebuilt")
	cfg.WorkDir = filepath.Join(t.TempDir(), "work")
	img, err := BuildTestImage(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := mustFiles(t, img)
	if got := string(files["testimage"].data); got != "prebuilt" {
		t.Errorf("/testimage holds %q, want the prebuilt binary", got)
	}
	if _, err := os.Stat(cfg.WorkDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("work dir created though nothing was compiled: %v", err)
	}
}

// TestBuildTestImage compiles ./testimage twice through BuildTestImage and
// checks that the images are the same and hold a static binary.
func TestBuildTestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the testimage program")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var digests []string
	for range 2 {
		cfg := NewConfig()
		cfg.TestImageSource = "testimage"
		cfg.WorkDir = filepath.Join(t.TempDir(), "work")
		img, err := BuildTestImage(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(cfg.WorkDir, "testimage")
		mustBeStatic(t, bin)
		compiled, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		files, _ := mustFiles(t, img)
		if string(files["testimage"].data) != string(compiled) {
			t.Errorf("/testimage differs from the compiled %s", bin)
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		size, err := layers[0].Size()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, mustDigest(t, img))
		t.Logf("testimage: binary %d bytes, compressed layer %d bytes, digest %s", len(compiled), size, digests[len(digests)-1])
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds from the same source gave digests %s and %s", digests[0], digests[1])
	}
}

// mustBeStatic fails t unless the ELF file at path asks for no program
// interpreter and no shared libraries.
func mustBeStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a PT_INTERP program header: not statically linked", path)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs shared libraries %q", path, libs)
	}
}

// TestTestImageProgram compiles ./testimage and runs it as a container
// would: exit must give its status, long-running subcommands must exit 0 on
// SIGTERM, and serve must answer /healthz, log the request and exit 0 on
// SIGTERM.
func TestTestImageProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the testimage program")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "testimage")
	if err := CompileProgram(ctx, "testimage", "testimage", bin); err != nil {
		t.Fatal(err)
	}
	mustBeStatic(t, bin)

	t.Run("exit", func(t *testing.T) {
		cases := []struct {
			args []string
			want int
		}{
			{[]string{"exit", "--code=3"}, 3},
			{[]string{"exit", "--code=0", "--delay=10ms"}, 0},
			{[]string{"no-such-subcommand"}, 2},
			{[]string{"exit", "--no-such-flag"}, 2},
		}
		for _, c := range cases {
			err := exec.CommandContext(ctx, bin, c.args...).Run()
			got := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				got = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("%q: %v", c.args, err)
			}
			if got != c.want {
				t.Errorf("testimage %q exited %d, want %d", c.args, got, c.want)
			}
		}
	})

	t.Run("signals", func(t *testing.T) {
		// The subcommands a pod runs until deleted exit 0 on SIGTERM.
		for _, args := range [][]string{{"pause"}, {"sleep", "infinity"}, {"log", "--interval=10ms"}, {"alloc", "--bytes=1Mi"}} {
			cmd := exec.CommandContext(ctx, bin, args...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				t.Fatalf("testimage %q exited on its own: %v", args, err)
			case <-time.After(300 * time.Millisecond):
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("testimage %q after SIGTERM: %v, want exit 0", args, err)
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Errorf("testimage %q did not exit within 10s of SIGTERM", args)
			}
		}
	})

	t.Run("serve", func(t *testing.T) {
		cmd := exec.CommandContext(ctx, bin, "serve", "--port=0")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var waitErr error
		exited := make(chan struct{})
		lines := make(chan string, 100)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
			waitErr = cmd.Wait()
			close(exited)
		}()
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
		})
		port := mustListeningPort(t, lines, "serve: listening on ")
		url := "http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz"
		actx, acancel := context.WithTimeout(ctx, 10*time.Second)
		defer acancel()
		var body string
		err = proc.Await(actx, 50*time.Millisecond, func() (bool, error) {
			resp, err := http.Get(url)
			if err != nil {
				return false, nil
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			body = string(b)
			return resp.StatusCode == http.StatusOK, nil
		})
		if err != nil || body != "ok" {
			t.Fatalf("GET %s: %v, body %q; want 200 ok", url, err, body)
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		var logged bool
		timeout := time.After(10 * time.Second)
		for lines != nil {
			select {
			case l, ok := <-lines:
				if !ok {
					lines = nil
				}
				logged = logged || strings.Contains(l, "request method=GET path=/healthz")
			case <-timeout:
				t.Fatal("serve did not exit within 10s of SIGTERM")
			}
		}
		<-exited
		if waitErr != nil {
			t.Errorf("serve after SIGTERM: %v, want exit 0", waitErr)
		}
		if !logged {
			t.Error("stdout has no line for the /healthz request")
		}
	})
}

// mustListeningPort reads lines until one starts with prefix and returns the
// port of the address that follows.
func mustListeningPort(t *testing.T, lines <-chan string, prefix string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("output ended before %q", prefix)
			}
			if addr, found := strings.CutPrefix(l, prefix); found {
				_, port, err := net.SplitHostPort(addr)
				if err != nil {
					t.Fatalf("%q: %v", l, err)
				}
				return port
			}
		case <-timeout:
			t.Fatalf("no %q line within 10s", prefix)
		}
	}
}
