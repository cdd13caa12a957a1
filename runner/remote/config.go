package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	runid "github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/internal/shell"
	"github.com/node-e2e/harness/runner/internal/suite"
	"github.com/node-e2e/harness/runner/remote/internal/archive"
	"github.com/node-e2e/harness/runner/remote/internal/gce"
	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
	"github.com/node-e2e/harness/runner/remote/internal/sshcmd"
)

// config is the run command's flags, in the form the user typed them.
// validate turns it into the plan the run follows.
type config struct {
	// Hosts are SSH targets, name=address[:port],... Default none.
	Hosts string
	// Images are GCE image names in ImageProject, comma-separated.
	Images, ImageProject string
	// ImageConfigFile is upstream's image config YAML; ImageConfigDir
	// resolves it and its metadata files. Default none.
	ImageConfigFile, ImageConfigDir string
	// Project, Zone, GCEEndpoint: where instances are created.
	Project, Zone, GCEEndpoint string
	// InstanceType is the default machine type. Default e2-standard-2.
	InstanceType string
	// InstanceNamePrefix starts instance names. Default node-e2e-<6 hex>.
	InstanceNamePrefix string
	// InstanceMetadata is extra metadata for every instance.
	InstanceMetadata string
	// Network, Subnet and Preemptible configure instances.
	Network, Subnet string
	Preemptible     bool
	// DeleteInstances deletes instances at the end. Default true.
	DeleteInstances bool
	// RunID labels the run's instances. Default <UTC time>-<6 hex>.
	RunID string
	// ResultsDir receives <host>/ artifact directories and the instance
	// ledger. Default $ARTIFACTS, else /tmp/_artifacts/<run id>.
	ResultsDir string
	// BinDir, InstallDepsScript, KubeletConfigFile: archive contents.
	BinDir, InstallDepsScript, KubeletConfigFile string
	// Archive is where the archive is written. Default: a temporary file
	// removed at the end; with BuildOnly, _output/node-e2e.tar.gz.
	Archive string
	// BuildOnly writes the archive and stops.
	BuildOnly bool
	// Suite selects the specs, as for runner/local (runner/internal/suite).
	Suite suite.Config
	// InstallDeps runs install-deps.sh on each host. Default false.
	InstallDeps bool
	// Cleanup removes each host's workspace. Default true.
	Cleanup bool
	// SSHUser, SSHKey, SSHOptions: how to invoke ssh.
	SSHUser, SSHKey, SSHOptions string
	// MaxResultsMB, MaxResultFileMB and MaxResultsFiles bound what is
	// fetched from each host (hostrun.Limits): 2048 MiB in all, 1024 MiB
	// per file, 20,000 entries by default.
	MaxResultsMB, MaxResultFileMB int64
	MaxResultsFiles               int
	// Timeouts.
	ConnectTimeout, CommandTimeout, CopyTimeout, InstallTimeout, TestTimeout, CollectTimeout, BootTimeout, GCETimeout time.Duration
}

func newConfig() config {
	h := hostrun.NewConfig()
	a := archive.NewConfig()
	g := gce.NewConfig()
	return config{
		InstanceType:      g.MachineType,
		Network:           g.Network,
		DeleteInstances:   true,
		BinDir:            a.BinDir,
		InstallDepsScript: a.InstallDepsScript,
		Suite:             suite.NewConfig(),
		Cleanup:           h.Cleanup,
		MaxResultsMB:      h.Limits.Bytes >> 20,
		MaxResultFileMB:   h.Limits.FileBytes >> 20,
		MaxResultsFiles:   h.Limits.Entries,
		ConnectTimeout:    sshcmd.DefaultConnectTimeout,
		CommandTimeout:    h.Timeouts.Command,
		CopyTimeout:       h.Timeouts.Copy,
		InstallTimeout:    h.Timeouts.Install,
		TestTimeout:       h.Timeouts.Test,
		CollectTimeout:    h.Timeouts.Collect,
		BootTimeout:       10 * time.Minute,
		GCETimeout:        g.Timeout,
	}
}

func (c *config) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Hosts, "hosts", c.Hosts, "SSH hosts to run on: name=address[:port],... (address may be user@host, an IP, [IPv6] or a ~/.ssh/config alias)")
	fs.StringVar(&c.Images, "images", c.Images, "GCE images to create one VM each from, comma-separated (with --image-project)")
	fs.StringVar(&c.ImageProject, "image-project", c.ImageProject, "GCE project of --images")
	fs.StringVar(&c.ImageConfigFile, "image-config-file", c.ImageConfigFile, "upstream-style image config YAML (images: name: {image|image_family|image_regex, project, machine, metadata, resources})")
	fs.StringVar(&c.ImageConfigDir, "image-config-dir", c.ImageConfigDir, "directory for --image-config-file and its relative metadata files")
	fs.StringVar(&c.Project, "project", c.Project, "GCE project to create VMs in")
	fs.StringVar(&c.Zone, "zone", c.Zone, "GCE zone to create VMs in")
	fs.StringVar(&c.GCEEndpoint, "gce-endpoint", c.GCEEndpoint, "Compute API endpoint, e.g. http://127.0.0.1:8080/compute/v1/ (no authentication); default Google's, with Application Default Credentials")
	fs.StringVar(&c.InstanceType, "instance-type", c.InstanceType, "GCE machine type when the image config names none")
	fs.StringVar(&c.InstanceNamePrefix, "instance-name-prefix", c.InstanceNamePrefix, "start of VM names (default node-e2e-<6 hex of the run id>)")
	fs.StringVar(&c.InstanceMetadata, "instance-metadata", c.InstanceMetadata, "extra VM metadata: key=value or key<file, comma-separated")
	fs.StringVar(&c.Network, "network", c.Network, "GCE network of the VMs")
	fs.StringVar(&c.Subnet, "subnet", c.Subnet, "GCE subnet of the VMs")
	fs.BoolVar(&c.Preemptible, "preemptible-instances", c.Preemptible, "create preemptible VMs")
	fs.BoolVar(&c.DeleteInstances, "delete-instances", c.DeleteInstances, "delete the VMs at the end")
	fs.StringVar(&c.RunID, "run-id", c.RunID, "the run's id, the value of the VMs' "+gce.LabelKey+" label (default <UTC time>-<6 hex>)")
	fs.StringVar(&c.ResultsDir, "results-dir", c.ResultsDir, "where each host's artifacts go, in <results-dir>/<host>/ (default $ARTIFACTS, else /tmp/_artifacts/<run id>)")
	fs.StringVar(&c.BinDir, "bin-dir", c.BinDir, "directory with e2e_node.test, kubelet, ginkgo, pause and testimage")
	fs.StringVar(&c.InstallDepsScript, "install-deps-script", c.InstallDepsScript, "install-deps.sh to ship in the archive")
	fs.StringVar(&c.KubeletConfigFile, "kubelet-config-file", c.KubeletConfigFile, "KubeletConfiguration to ship and pass to e2e_node.test")
	fs.StringVar(&c.Archive, "archive", c.Archive, "where to write the archive (default a temporary file, removed at the end; with --build-only _output/node-e2e.tar.gz)")
	fs.BoolVar(&c.BuildOnly, "build-only", c.BuildOnly, "write the archive, print its path and size, and stop")
	c.Suite.AddFlags(fs)
	fs.BoolVar(&c.InstallDeps, "install-deps", c.InstallDeps, "run install-deps.sh on each host first (apt-get; needs root or passwordless sudo)")
	fs.BoolVar(&c.Cleanup, "cleanup", c.Cleanup, "remove each host's workspace at the end")
	fs.StringVar(&c.SSHUser, "ssh-user", c.SSHUser, "SSH user (default: ssh's choice: ~/.ssh/config, then your user name)")
	fs.StringVar(&c.SSHKey, "ssh-key", c.SSHKey, "SSH private key (default: ssh's identities and agent); its .pub goes into new VMs' ssh-keys metadata")
	fs.StringVar(&c.SSHOptions, "ssh-options", c.SSHOptions, "extra ssh options (shell-style quoting), e.g. \"-o StrictHostKeyChecking=no -p 2222\"")
	fs.Int64Var(&c.MaxResultsMB, "max-results-mb", c.MaxResultsMB, "refuse a host's results larger than this many MiB in all")
	fs.Int64Var(&c.MaxResultFileMB, "max-result-file-mb", c.MaxResultFileMB, "refuse a host's results holding a file larger than this many MiB")
	fs.IntVar(&c.MaxResultsFiles, "max-results-files", c.MaxResultsFiles, "refuse a host's results holding more than this many files and directories")
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", c.ConnectTimeout, "ssh ConnectTimeout: TCP connect and SSH handshake")
	fs.DurationVar(&c.CommandTimeout, "command-timeout", c.CommandTimeout, "bound on each short remote step: workspace, unpack, stop, cleanup")
	fs.DurationVar(&c.CopyTimeout, "copy-timeout", c.CopyTimeout, "bound on copying the archive to a host")
	fs.DurationVar(&c.InstallTimeout, "install-timeout", c.InstallTimeout, "bound on install-deps.sh")
	fs.DurationVar(&c.TestTimeout, "test-timeout", c.TestTimeout, "bound on the suite step (the suite is interrupted on the host before it)")
	fs.DurationVar(&c.CollectTimeout, "collect-timeout", c.CollectTimeout, "bound on fetching a host's report directory")
	fs.DurationVar(&c.BootTimeout, "boot-timeout", c.BootTimeout, "bound on a new VM reaching RUNNING and answering SSH")
	fs.DurationVar(&c.GCETimeout, "gce-timeout", c.GCETimeout, "bound on each Compute API call and its operation")
}

// plan is a validated run.
type plan struct {
	runID      string
	resultsDir string
	archive    archive.Config
	keepArch   bool // the user chose the archive path
	buildOnly  bool
	host       hostrun.Config
	targets    []sshcmd.Target
	images     []gce.Spec
	gce        gce.Config
	prefix     string
	deleteVMs  bool
	bootTO     time.Duration
	// sshPubKey and sshKeysUser make new VMs' ssh-keys metadata.
	sshPubKey, sshKeysUser string
}

// validate checks c and turns it into a plan; testArgs are the
// e2e_node.test flags given after "--". It reads files (the image config,
// metadata files, the SSH public key) but changes nothing.
func (c config) validate(testArgs []string, getenv func(string) string) (plan, error) {
	var errs []error
	bad := func(flagName string, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", flagName, fmt.Sprintf(format, args...)))
	}
	p := plan{runID: c.RunID, buildOnly: c.BuildOnly, deleteVMs: c.DeleteInstances, bootTO: c.BootTimeout}
	if p.runID == "" {
		p.runID = runid.NewID(time.Now())
	} else if !gce.ValidRunID(p.runID) {
		bad("run-id", "%q: want 1 to 63 lowercase letters, digits, '_' or '-'", p.runID)
	}
	p.resultsDir = c.ResultsDir
	if p.resultsDir == "" {
		p.resultsDir = getenv("ARTIFACTS")
	}
	if p.resultsDir == "" {
		p.resultsDir = filepath.Join("/tmp/_artifacts", p.runID)
	}

	p.archive = archive.Config{BinDir: c.BinDir, InstallDepsScript: c.InstallDepsScript, KubeletConfigFile: c.KubeletConfigFile, Path: c.Archive}
	p.keepArch = c.Archive != ""
	if p.archive.Path == "" && c.BuildOnly {
		p.archive.Path, p.keepArch = filepath.Join("_output", archive.FileName), true
	}
	var missing []string
	for _, e := range p.archive.Entries() {
		flagName := ""
		switch e.Name {
		case archive.RunScript:
			continue
		case archive.InstallDeps:
			flagName = "install-deps-script"
		case archive.KubeletConfig:
			flagName = "kubelet-config-file"
		}
		fi, err := os.Stat(e.Source)
		switch {
		case err != nil && flagName == "":
			missing = append(missing, e.Name)
		case err != nil:
			bad(flagName, "%v", err)
		case !fi.Mode().IsRegular():
			bad(cmp.Or(flagName, "bin-dir"), "%s is not a regular file", e.Source)
		}
	}
	if len(missing) > 0 {
		bad("bin-dir", "%s lacks %s (build the binaries with make build)", c.BinDir, strings.Join(missing, ", "))
	}

	h := hostrun.NewConfig()
	h.ResultsDir = p.resultsDir
	h.KubeletConfig = c.KubeletConfigFile != ""
	h.InstallDeps, h.Cleanup = c.InstallDeps, c.Cleanup
	h.Timeouts = hostrun.Timeouts{Command: c.CommandTimeout, Copy: c.CopyTimeout, Install: c.InstallTimeout, Test: c.TestTimeout, Collect: c.CollectTimeout}
	var err error
	if h.Suite, err = c.Suite.Selection(testArgs); err != nil {
		errs = append(errs, err)
	}
	if g, _, _ := hostrun.SuiteDeadlines(c.TestTimeout); c.Suite.Timeout > g && c.TestTimeout >= hostrun.MinTestTimeout {
		bad("timeout", "%s: want at most %s, what --test-timeout=%s leaves the specs (raise --test-timeout)", c.Suite.Timeout, g, c.TestTimeout)
	}
	h.Limits = hostrun.Limits{Bytes: c.MaxResultsMB << 20, FileBytes: c.MaxResultFileMB << 20, Entries: c.MaxResultsFiles}
	for _, l := range []struct {
		name string
		v    int64
	}{{"max-results-mb", c.MaxResultsMB}, {"max-result-file-mb", c.MaxResultFileMB}, {"max-results-files", int64(c.MaxResultsFiles)}} {
		if l.v < 1 || l.v > 1<<40 {
			bad(l.name, "%d: want 1 to %d", l.v, int64(1)<<40)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"connect-timeout", c.ConnectTimeout}, {"command-timeout", c.CommandTimeout}, {"copy-timeout", c.CopyTimeout},
		{"install-timeout", c.InstallTimeout}, {"collect-timeout", c.CollectTimeout}, {"boot-timeout", c.BootTimeout},
		{"gce-timeout", c.GCETimeout},
	} {
		if d.v <= 0 {
			bad(d.name, "%s: want more than 0", d.v)
		}
	}
	if c.TestTimeout < hostrun.MinTestTimeout {
		bad("test-timeout", "%s: want at least %s", c.TestTimeout, hostrun.MinTestTimeout)
	}

	opts, err := shell.Split(c.SSHOptions)
	if err != nil {
		bad("ssh-options", "%v", err)
	}
	h.SSH = sshcmd.Client{User: c.SSHUser, Key: c.SSHKey, Options: opts, ConnectTimeout: c.ConnectTimeout}
	if c.SSHKey != "" {
		if _, err := os.Stat(c.SSHKey); err != nil {
			bad("ssh-key", "%v", err)
		} else if pub, err := os.ReadFile(c.SSHKey + ".pub"); err == nil {
			p.sshPubKey, p.sshKeysUser = strings.TrimSpace(string(pub)), c.SSHUser
			if p.sshKeysUser == "" {
				if u, err := user.Current(); err == nil {
					p.sshKeysUser = u.Username
				}
			}
		}
	}

	if p.targets, err = hostrun.ParseTargets(c.Hosts); err != nil {
		bad("hosts", "%v", err)
	}
	p.images, p.gce, p.prefix = c.gcePlan(p.runID, bad)
	if len(p.targets) == 0 && len(p.images) == 0 && !c.BuildOnly && len(errs) == 0 {
		errs = append(errs, errors.New("nothing to run on: give --hosts, --images or --image-config-file (or --build-only)"))
	}
	seen := map[string]bool{}
	for _, t := range p.targets {
		seen[t.Name] = true
	}
	for _, s := range p.images {
		if n := gce.InstanceName(p.prefix, s.ShortName); seen[n] {
			bad("images", "VM name %s is also a host name or another image's VM name", n)
		} else {
			seen[n] = true
		}
	}
	p.host = h
	if len(errs) > 0 {
		return plan{}, errors.Join(errs...)
	}
	return p, nil
}

// gcePlan validates the GCE flags and reads the image config.
func (c config) gcePlan(runID string, bad func(string, string, ...any)) ([]gce.Spec, gce.Config, string) {
	g := gce.NewConfig()
	g.Project, g.Zone, g.Endpoint, g.RunID = c.Project, c.Zone, c.GCEEndpoint, runID
	g.MachineType, g.Network, g.Subnet, g.Preemptible, g.Timeout = c.InstanceType, c.Network, c.Subnet, c.Preemptible, c.GCETimeout
	prefix := c.InstanceNamePrefix
	if prefix == "" {
		prefix = "node-e2e-" + runID[max(0, len(runID)-6):]
		if !gce.ValidNamePrefix(prefix) {
			prefix = "node-e2e"
		}
	} else if !gce.ValidNamePrefix(prefix) {
		bad("instance-name-prefix", "%q: want a lowercase letter, then lowercase letters, digits or '-', not ending with '-', at most 40 characters", prefix)
	}
	if c.ImageConfigFile == "" && c.Images == "" {
		return nil, g, prefix
	}
	opts := gce.SpecOptions{Dir: c.ImageConfigDir, ExtraMetadata: c.InstanceMetadata}
	var specs []gce.Spec
	if c.ImageConfigFile != "" {
		path := c.ImageConfigFile
		if c.ImageConfigDir != "" && !filepath.IsAbs(path) {
			path = filepath.Join(c.ImageConfigDir, path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			bad("image-config-file", "%v", err)
		} else if ic, err := gce.ParseImageConfig(data); err != nil {
			bad("image-config-file", "%s: %v", path, err)
		} else if s, err := ic.Specs(opts); err != nil {
			bad("image-config-file", "%s: %v", path, err)
		} else {
			specs = append(specs, s...)
		}
	}
	if c.Images != "" {
		if c.ImageProject == "" {
			bad("image-project", "required with --images")
		}
		var names []string
		for _, n := range strings.Split(c.Images, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
		s, err := gce.ImageSpecs(names, c.ImageProject, opts)
		if err != nil {
			bad("instance-metadata", "%v", err)
		}
		specs = append(specs, s...)
	}
	if c.Project == "" {
		bad("project", "required to create VMs (--images, --image-config-file)")
	}
	if c.Zone == "" {
		bad("zone", "required to create VMs (--images, --image-config-file)")
	}
	return specs, g, prefix
}
