package service

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"

	callgatev1 "github.com/callgate/callgate/gen/callgate/v1"
)

const downloadRoute = "/v1/recordings/{recording_id}/chunks/{document_id}:download"

// The query parameters that are path parameters already.
var downloadPathParams = utilities.NewDoubleArray([][]string{{"recording_id"}, {"document_id"}})

// registerDownloadREST serves DownloadRecording over REST as the file itself. grpc-gateway's
// generated handler writes its stream delimiter (a newline) after every message, google.api.
// HttpBody ones too, which would put a byte into the file every 64 KiB; this handler writes the
// bytes alone. Everything else is as the generated handler does it: the call goes to the gRPC
// server with the same metadata (so through the same interceptors, authentication included),
// and a failure before the first byte is the same error answer. A failure after it cuts the
// response off (no final chunk), so that a client never takes a short file for a whole one; it
// resumes with ?offset=.
func registerDownloadREST(mux *runtime.ServeMux, client callgatev1.RecordingServiceClient) error {
	return mux.HandlePath(http.MethodGet, downloadRoute, func(w http.ResponseWriter, req *http.Request, params map[string]string) {
		ctx, cancel := context.WithCancel(req.Context())
		defer cancel()
		_, outbound := runtime.MarshalerForRequest(mux, req)
		fail := func(ctx context.Context, err error) { runtime.HTTPError(ctx, mux, outbound, w, req, err) }
		actx, err := runtime.AnnotateContext(ctx, mux, req, "/callgate.v1.RecordingService/DownloadRecording", runtime.WithHTTPPathPattern(downloadRoute))
		if err != nil {
			fail(ctx, err)
			return
		}
		in := &callgatev1.DownloadRecordingRequest{RecordingId: params["recording_id"], DocumentId: params["document_id"]}
		if err := req.ParseForm(); err != nil {
			fail(actx, invalidArgument(violation("query", "does not parse")))
			return
		}
		if err := runtime.PopulateQueryParameters(in, req.Form, downloadPathParams); err != nil {
			fail(actx, invalidArgument(violation("query", err.Error())))
			return
		}
		stream, err := client.DownloadRecording(actx, in)
		if err != nil {
			fail(actx, err)
			return
		}
		header, err := stream.Header()
		if err != nil {
			fail(actx, err)
			return
		}
		actx = runtime.NewServerMetadataContext(actx, runtime.ServerMetadata{HeaderMD: header})
		first, err := stream.Recv()
		if err != nil && !errors.Is(err, io.EOF) {
			fail(actx, err)
			return
		}
		w.Header().Set("Content-Type", first.GetContentType())
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/octet-stream")
		}
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		for msg := first; msg != nil; {
			if _, err := w.Write(msg.GetData()); err != nil {
				return // the client went away
			}
			_ = rc.Flush()
			msg, err = stream.Recv()
			switch {
			case errors.Is(err, io.EOF):
				return
			case err != nil:
				// The status line is gone: cut the body off rather than end it as if complete.
				panic(http.ErrAbortHandler)
			}
		}
	})
}
