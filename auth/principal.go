package auth

import (
	"context"
	"slices"
	"strings"
)

// Permissions of callgate.v1's RPCs, as the `callgate.v1.access` option names them.
const (
	PermCallsCreate  = "calls.create"
	PermCallsAnswer  = "calls.answer"
	PermCallsControl = "calls.control"
	PermCallsRead    = "calls.read"
)

// Permissions lists every permission an RPC may declare.
func Permissions() []string {
	return []string{PermCallsCreate, PermCallsAnswer, PermCallsControl, PermCallsRead}
}

func isPermission(p string) bool { return slices.Contains(Permissions(), p) }

// Principal is an authenticated caller.
type Principal struct {
	// Name identifies the caller: a token's principal claim, a key's name, a certificate's SAN.
	Name string
	// Via says how it was authenticated: "jwt", "api-key" or "mtls".
	Via string
	// perms holds the permissions the caller has.
	perms []string
}

// Has reports whether the principal has the permission.
func (p *Principal) Has(perm string) bool { return p != nil && slices.Contains(p.perms, perm) }

// PermissionList is the principal's permissions, for logs.
func (p *Principal) PermissionList() string { return strings.Join(p.perms, ",") }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom is the principal ctx carries, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// addPermissions adds perms that are known permissions, once each.
func (p *Principal) addPermissions(perms ...string) {
	for _, perm := range perms {
		if isPermission(perm) && !slices.Contains(p.perms, perm) {
			p.perms = append(p.perms, perm)
		}
	}
}
