package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"k8s.io/klog/v2"
)

// shutdownTimeout bounds how long in-flight requests may delay exit.
const shutdownTimeout = 2 * time.Second

// Server is an HTTP server whose port is already bound.
type Server struct {
	name     string
	listener net.Listener
	http     *http.Server
}

// Listen binds addr ("host:port") for handler. Binding happens here, not in
// Serve, so that a port already taken (say, by a kube-proxy still running
// on the node) fails agent startup with a clear error.
func Listen(name, addr string, handler http.Handler) (*Server, error) {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s server: %w", name, err)
	}
	return &Server{
		name:     name,
		listener: listener,
		http: &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: 10 * time.Second,
		},
	}, nil
}

// Addr is the bound address (useful when addr asked for port 0).
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// Close releases the port of a server that will not Serve.
func (s *Server) Close() error { return s.listener.Close() }

// Serve answers requests until ctx is done, then shuts down gracefully.
// It returns nil after a shutdown asked for by ctx, an error otherwise.
func (s *Server) Serve(ctx context.Context) error {
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := s.http.Shutdown(shutdownCtx); err != nil {
			klog.V(2).InfoS("HTTP server shutdown was not graceful", "server", s.name, "err", err)
		}
	}()
	klog.InfoS("Serving HTTP", "server", s.name, "address", s.Addr().String())
	err := s.http.Serve(s.listener)
	if errors.Is(err, http.ErrServerClosed) {
		<-stopped
		return nil
	}
	return fmt.Errorf("%s server: %w", s.name, err)
}
