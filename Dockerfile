# syntax=docker/dockerfile:1
# Multi-stage: a static binary on a distroless, non-root base. The bundled
# scripts are embedded in the binary; mount a folder and set BARAZA_SCRIPTS
# to use your own.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/baraza ./cmd/baraza

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/baraza /usr/local/bin/baraza
USER nonroot:nonroot
ENV BARAZA_HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080
# No shell or curl in the image: the binary asks its own /readyz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/baraza", "health"]
ENTRYPOINT ["/usr/local/bin/baraza"]
CMD ["serve"]
