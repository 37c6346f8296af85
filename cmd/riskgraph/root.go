package main

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// globals are the flags every command shares.
type globals struct {
	logLevel  string
	logFormat string
}

func (m *Main) rootCommand() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "riskgraph",
		Short: "Graph-native fraud and anti-money-laundering engine",
		Long: `riskgraph turns payment traffic into a user–device–merchant property graph and
uses its connections to stop fraud and money laundering.

Start with:
  riskgraph gen --seed 1 --users 2000 --days 30 --out demo.csv
  riskgraph ingest --data-dir data demo.csv
  riskgraph graph stats --data-dir data`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&g.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.AddCommand(
		m.versionCommand(),
		m.genCommand(g),
		m.ingestCommand(g),
		m.labelsCommand(g),
		m.graphCommand(g),
		m.modelCommand(g),
		m.scoreCommand(g),
		m.explainCommand(g),
		m.serveCommand(g),
		m.authorizeCommand(g),
		m.benchCommand(g),
		m.rulesCommand(g),
		m.demoCommand(g),
		m.neo4jCommand(g),
		m.investigateCommand(g),
		m.caseCommand(g),
		m.typologyCommand(g),
		m.trainCommand(g), m.evalCommand(g), m.exportBatchesCommand(g),
	)
	return root
}

// logger builds the structured logger the flags ask for, writing to w.
func (g *globals) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(g.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format %q: want text or json", g.logFormat)
}

func (m *Main) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and build information",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rev := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						rev = " " + s.Value
					}
				}
			}
			fmt.Fprintf(m.Stdout, "riskgraph %s%s %s %s/%s\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
