// Command callgate is a gRPC and REST gateway for Azure Communication Services Call Automation.
//
//	callgate serve      production: settings from flags or CALLGATE_* environment variables
//	callgate dev        the gateway on an embedded ACS emulator, for laptops and demos
//	callgate emulator   the ACS Call Automation emulator alone
//	callgate version    the version and commit it was built from
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/callgate/callgate/gcdefaults"
)

const usage = `usage: callgate <command> [flags]

commands:
  serve      run the gateway against Azure Communication Services (settings: flags or CALLGATE_* env)
  dev        run the gateway on an embedded ACS emulator, no Azure account needed
  emulator   run the ACS Call Automation emulator alone
  apikey     make an API key and its line for the key file
  version    print the version and the commit this binary was built from

Run 'callgate <command> -h' for a command's flags.
`

func main() {
	gcdefaults.Apply(os.LookupEnv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "callgate:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stderr, lookupEnv)
	case "dev":
		return runDev(ctx, args[1:], stdout, stderr, lookupEnv)
	case "emulator":
		log, err := newLogger("info", "console", false)
		if err != nil {
			return err
		}
		defer func() { _ = log.Sync() }()
		return runEmulator(ctx, args[1:], stdout, log)
	case "apikey":
		return runAPIKey(args[1:], stdout, stderr)
	case "version", "--version":
		return runVersion(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "callgate: unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("callgate "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: callgate %s [flags]\n\nEvery flag can also be set by its environment variable: --grpc-addr by CALLGATE_GRPC_ADDR, and so on.\n\n", name)
		if name == "serve" {
			fmt.Fprint(fs.Output(), "Required: --public-url, --callback-secret, and one of --acs-connection-string\n(an access key) or --acs-endpoint (Microsoft Entra ID), not both.\n\n")
		}
		fs.PrintDefaults()
	}
	return fs
}
