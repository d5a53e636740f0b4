# A token: client credentials with HTTP Basic (client_id and client_secret in the body work too).
TOKEN=$(curl -s --cacert .local/localhost.pem -u "$CLIENT_ID:$CLIENT_SECRET" \
  -d grant_type=client_credentials https://localhost:5443/oauth/token | jq -r .access_token)

# Attendance of one school over the term, grouped by ISO week.
curl -s -w '\n' --cacert .local/localhost.pem -H "Authorization: Bearer $TOKEN" \
  "https://localhost:5443/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-11-20&group_by=week"

# A course and its lessons in the first full week of term.
COURSE=$(curl -s --cacert .local/localhost.pem -H "Authorization: Bearer $TOKEN" \
  "https://localhost:5443/v1/schools/oakwood-primary/courses?limit=1" | jq -r '.data[0].course_id')
curl -s -w '\n' --cacert .local/localhost.pem -H "Authorization: Bearer $TOKEN" \
  "https://localhost:5443/v1/schools/oakwood-primary/lessons?course_id=$COURSE&from=2026-09-07&to=2026-09-11"

# As the course's teacher: their API token and the client's secret buy a token that acts for them.
PERSON_TOKEN=$(curl -s --cacert .local/localhost.pem -X POST -H "client_secret: $CLIENT_SECRET" \
  -H "Authorization: Basic $TEACHER_API_TOKEN" https://localhost:5443/oauth/token | jq -r .access_token)
AS_TEACHER=(--cacert .local/localhost.pem -H "Authorization: Bearer $PERSON_TOKEN" -H "client_secret: $CLIENT_SECRET")

# The teacher schedules a lesson and records its register: the whole class present. The Idempotency-Key
# makes the block safe to paste again: the lesson is scheduled once, and the register replaces itself.
LESSON=$(curl -s "${AS_TEACHER[@]}" -H "Content-Type: application/json" -H "Idempotency-Key: first-call-$COURSE-2026-11-23" \
  -d "{\"course_id\": $COURSE, \"starts_at\": \"2026-11-23T09:00:00Z\", \"ends_at\": \"2026-11-23T09:50:00Z\", \"room\": \"B2\"}" \
  https://localhost:5443/v1/schools/oakwood-primary/lessons | jq -r .lesson_id)
MARKS=$(curl -s "${AS_TEACHER[@]}" "https://localhost:5443/v1/schools/oakwood-primary/courses/$COURSE/enrolments?limit=500" \
  | jq -c '{marks: [.data[] | {student_id, status: "present"}]}')
curl -s -w '\n' "${AS_TEACHER[@]}" -H "Content-Type: application/json" -d "$MARKS" \
  "https://localhost:5443/v1/schools/oakwood-primary/lessons/$LESSON/attendance"

# The summary of that day now counts the register.
curl -s -w '\n' --cacert .local/localhost.pem -H "Authorization: Bearer $TOKEN" \
  "https://localhost:5443/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-11-23&to=2026-11-23"
