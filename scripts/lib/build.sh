# Builds the service once for the scripts that run it, and not again until a file it is built from changes:
# an admin command through run.sh then starts in a fraction of a second instead of waiting for MSBuild.

service_dll=src/StatsApi/bin/Release/net10.0/StatsApi.dll
service_stamp=src/StatsApi/bin/Release/.built

# Prints the first file newer than the last build: sources, migrations, settings, package versions, SDK pin.
service_changed_since_build() {
  find src/StatsApi db/migrations Directory.Build.props Directory.Packages.props global.json \
    \( -path src/StatsApi/bin -o -path src/StatsApi/obj \) -prune -o -type f -newer "$service_stamp" -print 2>/dev/null | head -n 1
}

service_build() {
  if [ -f "$service_dll" ] && [ -f "$service_stamp" ] && [ -z "$(service_changed_since_build)" ]; then
    return 0
  fi
  echo "Building ..." >&2
  local started output
  # Stamped with the time the build started, so a file saved during the build is built next time.
  started=$(mktemp)
  if ! output=$(dotnet build src/StatsApi/StatsApi.csproj -c Release -nologo -v quiet -clp:ErrorsOnly 2>&1); then
    rm -f "$started"
    echo "$output" >&2
    return 1
  fi
  touch -r "$started" "$service_stamp"
  rm -f "$started"
}
