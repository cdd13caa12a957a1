package images

import (
	"debug/elf"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
)

// libDirs are where a library named by DT_NEEDED is looked for, in order
// (Debian's multiarch directories first).
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}

// dynamicDeps returns the host files the dynamically linked binaries among
// binaries need to run in an image with no libc of its own: the ELF
// interpreter (PT_INTERP, /lib64/ld-linux-x86-64.so.2) and every DT_NEEDED
// library, transitively, each at the absolute path the loader asks for
// (symlinks followed, the file's content stored there), with its parent
// directories. Static binaries need nothing. ginkgo and e2e_node.test are
// built with cgo (the host's libc), so the suite image carries that libc:
// its digest then also depends on the host's libc.
func dynamicDeps(binaries []string) ([]entry, error) {
	files := map[string]bool{}
	var queue []string
	need := func(p string) {
		if !files[p] {
			files[p] = true
			queue = append(queue, p)
		}
	}
	for _, b := range binaries {
		interp, libs, err := elfDeps(b)
		if err != nil {
			return nil, err
		}
		if interp != "" {
			need(interp)
		}
		for _, l := range libs {
			p, err := findLib(l)
			if err != nil {
				return nil, fmt.Errorf("images: suite image: %s needs %s: %w", b, l, err)
			}
			need(p)
		}
	}
	for i := 0; i < len(queue); i++ {
		_, libs, err := elfDeps(queue[i])
		if err != nil {
			return nil, err
		}
		for _, l := range libs {
			p, err := findLib(l)
			if err != nil {
				return nil, fmt.Errorf("images: suite image: %s needs %s: %w", queue[i], l, err)
			}
			need(p)
		}
	}
	dirs := map[string]bool{}
	var out []entry
	for _, p := range slices.Sorted(maps.Keys(files)) {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("images: suite image: read %s: %w", p, err)
		}
		rel := strings.TrimPrefix(p, "/")
		out = append(out, regular(rel, 0o755, data))
		for d := path.Dir(rel); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
			out = append(out, directory(d, 0o755))
		}
	}
	return out, nil
}

// elfDeps returns p's interpreter and DT_NEEDED libraries; none for a
// static binary or a file that is not ELF.
func elfDeps(p string) (string, []string, error) {
	head := make([]byte, len(elf.ELFMAG))
	r, err := os.Open(p)
	if err != nil {
		return "", nil, fmt.Errorf("images: suite image: %w", err)
	}
	_, err = io.ReadFull(r, head)
	r.Close()
	if err != nil || string(head) != elf.ELFMAG {
		return "", nil, nil // not ELF: a script or, in tests, a stand-in
	}
	f, err := elf.Open(p)
	if err != nil {
		return "", nil, fmt.Errorf("images: suite image: %w", err)
	}
	defer f.Close()
	var interp string
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			b := make([]byte, prog.Filesz)
			if _, err := prog.ReadAt(b, 0); err != nil {
				return "", nil, fmt.Errorf("images: suite image: %s: read interpreter: %w", p, err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return "", nil, fmt.Errorf("images: suite image: %s: %w", p, err)
	}
	return interp, libs, nil
}

// findLib returns the path of library name in libDirs.
func findLib(name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, d := range libDirs {
		p := path.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("not found in %s", strings.Join(libDirs, ", "))
}
