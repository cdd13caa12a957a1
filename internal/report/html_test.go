package report

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// The render tests check the page's structure (sections, rows, bars,
// links) through its parsed DOM, not its bytes.

type dom struct{ root *html.Node }

func parsePage(t *testing.T, b []byte) dom {
	t.Helper()
	n, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse page: %v", err)
	}
	return dom{n}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return slices.Contains(strings.Fields(attr(n, "class")), class)
}

// all returns the elements under n with tag (any if "") and every class.
func all(n *html.Node, tag string, classes ...string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(c *html.Node) {
		if c.Type == html.ElementNode && (tag == "" || c.Data == tag) {
			ok := true
			for _, cl := range classes {
				ok = ok && hasClass(c, cl)
			}
			if ok {
				out = append(out, c)
			}
		}
		for k := c.FirstChild; k != nil; k = k.NextSibling {
			walk(k)
		}
	}
	walk(n)
	return out
}

func (d dom) byID(t *testing.T, id string) *html.Node {
	t.Helper()
	for _, n := range all(d.root, "") {
		if attr(n, "id") == id {
			return n
		}
	}
	t.Fatalf("no element with id %q", id)
	return nil
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
			b.WriteString(" ")
		}
		for k := c.FirstChild; k != nil; k = k.NextSibling {
			walk(k)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: want %q in %q", what, w, got)
		}
	}
}

// renderDir writes f into a fresh directory and generates its page.
func renderDir(t *testing.T, f fixture) (string, dom, []byte) {
	t.Helper()
	dir := t.TempDir()
	writeFixture(t, dir, f)
	path, err := Generate(dir)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if path != filepath.Join(dir, PageFile) {
		t.Fatalf("Generate wrote %s, want %s", path, filepath.Join(dir, PageFile))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return dir, parsePage(t, b), b
}

// assertSelfContained fails on anything the page would fetch.
func assertSelfContained(t *testing.T, d dom) {
	t.Helper()
	for _, n := range all(d.root, "") {
		if n.Data == "link" && attr(n, "rel") == "icon" && attr(n, "href") == "data:," {
			continue // an empty icon: else the browser asks for /favicon.ico
		}
		switch n.Data {
		case "link", "img", "iframe", "object", "embed":
			t.Errorf("page has a <%s> element", n.Data)
		case "script":
			if attr(n, "src") != "" {
				t.Errorf("page loads script %s", attr(n, "src"))
			}
		}
		for _, k := range []string{"href", "src"} {
			v := attr(n, k)
			if strings.Contains(v, "://") || strings.HasPrefix(v, "//") || strings.HasPrefix(v, "/") {
				t.Errorf("<%s %s=%q> is not a relative link into the report directory", n.Data, k, v)
			}
		}
	}
}
