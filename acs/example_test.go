package acs_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/callgate/callgate/acs"
)

func ExampleClient_CreateCall() {
	// A stand-in for ACS on loopback; use the resource's connection string.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"callConnectionId":"18dea47f","callConnectionState":"connecting"}`)
	}))
	defer srv.Close()

	client, err := acs.NewClientFromConnectionString("endpoint="+srv.URL+"/;accesskey=ZW11bGF0b3ItYWNjZXNzLWtleS0wMTIzNDU2Nzg5", acs.Config{})
	if err != nil {
		log.Fatal(err)
	}
	call, err := client.CreateCall(context.Background(), &acs.CreateCallRequest{
		Targets:              []acs.Identifier{acs.PhoneNumber("+14255550123")},
		SourceCallerIDNumber: acs.CallerID("+18005550100"),
		CallbackURI:          "https://gateway.example/callbacks",
		OperationContext:     "order-42",
	})
	if err != nil {
		// In a gRPC handler: return nil, acs.GRPCStatus(err).Err()
		log.Fatal(err)
	}
	fmt.Println(call.CallConnectionID, call.CallConnectionState)
	// Output: 18dea47f connecting
}

func ExampleNewTokenCredential() {
	// Managed identity (or any azidentity credential) instead of an access key.
	source, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		log.Fatal(err)
	}
	cred, err := acs.NewTokenCredential(source)
	if err != nil {
		log.Fatal(err)
	}
	client, err := acs.NewClient(acs.Config{
		Endpoint:   "https://contoso.communication.azure.com/",
		Credential: cred,
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = client
}

func ExampleGRPCStatus() {
	var client *acs.Client // from NewClient
	_, err := client.GetCall(context.Background(), &acs.GetCallRequest{})
	st := acs.GRPCStatus(err)
	br := st.Details()[0].(*errdetails.BadRequest)
	fmt.Println(st.Code(), br.FieldViolations[0].Field)
	// Output: InvalidArgument callConnectionId
}
