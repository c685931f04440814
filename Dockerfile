# weft as a container: a static binary (pure-Go SQLite, no cgo) on a distroless base,
# running as a non-root user, with its data folder on a volume.
#
#   docker build -t weft .
#   docker run -p 8080:8080 -v weft-data:/data weft serve --addr 0.0.0.0:8080 --base-url https://weft.example.com
#
# docs/deploy.md has the details (TLS in front, backups, Postgres with compose.yaml).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/weft ./cmd/weft

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/weft /usr/local/bin/weft
# The data folder (SQLite store, key file, files root) lives on a volume owned by the
# nonroot user (uid 65532).
ENV WEFT_DATA=/data
VOLUME ["/data"]
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/weft"]
CMD ["serve", "--addr", "0.0.0.0:8080"]
