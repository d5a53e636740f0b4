# syntax=docker/dockerfile:1
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, so the package layer is reused while only sources change.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/StatsApi/StatsApi.csproj src/StatsApi/
RUN dotnet restore src/StatsApi/StatsApi.csproj
COPY db/ db/
COPY src/ src/
RUN dotnet publish src/StatsApi/StatsApi.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# Plain HTTP on 8080 (the base image's port) for a TLS-terminating proxy or ingress, which must be named:
# the service refuses to start until Http__TrustedProxies__0 is its address or network (10.0.0.0/8), and
# then answers only what that proxy reports as HTTPS, the health probes apart. compose.yaml shows one.
# To terminate TLS here instead, mount a certificate and set Kestrel__Certificates__Default__Path,
# Kestrel__Certificates__Default__Password, Http__AllowPlainHttp=false and ASPNETCORE_URLS=https://+:8443.
ENV Http__AllowPlainHttp=true
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "StatsApi.dll"]
