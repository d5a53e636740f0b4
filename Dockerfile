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
# Behind a TLS-terminating proxy or ingress: plain HTTP inside. Name the proxy's network, e.g.
# Http__TrustedProxies__0=10.0.0.0/8, so its X-Forwarded-Proto and X-Forwarded-For are believed.
# To terminate TLS here instead, mount a certificate and set Kestrel__Certificates__Default__Path,
# Kestrel__Certificates__Default__Password, Http__AllowPlainHttp=false and ASPNETCORE_URLS=https://+:8443.
ENV ASPNETCORE_URLS=http://+:8080 \
    Http__AllowPlainHttp=true
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "StatsApi.dll"]
