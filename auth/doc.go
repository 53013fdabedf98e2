// Package auth decides who calls the gateway and what they may do. A caller is a principal,
// authenticated by a bearer token (a JWT from an OIDC issuer such as Microsoft Entra ID, or a
// Kubernetes service-account token), a static API key, or a client certificate (mTLS); its
// permissions come from the token's claims or the key file. Each RPC of callgate.v1 declares the
// permission it needs (the `callgate.v1.access` method option), so there is one table, in the
// contract, and an RPC that declares none is refused.
//
// It is a folder of its own because authentication is a concern of its own: the gateway's
// interceptor asks it, and nothing else in callgate needs to know how a principal was proven.
package auth
