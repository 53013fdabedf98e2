package acs_test

import (
	"context"
	"testing"

	"github.com/callgate/callgate/acs"
)

// The recording id of the recording captures, as the SDK was given it (unescaped).
const wireRecordingID = "eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiI4YjlkYmFkMS0xOGFiLTRmODYtYWQ0Yy1jNzVmODA5ODA3NmUiLCJSZXNvdXJjZVNwZWNpZmljSWQiOiI4YjlkYmFkMS0xOGFiLTRmODYtYWQ0Yy1jNzVmODA5ODA3NmUifQ=="

// The inputs that made the transcription, media streaming and recording captures of sdk-wire/
// (its README lists the SDK calls).
func streamingWireCases() []wireCase {
	const conn = "conn-1"
	post := func(file string, f func(ctx context.Context, c *acs.Client) error) wireCase {
		return wireCase{file: file, status: 202, call: func(ctx context.Context, t *testing.T, c *acs.Client) error { return f(ctx, c) }}
	}
	started := `{"recordingId":"` + wireRecordingID + `","recordingState":"inactive","recordingKind":"azureCommunicationServices"}`
	start := func(file string, req acs.StartRecordingRequest) wireCase {
		return wireCase{file: file, status: 202, body: started, call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.StartRecording(ctx, &req)
			if err == nil && (got.RecordingID != wireRecordingID || got.RecordingState != "inactive" || got.RecordingKind != "azureCommunicationServices") {
				t.Errorf("decoded %+v", got)
			}
			return err
		}}
	}
	user := acs.CommunicationUser("8:acs:target")
	phone := acs.PhoneNumber("+16041234567")
	server := acs.ServerCallLocator("aHR0cHM6Ly9zZXJ2ZXItY2FsbC1pZA")
	group := acs.GroupCallLocator("11111111-2222-3333-4444-555555555555")
	rec := &acs.RecordingRequest{RecordingID: wireRecordingID}
	return []wireCase{
		post("startTranscription.json", func(ctx context.Context, c *acs.Client) error {
			return c.StartTranscription(ctx, &acs.StartTranscriptionRequest{CallConnectionID: conn, Locale: "en-US", SpeechModelEndpointID: "speech-model-endpoint-1",
				OperationContext: "tr-start-ctx", OperationCallbackURI: otherCB})
		}),
		post("startTranscription-default.json", func(ctx context.Context, c *acs.Client) error {
			return c.StartTranscription(ctx, &acs.StartTranscriptionRequest{CallConnectionID: conn})
		}),
		post("updateTranscription.json", func(ctx context.Context, c *acs.Client) error {
			return c.UpdateTranscription(ctx, &acs.UpdateTranscriptionRequest{CallConnectionID: conn, Locale: "en-GB", SpeechModelEndpointID: "speech-model-endpoint-2",
				OperationContext: "tr-update-ctx", OperationCallbackURI: otherCB})
		}),
		post("stopTranscription.json", func(ctx context.Context, c *acs.Client) error {
			return c.StopTranscription(ctx, &acs.StopTranscriptionRequest{CallConnectionID: conn, OperationContext: "tr-stop-ctx", OperationCallbackURI: otherCB})
		}),
		post("startMediaStreaming.json", func(ctx context.Context, c *acs.Client) error {
			return c.StartMediaStreaming(ctx, &acs.MediaStreamingRequest{CallConnectionID: conn, OperationContext: "ms-start-ctx", OperationCallbackURI: otherCB})
		}),
		post("startMediaStreaming-default.json", func(ctx context.Context, c *acs.Client) error {
			return c.StartMediaStreaming(ctx, &acs.MediaStreamingRequest{CallConnectionID: conn})
		}),
		post("stopMediaStreaming.json", func(ctx context.Context, c *acs.Client) error {
			return c.StopMediaStreaming(ctx, &acs.MediaStreamingRequest{CallConnectionID: conn, OperationContext: "ms-stop-ctx", OperationCallbackURI: otherCB})
		}),
		start("startRecording-connection.json", acs.StartRecordingRequest{CallConnectionID: conn, RecordingStateCallbackURI: "https://app.example/recording-events",
			RecordingContentType: acs.RecordingContentAudio, RecordingChannelType: acs.RecordingChannelMixed, RecordingFormatType: acs.RecordingFormatWAV, PauseOnStart: acs.Bool(true)}),
		start("startRecording-default.json", acs.StartRecordingRequest{CallConnectionID: conn}),
		start("startRecording-server-unmixed.json", acs.StartRecordingRequest{CallLocator: &server, RecordingStateCallbackURI: "https://app.example/recording-events",
			RecordingContentType: acs.RecordingContentAudio, RecordingChannelType: acs.RecordingChannelUnmixed, RecordingFormatType: acs.RecordingFormatWAV,
			AudioChannelParticipantOrdering: []acs.Identifier{user, phone},
			ChannelAffinity:                 []acs.ChannelAffinity{{Channel: 0, Participant: user}, {Channel: 1, Participant: phone}}}),
		start("startRecording-server-mp3.json", acs.StartRecordingRequest{CallLocator: &server, RecordingContentType: acs.RecordingContentAudio,
			RecordingChannelType: acs.RecordingChannelMixed, RecordingFormatType: acs.RecordingFormatMP3, PauseOnStart: acs.Bool(false)}),
		start("startRecording-group-blob.json", acs.StartRecordingRequest{CallLocator: &group, RecordingContentType: acs.RecordingContentAudioVideo,
			RecordingChannelType: acs.RecordingChannelMixed, RecordingFormatType: acs.RecordingFormatMP4,
			ExternalStorage: &acs.ExternalStorage{RecordingStorageKind: acs.RecordingStorageBlob, RecordingDestinationContainerURL: "https://contoso.blob.core.windows.net/recordings"}}),
		{file: "getRecordingProperties.json", status: 200, example: "CallRecording_GetRecordingProperties.json", call: func(ctx context.Context, t *testing.T, c *acs.Client) error {
			got, err := c.GetRecording(ctx, rec)
			if err == nil && (got.RecordingID != wireRecordingID || got.RecordingState != "inactive") {
				t.Errorf("decoded %+v", got)
			}
			return err
		}},
		post("pauseRecording.json", func(ctx context.Context, c *acs.Client) error { return c.PauseRecording(ctx, rec) }),
		post("resumeRecording.json", func(ctx context.Context, c *acs.Client) error { return c.ResumeRecording(ctx, rec) }),
		{file: "stopRecording.json", status: 204, call: func(ctx context.Context, t *testing.T, c *acs.Client) error { return c.StopRecording(ctx, rec) }},
	}
}
