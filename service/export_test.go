package service

import (
	"errors"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

// RawID is the raw ID the validator makes of an identifier of a request, for the external tests.
func RawID(id *callgatev1.CommunicationIdentifier) (string, error) {
	var v validator
	out := v.identifier(at(""), id, existing)
	if len(v.violations) > 0 {
		return "", errors.New(v.violations[0].GetDescription())
	}
	return out.Raw(), nil
}
