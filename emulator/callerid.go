package emulator

// checkCallerID checks a sourceCallerIdNumber (create call, add participant,
// transfer): an E.164 number (400 otherwise) that the resource owns (403
// otherwise). ACS only lets a resource present its own numbers, unless it
// uses direct routing, which the emulator does not simulate; with no
// Config.PhoneNumbers the resource owns none, as a new ACS resource does.
func (e *Emulator) checkCallerID(v *violations, p *phoneNumberModel) *apiError {
	if p == nil {
		return nil
	}
	const target = "sourceCallerIdNumber.value"
	if !validPhoneNumber(p.Value) {
		v.add(target, "The field SourceCallerIdNumber is not an E.164 phone number.")
		return nil
	}
	if e.ownedPhones[p.Value] {
		return nil
	}
	return errForbidden(target, "Insufficient Application Permissions: the caller ID %s is not a phone number of this Communication Services resource.", p.Value)
}
