// Command codeless is the single Codeless binary: the server, the connector
// author tools and the client commands. All logic lives in internal/cli.
package main

import (
	"os"

	"github.com/codeless/codeless/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
