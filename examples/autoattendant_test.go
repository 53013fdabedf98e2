package examples_test

import (
	"context"
	"net/http"
	"regexp"
	"testing"
	"time"
)

// Two calls ring; the agent answers the first, is busy for the second, whose caller goes to the
// overflow line; the program stops after both ended.
func TestAutoAttendantAgainstCallgateDev(t *testing.T) {
	grpcAddr, emulatorURL := startDev(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var info struct {
		ResourceID string `json:"resourceId"`
	}
	control(t, ctx, emulatorURL, http.MethodGet, "/info", nil, &info)
	agent := "8:acs:" + info.ResourceID + "_agent-1"
	const caller, overflow = "4:+14255550100", "4:+16475550199"

	p := run(t, ctx, "autoattendant", "-target", grpcAddr, "-insecure", "-agent", agent, "-overflow", overflow, "-calls", "2")
	p.expect(`^ready: `)
	// The agent answers: caller and agent talk, then both hang up.
	ring(t, ctx, emulatorURL, caller)
	first := p.expect(`^call (\S+) from ` + regexp.QuoteMeta(caller) + `: answered$`)[1]
	p.expect(`^call ` + first + `: agent ` + regexp.QuoteMeta(agent) + ` joined$`)
	for _, who := range []string{caller, agent} {
		control(t, ctx, emulatorURL, http.MethodPost, "/calls/"+first+"/participants/"+who+"/hangUp", nil, nil)
	}
	p.expect(`^call ` + first + `: ended \(200/5002\)$`)

	// The agent is busy: the caller is transferred to the overflow line.
	control(t, ctx, emulatorURL, http.MethodPut, "/endpoints/"+agent, map[string]string{"answer": "busy"}, nil)
	ring(t, ctx, emulatorURL, caller)
	second := p.expect(`^call (\S+) from ` + regexp.QuoteMeta(caller) + `: answered$`)[1]
	p.expect(`^call ` + second + `: agent \S+ did not answer \(486/8539\): transferring to ` + regexp.QuoteMeta(overflow) + `$`)
	p.expect(`^call ` + second + `: transferred to ` + regexp.QuoteMeta(overflow) + `$`)
	p.expect(`^call ` + second + `: ended \(200/7015\)$`)
	p.wait()
}
