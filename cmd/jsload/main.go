// Command jsload runs load tests written in JavaScript. See README.md.
package main

import (
	"os"

	"github.com/jsload/jsload/internal/cli"
)

func main() { os.Exit(cli.Main()) }
