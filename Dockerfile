# syntax=docker/dockerfile:1
# SnnServe service image: REST on 8000, models from /models (the bundled ones, or a mounted volume).
# Build: docker build -t snnserve .    Run: docker run -p 8000:8000 snnserve

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so the layer is cached until dependencies change.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Runtime/Runtime.csproj src/Runtime/
COPY src/Api/Api.csproj src/Api/
COPY src/Contracts/Contracts.csproj src/Contracts/
RUN dotnet restore src/Api/Api.csproj
COPY src/Runtime/ src/Runtime/
COPY src/Api/ src/Api/
COPY src/Contracts/ src/Contracts/
RUN dotnet publish src/Api/Api.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final
WORKDIR /app
COPY --from=build /app ./
COPY models/ /models/
ENV SnnServe__Models__RepositoryPath=/models \
    SnnServe__Models__PreferCuda=false \
    ASPNETCORE_ENVIRONMENT=Production
# The aspnet base image ships the non-root user "app" (UID 1654).
USER app
EXPOSE 8000 8001 8002
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8000 && printf 'GET /v2/health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "SnnServe.Api.dll"]
