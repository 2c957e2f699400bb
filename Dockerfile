# A small image of jsload: a static binary on a distroless base, run as a
# non-root user. Build it from the repository's root:
#   docker build -t jsload:latest --build-arg VERSION=$(git describe --always) .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/jsload/jsload/internal/cli.Version=${VERSION}" -o /out/jsload ./cmd/jsload

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/jsload /usr/local/bin/jsload
USER 65532:65532
EXPOSE 5557 8089
ENTRYPOINT ["/usr/local/bin/jsload"]
CMD ["--help"]
