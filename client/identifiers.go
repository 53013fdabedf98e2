package client

import callgatev1 "github.com/callgate/callgate/gen/callgate/v1"

// Phone is the identifier of a phone number in E.164 form ("+16471234567").
func Phone(e164 string) *callgatev1.CommunicationIdentifier {
	return &callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_PhoneNumber{
		PhoneNumber: &callgatev1.PhoneNumber{Value: e164}}}
}

// User is the identifier of an ACS user ("8:acs:<resource>_<user>").
func User(id string) *callgatev1.CommunicationIdentifier {
	return &callgatev1.CommunicationIdentifier{Kind: &callgatev1.CommunicationIdentifier_CommunicationUser{
		CommunicationUser: &callgatev1.CommunicationUser{Id: id}}}
}

// RawID is an identifier given by its raw ID alone ("4:+16471234567", "8:acs:...",
// "8:orgid:..."): the gateway parses it into its kind.
func RawID(raw string) *callgatev1.CommunicationIdentifier {
	return &callgatev1.CommunicationIdentifier{RawId: raw}
}
