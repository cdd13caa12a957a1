package controlplane

import (
	"slices"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(unschedulable bool, conds ...v1.NodeCondition) *v1.Node {
	return &v1.Node{Spec: v1.NodeSpec{Unschedulable: unschedulable}, Status: v1.NodeStatus{Conditions: conds}}
}

func cond(t v1.NodeConditionType, s v1.ConditionStatus) v1.NodeCondition {
	return v1.NodeCondition{Type: t, Status: s}
}

func keys(ts []v1.Taint) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Key+":"+string(t.Effect))
	}
	return out
}

func TestDesiredConditionTaints(t *testing.T) {
	healthy := []v1.NodeCondition{
		cond(v1.NodeReady, v1.ConditionTrue), cond(v1.NodeMemoryPressure, v1.ConditionFalse),
		cond(v1.NodeDiskPressure, v1.ConditionFalse), cond(v1.NodePIDPressure, v1.ConditionFalse),
	}
	for _, tc := range []struct {
		name string
		node *v1.Node
		want []string
	}{
		{"healthy and Ready: no taint", node(false, healthy...), nil},
		{"no Ready condition yet: not ready", node(false), []string{"node.kubernetes.io/not-ready:NoSchedule"}},
		{"Ready False", node(false, cond(v1.NodeReady, v1.ConditionFalse)), []string{"node.kubernetes.io/not-ready:NoSchedule"}},
		{"Ready Unknown", node(false, cond(v1.NodeReady, v1.ConditionUnknown)), []string{"node.kubernetes.io/unreachable:NoSchedule"}},
		{"pressures", node(false, cond(v1.NodeReady, v1.ConditionTrue), cond(v1.NodeMemoryPressure, v1.ConditionTrue),
			cond(v1.NodeDiskPressure, v1.ConditionTrue), cond(v1.NodePIDPressure, v1.ConditionTrue), cond(v1.NodeNetworkUnavailable, v1.ConditionTrue)),
			[]string{"node.kubernetes.io/disk-pressure:NoSchedule", "node.kubernetes.io/memory-pressure:NoSchedule",
				"node.kubernetes.io/network-unavailable:NoSchedule", "node.kubernetes.io/pid-pressure:NoSchedule"}},
		{"cordoned", node(true, healthy...), []string{"node.kubernetes.io/unschedulable:NoSchedule"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := keys(DesiredConditionTaints(tc.node)); !slices.Equal(got, tc.want) {
				t.Errorf("DesiredConditionTaints = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReconcileTaints(t *testing.T) {
	added := &metav1.Time{Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	notReady := v1.Taint{Key: v1.TaintNodeNotReady, Effect: v1.TaintEffectNoSchedule}
	notReadyExec := v1.Taint{Key: v1.TaintNodeNotReady, Effect: v1.TaintEffectNoExecute}
	user := v1.Taint{Key: "example.com/dedicated", Value: "gpu", Effect: v1.TaintEffectNoSchedule}
	for _, tc := range []struct {
		name             string
		current, desired []v1.Taint
		want             []string
		changed          bool
	}{
		{"registered then Ready: the admission's taint goes", []v1.Taint{notReady}, nil, nil, true},
		{"Ready again after not: it comes back", nil, []v1.Taint{notReady}, []string{"node.kubernetes.io/not-ready:NoSchedule"}, true},
		{"already right", []v1.Taint{notReady}, []v1.Taint{notReady}, []string{"node.kubernetes.io/not-ready:NoSchedule"}, false},
		{"nothing to do", nil, nil, nil, false},
		{"a user's taint stays", []v1.Taint{user, notReady}, nil, []string{"example.com/dedicated:NoSchedule"}, true},
		{"a NoExecute taint is not ours", []v1.Taint{notReadyExec}, nil, []string{"node.kubernetes.io/not-ready:NoExecute"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := ReconcileTaints(tc.current, tc.desired)
			if !slices.Equal(keys(got), tc.want) || changed != tc.changed {
				t.Errorf("ReconcileTaints = %q, %t; want %q, %t", keys(got), changed, tc.want, tc.changed)
			}
		})
	}
	// A taint kept keeps its time; an added one gets one.
	kept := notReady
	kept.TimeAdded = added
	got, _ := ReconcileTaints([]v1.Taint{kept}, []v1.Taint{notReady})
	if !got[0].TimeAdded.Equal(added) {
		t.Errorf("kept taint's time changed to %v", got[0].TimeAdded)
	}
	got, _ = ReconcileTaints(nil, []v1.Taint{notReady})
	if got[0].TimeAdded == nil {
		t.Error("an added taint has no time")
	}
}
