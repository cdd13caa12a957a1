package main

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// parser is a subcommand's argument parser with its result as any.
type parser func(args []string, stderr io.Writer) (any, error)

func adapt[T any](f func([]string, io.Writer) (T, error)) parser {
	return func(args []string, stderr io.Writer) (any, error) { return f(args, stderr) }
}

func TestParseArgs(t *testing.T) {
	serve, grpcHealth, tcp := adapt(parseServeArgs), adapt(parseGRPCHealthArgs), adapt(parseTCPArgs)
	exit, termMsg, sleep := adapt(parseExitArgs), adapt(parseTerminationMessageArgs), adapt(parseSleepArgs)
	alloc, logs := adapt(parseAllocArgs), adapt(parseLogArgs)
	cases := []struct {
		desc    string
		parse   parser
		args    []string
		want    any
		wantErr string // substring of stderr; "" means success
	}{
		{"serve defaults", serve, nil, serveOptions{port: 8080}, ""},
		{"serve all", serve, []string{"--port=0", "--fail-health-after=30s", "--readiness-delay=5s"},
			serveOptions{port: 0, failHealthAfter: 30 * time.Second, readinessDelay: 5 * time.Second}, ""},
		{"serve port too big", serve, []string{"--port=65536"}, nil, "--port 65536 is not in 0-65535"},
		{"serve negative delay", serve, []string{"--readiness-delay=-1s"}, nil, "must not be negative"},
		{"serve bad duration", serve, []string{"--fail-health-after=soon"}, nil, "invalid value"},

		{"grpc defaults", grpcHealth, nil, grpcHealthOptions{port: 8081, status: healthpb.HealthCheckResponse_SERVING}, ""},
		{"grpc not serving", grpcHealth, []string{"--port=9", "--service=db", "--status=NOT_SERVING"},
			grpcHealthOptions{port: 9, service: "db", status: healthpb.HealthCheckResponse_NOT_SERVING}, ""},
		{"grpc bad status", grpcHealth, []string{"--status=serving"}, nil, `--status "serving": want SERVING or NOT_SERVING`},

		{"tcp default", tcp, nil, 9000, ""},
		{"tcp port", tcp, []string{"-port", "7"}, 7, ""},
		{"tcp negative port", tcp, []string{"--port=-1"}, nil, "is not in 0-65535"},

		{"exit defaults", exit, nil, exitOptions{}, ""},
		{"exit code and delay", exit, []string{"--code=137", "--delay=2s"}, exitOptions{code: 137, delay: 2 * time.Second}, ""},
		{"exit code too big", exit, []string{"--code=256"}, nil, "--code 256 is not in 0-255"},
		{"exit negative delay", exit, []string{"--delay=-1s"}, nil, "negative"},

		{"termination message defaults", termMsg, nil, terminationMessageOptions{path: "/dev/termination-log"}, ""},
		{"termination message all", termMsg, []string{"--path=/tmp/m", "--message=bye now", "--code=2"},
			terminationMessageOptions{path: "/tmp/m", message: "bye now", code: 2}, ""},
		{"termination message no path", termMsg, []string{"--path="}, nil, "--path is empty"},

		{"sleep duration", sleep, []string{"1m30s"}, 90 * time.Second, ""},
		{"sleep seconds", sleep, []string{"5"}, 5 * time.Second, ""},
		{"sleep fraction", sleep, []string{"0.5"}, 500 * time.Millisecond, ""},
		{"sleep infinity", sleep, []string{"infinity"}, forever, ""},
		{"sleep nothing", sleep, nil, nil, "want one DURATION, got 0 arguments"},
		{"sleep two", sleep, []string{"1s", "2s"}, nil, "got 2 arguments"},
		{"sleep garbage", sleep, []string{"soon"}, nil, `invalid duration "soon"`},
		{"sleep negative", sleep, []string{"--", "-5s"}, nil, "negative"},

		{"alloc", alloc, []string{"--bytes=64Mi"}, allocOptions{bytes: 64 << 20, hold: waitFlag(forever)}, ""},
		{"alloc hold", alloc, []string{"--bytes=100M", "--hold=30s"}, allocOptions{bytes: 100e6, hold: waitFlag(30 * time.Second)}, ""},
		{"alloc zero", alloc, []string{"--bytes=0"}, allocOptions{hold: waitFlag(forever)}, ""},
		{"alloc no bytes", alloc, nil, nil, "--bytes is required"},
		{"alloc bad size", alloc, []string{"--bytes=64MB"}, nil, `unknown suffix "MB"`},
		{"alloc bad hold", alloc, []string{"--bytes=1", "--hold=later"}, nil, `invalid duration "later"`},

		{"log defaults", logs, nil, logOptions{interval: time.Second, stream: "stdout", message: "line"}, ""},
		{"log all", logs, []string{"--interval=10ms", "--count=5", "--stream=both", "--message=tick"},
			logOptions{interval: 10 * time.Millisecond, count: 5, stream: "both", message: "tick"}, ""},
		{"log bad stream", logs, []string{"--stream=stdlog"}, nil, `--stream "stdlog"`},
		{"log negative count", logs, []string{"--count=-1"}, nil, "--count -1 is negative"},
		{"log stray argument", logs, []string{"extra"}, nil, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			var stderr bytes.Buffer
			got, err := c.parse(c.args, &stderr)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("parse(%q): %v; stderr:\n%s", c.args, err, stderr.String())
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("parse(%q) = %+v, want %+v", c.args, got, c.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("parse(%q) = %+v, want an error", c.args, got)
			}
			if out := stderr.String(); !strings.Contains(out, c.wantErr) || !strings.Contains(out, "usage: testimage ") {
				t.Errorf("stderr %q lacks %q or the usage", out, c.wantErr)
			}
		})
	}
}

func TestParseWait(t *testing.T) {
	cases := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"0", 0, false},
		{"10ms", 10 * time.Millisecond, false},
		{"2h", 2 * time.Hour, false},
		{"3", 3 * time.Second, false},
		{"1.25", 1250 * time.Millisecond, false},
		{"infinity", forever, false},
		{"", 0, true},
		{"1.2.3", 0, true},
		{"-1", 0, true},
		{"inf", 0, true},
		{"10 s", 0, true},
		{"99999999999999", 0, true},
	}
	for _, c := range cases {
		got, err := parseWait(c.in)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("parseWait(%q) = %v, %v; want %v, error %t", c.in, got, err, c.want, c.wantErr)
		}
	}
}
