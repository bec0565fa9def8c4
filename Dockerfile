# syntax=docker/dockerfile:1
# A small, static, non-root image of the one binary. The IANA timezone database
# is embedded in the binary (time/tzdata), so the image needs no tzdata.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" -o /out/trellis . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/trellis /trellis
COPY --from=build --chown=65532:65532 /out/data /data
ENV TRELLIS_DATA_DIR=/data \
    TRELLIS_ADDR=0.0.0.0:8080
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["/trellis", "healthcheck"]
ENTRYPOINT ["/trellis"]
CMD ["serve"]
