package datetime_test

import (
	"fmt"
	"time"

	"github.com/weftworks/weft/datetime"
)

func Example() {
	prague, _ := time.LoadLocation("Europe/Prague")
	created := time.Date(2018, 10, 1, 7, 32, 0, 0, time.UTC)

	// formatDate(1.created; "YYYY-MM-DD hh:mm A")
	fmt.Println(datetime.Format(created, "YYYY-MM-DD hh:mm A", prague))

	// parseDate("2016-12-28 04:03 pm"; "YYYY-MM-DD hh:mm a")
	t, err := datetime.Parse("2016-12-28 04:03 pm", "YYYY-MM-DD hh:mm a", nil)
	fmt.Println(datetime.ISO(t), err)

	// addMonths("2021-01-31"; 1): month ends clamp
	jan31, _ := datetime.Coerce("2021-01-31", nil)
	fmt.Println(datetime.ISO(datetime.Add(jan31, "months", 1, nil)))

	// addDays keeps the wall time across a daylight-saving change; addHours does not
	sat := time.Date(2021, 3, 27, 8, 0, 0, 0, time.UTC) // 09:00 in Prague
	fmt.Println(datetime.Format(datetime.Add(sat, "days", 1, prague), "ddd HH:mm", prague))
	fmt.Println(datetime.Format(datetime.Add(sat, "hours", 24, prague), "ddd HH:mm", prague))
	// Output:
	// 2018-10-01 09:32 AM
	// 2016-12-28T16:03:00.000Z <nil>
	// 2021-02-28T00:00:00.000Z
	// Sun 09:00
	// Sun 10:00
}
