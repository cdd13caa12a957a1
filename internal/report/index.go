package report

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"time"

	"github.com/node-e2e/harness/internal/run"
)

// Host is one host of a remote run, for the index page.
type Host struct {
	// Name is the host's name.
	Name string
	// Dir is the host's report directory.
	Dir string
	// Passed is the runner's verdict for the host.
	Passed bool
	// Reason says why the host failed.
	Reason string
	// Duration is the host's wall time.
	Duration time.Duration
}

type indexRow struct {
	Host
	Link   string // relative link to the host's report.html, "" if none
	Counts *Counts
	Status string
	Note   string
}

var indexTmpl = template.Must(template.New("index").Funcs(template.FuncMap{"duration": fmtDuration}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>node e2e: {{len .Rows}} host(s)</title>
<style>{{.CSS}}</style>
</head>
<body>
<header id="summary" class="status-{{.Status}}">
<h1>Remote run: <span class="verdict">{{.Status}}</span></h1>
<p class="counts">{{.Passed}} of {{len .Rows}} host(s) passed</p>
</header>
<main>
<table class="hosts">
<thead><tr><th>host</th><th>result</th><th>passed</th><th>failed</th><th>skipped</th><th>duration</th><th>report</th><th>notes</th></tr></thead>
<tbody>
{{range .Rows}}<tr class="host" data-host="{{.Name}}"><td>{{.Name}}</td><td><span class="state st-{{if .Passed}}passed{{else}}failed{{end}}">{{if .Passed}}PASS{{else}}FAIL{{end}}</span></td>
{{with .Counts}}<td>{{.Passed}}</td><td>{{.Failed}}</td><td>{{.Skipped}}</td>{{else}}<td>-</td><td>-</td><td>-</td>{{end}}
<td>{{duration .Duration}}</td><td>{{if .Link}}<a href="{{.Link}}">report</a>{{else}}none{{end}}</td><td>{{.Reason}}{{if and .Reason .Note}}; {{end}}{{.Note}}</td></tr>
{{end}}</tbody>
</table>
</main>
</body>
</html>
`))

// WriteIndex writes dir/index.html over hosts, giving each host's report
// directory a report.html first when it has a report but no page (a host
// whose harness predates the page, or one that wrote no page). Host
// directories are linked relative to dir.
func WriteIndex(dir string, hosts []Host) (string, error) {
	var rows []indexRow
	passed := 0
	for _, h := range hosts {
		row := indexRow{Host: h}
		if h.Passed {
			passed++
		}
		page := filepath.Join(h.Dir, PageFile)
		r, err := Load(h.Dir)
		switch {
		case err == nil:
			c := r.Counts()
			row.Counts = &c
			if _, statErr := os.Stat(page); statErr != nil {
				if _, genErr := Generate(h.Dir); genErr != nil {
					row.Note = genErr.Error()
				}
			}
		case errors.Is(err, ErrNoReport):
			row.Note = "no report came back"
		default:
			row.Note = err.Error()
		}
		if _, err := os.Stat(page); err == nil {
			if rel, err := filepath.Rel(dir, page); err == nil {
				row.Link = filepath.ToSlash(rel)
			}
		}
		rows = append(rows, row)
	}
	status := "passed"
	if passed < len(hosts) {
		status = "failed"
	}
	var buf bytes.Buffer
	err := indexTmpl.Execute(&buf, struct {
		Rows   []indexRow
		Passed int
		Status string
		CSS    template.CSS
	}{rows, passed, status, template.CSS(pageCSS + indexCSS)})
	if err != nil {
		return "", fmt.Errorf("render %s: %w", IndexFile, err)
	}
	path := filepath.Join(dir, IndexFile)
	return path, run.WriteFile(path, buf.Bytes(), 0o644)
}

const indexCSS = `table.hosts{border-collapse:collapse;width:100%}.hosts th,.hosts td{text-align:left;padding:4px 10px;border-bottom:1px solid var(--line)}`
