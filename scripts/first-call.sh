# A token: client credentials with HTTP Basic (client_id and client_secret in the body work too).
TOKEN=$(curl -s --cacert .local/localhost.pem -u "$CLIENT_ID:$CLIENT_SECRET" \
  -d grant_type=client_credentials https://localhost:5443/oauth/token | jq -r .access_token)

# Attendance of one school over the term, grouped by ISO week.
curl -s --cacert .local/localhost.pem -H "Authorization: Bearer $TOKEN" \
  "https://localhost:5443/stats/v1/attendance/summary?school_id=oakwood-primary&from=2026-09-01&to=2026-11-20&group_by=week"
