package sqlapp

import "strings"

// isWrite guesses whether a statement changes rows: its verb (the first keyword at the
// top level, after a WITH clause's common table expressions) is INSERT, UPDATE,
// DELETE, REPLACE or MERGE. SQLite uses it to take the write lock at BEGIN (so two runs
// never deadlock upgrading a read lock) and to decide whether rowsAffected means
// anything; Postgres reports the real verb in its command tag.
func isWrite(sql string) bool {
	switch verb(sql) {
	case "INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE":
		return true
	}
	return false
}

// verb returns the statement's main keyword in upper case: the first word at
// parenthesis depth 0, skipping comments, quoted text and a leading WITH clause.
func verb(sql string) string {
	depth := 0
	inWith := false
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return ""
			}
			i += end + 4
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(sql, i, c)
		case c == '[':
			end := strings.IndexByte(sql[i:], ']')
			if end < 0 {
				return ""
			}
			i += end + 1
		case c == '(':
			depth++
			i++
		case c == ')':
			depth--
			i++
		case isWordByte(c):
			j := i
			for j < len(sql) && isWordByte(sql[j]) {
				j++
			}
			word := strings.ToUpper(sql[i:j])
			i = j
			if depth != 0 {
				continue
			}
			if !inWith {
				if word != "WITH" {
					return word
				}
				inWith = true
				continue
			}
			// Inside WITH: names, AS, RECURSIVE, MATERIALIZED are skipped; the CTE
			// bodies are in parentheses; the first verb after them is the statement's.
			switch word {
			case "SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "VALUES":
				return word
			}
		default:
			i++
		}
	}
	return ""
}

// skipQuoted returns the index after the quoted text starting at i (a doubled quote
// stays inside).
func skipQuoted(s string, i int, q byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
