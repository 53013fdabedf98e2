// Package openapi embeds the OpenAPI (Swagger 2.0) document that protoc-gen-openapiv2 generates
// beside this file from proto/callgate/v1. This file is the only hand-written one under gen/:
// `buf generate` rewrites callgate.swagger.json and leaves it alone.
package openapi

import _ "embed"

// JSON is the OpenAPI document of the callgate.v1 REST API.
//
//go:embed callgate.swagger.json
var JSON []byte
