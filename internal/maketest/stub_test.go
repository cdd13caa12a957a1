package maketest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// argvLogEnv names the file the stub appends its command lines to. When it
// is set, this test binary is the stub: it records and exits 0.
const argvLogEnv = "MAKETEST_ARGV_LOG"

// invocation is one command line the stub received.
type invocation struct {
	// Prog is the base name it was run as: go or systemd-sandbox.
	Prog string   `json:"prog"`
	Args []string `json:"args"`
}

func TestMain(m *testing.M) {
	if log := os.Getenv(argvLogEnv); log != "" {
		if err := recordArgv(log); err != nil {
			fmt.Fprintf(os.Stderr, "maketest stub: %v\n", err)
			os.Exit(99)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// recordArgv appends this process's command line to log, one JSON object
// a line.
func recordArgv(log string) error {
	b, err := json.Marshal(invocation{Prog: filepath.Base(os.Args[0]), Args: os.Args[1:]})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// stubbedMake runs the repository's make with the runners stubbed: bin
// holds `go`, and stubDir (given as OUT_DIR when SYSTEMD=sandbox is tested)
// `systemd-sandbox`, both this test binary.
type stubbedMake struct {
	repo   string // the repository (where the Makefile is)
	dir    string // scratch space: bin/, stub dirs, argv logs
	canary string // an empty directory the payloads try to create files in
	bin    string
	runs   int
}

func newStubbedMake(t *testing.T) *stubbedMake {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skipf("needs GNU make: %v", err)
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(repo, "Makefile")); err != nil {
		t.Fatalf("no Makefile at the repository root: %v", err)
	}
	s := &stubbedMake{repo: repo, dir: t.TempDir(), canary: t.TempDir()}
	s.bin = filepath.Join(s.dir, "bin")
	s.mustStubIn(t, s.bin, "go")
	return s
}

// mustStubIn makes dir/name a stub.
func (s *stubbedMake) mustStubIn(t *testing.T, dir, name string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// run runs `make -o deps -o build test-e2e-node` (deps and build are
// taken as done) with vars on make's command line, or in its environment
// if inEnv. It returns what the stubs received, make's output and its
// error.
func (s *stubbedMake) run(t *testing.T, vars map[string]string, inEnv bool) ([]invocation, string, error) {
	t.Helper()
	s.runs++
	log := filepath.Join(s.dir, fmt.Sprintf("argv-%d.jsonl", s.runs))
	// A clean environment: nothing of an outer make (MAKEFLAGS carries its
	// command-line variables) or of the caller's FOCUS, TEST_ARGS, ...
	env := []string{"PATH=" + s.bin + ":" + os.Getenv("PATH"), "HOME=" + s.dir, argvLogEnv + "=" + log}
	args := []string{"-C", s.repo, "--no-print-directory", "-o", "deps", "-o", "build", "test-e2e-node"}
	for k, v := range vars {
		if inEnv {
			env = append(env, k+"="+v)
		} else {
			args = append(args, k+"="+v)
		}
	}
	cmd := exec.Command("make", args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	invs, rerr := readInvocations(log)
	if rerr != nil {
		t.Fatalf("read the stub's log: %v\nmake's output:\n%s", rerr, out)
	}
	return invs, string(out), err
}

func readInvocations(log string) ([]invocation, error) {
	f, err := os.Open(log)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // the stub never ran
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var invs []invocation
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var inv invocation
		if err := json.Unmarshal(sc.Bytes(), &inv); err != nil {
			return nil, fmt.Errorf("%s: %w", log, err)
		}
		invs = append(invs, inv)
	}
	return invs, sc.Err()
}

// MustHaveRunNothing fails the test if a payload created a file in the
// canary directory.
func (s *stubbedMake) MustHaveRunNothing(t *testing.T) {
	t.Helper()
	ents, err := os.ReadDir(s.canary)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("a payload ran: %s was created", filepath.Join(s.canary, e.Name()))
	}
}

// payload is a value for variable name that runs `touch` on a file named
// after it in canary if anything evaluates it: when pasted between single
// quotes, between double quotes or unquoted into shell text, or expanded
// by make. (After a quote it closes, ": " swallows the rest of the
// command line, so that the touch succeeds.) It holds no "//", "/./" or "/../", so that as a path it is
// already clean.
func payload(canary, name string) string {
	c := filepath.Join(canary, name)
	return "x'; touch " + c + "-quote; : '\"; touch " + c + "-dquote; : \" $(touch " + c + "-subst) `touch " + c +
		"-backquote` $(shell touch " + c + "-make) ${HOME} $$RANDOM \\ # end"
}

// makefileVariables returns the names in the Makefile's VARIABLES list,
// the variables it hands to hack/test-e2e-node.sh.
func makefileVariables(t *testing.T, repo string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^VARIABLES := ((?:.*\\\n)*.*)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("the Makefile has no VARIABLES := list")
	}
	return strings.Fields(strings.ReplaceAll(string(m[1]), "\\\n", " "))
}
