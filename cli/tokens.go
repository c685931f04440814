package cli

import (
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/server/api"
)

func newTokensCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "Create, list and revoke API tokens",
		Long: "API tokens authenticate calls to the REST API (/api/v1) as \"Authorization: Bearer weft_…\".\n" +
			"Each token holds scopes: " + strings.Join(auth.Scopes, ", ") + "\n" +
			"(admin grants every scope). Only a hash of the token is stored: it is shown once, at creation.\n" +
			"Through --server these commands need an admin token."}
	cmd.AddCommand(newTokensCreate(), newTokensList(), newTokensRevoke())
	return cmd
}

func newTokensCreate() *cobra.Command {
	var (
		name   string
		scopes []string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "create --name NAME --scopes SCOPE,…",
		Short: "Create a token (printed once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list := splitList(scopes)
			if err := auth.CheckScopes(list); err != nil {
				return usageErrorf("--%v", err)
			}
			if strings.TrimSpace(name) == "" {
				return usageErrorf("--name: a token needs a name (what it is for)")
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var t api.Token
			data, err := c.call(cmd.Context(), "POST", "/tokens", nil, map[string]any{"name": name, "scopes": list}, &t)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
				return nil
			}
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, t.Token)
			fmt.Fprintf(w, "token %s (%s), scopes %s\n", t.ID, t.Name, strings.Join(t.Scopes, ", "))
			fmt.Fprintln(cmd.ErrOrStderr(), "Store the token now: weft keeps only its hash and cannot show it again.")
			return nil
		},
	}
	c.Flags().StringVar(&name, "name", "", "what the token is for (required)")
	c.Flags().StringSliceVar(&scopes, "scopes", nil, "comma-separated scopes (required): "+strings.Join(auth.Scopes, ", "))
	jsonFlag(c, &asJSON)
	_ = c.MarkFlagRequired("name")
	_ = c.MarkFlagRequired("scopes")
	return c
}

func newTokensList() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List tokens, revoked ones included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			data, err := c.do(cmd.Context(), "GET", "/tokens", nil, nil)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
				return nil
			}
			p, err := decodePage[api.Token](data)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tLAST USED\tSTATE")
			for _, t := range p.Items {
				state := "active"
				if t.RevokedAt != nil {
					state = "revoked " + *t.RevokedAt
				}
				used := "never"
				if t.LastUsedAt != nil {
					used = *t.LastUsedAt
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, ","), t.CreatedAt, used, state)
			}
			return tw.Flush()
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

func newTokensRevoke() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token; it stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			data, err := c.do(cmd.Context(), "DELETE", "/tokens/"+url.PathEscape(args[0]), nil, nil)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, data)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s revoked\n", args[0])
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	return c
}
