package acs

import (
	"context"
	"time"
)

// SetSleep replaces the wait between attempts so tests can see the waits the
// client asks for without spending them.
func SetSleep(c *Client, sleep func(ctx context.Context, d time.Duration) error) { c.sleep = sleep }
