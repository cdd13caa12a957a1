package fakesuite

import (
	"os"
	"path/filepath"
)

// ginkgo is the stand-in ginkgo.
const ginkgo = `#!/usr/bin/env bash
report= sleep_s=0 fail=0 noreport=0 code=0
for a in "$@"; do
  case $a in
    --report-dir=*) report=${a#--report-dir=} ;;
    --fake-sleep=*) sleep_s=${a#--fake-sleep=} ;;
    --fake-fail) fail=1 ;;
    --fake-no-report) noreport=1 ;;
    --fake-exit=*) code=${a#--fake-exit=} ;;
  esac
done
mkdir -p "$report"
printf '%s\0' "$@" >"$report/args"
echo "fake kubelet log" >"$report/kubelet.log"
echo "Running Suite: Node e2e suite (fake)"
echo "Will run 1 of 1 specs"
status=passed
trap 'status=interrupted' INT
for ((i = 0; i < sleep_s * 10; i++)); do
  [[ $status == interrupted ]] && break
  sleep 0.1
done
if [[ $status == interrupted ]]; then
  echo "• [INTERRUPTED] [0.1 seconds]"
  echo interrupted >"$report/interrupted"
elif ((fail)); then
  status=failed
  echo "• [FAILED] [0.001 seconds]"
else
  echo "• [0.001 seconds]"
fi
if ((!noreport)); then
  body='<testcase name="[It] fake spec" status="'$status'" time="0.001">'
  [[ $status == passed ]] || body+='<failure message="'$status'"></failure>'
  body+='</testcase>'
  succeeded=true
  [[ $status == passed ]] || succeeded=false
  cat >"$report/junit_01.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1"><testsuite name="Node e2e suite" tests="1">
<properties><property name="SuiteSucceeded" value="$succeeded"></property></properties>
$body
</testsuite></testsuites>
XML
fi
[[ $status == passed ]] || exit 1
exit "$code"
`

// WriteBinDir writes the stand-in ginkgo and placeholder e2e_node.test,
// kubelet, pause and testimage into dir.
func WriteBinDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]string{
		"ginkgo":        ginkgo,
		"e2e_node.test": "#!/bin/sh\necho 'fake e2e_node.test: run it through ginkgo' >&2\nexit 2\n",
		"kubelet":       "#!/bin/sh\nexit 0\n",
		"pause":         "#!/bin/sh\nexit 0\n",
		"testimage":     "#!/bin/sh\nexit 0\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
			return err
		}
	}
	return nil
}
