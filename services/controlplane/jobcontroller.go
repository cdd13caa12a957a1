package controlplane

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/controller/job"
)

// jobWorkers is how many Jobs the controller syncs at once: the harness's
// own node runs a handful (cluster-mode tests), not a fleet.
const jobWorkers = 2

// JobController runs kube-controller-manager's Job controller
// (k8s.io/kubernetes/pkg/controller/job) against the harness's API server,
// so that batch/v1 Jobs create their pods and reach Complete or Failed with
// nothing else installed. No scheduler runs: a Job's pod template must set
// spec.nodeName. It is off unless asked for (--run-job-controller).
type JobController struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start runs the controller against the API server reached through cfg
// and returns once its informers are started; the controller waits for
// their caches itself.
func (j *JobController) Start(ctx context.Context, cfg *rest.Config) error {
	cfg = rest.AddUserAgent(rest.CopyConfig(cfg), "job-controller")
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("job controller: client: %w", err)
	}
	return j.start(ctx, client)
}

// start runs the controller with client (a fake one in tests).
func (j *JobController) start(ctx context.Context, client kubernetes.Interface) error {
	if j.cancel != nil {
		return errors.New("job controller: already started")
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ctx = klog.NewContext(ctx, klog.FromContext(ctx).WithName("job-controller"))
	factory := informers.NewSharedInformerFactory(client, 0)
	// The WorkloadWithJob gate is off by default; the controller takes the
	// scheduling informers only when it is on.
	ctrl, err := job.NewController(ctx, client, factory.Core().V1().Pods(), factory.Batch().V1().Jobs(),
		factory.Scheduling().V1beta1().Workloads(), factory.Scheduling().V1beta1().PodGroups())
	if err != nil {
		cancel()
		return fmt.Errorf("job controller: %w", err)
	}
	j.cancel = cancel
	factory.Start(ctx.Done())
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		ctrl.Run(ctx, jobWorkers)
		factory.Shutdown()
	}()
	return nil
}

// Stop stops the controller and its informers and waits for them. It is
// safe to call more than once and without Start.
func (j *JobController) Stop() error {
	if j.cancel == nil {
		return nil
	}
	j.cancel()
	j.wg.Wait()
	j.cancel = nil
	return nil
}
