package cluster

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestJanitorGolden(t *testing.T) {
	b, err := Manifest(testRun().JanitorObjects("0f1e2d3c-aaaa-bbbb-cccc-000000000001"))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "janitor.yaml", b)
}

// TestJanitorMayOnlyDeleteItsRun checks the janitor's ClusterRole: delete
// only, each rule by name, and the names are this run's objects.
func TestJanitorMayOnlyDeleteItsRun(t *testing.T) {
	r := testRun().Defaulted()
	objs := r.JanitorObjects("")
	if len(objs) != 4 {
		t.Fatalf("%d janitor objects, want ServiceAccount, ClusterRole, binding, pod", len(objs))
	}
	role := objs[1].(*rbacv1.ClusterRole)
	want := map[string][]string{
		"namespaces":          {r.Namespace},
		"clusterroles":        {r.clusterRoleName()},
		"clusterrolebindings": {r.clusterRoleName(), r.janitorRoleName()},
	}
	for _, rule := range role.Rules {
		if !slices.Equal(rule.Verbs, []string{"delete"}) || len(rule.Resources) != 1 || !slices.Equal(rule.ResourceNames, want[rule.Resources[0]]) {
			t.Errorf("janitor rule %+v: want delete of %v by name", rule, want)
		}
		delete(want, rule.Resources[0])
	}
	if len(want) > 0 {
		t.Errorf("no janitor rule for %v", want)
	}
	if role.OwnerReferences != nil {
		t.Errorf("owner references without a namespace uid: %v", role.OwnerReferences)
	}
	pod := r.JanitorPod()
	if pod.Labels[LabelSync] != "" || pod.Labels[LabelRunID] != r.ID || pod.Spec.NodeName != r.Nodes[0] {
		t.Errorf("janitor pod labels %v node %q: want the run's labels, no sync label, on %s", pod.Labels, pod.Spec.NodeName, r.Nodes[0])
	}
	env := map[string]string{}
	for _, e := range pod.Spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	if env["NODE_E2E_EXPIRES"] != strconv.FormatInt(r.Expires().Unix(), 10) || r.Expires().IsZero() {
		t.Errorf("NODE_E2E_EXPIRES %q, want the run's expiry %v", env["NODE_E2E_EXPIRES"], r.Expires())
	}
}

// TestJanitorScript runs the janitor's script with busybox sh, echo in
// place of e2e_node.test: the API server's URL as the entrypoint finds it
// (IPv6 bracketed), the expiry and the paths from the pod's environment.
func TestJanitorScript(t *testing.T) {
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs Debian's busybox-static at /bin/busybox (the suite image's shell)")
	}
	r := testRun().Defaulted()
	pod := r.JanitorPod()
	c := pod.Spec.Containers[0]
	if c.Command[0] != "/bin/sh" || c.Command[2] != janitorScript {
		t.Fatalf("janitor command %q", c.Command)
	}
	script := strings.ReplaceAll(janitorScript, "exec "+suiteBinary, "exec /bin/busybox echo e2e_node.test")
	for _, k := range []struct{ env, want string }{
		{"KUBERNETES_SERVICE_HOST=fd00::1", "--host=https://[fd00::1]:443"},
		{"NODE_E2E_API_SERVER=https://10.0.0.1:6443", "--host=https://10.0.0.1:6443"},
	} {
		cmd := exec.Command("/bin/busybox", "sh", "-c", script, c.Command[3])
		cmd.Env = []string{k.env, "KUBERNETES_SERVICE_PORT=443"}
		for _, e := range c.Env {
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("janitor script: %v\n%s", err, out)
		}
		want := "e2e_node.test --janitor-at=" + strconv.FormatInt(r.Expires().Unix(), 10) +
			" --janitor-delete=/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/node-e2e-suite-" + r.ID +
			",/apis/rbac.authorization.k8s.io/v1/clusterroles/node-e2e-suite-" + r.ID +
			",/api/v1/namespaces/" + r.Namespace +
			",/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/node-e2e-janitor-" + r.ID +
			" " + k.want + " --bearer-token-file=" + tokenDir + "/token --host-ca-file=" + tokenDir + "/ca.crt\n"
		if string(out) != want {
			t.Errorf("with %s the janitor runs\n%s\nwant\n%s", k.env, out, want)
		}
	}
}

// busyboxDelete sends DELETE /api/v1/namespaces/x to srv with busybox nc
// and ssl_client, and returns their output.
func busyboxDelete(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	host, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "https://"), ":")
	script := `/bin/busybox nc -w 5 "$1" "$2" -e /bin/busybox sh -c 'exec 3<&0; printf "DELETE /api/v1/namespaces/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n" | /bin/busybox ssl_client -s 3 -n kubernetes >&2' 2>&1`
	out, _ := exec.Command("/bin/busybox", "sh", "-c", script, "sh", host, port).CombinedOutput()
	return strings.TrimSpace(string(out))
}

// TestBusyboxCannotDeleteOverTLSFromGoServers pins why the janitor does
// not run busybox: its nc and ssl_client do send a DELETE over TLS (shown
// with GODEBUG tlssha1=1, Go's behaviour before 1.25), but TLS 1.2 without
// the signature_algorithms extension, which a Go server (as
// kube-apiserver) built for Go 1.25 or later refuses by default. If the
// default case starts passing, busybox could be the janitor's client.
func TestBusyboxCannotDeleteOverTLSFromGoServers(t *testing.T) {
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs Debian's busybox-static at /bin/busybox (the suite image's shell)")
	}
	var deletes atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			deletes.Add(1)
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()

	out := busyboxDelete(t, srv)
	if deletes.Load() != 0 || strings.Contains(out, "HTTP/1.1 200") {
		t.Fatalf("busybox reached a Go TLS server (%s): the janitor could use busybox nc and ssl_client now", out)
	}
	if !strings.Contains(out, "handshake failure") {
		t.Errorf("busybox failed otherwise than by the handshake: %s", out)
	}
	t.Logf("default: %s", out)

	t.Setenv("GODEBUG", "tlssha1=1")
	out = busyboxDelete(t, srv)
	if deletes.Load() != 1 || !strings.Contains(out, "HTTP/1.1 200") {
		t.Errorf("with tlssha1=1 busybox did not delete (%d requests): %s", deletes.Load(), out)
	}
	t.Logf("tlssha1=1: %s", strings.SplitN(out, "\n", 2)[0])
}

func TestSubmitJanitor(t *testing.T) {
	r := testRun().Defaulted()
	cs := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: r.Namespace, UID: "ns-uid"}})
	if err := SubmitJanitor(context.Background(), cs, r); err != nil {
		t.Fatal(err)
	}
	role, err := cs.RbacV1().ClusterRoles().Get(context.Background(), r.janitorRoleName(), metav1.GetOptions{})
	if err != nil || len(role.OwnerReferences) != 1 || role.OwnerReferences[0].UID != "ns-uid" {
		t.Errorf("janitor ClusterRole %+v, %v: want owned by the namespace's uid", role, err)
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Get(context.Background(), r.janitorRoleName(), metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(r.Namespace).Get(context.Background(), janitorName, metav1.GetOptions{}); err != nil {
		t.Error(err)
	}
	pod, err := cs.CoreV1().Pods(r.Namespace).Get(context.Background(), janitorName, metav1.GetOptions{})
	if err != nil || !pod.Spec.HostNetwork || pod.Labels[LabelSync] != "" {
		t.Errorf("janitor pod %v: want it on the host network without the sync label", err)
	}
	r.Created = time.Time{}
	if err := SubmitJanitor(context.Background(), fake.NewClientset(), r); err == nil || !strings.Contains(err.Error(), "no creation time") {
		t.Errorf("SubmitJanitor without Created = %v", err)
	}
}
