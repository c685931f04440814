package declarative

import "github.com/weftworks/weft/app"

type webhookDef struct{}

func decodeWebhook(a *appDef, m *moduleDef, o obj) error { return nil }

func (w *webhookDef) spec(m *moduleDef, rt *runtime) *app.HookSpec { return nil }
