package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/node-e2e/harness/internal/proc"
	"github.com/node-e2e/harness/runner/remote/internal/gce"
	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
	"github.com/node-e2e/harness/runner/remote/internal/sshcmd"
)

// sshRetryInterval is how long awaitSSH waits between attempts.
const sshRetryInterval = 5 * time.Second

// runImage creates a VM from s, runs the suite on it like on any SSH
// host, and deletes it. The VM is written to the ledger before it is
// created, and deleted even if the run is interrupted (then, or when it
// failed to boot, after saving its serial console). If the name is taken
// by a VM that exists already, the image fails and that VM is left alone.
func (r *runner) runImage(ctx, salvage context.Context, s gce.Spec) (res hostrun.Result) {
	start := time.Now()
	name := gce.InstanceName(r.p.prefix, s.ShortName)
	res = hostrun.Result{Host: name, ArtifactsDir: filepath.Join(r.p.resultsDir, name)}
	defer func() { res.Duration = time.Since(start) }()
	if len(s.KernelArguments) > 0 {
		r.progress.Step(name, "create", "warning", 0, "kernel_arguments are not supported and are ignored")
	}

	createStart := time.Now()
	image, err := r.compute.ResolveImage(ctx, s)
	if err == nil {
		err = r.ledger.Requested(name, s.Project+"/"+image)
	}
	if err != nil {
		r.progress.Step(name, "create", "FAILED", time.Since(createStart), err.Error())
		res.Fail("create: " + err.Error())
		return res
	}
	err = r.compute.Create(ctx, r.p.gce.InstanceResource(name, image, r.withSSHKey(s)))
	var taken *gce.NameTakenError
	if errors.As(err, &taken) {
		// Someone else's VM: not this run's to read, use or delete.
		if lerr := r.ledger.LeftAlone(name, err.Error()); lerr != nil {
			res.Notes = append(res.Notes, lerr.Error())
		}
		r.progress.Step(name, "create", "FAILED", time.Since(createStart), err.Error())
		res.Fail("create: " + err.Error())
		return res
	}
	// From here on the VM may exist, and if so it is this run's.
	defer func() { r.finishVM(salvage, name, &res) }()
	if err != nil {
		r.progress.Step(name, "create", "FAILED", time.Since(createStart), err.Error())
		res.Fail("create: " + err.Error())
		return res
	}
	r.progress.Step(name, "create", "ok", time.Since(createStart), fmt.Sprintf("%s/%s (%s)", s.Project, image, s.Description))

	bootStart := time.Now()
	bootCtx, cancel := context.WithTimeout(ctx, r.p.bootTO)
	defer cancel()
	ip, err := r.compute.AwaitRunning(bootCtx, name)
	client := r.p.host.SSH
	client.KnownHostsFile = filepath.Join(r.p.resultsDir, "known_hosts")
	target := sshcmd.Target{Name: name, Address: ip}
	if err == nil {
		err = awaitSSH(bootCtx, client, target)
	}
	if err != nil {
		r.progress.Step(name, "boot", "FAILED", time.Since(bootStart), err.Error())
		res.Fail("boot: " + err.Error())
		return res
	}
	r.progress.Step(name, "boot", "ok", time.Since(bootStart), "ssh answers at "+ip)

	c := r.p.host
	c.SSH = client
	return hostrun.Run(ctx, salvage, c, target, r.progress)
}

// withSSHKey adds the --ssh-key's public key to the VM's ssh-keys
// metadata, unless the image config sets ssh-keys itself.
func (r *runner) withSSHKey(s gce.Spec) gce.Spec {
	if r.p.sshPubKey == "" || r.p.sshKeysUser == "" || s.Metadata["ssh-keys"] != "" {
		return s
	}
	md := maps.Clone(s.Metadata)
	if md == nil {
		md = map[string]string{}
	}
	md["ssh-keys"] = r.p.sshKeysUser + ":" + r.p.sshPubKey
	s.Metadata = md
	return s
}

// finishVM saves the VM's serial console (unless salvage is cancelled: a
// second interrupt gives collection up) and, unless told to keep it,
// deletes it, if its label says it is this run's (gce.Compute.Delete). Deletion runs whatever happened before, interrupts included:
// it is bounded by --gce-timeout, not by the run's contexts.
func (r *runner) finishVM(salvage context.Context, name string, res *hostrun.Result) {
	ctx := context.Background()
	if out, err := r.compute.SerialOutput(salvage, name); err == nil {
		err := os.MkdirAll(res.ArtifactsDir, 0o755)
		if err == nil {
			err = os.WriteFile(filepath.Join(res.ArtifactsDir, "serial-1.log"), []byte(out), 0o644)
		}
		if err != nil {
			res.Notes = append(res.Notes, "serial console not saved: "+err.Error())
		}
	}
	if !r.p.deleteVMs {
		r.progress.Step(name, "delete", "skipped", 0, "--delete-instances=false: VM kept")
		return
	}
	start := time.Now()
	err := r.compute.Delete(ctx, name)
	var notOurs *gce.NotOursError
	if errors.As(err, &notOurs) {
		r.progress.Step(name, "delete", "skipped", time.Since(start), err.Error())
		res.Notes = append(res.Notes, err.Error())
		if lerr := r.ledger.LeftAlone(name, err.Error()); lerr != nil {
			res.Notes = append(res.Notes, lerr.Error())
		}
		return
	}
	if err == nil {
		err = r.ledger.Deleted(name)
	}
	if err != nil {
		r.progress.Step(name, "delete", "FAILED", time.Since(start), err.Error())
		res.Notes = append(res.Notes, "VM not deleted: "+err.Error())
		return
	}
	r.progress.Step(name, "delete", "ok", time.Since(start), "")
}

// awaitSSH tries `ssh target true` until it succeeds or ctx ends.
func awaitSSH(ctx context.Context, c sshcmd.Client, t sshcmd.Target) error {
	timeout := c.ConnectTimeout
	if timeout <= 0 {
		timeout = sshcmd.DefaultConnectTimeout
	}
	err := proc.Await(ctx, sshRetryInterval, func() (bool, error) {
		err := sshcmd.Run(ctx, sshcmd.Step{Name: "ssh", Path: c.BinaryPath(), Args: c.Args(t, "true"), Timeout: timeout + 10*time.Second})
		return err == nil, proc.NotYet(err)
	})
	if err != nil {
		return fmt.Errorf("ssh to %s did not answer: %w", t, err)
	}
	return nil
}
