package emulator

// checkCallerID checks a sourceCallerIdNumber (create call, add participant,
// transfer): an E.164 number.
func (e *Emulator) checkCallerID(v *violations, p *phoneNumberModel) *apiError {
	if p != nil && !validPhoneNumber(p.Value) {
		v.add("sourceCallerIdNumber.value", "The field SourceCallerIdNumber is not an E.164 phone number.")
	}
	return nil
}
