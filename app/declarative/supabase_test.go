package declarative_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/app/apptest"
)

// supabaseAPI answers as PostgREST and Supabase Storage document: the key in apikey
// and Authorization, rows inserted (or merged) and returned with
// Prefer: return=representation, objects uploaded under a bucket.
func supabaseAPI(t *testing.T) (*standIn, weft.Bundle) {
	s := newStandIn(t)
	s.fn = func(r *http.Request, body string) reply {
		if r.Header.Get("apikey") != "sb-service-key" || r.Header.Get("Authorization") != "Bearer sb-service-key" {
			return reply{status: 401, body: `{"message":"Invalid API key","hint":"Double check your Supabase anon or service_role API key."}`}
		}
		switch {
		case r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/rest/v1/"):
			if !strings.Contains(r.Header.Get("Prefer"), "return=representation") {
				return reply{status: 201}
			}
			row := jsonBody(t, body)
			if row["cpf"] == "dup" {
				return reply{status: 409, body: `{"code":"23505","details":"Key (cpf)=(dup) already exists.","hint":null,"message":"duplicate key value violates unique constraint \"pessoas_cpf_key\""}`}
			}
			row["id"] = 41.0
			return reply{status: 201, body: "[" + string(jsonOf(row)) + "]"}
		case r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/storage/v1/object/"):
			key := strings.TrimPrefix(r.URL.Path, "/storage/v1/object/")
			if r.Header.Get("x-upsert") != "true" && strings.HasSuffix(key, "exists.pdf") {
				return reply{status: 400, body: `{"statusCode":"409","error":"Duplicate","message":"The resource already exists"}`}
			}
			return ok(`{"Key":"` + key + `","Id":"3f1e-uuid"}`)
		}
		return reply{status: 404, body: `{"code":"PGRST205","details":null,"hint":null,"message":"Could not find the table in the schema cache"}`}
	}
	return s, weft.Bundle{"url": s.URL + "/", "apiKey": "sb-service-key"}
}

func TestSupabaseCreateARow(t *testing.T) {
	s, creds := supabaseAPI(t)
	// Blueprint 142's mapper: the columns of table pessoas.
	out, err := run(t, shipped(t, "supabase", "createARow", s), creds,
		`{"cpf": "12345678900", "nome": "Ada", "email": "ada@example.com", "table": "pessoas", "endereco": "", "telefone": "+55 11"}`)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/rest/v1/pessoas" || g.Header.Get("Prefer") != "return=representation" {
		t.Fatalf("request %s %s prefer %q", g.Method, g.Path, g.Header.Get("Prefer"))
	}
	sameJSON(t, "row", jsonBody(t, g.Body), `{"cpf":"12345678900","nome":"Ada","email":"ada@example.com","telefone":"+55 11"}`)
	sameJSON(t, "output", out, `[{"cpf":"12345678900","nome":"Ada","email":"ada@example.com","telefone":"+55 11","id":41}]`)
}

func TestSupabaseUpserts(t *testing.T) {
	s, creds := supabaseAPI(t)
	if _, err := run(t, shipped(t, "supabase", "upsertARecord", s), creds, `{"table": "exercicios", "status": "novo", "ano_base": 2025, "pessoa_id": 41}`); err != nil {
		t.Fatal(err)
	}
	g := s.requests()[0]
	if g.Path != "/rest/v1/exercicios" || g.Header.Get("Prefer") != "resolution=merge-duplicates,return=representation" {
		t.Fatalf("request %s prefer %q", g.Path, g.Header.Get("Prefer"))
	}
	sameJSON(t, "row", jsonBody(t, g.Body), `{"status":"novo","ano_base":2025,"pessoa_id":41}`)
	if _, err := run(t, shipped(t, "supabase", "upsertRecord", s), creds,
		`{"table": "campaign_events", "record": {"campaign_id": "c1", "lead_company": "Acme", "lead_score": ""}, "onConflict": ["campaign_id", "lead_company"]}`); err != nil {
		t.Fatal(err)
	}
	g = s.requests()[1]
	if g.Path != "/rest/v1/campaign_events" || g.Query != "on_conflict=campaign_id%2Clead_company" {
		t.Fatalf("request %s?%s", g.Path, g.Query)
	}
	sameJSON(t, "record", jsonBody(t, g.Body), `{"campaign_id":"c1","lead_company":"Acme"}`)
}

func TestSupabaseUploadAFile(t *testing.T) {
	s, creds := supabaseAPI(t)
	exec := apptest.NewExec()
	exec.Connections["conn"] = creds
	// Blueprint 142's mapper: a Drive file into bucket documentos_demo.
	out, err := apptest.Run(t.Context(), shipped(t, "supabase", "uploadAFile", s), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"upsert": false, "bucketID": "documentos_demo", "file_data": []byte("%PDF-1.7"), "file_name": "2025/declaração.pdf"}, exec)
	if err != nil {
		t.Fatal(err)
	}
	g := s.only(t)
	if g.Method != "POST" || g.Path != "/storage/v1/object/documentos_demo/2025/declara%C3%A7%C3%A3o.pdf" || g.Header.Get("x-upsert") != "false" ||
		g.Header.Get("Content-Type") != "application/pdf" || g.Body != "%PDF-1.7" {
		t.Fatalf("request %s %s upsert %q type %q", g.Method, g.Path, g.Header.Get("x-upsert"), g.Header.Get("Content-Type"))
	}
	sameJSON(t, "output", out, `[{"Key":"documentos_demo/2025/declaração.pdf","Id":"3f1e-uuid"}]`)
	_, err = apptest.Run(t.Context(), shipped(t, "supabase", "uploadAFile", s), weft.Bundle{"__IMTCONN__": "conn"},
		weft.Bundle{"bucketID": "documentos_demo", "file_data": []byte("x"), "file_name": "exists.pdf"}, exec)
	apptest.WantError(t, err, weft.DuplicateDataError, "The resource already exists")
}

func TestSupabaseErrors(t *testing.T) {
	creds := weft.Bundle{"apiKey": "sb-service-key"}
	rows := []documented{
		{"401 key", reply{status: 401, body: `{"message":"Invalid API key","hint":"Double check your Supabase anon or service_role API key."}`}, weft.InvalidAccessTokenError, "[401] Invalid API key Double check", 0},
		{"JWT expired", reply{status: 401, body: `{"code":"PGRST301","details":null,"hint":null,"message":"JWT expired"}`}, weft.InvalidAccessTokenError, "JWT expired (PGRST301)", 0},
		{"row level security", reply{status: 403, body: `{"code":"42501","details":null,"hint":null,"message":"new row violates row-level security policy for table \"pessoas\""}`}, weft.InvalidConfigurationError, "row-level security", 0},
		{"duplicate key", reply{status: 409, body: `{"code":"23505","details":"Key (cpf)=(1) already exists.","hint":null,"message":"duplicate key value violates unique constraint \"pessoas_cpf_key\""}`}, weft.DuplicateDataError, "(23505): Key (cpf)=(1) already exists.", 0},
		{"foreign key", reply{status: 409, body: `{"code":"23503","details":"Key (pessoa_id)=(9) is not present in table \"pessoas\".","hint":null,"message":"insert or update on table violates foreign key constraint"}`}, weft.DataError, "23503", 0},
		{"unknown column", reply{status: 400, body: `{"code":"PGRST204","details":null,"hint":null,"message":"Could not find the 'nme' column of 'pessoas' in the schema cache"}`}, weft.DataError, "PGRST204", 0},
		{"unknown table", reply{status: 404, body: `{"code":"PGRST205","details":null,"hint":null,"message":"Could not find the table 'public.pesoas' in the schema cache"}`}, weft.DataError, "PGRST205", 0},
		{"503", reply{status: 503, body: `{"code":"PGRST002","message":"Could not query the database for the schema cache. Retrying."}`}, weft.ConnectionError, "PGRST002", 0},
	}
	s, _ := supabaseAPI(t)
	spec := shipped(t, "supabase", "createARow", s)
	cases := make([]apptest.ErrorCase, 0, len(rows))
	for _, r := range rows {
		c := apptest.ErrorCase{Name: r.name, Params: weft.Bundle{"__IMTCONN__": "1"}, Mapper: weft.Bundle{"table": "pessoas", "nome": "x"},
			Want: r.typ, WantMessage: r.message,
			Setup: func(_ testing.TB, c *apptest.ErrorCase) {
				// Supabase's address is the connection's.
				c.Connections = map[string]weft.Bundle{"1": {"url": s.URL, "apiKey": creds["apiKey"]}}
				s.answer(r.reply)
			}}
		cases = append(cases, c)
	}
	apptest.CheckErrors(t, spec, cases)
}
