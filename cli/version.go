package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/internal/buildinfo"
)

func newVersionCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print weft's version and VCS revision (and the server's, through one)",
		Long: "version prints the module version and the commit this binary was built from, as the Go\n" +
			"toolchain recorded them. With --server, or while a server holds the data folder, it also\n" +
			"asks that server which weft it is.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			own := buildinfo.Read()
			var server *buildinfo.Info
			if serverFlag(cmd) != "" || serverInfoOf(dataDir(cmd)) != nil {
				c, err := connect(cmd, reads)
				if err != nil {
					return err
				}
				defer c.Close()
				if c.mode != modeLocal {
					var info buildinfo.Info
					if _, err := c.call(cmd.Context(), "GET", "/version", nil, nil, &info); err != nil {
						return err
					}
					server = &info
				}
			}
			if asJSON {
				writeJSON(cmd.OutOrStdout(), struct {
					buildinfo.Info
					Server *buildinfo.Info `json:"server"`
				}{own, server})
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "weft %s\n", own)
			if server != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "server %s\n", *server)
			}
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	return c
}
