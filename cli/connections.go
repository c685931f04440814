package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/secrets"
	"github.com/weftworks/weft/server/api"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/value"
)

// keyFile is the data folder's secret key file.
func keyFile(cmd *cobra.Command) string { return filepath.Join(dataDir(cmd), "secret.keys") }

// loadSecrets loads the keyring ($WEFT_SECRET_KEYS, else <data>/secret.keys). With
// create, a missing key file is made (and the log says so); without, no keys is a nil
// keyring, so commands that never touch connections leave no key file behind.
func loadSecrets(cmd *cobra.Command, create bool) (*secrets.Keyring, error) {
	kr, err := secrets.Load(secrets.Config{KeyFile: keyFile(cmd), Logger: logger(cmd), NoCreate: !create})
	if !create && errors.Is(err, secrets.ErrNoKeys) {
		return nil, nil
	}
	return kr, err
}

func printJSON(cmd *cobra.Command, v any) error {
	writeJSON(cmd.OutOrStdout(), v)
	return nil
}

func newConnectionsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "connections",
		Short: "Manage app connections (credentials modules use), stored encrypted",
		Long: "Connections hold the credentials modules name in their parameters (Make's __IMTCONN__,\n" +
			"apiKeyKeychain, basicAuthKeychain…: the connection's id). Their data is encrypted with the\n" +
			"keys of $WEFT_SECRET_KEYS or <data>/secret.keys (created on first use) and is never printed.",
	}
	c.AddCommand(newConnCreateCmd(), newConnUpdateCmd(), newConnListCmd(), newConnDeleteCmd(), newConnRotateCmd(),
		newConnAuthorizeCmd())
	return c
}

// readData reads --credentials: inline JSON, @file, or @- for stdin; it must be an
// object. (Not --data: that is the data folder, a flag of every command.)
func readData(cmd *cobra.Command, arg string) (map[string]any, error) {
	raw := []byte(arg)
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		var err error
		if raw, err = readFile(cmd, name); err != nil {
			return nil, usageErrorf("--credentials: %v", err)
		}
	}
	v, err := value.DecodeJSON(raw)
	if err != nil {
		return nil, usageErrorf("--credentials is not JSON: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, usageErrorf("--credentials must be a JSON object, not %s", value.Kind(v))
	}
	return m, nil
}

func newConnCreateCmd() *cobra.Command {
	var name, typ, data string
	var asJSON bool
	c := &cobra.Command{
		Use:   "create --name NAME --type TYPE --credentials JSON|@FILE",
		Short: "Store a connection; prints its id (what a blueprint's connection parameter holds)",
		Example: `  weft connections create --name Partner --type apikey --credentials '{"key":"…","name":"X-API-Key"}'
  weft connections create --name Shop --type basic --credentials @shop.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if data == "" {
				return usageErrorf("--credentials is required (JSON, @file, or @- for stdin)")
			}
			m, err := readData(cmd, data)
			if err != nil {
				return err
			}
			if err := service.CheckConnection(name, typ); err != nil {
				return usageErrorf("%v", err) // before a key file is made for nothing
			}
			c, err := connect(cmd, reads, connectOptions{keys: true}) // the first connection creates the key file
			if err != nil {
				return err
			}
			defer c.Close()
			var conn api.Connection
			raw, err := c.call(cmd.Context(), "POST", "/connections", nil,
				map[string]any{"name": name, "type": typ, "data": json.RawMessage(value.JSON(m))}, &conn)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, raw)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "connection %d created: %s (%s)\n", conn.ID, conn.Name, conn.Type)
			return nil
		},
	}
	c.Flags().StringVar(&name, "name", "", "connection name")
	c.Flags().StringVar(&typ, "type", "", "connection type (apikey, basic, …; docs/connections.md)")
	c.Flags().StringVar(&data, "credentials", "", "credentials: a JSON object, @file, or @- for stdin")
	jsonFlag(c, &asJSON)
	return c
}

func newConnUpdateCmd() *cobra.Command {
	var name, data string
	var asJSON bool
	c := &cobra.Command{
		Use:   "update ID [--name NAME] [--credentials JSON|@FILE]",
		Short: "Rename a connection or replace its credentials",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := connectionArg(args[0])
			if err != nil {
				return err
			}
			body := map[string]any{}
			if cmd.Flags().Changed("name") {
				body["name"] = name
			}
			if cmd.Flags().Changed("credentials") {
				m, err := readData(cmd, data)
				if err != nil {
					return err
				}
				body["data"] = json.RawMessage(value.JSON(m))
			}
			if len(body) == 0 {
				return usageErrorf("nothing to update: give --name and/or --credentials")
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			var conn api.Connection
			raw, err := c.call(cmd.Context(), "PATCH", fmt.Sprintf("/connections/%d", id), nil, body, &conn)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, raw)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "connection %d updated: %s (%s)\n", conn.ID, conn.Name, conn.Type)
			return nil
		},
	}
	c.Flags().StringVar(&name, "name", "", "new name")
	c.Flags().StringVar(&data, "credentials", "", "new credentials: a JSON object, @file, or @- for stdin")
	jsonFlag(c, &asJSON)
	return c
}

func connectionArg(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErrorf("connection id %q: want a positive number", s)
	}
	return id, nil
}

func newConnListCmd() *cobra.Command {
	var asJSON bool
	var page pageFlags
	c := &cobra.Command{
		Use:   "list",
		Short: "List connections (never their credentials)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			raw, err := c.do(cmd.Context(), "GET", "/connections", page.query(""), nil)
			if err != nil {
				return err
			}
			if asJSON {
				printRaw(cmd, raw)
				return nil
			}
			p, err := decodePage[api.Connection](raw)
			if err != nil {
				return err
			}
			if len(p.Items) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no connections")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tTYPE\tKEY\tUPDATED")
			for _, v := range p.Items {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.ID, v.Name, v.Type, v.KeyID, v.UpdatedAt)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			moreHint(cmd, p.NextCursor)
			return nil
		},
	}
	jsonFlag(c, &asJSON)
	page.add(c)
	return c
}

func newConnDeleteCmd() *cobra.Command {
	var force, asJSON bool
	c := &cobra.Command{
		Use:   "delete ID [--force]",
		Short: "Delete a connection (refused while unresolved incomplete executions use it, unless --force)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := connectionArg(args[0])
			if err != nil {
				return err
			}
			c, err := connect(cmd, reads)
			if err != nil {
				return err
			}
			defer c.Close()
			q := url.Values{}
			if force {
				q.Set("force", "true")
			}
			if _, err := c.do(cmd.Context(), "DELETE", fmt.Sprintf("/connections/%d", id), q, nil); err != nil {
				return err
			}
			return printDeleted(cmd, id, "connection", asJSON)
		},
	}
	c.Flags().BoolVar(&force, "force", false, "delete even if incomplete executions still use it (their retries will fail)")
	jsonFlag(c, &asJSON)
	return c
}

func newConnRotateCmd() *cobra.Command {
	var newKey, asJSON bool
	c := &cobra.Command{
		Use:   "rotate-key [--new]",
		Short: "Re-encrypt every connection and webhook secret with the current (first) key",
		Long: "rotate-key re-encrypts what an older key encrypted with the current key, the first of\n" +
			"$WEFT_SECRET_KEYS or <data>/secret.keys; afterwards the old keys can be removed. --new first\n" +
			"adds a freshly generated key at the top of the key file. It takes the data folder, so stop\n" +
			"weft serve while it runs: a server still holding the old keys could not read what it rewrites.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := localOnly(cmd, "it rewrites the data folder's key file"); err != nil {
				return err
			}
			// The folder's lock is held from before the key file changes to the end: a
			// running server must not miss the new key, nor start in the middle.
			unlock, err := service.Lock(dataDir(cmd))
			if err != nil {
				if isLocked(err) {
					return &BusyError{Err: fmt.Errorf("%w; stop weft serve (or weft work) first: a server still holding the old keys could not read what rotate-key rewrites", err)}
				}
				return err
			}
			defer unlock()
			added := ""
			if newKey {
				if env := os.Getenv(secrets.DefaultKeyEnv); strings.TrimSpace(env) != "" {
					return fmt.Errorf("--new: the keys come from $%s; put a new key first there (head -c 32 /dev/urandom | base64) and run rotate-key without --new", secrets.DefaultKeyEnv)
				}
				if _, err := loadSecrets(cmd, true); err != nil {
					return err
				}
				if added, err = secrets.AddKey(keyFile(cmd), nil); err != nil {
					return err
				}
			}
			kr, err := loadSecrets(cmd, false)
			if err != nil {
				return err
			}
			if kr == nil {
				return fmt.Errorf("no secret keys ($%s is unset and %s does not exist): nothing to rotate", secrets.DefaultKeyEnv, keyFile(cmd))
			}
			svc, done, err := openService(cmd, false) // not exclusive: the lock is already ours
			if err != nil {
				return err
			}
			defer done()
			n, rerr := svc.RotateConnections(cmd.Context())
			old := kr.IDs()[1:]
			if asJSON {
				out := map[string]any{"currentKey": kr.Current(), "reencrypted": n, "oldKeys": old}
				if added != "" {
					out["addedKey"] = added
				}
				if rerr != nil {
					out["error"] = rerr.Error()
				}
				if err := printJSON(cmd, out); err != nil {
					return err
				}
				if rerr != nil {
					return &ExitError{Code: ExitFailed}
				}
				return nil
			}
			w := cmd.OutOrStdout()
			if added != "" {
				fmt.Fprintf(w, "added key %s to %s\n", added, keyFile(cmd))
			}
			fmt.Fprintf(w, "re-encrypted %d connection(s) and webhook secret(s) with key %s\n", n, kr.Current())
			if rerr != nil {
				return rerr
			}
			if len(old) > 0 {
				fmt.Fprintf(w, "nothing uses %s any more; remove it from %s once every weft process runs with key %s\n",
					strings.Join(old, ", "), kr.Source(), kr.Current())
			}
			return nil
		},
	}
	c.Flags().BoolVar(&newKey, "new", false, "first generate a new key and make it current (key file only)")
	jsonFlag(c, &asJSON)
	return c
}
