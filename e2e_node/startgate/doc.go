// Package startgate is e2e_node.test's --await-start mode: the start
// barrier of runner/remote's cluster mode, seen from inside a suite pod.
//
// The pod watches its own object through the API server, then marks
// itself waiting (AnnotationWaiting); the runner releases every member at
// once by setting AnnotationStart on each, and each pod sees the change
// on its open watch, tens of milliseconds later, instead of waiting for
// the kubelet to rewrite a downward API file on its pod worker's next
// sync (70 ms to 14 s measured). The keys live here, the one home both
// sides import.
package startgate
