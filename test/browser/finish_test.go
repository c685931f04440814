package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/weftworks/weft"
)

func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia,
			emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	})
}

func timeZone(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: id})
		return err
	})
}

// TestFitAndFinish: times in the viewer's time zone, a favicon, every page at phone
// width without sideways scrolling, and a dark theme that follows the system; with
// screenshots of the editor and the inspector, desktop and phone, light and dark.
func TestFitAndFinish(t *testing.T) {
	w := startWeft(t)
	p := newPartner(t)
	sc, err := w.svc.CreateScenario(t.Context(), []byte(strings.ReplaceAll(blueprintTemplate, "PARTNER", p.srv.URL)), "test")
	if err != nil {
		t.Fatal(err)
	}
	failed, err := w.svc.Run(t.Context(), sc.ID, []weft.Bundle{{"orderId": "A-1", "qty": 2.0}})
	if err != nil || len(failed.Incomplete) != 1 {
		t.Fatalf("failing run: %v", err)
	}
	p.accept()
	ok, err := w.svc.Run(t.Context(), sc.ID, []weft.Bundle{{"orderId": "A-2", "qty": 1.0}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	dir := shots(t)
	steps(t, ctx, "sign in in Tokyo", timeZone("Asia/Tokyo"), chromedp.Navigate(w.base+"/executions"), chromedp.WaitVisible(id("token")),
		chromedp.SendKeys(id("token"), w.token), chromedp.Click(id("signin")), chromedp.WaitVisible(id("executions")))

	// The newest run's start, in Tokyo (UTC+9), on the history page.
	tokyo := ok.Execution.StartedAt.In(time.FixedZone("JST", 9*3600)).Format("2006-01-02 15:04:05")
	if got := text(t, ctx, "#executions tbody tr:first-child time"); got != tokyo {
		t.Errorf("start shown as %q, want %q (Tokyo)", got, tokyo)
	}
	icon := read(t, ctx, "favicon", chromedp.Evaluate[string](`fetch("/favicon.ico").then(r => r.status + " " + r.headers.get("Content-Type"))`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(icon, "200 image/svg+xml") {
		t.Errorf("favicon: %q", icon)
	}
	if href := read(t, ctx, "icon link", chromedp.Evaluate[string](`document.querySelector('link[rel="icon"]').getAttribute("href")`)); href != "/assets/favicon.svg" {
		t.Errorf("icon link %q", href)
	}

	pages := []string{"/scenarios", "/scenarios/1", "/scenarios/1/edit?module=3", "/scenarios/1/edit?module=3&q=http",
		"/executions/" + failed.Execution.ID, "/executions/" + ok.Execution.ID + "?module=3", "/executions",
		"/incomplete", "/incomplete/groups", "/incomplete/" + failed.Incomplete[0].ID, "/scenarios/1/versions/1/diff",
		"/connections", "/tokens"}
	wide := `document.documentElement.scrollWidth - window.innerWidth`
	steps(t, ctx, "phone", chromedp.EmulateViewport(390, 844))
	for _, path := range pages {
		steps(t, ctx, "phone "+path, chromedp.Navigate(w.base+path), chromedp.WaitVisible(css("main")))
		if over := read(t, ctx, "overflow", chromedp.Evaluate[float64](wide)); over > 0 {
			t.Errorf("%s scrolls sideways by %v px at 390 px", path, over)
		}
	}
	steps(t, ctx, "phone shots",
		chromedp.Navigate(w.base+"/scenarios/1/edit?module=3"), chromedp.WaitVisible(id("module-form")), screenshot(dir, "15-phone-editor"),
		chromedp.Navigate(w.base+"/executions/"+ok.Execution.ID+"?module=3"), chromedp.WaitVisible(id("op-pos")), screenshot(dir, "16-phone-inspector"),
		colorScheme("dark"),
		chromedp.Navigate(w.base+"/scenarios/1/edit?module=3"), chromedp.WaitVisible(id("module-form")), screenshot(dir, "17-phone-editor-dark"),
		chromedp.Navigate(w.base+"/executions/"+ok.Execution.ID+"?module=3"), chromedp.WaitVisible(id("op-pos")), screenshot(dir, "18-phone-inspector-dark"))
	steps(t, ctx, "desktop dark", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(w.base+"/scenarios/1/edit?module=3"), chromedp.WaitVisible(id("module-form")), screenshot(dir, "19-editor-dark"),
		chromedp.Navigate(w.base+"/executions/"+ok.Execution.ID+"?module=3"), chromedp.WaitVisible(id("op-pos")), screenshot(dir, "20-inspector-dark"))
	if bg := read(t, ctx, "background", chromedp.Evaluate[string](`getComputedStyle(document.documentElement).backgroundColor`)); bg != "rgb(18, 20, 26)" {
		t.Errorf("dark background %q", bg)
	}
	steps(t, ctx, "light", colorScheme("light"), chromedp.Navigate(w.base+"/scenarios"), chromedp.WaitVisible(id("scenarios")))
	if bg := read(t, ctx, "background", chromedp.Evaluate[string](`getComputedStyle(document.documentElement).backgroundColor`)); bg != "rgb(246, 247, 249)" {
		t.Errorf("light background %q", bg)
	}
}
