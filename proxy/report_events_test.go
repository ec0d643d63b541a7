package proxy

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
)

func TestEventReporterCreatesWarningEvent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := fake.NewClientset()
	r := NewEventReporter(ctx, client)
	svc := makeService("clash", "10.96.0.1")
	r.Report(svc, ReasonNodePortConflict, errors.New("nodePort 30080/TCP is used by the older Service default/old"))

	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		list, err := client.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
		if err != nil || len(list.Items) == 0 {
			return false, err
		}
		ev := list.Items[0]
		obj := ev.InvolvedObject
		if ev.Type != "Warning" || ev.Reason != ReasonNodePortConflict || obj.Kind != "Service" || obj.Namespace != "default" || obj.Name != "clash" {
			return false, fmt.Errorf("event %+v", ev)
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("no NodePortConflict Event on default/clash: %v", err)
	}
}
