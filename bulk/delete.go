package bulk

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"github.com/weftworks/weft/store"
)

// Delete checks the selection and returns the job that deletes the incomplete
// executions it selects, a chunk at a time: every one of a scenario (but except) there
// when the job starts, or the ids given (each must exist: an unknown id is
// store.ErrNotFound and nothing is deleted). Deleting all of a scenario's needs
// confirmed (SPEC §5.4). One being retried right now is skipped, as the service does.
func (js *Jobs) Delete(ctx context.Context, confirmed bool, sels ...store.Selection) (*Job, error) {
	for _, sel := range sels {
		if sel.All && !confirmed {
			return nil, &ConfirmError{ScenarioID: sel.ScenarioID}
		}
	}
	targets, _, err := js.resolve(ctx, sels, nil)
	if err != nil {
		return nil, err
	}
	return js.start(KindDelete, len(targets), 0, func(ctx context.Context, j *Job) error {
		scenarios, ids := byScenario(targets)
		for _, sc := range scenarios {
			for part := range slices.Chunk(ids[sc], js.o.Chunk) {
				n, err := js.o.Service.Delete(ctx, store.Selection{IDs: part, ScenarioID: sc}, false)
				if errors.Is(err, store.ErrNotFound) {
					// Some went meanwhile (the service refuses a selection naming them):
					// one at a time, the gone ones skipped.
					n, err = 0, nil
					for _, id := range part {
						m, err1 := js.o.Service.Delete(ctx, store.Selection{IDs: []string{id}, ScenarioID: sc}, false)
						if err1 != nil && !errors.Is(err1, store.ErrNotFound) {
							err = err1
							break
						}
						n += m
					}
				}
				if err != nil {
					return err
				}
				j.count(OutcomeDeleted, n)
				j.count(OutcomeSkipped, len(part)-n)
			}
		}
		return nil
	}), nil
}

// ConfirmError is a deletion of all of a scenario's incomplete executions without the
// explicit confirmation SPEC §5.4 asks for.
type ConfirmError struct{ ScenarioID int64 }

func (e *ConfirmError) Error() string {
	return "deleting all incomplete executions of scenario " + strconv.FormatInt(e.ScenarioID, 10) + " needs an explicit confirmation"
}
