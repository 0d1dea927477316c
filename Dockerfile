# Kestrel in a container: the binary at /kestrel, everything it keeps in the /data volume, HTTP on 8080.
#   docker build --build-arg COMMIT=$(git rev-parse --short=12 HEAD) -t kestrel .
#   docker run -d --name kestrel -p 8080:8080 -v kestrel-data:/data kestrel
#   docker exec kestrel /kestrel project create "My App"
#   docker exec kestrel /kestrel backup /data/snapshot.tar.gz        (see docs/backup.md)
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG COMMIT=unknown
WORKDIR /src
COPY . .
RUN dotnet publish src/Kestrel -c Release -o /app -p:SourceRevisionId=$COMMIT

# The binary is self-contained (see src/Kestrel/Kestrel.csproj): the image needs only what .NET itself needs
# from the system, not a .NET runtime.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
# curl is only for the health check.
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
RUN ln -s /app/kestrel /kestrel && mkdir /data && chown app:app /data
# The image's own user (uid 1654), not root. ASPNETCORE_HTTP_PORTS is emptied: KESTREL_LISTEN decides.
USER app
# The single file unpacks SQLite's native library on start; /tmp is writable by the image's user.
ENV KESTREL_DATA=/data \
    KESTREL_LISTEN=0.0.0.0:8080 \
    ASPNETCORE_HTTP_PORTS= \
    DOTNET_BUNDLE_EXTRACT_BASE_DIR=/tmp
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/kestrel"]
CMD ["serve"]
