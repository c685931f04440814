package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/email"
	"github.com/weftworks/weft/store"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/weftworks/weft/app"
	"github.com/weftworks/weft/auth"
	"github.com/weftworks/weft/bulk"
	"github.com/weftworks/weft/limits"
	"github.com/weftworks/weft/metrics"
	"github.com/weftworks/weft/notify"
	"github.com/weftworks/weft/server"
	"github.com/weftworks/weft/server/api"
	"github.com/weftworks/weft/server/makeapi"
	"github.com/weftworks/weft/service"
	"github.com/weftworks/weft/ui"
)

func newServeCmd() *cobra.Command {
	var (
		addr, baseURL string
		demo          bool
		demoEvery     time.Duration
		shutdown      time.Duration
		notifyURL     string
		mailAddr      string
		mailDomain    string
		metricsAddr   string
		intake        *intakeLimits
		runLimits     func() (limits.Limits, error)
		storage       *storageSettings
		breakers      breakerFlag
		retrySchedule []time.Duration // hidden, for tests (test/diskfull)
		outbound      netFlags
		role          string
		poll          time.Duration
	)
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run weft as a service: webhooks, the REST API, schedules and automatic retries",
		Long: "serve owns the data folder (--data, $WEFT_DATA, ./weft-data): it recovers anything a\n" +
			"previous process left unfinished, then serves webhooks at /hooks/{token}, the REST API\n" +
			"at /api/v1, /healthz, /readyz and /metrics and the web UI at / (sign in with an API\n" +
			"token), and carries out retries, schedules and queued runs. SIGINT/SIGTERM stop it\n" +
			"gracefully. --demo seeds example scenarios,\n" +
			"including one that calls a flaky partner API weft plays itself, so incomplete\n" +
			"executions appear, are retried and resolve within minutes.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := localOnly(cmd, "it serves the data folder on this machine"); err != nil {
				return err
			}
			if err := checkRole(cmd, role); err != nil {
				return err
			}
			// The outbound policy of scenarios' modules (cli/netpolicy.go); weft's own
			// listeners are added as they are bound.
			np, err := outbound.policy()
			if err != nil {
				return err
			}
			useNetPolicy(cmd, np)
			// The first start creates the secret key file (connections, webhook secrets).
			if _, err := loadSecrets(cmd, true); err != nil {
				return err
			}
			if err := intake.fromEnv(cmd); err != nil {
				return err
			}
			lim, err := runLimits()
			if err != nil {
				return err
			}
			if err := storage.resolve(cmd); err != nil {
				return err
			}
			if err := breakers.resolve(cmd); err != nil {
				return err
			}
			var reg *app.Registry
			svc, done, err := openServiceWith(cmd, true, func(c *service.Config) {
				reg, c.Limits = c.Registry, lim
				c.RetrySchedule = retrySchedule
				intake.serviceConfig(c)
				storage.apply(c)
				breakers.apply(c)
			})
			if err != nil {
				return ownedBusy(cmd, err)
			}
			defer done()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			if baseURL == "" {
				baseURL = "http://" + ln.Addr().String()
			}
			baseURL = strings.TrimRight(baseURL, "/")
			if err := denyOwnListener(cmd, ln.Addr().String()); err != nil {
				return err
			}
			if demo { // the demo's scenario calls weft's own flaky partner, and only that
				if err := np.AllowURL(baseURL + "/demo/flaky-partner"); err != nil {
					return err
				}
			}
			svc.SetBaseURL(baseURL) // instant app triggers register BASE/hooks/TOKEN (docs/triggers.md)
			log := logger(cmd)
			m := metrics.New(svc.Store())
			observers := []service.Observer{m}
			if notifyURL != "" {
				if err := notify.CheckURL(notifyURL); err != nil {
					return fmt.Errorf("--notify-url: %w", err)
				}
				n := notify.New(notifyURL, nil, log)
				defer n.Close(context.Background())
				m.Notifications(n.Stats)
				observers = append(observers, n)
			}
			svc.SetObserver(notify.Multi(observers...))
			// The local credential: the command line on this machine finds this server and
			// this token in DATA/weft.addr (cli/addr.go, docs/cli.md).
			localToken, err := auth.NewLocalToken(nil)
			if err != nil {
				return err
			}
			a := auth.New(svc.Store(), auth.WithLogger(log), auth.WithLocalToken(localToken))
			jobs := bulk.New(bulk.Options{Service: svc, Logger: log}) // bulk retries and deletes (API and UI)
			defer jobs.Close()
			apiHandler := api.New(api.Deps{Service: svc, Store: svc.Store(), Auth: a, BaseURL: baseURL, Logger: log, Jobs: jobs})
			webUI, err := ui.New(ui.Config{Service: svc, Auth: a, Registry: reg, BaseURL: baseURL, Logger: log, Jobs: jobs,
				SecureCookies: strings.HasPrefix(baseURL, "https://")})
			if err != nil {
				return err
			}
			scfg := server.Config{Service: svc, Store: svc.Store(), Logger: log, API: apiHandler, UI: webUI,
				Metrics: m.Handler(), OnWebhook: m.Webhook, HookSecret: svc.HookSecret, ShutdownTimeout: shutdown,
				Role: role, Poll: poll}
			if metricsAddr != "" { // /metrics only there (server.Config.MetricsListener)
				if scfg.MetricsListener, err = net.Listen("tcp", metricsAddr); err != nil {
					return fmt.Errorf("--metrics-addr %s: %w", metricsAddr, err)
				}
				if err := denyOwnListener(cmd, scfg.MetricsListener.Addr().String()); err != nil {
					return err
				}
			}
			intake.apply(&scfg)
			// /api/v2, Make's API: the same service and tokens; hooks show the queue bound.
			scfg.MakeAPI = makeapi.New(makeapi.Deps{Service: svc, Auth: a, BaseURL: baseURL, Logger: log, QueueLimit: scfg.QueueLimit})
			srv, err := server.New(scfg)
			if err != nil {
				return err
			}
			if !sharedDatabase(cmd) {
				// On a shared database several servers may use one data folder and none
				// holds it: commands open the database themselves (docs/cli.md).
				removeInfo, err := writeServerInfo(dataDir(cmd), ln.Addr(), localToken)
				if err != nil {
					return err
				}
				defer removeInfo()
			}
			out := cmd.OutOrStdout()
			if u := databaseURL(cmd); u != "" {
				fmt.Fprintf(out, "weft serving on %s (role %s, database %s)\n", baseURL, role, redactURL(u))
			} else {
				fmt.Fprintf(out, "weft serving on %s (data folder %s)\n", baseURL, dataDir(cmd))
			}
			if scfg.MetricsListener != nil {
				fmt.Fprintf(out, "metrics on http://%s/metrics\n", scfg.MetricsListener.Addr())
			}
			if demo {
				scs, err := srv.Demo(cmd.Context(), baseURL, demoEvery)
				if err != nil {
					return err
				}
				fmt.Fprintln(out, "demo scenarios:")
				for _, d := range scs {
					fmt.Fprintf(out, "  %d  %-50s POST %s\n", d.Scenario.ID, d.Scenario.Name, d.HookURL)
				}
				fmt.Fprintf(out, "a demo order reaches scenario %d every %s; watch: weft incomplete list --data %s\n",
					scs[1].Scenario.ID, demoEvery, dataDir(cmd))
				t, err := demoOwner(cmd.Context(), a)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "sign in to the web UI (once, within %s): %s%s\n",
					ui.SignInLinkTTL, baseURL, webUI.OneTimeSignIn(t))
			}
			if mailAddr != "" {
				mh, err := startMailhook(cmd, svc, mailAddr, mailDomain)
				if err != nil {
					return err
				}
				defer mh.Close()
				fmt.Fprintf(out, "mailhooks: SMTP on %s for TOKEN@%s\n", mailAddr, mailDomain)
			}
			log.Info("outbound network policy", "rules", strings.Join(np.Describe(), "; "))
			return srv.Serve(cmd.Context(), ln)
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "listen address")
	c.Flags().StringVar(&baseURL, "base-url", "", "public base URL for webhook addresses (default http://ADDR)")
	c.Flags().BoolVar(&demo, "demo", false, "seed example scenarios and send demo traffic")
	c.Flags().DurationVar(&demoEvery, "demo-every", 20*time.Second, "how often a demo order arrives")
	c.Flags().DurationVar(&shutdown, "shutdown-timeout", 30*time.Second, "how long a shutdown waits for runs in flight")
	c.Flags().StringVar(&mailAddr, "mailhook-addr", "", "receive mail for gateway:CustomMailHook scenarios on this SMTP address (e.g. 127.0.0.1:2525)")
	c.Flags().StringVar(&mailDomain, "mailhook-domain", "weft.localhost", "the domain of mailhook addresses (TOKEN@DOMAIN)")
	c.Flags().StringVar(&metricsAddr, "metrics-addr", "", "serve /metrics on this address only (e.g. 127.0.0.1:9090), not on --addr")
	intake = addIntakeFlags(c)
	runLimits = addLimitFlags(c) // --max-array-items… (cli/limits.go)
	storage = addStorageFlags(c) // --incomplete-scenario-bytes… (cli/storage.go)
	breakers.add(c)              // --circuit-breakers (cli/recovery.go)
	outbound.add(c)
	c.Flags().StringVar(&notifyURL, "notify-url", "", "POST a JSON notification here when an incomplete execution is stored or a scenario deactivated")
	addLeaseFlag(c)
	c.Flags().StringVar(&role, "role", server.RoleAll, "what this process does when several share a database (--db): all; api (webhooks, API, UI; no worker); worker (queued runs, retries, schedules; health and metrics only)")
	c.Flags().DurationVar(&poll, "poll", time.Second, "how often the worker looks for work when idle (other processes' queued payloads and due retries are found this way)")
	c.Flags().DurationSliceVar(&retrySchedule, "retry-schedule", nil, "delays before automatic attempts (default SPEC §5.3: 1m,10m,10m,30m,30m,30m,3h,3h); for tests")
	_ = c.Flags().MarkHidden("retry-schedule")
	return c
}

// startMailhook receives mail for mailhook scenarios: TOKEN@DOMAIN delivers the message,
// as a trigger bundle, to the scenario whose hook token is TOKEN (queued durably before
// the SMTP server answers 250, so an accepted message is never lost).
func startMailhook(cmd *cobra.Command, svc *service.Service, addr, domain string) (*email.MailhookServer, error) {
	lookup := func(rcpt string) (int64, error) {
		local, dom, ok := strings.Cut(strings.ToLower(rcpt), "@")
		if !ok || dom != strings.ToLower(domain) {
			return 0, email.ErrUnknownMailbox
		}
		h, err := svc.Store().GetHook(cmd.Context(), local)
		if errors.Is(err, store.ErrNotFound) {
			return 0, email.ErrUnknownMailbox
		}
		if err != nil {
			return 0, err
		}
		return h.ScenarioID, nil
	}
	mh := email.NewMailhookServer(addr, func(rcpt string, b weft.Bundle) error {
		id, err := lookup(rcpt)
		if err != nil {
			return err
		}
		_, err = svc.Accept(context.WithoutCancel(cmd.Context()), id, b, false)
		return err
	})
	mh.Domain = domain
	mh.Accept = func(rcpt string) error { _, err := lookup(rcpt); return err }
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--mailhook-addr %s: %w", addr, err)
	}
	if err := denyOwnListener(cmd, ln.Addr().String()); err != nil {
		ln.Close()
		return nil, err
	}
	go func() {
		if err := mh.Serve(ln); err != nil {
			logger(cmd).Error("mailhook server", "err", err)
		}
	}()
	return mh, nil
}

// demoOwnerToken names the stored token the demo's one-time sign-in links sign in as
// (sessions name a stored token). It is made once, its secret thrown away: it can only
// be used through such a link, and revoking it ends the demo's sessions.
const demoOwnerToken = "demo owner (weft serve --demo sign-in links)"

func demoOwner(ctx context.Context, a *auth.Auth) (*weft.Token, error) {
	ts, err := a.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo sign-in: %w", err)
	}
	for _, t := range ts {
		if t.Name == demoOwnerToken && t.RevokedAt == nil {
			return t, nil
		}
	}
	_, t, err := a.Create(ctx, demoOwnerToken, []string{auth.Admin})
	if err != nil {
		return nil, fmt.Errorf("demo sign-in: %w", err)
	}
	return t, nil
}
