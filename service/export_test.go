package service

// Unexported helpers the external tests check directly.
var (
	MaskPhoneNumbers = maskPhoneNumbers
	ProtoFieldPath   = protoFieldPath
	RawID            = rawID
)
